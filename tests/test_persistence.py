"""The on-disk session store: real files in tmp_path, real sessions, no mocks."""

from __future__ import annotations

import copy
import logging
import os
import random
import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alchemist.errors import SessionFileError, StorageError
from alchemist.examples import catalyst_example
from alchemist.files.container import decode_session_file, encode_session_file
from alchemist.files.kinds import inspect_session_file
from alchemist.files.migrations import CURRENT_FORMAT_VERSION, SESSION_FORMAT
from alchemist.persistence import SessionStore, envelope_for, session_from_envelope, write_atomically
from alchemist.plain import timestamp_from_state, timestamp_to_state, utc_now
from alchemist.session import Session, is_session_id
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable
from tests.store.store_support import age_session, stored_files

DAY = timedelta(days=1)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def read_envelope(store: SessionStore, session_id: str) -> dict:
    return decode_session_file(store.path_of(session_id).read_bytes())


def rewrite_envelope(store: SessionStore, session_id: str, **changes) -> None:
    """Edit the timestamps of a cached file as if time had passed."""
    envelope = read_envelope(store, session_id)
    envelope.update({k: timestamp_to_state(v) for k, v in changes.items()})
    store.path_of(session_id).write_bytes(encode_session_file(envelope, store.keys))


def full_session() -> Session:
    """Every variable kind with unit and description, missing values, invalid cells and notes."""
    session = Session.new("Round trip — every kind")
    session.add_variable(ContinuousVariable("Temperature", unit="°C", description="Set point", low=300, high=500))
    session.add_variable(IntegerVariable("Cycles", unit="count", description="Regenerations", low=1, high=9))
    session.add_variable(CategoricalVariable("Catalyst", unit="", description="Zeolite", levels=("Low SAR", "High SAR")))
    session.add_variable(DiscreteVariable("SAR", unit="mol/mol", description="Si/Al ratio", values=(80, 280)))
    session.add_experiments(
        pd.DataFrame(
            {
                "Temperature": [320.5, None, "hot", 450.0],
                "Cycles": [1, 2, 3, 4],
                "Catalyst": ["Low SAR", "High SAR", None, "Medium"],
                "SAR": [80, 280, 80, 81],
                "Yield": [0.1 + 0.2, 0.5, None, 1e-300],
                "Noise": [0.01, None, None, 0.0],
                "Iteration": [0, 0, 1, 1],
                "Reason": ["Initial Design", "", "EI — suggested", "line one\nline two"],
            }
        ),
        target="Yield",
    )
    return session


@pytest.fixture(scope="module")
def trained_catalyst() -> Session:
    session = catalyst_example()
    session.train()
    return session


@pytest.fixture
def store(tmp_path) -> SessionStore:
    return SessionStore(tmp_path / "cache", ttl=DAY)


# -- basic life cycle -------------------------------------------------------------------------------
def test_create_writes_one_file_named_by_the_id(store):
    session = store.create("My campaign")
    assert is_session_id(session.id)
    assert stored_files(store) == [f"{session.id}/checkpoint"]
    envelope = read_envelope(store, session.id)
    assert set(envelope) == {"format", "format_version", "session", "created_at", "last_accessed", "expires_at", "history"}
    assert envelope["format"] == SESSION_FORMAT and envelope["format_version"] == CURRENT_FORMAT_VERSION
    assert envelope["session"]["name"] == "My campaign"
    expires = timestamp_from_state(envelope["expires_at"])
    assert expires - timestamp_from_state(envelope["last_accessed"]) == DAY


def test_save_and_get_round_trip_of_every_kind(store):
    session = full_session()
    store.save(session)
    again = store.get(session.id)
    assert again is not session
    assert again.name == session.name and again.variables == session.variables
    assert [v.unit for v in again.variables] == ["°C", "count", "", "mol/mol"]
    assert [v.description for v in again.variables] == ["Set point", "Regenerations", "Zeolite", "Si/Al ratio"]
    pd.testing.assert_frame_equal(again.experiments.frame, session.experiments.frame)
    assert again.statuses() == session.statuses()
    assert again.experiments.cells()["Temperature"].tolist()[2] == "hot"
    assert again.experiments.frame["Note"].tolist() == ["Initial Design", "", "EI — suggested", "line one\nline two"]
    assert again.experiments.frame["Yield"].tolist()[0] == 0.1 + 0.2


