"""The keys that sign session files: the local key, rotation, bad key rings, processes that start at once.

Real files in tmp_path, real child processes, no mocks.
"""

from __future__ import annotations

import os
import stat

import pytest

from alchemist.errors import ForeignFileError
from alchemist.files.kinds import inspect_session_file
from alchemist.files.signing import LOCAL_KEY_FILE, KeyRing
from alchemist.persistence import SessionStore


# -- keys ----------------------------------------------------------------------------------------
def test_local_key_is_made_once_owner_only_and_shared_by_stores(tmp_path, golden):
    first = SessionStore(tmp_path / "cache")
    key_file = tmp_path / "cache" / LOCAL_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = SessionStore(tmp_path / "cache")
    assert first.keys.newest == second.keys.newest
    assert second.read_file(first.export(golden)).origin == "own"
    assert "KeyRing" in repr(first.keys) and key_file.read_text().strip() not in repr(first.keys)


def test_a_key_readable_by_others_is_refused(tmp_path):
    SessionStore(tmp_path / "cache")
    os.chmod(tmp_path / "cache" / LOCAL_KEY_FILE, 0o644)
    with pytest.raises(PermissionError):
        SessionStore(tmp_path / "cache")


def test_key_rotation_newest_signs_all_verify(tmp_path, golden):
    old_ring = KeyRing.from_mapping({"2025-01": "an old secret of enough length"})
    old_file = SessionStore(tmp_path / "a", keys=old_ring).export(golden)
    rotated = KeyRing.from_mapping({"2025-01": "an old secret of enough length", "2026-11": "the new secret, also long"})
    assert rotated.newest == "2026-11"
    store = SessionStore(tmp_path / "b", keys=rotated)
    assert store.read_file(old_file).origin == "own"
    new_file = store.export(golden)
    assert inspect_session_file(new_file, rotated).key_id == "2026-11"
    with pytest.raises(ForeignFileError, match=r"another installation \(key id 2026-11\)"):
        SessionStore(tmp_path / "c", keys=old_ring).load_file(new_file)


@pytest.mark.parametrize("mapping, newest", [({}, None), ({"bad id!": "x" * 20}, None), ({"k": "short"}, None), ({"k": "x" * 20}, "other")])
def test_bad_key_rings_are_refused(mapping, newest):
    with pytest.raises(ValueError):
        KeyRing.from_mapping(mapping, newest)


def _key_id_of(folder: str, connection) -> None:
    connection.send(KeyRing.local(folder).newest)


def test_processes_starting_at_once_agree_on_one_local_key(tmp_path):
    import multiprocessing

    context = multiprocessing.get_context("fork")
    pipes, processes = [], []
    for _ in range(6):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_key_id_of, args=(str(tmp_path / "cache"), send))
        processes.append(process)
        pipes.append(receive)
    for process in processes:
        process.start()
    ids = {pipe.recv() for pipe in pipes}
    for process in processes:
        process.join(10)
    assert len(ids) == 1 and ids == {KeyRing.local(tmp_path / "cache").newest}
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [LOCAL_KEY_FILE]
