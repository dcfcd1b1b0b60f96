"""Session ids that never touch the file system, and atomic writes, also from two stores at once.

Real files in tmp_path, real sessions, no mocks.
"""

from __future__ import annotations

import threading

import pytest

from alchemist.errors import SessionFileError, StorageError
from alchemist.persistence import SessionStore, write_atomically
from alchemist.session import Session
from tests.session_store_support import DAY, files_in, full_session
from tests.store.store_support import stored_files


# -- ids and atomic writes ---------------------------------------------------------------------------
BAD_IDS = [
    "../x", "../../etc/passwd", "..", "", "x", "/tmp/abs", "A" * 32, "0" * 31, "0" * 33,
    "0" * 31 + "\n", "0" * 30 + "/.", "0" * 32 + ".pkl", None, 123,
]


@pytest.mark.parametrize("bad_id", BAD_IDS, ids=repr)
def test_ids_that_do_not_match_the_pattern_never_touch_the_filesystem(store, bad_id):
    # A valid session file sits where '../x' would lead, one level above sessions/.
    bait = store.root / "x.pkl"
    bait.write_bytes(store.export(full_session()))
    before = {p: p.read_bytes() for p in store.root.rglob("*") if p.is_file()}

    assert store.get(bad_id) is None
    store.delete(bad_id)
    with pytest.raises(SessionFileError):
        store.export_session(bad_id)

    after = {p: p.read_bytes() for p in store.root.rglob("*") if p.is_file()}
    assert after == before
    assert not store.quarantine_dir.exists()


def test_a_session_with_a_bad_id_cannot_be_saved(store):
    session = full_session()
    session.id = "../escape"
    with pytest.raises(ValueError):
        store.save(session)
    assert not (store.root / "escape.pkl").exists()
    assert files_in(store.sessions_dir) == []


def test_saves_leave_no_temp_files(store):
    session = full_session()
    for i in range(20):
        session.rename(f"Version {i}")
        store.save(session)
    assert stored_files(store)[0] == f"{session.id}/checkpoint"
    assert all(name.startswith(f"{session.id}/rev-") for name in stored_files(store)[1:])  # one per revision, no temp
    assert store.get(session.id).name == "Version 19"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "file.pkl"
    path.write_bytes(b"old")
    with pytest.raises((TypeError, StorageError)):
        write_atomically(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b"old"
    assert files_in(tmp_path) == ["file.pkl"]


def test_concurrent_saves_from_two_stores_leave_one_valid_file(tmp_path):
    root = tmp_path / "cache"
    stores = [SessionStore(root, ttl=DAY), SessionStore(root, ttl=DAY)]
    session = full_session()
    stores[0].save(session)
    errors: list[BaseException] = []

    def writer(store: SessionStore, label: str) -> None:
        try:
            for i in range(15):
                copy = Session.from_state(session.to_state())
                copy.rename(f"{label} {i}")
                store.save(copy)
                assert store.get(session.id) is not None
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(s, label)) for s, label in zip(stores, "AB")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert stored_files(stores[0])[0] == f"{session.id}/checkpoint"
    assert all(name.startswith(f"{session.id}/rev-") for name in stored_files(stores[0])[1:])
    assert len(stores[1].history(session.id)) == 31, "every save of both stores is a revision, none lost"
    assert stores[1].get(session.id).name in {"A 14", "B 14"}