def test_get_of_unknown_id_is_none(store):
    assert store.get(Session.new().id) is None


def test_delete(store):
    keep, gone = store.create(), store.create()
    store.delete(gone.id)
    assert store.get(gone.id) is None
    assert stored_files(store) == [f"{keep.id}/checkpoint"]
    store.delete(gone.id)  # deleting twice is fine


def test_restart_finds_the_session(tmp_path):
    root = tmp_path / "cache"
    first = SessionStore(root, ttl=DAY)
    session = full_session()
    first.save(session)
    del first

    after_restart = SessionStore(root, ttl=DAY)
    again = after_restart.get(session.id)
    assert again is not None and again.id == session.id
    pd.testing.assert_frame_equal(again.experiments.frame, session.experiments.frame)


def test_ttl_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        SessionStore(tmp_path, ttl=timedelta(0))


# -- the trained model -------------------------------------------------------------------------------
def test_trained_model_predicts_identically_after_export_and_import(tmp_path, trained_catalyst):
    store = SessionStore(tmp_path / "cache", ttl=DAY)
    original = trained_catalyst
    store.save(original)
    data = store.export_session(original.id)
    assert isinstance(data, bytes)

    new_id = store.import_session(data)
    assert new_id != original.id and is_session_id(new_id)
    imported = store.get(new_id)
    assert imported.model_status().state == "trained"

    X, _, _ = original.training_data()
    rng = np.random.default_rng(0)
    unseen = pd.DataFrame(
        {
            "Temperature": rng.uniform(350, 450, 50),
            "Catalyst": rng.choice(["High SAR", "Low SAR"], 50),
            "Metal Loading": rng.uniform(0, 5, 50),
            "Zinc Fraction": rng.uniform(0, 1, 50),
        }
    )
    for points in (X, unseen):
        mean_before, std_before = original.model.predict(points)
        mean_after, std_after = imported.model.predict(points)
        assert np.array_equal(mean_before, mean_after), "mean changed"
        assert np.array_equal(std_before, std_after), "standard deviation changed"
    np.testing.assert_array_equal(original.model.theta, imported.model.theta)


def test_import_gives_a_new_id_and_leaves_the_original(store):
    original = full_session()
    store.save(original)
    data = store.export_session(original.id)
    first, second = store.import_session(data), store.import_session(data)
    assert len({original.id, first, second}) == 3
    assert stored_files(store) == sorted(f"{i}/checkpoint" for i in (original.id, first, second))
    assert store.get(original.id).name == original.name
    copy = store.get(first)
    assert copy.id == first
    assert copy.variables == original.variables
    pd.testing.assert_frame_equal(copy.experiments.frame, original.experiments.frame)


def test_an_old_download_whose_cache_time_has_passed_still_imports(store):
    original = full_session()
    old = envelope_for(original, utc_now() - timedelta(days=400), DAY)
    new_id = store.import_session(encode_session_file(old, store.keys))
    assert store.get(new_id) is not None
    expires = timestamp_from_state(read_envelope(store, new_id)["expires_at"])
    assert expires > utc_now() + DAY - timedelta(minutes=1)


def test_export_of_unknown_or_bad_id(store):
    with pytest.raises(SessionFileError, match="no longer exists"):
        store.export_session(Session.new().id)
    with pytest.raises(SessionFileError):
        store.export_session("../../etc/passwd")


def test_import_of_bad_files_writes_nothing(store, tmp_path):
    marker = tmp_path / "pwned"
    hostile = b"\x80\x02cos\nsystem\nX" + len(f"touch {marker}").to_bytes(4, "little") + f"touch {marker}".encode() + b"\x85R."
    valid = store.export(full_session())
    for data in (b"", valid[: len(valid) // 2], os.urandom(500), hostile, b"\x80\x05" + b"N" * (51 * 1024 * 1024)):
        with pytest.raises(SessionFileError):
            store.import_session(data)
    assert not marker.exists()
    assert files_in(store.sessions_dir) == []


def test_corrupted_files_give_our_error_or_a_session(store, trained_catalyst):
    # Damaged bytes anywhere in a real file (with a model) before its signature, signed again as if
    # by us: the signature passes, so every case reaches the decoder and the session's own checks.
    valid = store.export(trained_catalyst, compression="none")
    rng = random.Random(11)
    outcomes = {"refused": 0, "loaded": 0}
    for _ in range(60):
        data = bytearray(valid[:-32])
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data) + store.keys.sign(bytes(data))[1]
        try:
            new_id = store.import_session(data)
        except SessionFileError as error:
            assert "signature" not in error.message and "signed" not in error.message, error.message
            outcomes["refused"] += 1
        else:
            outcomes["loaded"] += 1
            assert store.get(new_id) is not None
    assert outcomes["refused"] > 0 and outcomes["loaded"] > 0, outcomes


def test_corrupted_files_reach_the_decoder(store, trained_catalyst):
    # The check above would be empty if damage stopped at the outside: most re-signed files parse as our own.
    valid = store.export(trained_catalyst, compression="none")
    rng = random.Random(11)
    own = 0
    for _ in range(60):
        data = bytearray(valid[:-32])
        data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data) + store.keys.sign(bytes(data))[1]
        try:
            own += inspect_session_file(data, store.keys).origin == "own"
        except SessionFileError:
            pass  # the header itself was hit
    assert own >= 50


# -- time to live -----------------------------------------------------------------------------------
def age(path: Path, seconds: float) -> None:
    """Make a file look last written `seconds` ago, as if time had passed."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_tiny_ttl_expires_at_the_sweep(tmp_path):
    store = SessionStore(tmp_path / "cache", ttl=timedelta(seconds=5))
    session = store.create()
    assert store.get(session.id) is not None
    assert store.sweep() == []
    age_session(store, session.id, 6)
    assert store.sweep() == [session.id]
    assert stored_files(store) == []
    assert store.get(session.id) is None


def test_expiry_follows_the_last_save_not_the_envelope(store):
    session = store.create()
    now = utc_now()
    rewrite_envelope(store, session.id, last_accessed=now - 2 * DAY, expires_at=now - timedelta(seconds=1))
    assert store.sweep() == [], "the file was written just now: alive whatever its envelope says"
    assert store.get(session.id) is not None


def test_get_extends_the_time_to_live_without_rewriting(store):
    session = store.create()
    path = store.path_of(session.id)
    age_session(store, session.id, 23 * 3600)
    before = (path.read_bytes(), path.stat().st_ino, store.version(session.id))
    assert store.get(session.id) is not None
    assert (path.read_bytes(), path.stat().st_ino, store.version(session.id)) == before, "opening never rewrites"
    for saved in (store.sessions_dir / session.id).iterdir():
        if saved.name != "seen":
            age(saved, 2 * 24 * 3600)  # the last save is old, but the open just now keeps it alive
    assert store.sweep() == []
    assert store.get(session.id) is not None


def test_get_right_after_a_save_does_not_rewrite(store):
    session = store.create()
    path = store.path_of(session.id)
    before = (path.read_bytes(), path.stat().st_ino)
    store.get(session.id)
    assert (path.read_bytes(), path.stat().st_ino) == before
    assert stored_files(store) == [f"{session.id}/checkpoint"], "no `seen` either: it was saved a moment ago"


def test_save_extends_the_time_to_live(store):
    session = store.create()
    age_session(store, session.id, 2 * 24 * 3600)
    session.rename("Renamed")
    store.save(session)
    assert store.sweep() == []
    assert store.get(session.id).name == "Renamed"


# -- the sweep ---------------------------------------------------------------------------------------
def test_sweep_removes_expired_only_and_leaves_a_corrupt_file_to_the_reader(store):
    live, expired, corrupt = store.create("live"), store.create("expired"), store.create("corrupt")
    age_session(store, expired.id, 2 * 24 * 3600)
    corrupt_path = store.path_of(corrupt.id)
    corrupt_bytes = corrupt_path.read_bytes()[:-40]
    corrupt_path.write_bytes(corrupt_bytes)
    other = store.sessions_dir / "README.txt"
    other.write_text("not a session")

    assert store.sweep() == [expired.id]

    assert stored_files(store) == sorted([f"{live.id}/checkpoint", f"{corrupt.id}/checkpoint", "README.txt"])
    with pytest.raises(SessionFileError, match="set aside"):
        store.get(corrupt.id)
    quarantined = files_in(store.quarantine_dir)
    assert len(quarantined) == 1 and quarantined[0].startswith(corrupt.id)
    assert (store.quarantine_dir / quarantined[0]).read_bytes() == corrupt_bytes, "kept as it was, for a look"
    assert store.get(live.id).name == "live"
    assert store.sweep() == []
    assert files_in(store.quarantine_dir) == quarantined


def test_sweep_never_reads_a_hostile_file_and_get_sets_it_aside_without_running_it(store, tmp_path):
    marker = tmp_path / "pwned"
    session_id = Session.new().id
    command = f"touch {marker}".encode()
    hostile = b"\x80\x04cos\nsystem\nX" + len(command).to_bytes(4, "little") + command + b"\x85R."
    (store.sessions_dir / f"{session_id}.pkl").write_bytes(hostile)
    assert store.sweep() == []
    with pytest.raises(SessionFileError):
        store.get(session_id)
    assert not marker.exists()
    assert files_in(store.sessions_dir) == []
    assert len(files_in(store.quarantine_dir)) == 1


def test_sweep_clears_stale_temp_files_only(store):
    session = store.create()
    stale = store.sessions_dir / ".abandoned.tmp"
    fresh = store.sessions_dir / ".in-progress.tmp"
    stale.write_bytes(b"half a file")
    fresh.write_bytes(b"being written")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    store.sweep()
    assert stored_files(store) == sorted([".in-progress.tmp", f"{session.id}/checkpoint"])


def test_get_of_a_corrupt_file_quarantines_it_and_says_so(store):
    session = store.create()
    path = store.path_of(session.id)
    path.write_bytes(b"\x80\x05garbage")
    with pytest.raises(SessionFileError, match="set aside"):
        store.get(session.id)
    assert not path.exists()
    assert len(files_in(store.quarantine_dir)) == 1
    assert store.get(session.id) is None


def test_a_file_holding_another_session_is_not_served(store):
    victim, other = store.create("victim"), store.create("other")
    store.path_of(victim.id).write_bytes(store.path_of(other.id).read_bytes())
    with pytest.raises(SessionFileError):
        store.get(victim.id)
    assert store.get(other.id).name == "other"


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


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node[:1]):
            yield from _paths(value, path + (i,))


ODD_VALUES = [None, 2**70, "", {}, 1.5, [2**32, 2**32], True, "x", [{}]]


def test_any_part_of_a_session_replaced_by_an_odd_value_is_refused_by_the_session_itself(trained_catalyst, caplog):
    # A crafted file is valid plain data with the wrong values in places. In a real envelope (format,
    # version, timestamps) each state reaches Session.from_state, whose own checks must refuse it
    # with SessionFileError (or accept it): never the store's last-resort net for a TypeError or
    # the like, which logs "unexpected error", nor its wrapping of another error.
    state = trained_catalyst.to_state()
    envelope = envelope_for(trained_catalyst, utc_now(), DAY)
    outcomes = {"refused": 0, "loaded": 0}
    not_the_session = []
    with caplog.at_level(logging.WARNING, logger="alchemist.persistence"):
        for path in list(_paths(state))[1:]:
            for value in ODD_VALUES:
                mutated = copy.deepcopy(state)
                node = mutated
                for key in path[:-1]:
                    node = node[key]
                node[path[-1]] = value
                caplog.clear()
                try:
                    session_from_envelope({**envelope, "session": mutated})
                except SessionFileError as error:
                    outcomes["refused"] += 1
                    if caplog.records or error.message.startswith("The session in the file is not valid"):
                        not_the_session.append(f"{'.'.join(map(str, path))} = {value!r}: {error.message}")
                else:
                    outcomes["loaded"] += 1
    assert not not_the_session, "\n".join(not_the_session[:20])
    assert outcomes["refused"] > 300 and outcomes["loaded"] > 0, outcomes
