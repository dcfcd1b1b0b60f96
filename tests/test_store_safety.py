"""The session store never loses work: two tabs, a sweep racing a save, a clock ahead, a full disk.

Real files in tmp folders. The only part replaced is `alchemist.store.disk._write_all`, the one
place bytes reach the disk, to simulate a disk that fills up mid-write.
"""

from __future__ import annotations

import errno
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

from alchemist.errors import ConflictError, StorageError
from alchemist.files.signing import KeyRing
from alchemist.persistence import SessionStore
from alchemist.store import disk, sweep
from tests.store.store_support import age_session, stored_files

DAY = timedelta(days=1)


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


# -- two tabs ------------------------------------------------------------------------------------------
def test_a_reader_never_overwrites_a_newer_save(store):
    session = store.create("first")
    tab_a_version = store.version(session.id)
    tab_b = store.get(session.id)
    tab_b.rename("edited in tab B")
    tab_b_version = store.save(tab_b, expected_version=tab_a_version)
    stale = store.get(session.id)
    stale.rename("stale copy of tab A")
    with pytest.raises(ConflictError):
        store.save(stale, expected_version=tab_a_version)
    assert store.get(session.id).name == "edited in tab B"
    assert store.version(session.id) == tab_b_version


def test_opening_in_a_second_tab_never_reverts_the_owners_edit(tmp_path):
    root = tmp_path / "cache"
    owner_store, visitor_store = SessionStore(root, ttl=DAY), SessionStore(root, ttl=DAY)
    session = owner_store.create("owner")
    age_session(owner_store, session.id, 3600)  # long enough ago that opening extends the life
    visitor_copy = visitor_store.get(session.id)  # the visitor reads...
    session.rename("owner's edit")
    version = owner_store.save(session, expected_version=owner_store.version(session.id))
    visitor_store.get(session.id)  # ...and opens again: a touch, never a rewrite of what it read
    assert visitor_copy.name == "owner"
    assert owner_store.get(session.id).name == "owner's edit"
    assert owner_store.version(session.id) == version


def test_versions_change_on_every_save_even_within_one_clock_tick(store):
    session = store.create()
    versions = []
    for i in range(20):
        session.rename(f"v{i}")  # a save that changes nothing is no revision and keeps the version
        versions.append(store.save(session))
    assert len(set(versions)) == 20 and versions == sorted(versions)


# -- the sweep racing a save ---------------------------------------------------------------------------
def after_the_sweeps_look(store, monkeypatch, action) -> None:
    """Run `action` right after the sweep's listing of every session, before it deletes anything."""
    real_list = store.storage.list

    def list_then_act(prefix):
        listing = real_list(prefix)
        if prefix == "sessions/":
            monkeypatch.setattr(store.storage, "list", real_list)
            action()
        return listing

    monkeypatch.setattr(store.storage, "list", list_then_act)


def test_a_save_between_the_sweeps_look_and_its_unlink_is_kept(store, monkeypatch):
    session = store.create("about to expire")
    age_session(store, session.id, 2 * 86400)

    def save():  # the sweep has judged the session expired, and the owner saves before it deletes
        session.rename("saved just in time")
        store.save(session)

    after_the_sweeps_look(store, monkeypatch, save)
    assert store.sweep() == []
    assert store.get(session.id).name == "saved just in time"


def test_an_open_between_the_sweeps_look_and_its_unlink_is_kept(store, monkeypatch):
    session = store.create()
    age_session(store, session.id, 2 * 86400)

    def open_it():
        assert store.get(session.id) is not None  # writes its `seen`

    after_the_sweeps_look(store, monkeypatch, open_it)
    assert store.sweep() == []
    assert store.get(session.id) is not None


def test_the_sweep_reads_no_session_file(store, monkeypatch):
    sessions = [store.create() for _ in range(3)]
    sessions[1].rename("edited")
    store.save(sessions[1])
    age_session(store, sessions[0].id, 2 * 86400)
    monkeypatch.setattr(store.storage, "get", lambda *a: pytest.fail("the sweep read a session file"))
    assert store.sweep() == [sessions[0].id]


# -- the clock -----------------------------------------------------------------------------------------
def test_a_clock_eight_days_ahead_deletes_nothing(store, monkeypatch):
    sessions = [store.create() for _ in range(3)]
    real = time.time
    monkeypatch.setattr(sweep, "wall_clock", lambda: real() + 8 * 86400)
    assert store.sweep() == []
    restarted = SessionStore(store.root, ttl=DAY)  # a restart while the clock is ahead
    assert restarted.sweep() == []
    newly_saved = restarted.create()  # activity after the jump does not age the others
    ahead = real() + 8 * 86400
    for path in (restarted.sessions_dir / newly_saved.id).iterdir():
        os.utime(path, (ahead, ahead))  # written by the clock that is ahead
    assert restarted.sweep() == []
    assert all(restarted.get(s.id) is not None for s in sessions + [newly_saved])


def test_sessions_expire_relative_to_the_store_clock(tmp_path):
    root = tmp_path / "cache"
    first = SessionStore(root, ttl=DAY)
    old, recent = first.create(), first.create()
    age_session(first, old.id, 3 * 86400)
    age_session(first, recent.id, 3600)
    assert SessionStore(root, ttl=DAY).sweep() == [old.id]


# -- the disk ------------------------------------------------------------------------------------------
def test_a_disk_that_fills_up_mid_write_keeps_the_old_copy(store, monkeypatch):
    session = store.create("saved before the disk filled")
    before = store.path_of(session.id).read_bytes()

    def half_then_full(handle, data):
        handle.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(disk, "_write_all", half_then_full)
    session.rename("not stored yet")
    with pytest.raises(StorageError, match="disk is full"):
        store.save(session)
    with pytest.raises(StorageError):
        store.create()
    assert store.path_of(session.id).read_bytes() == before
    assert stored_files(store) == [f"{session.id}/checkpoint"], "no temp left, no revision stored"
    assert not [p for p in store.root.rglob(".*") if p.name != ".sessions.lock" and "key" not in p.name], "no temp left"
    monkeypatch.undo()
    store.save(session)  # space again: the session held in memory is stored
    assert store.get(session.id).name == "not stored yet"


def test_opening_a_link_works_on_a_full_disk(store, monkeypatch):
    session = store.create()
    age_session(store, session.id, 3600)

    def full(*args, **kwargs):
        raise StorageError("full")

    monkeypatch.setattr(store.storage, "put", full)  # opening writes `seen`: it fails
    assert store.get(session.id) is not None


def test_a_deleted_sessions_folder_is_recreated(store):
    import shutil

    shutil.rmtree(store.sessions_dir)
    session = store.create()
    assert store.get(session.id) is not None
    shutil.rmtree(store.root)
    store.save(session)
    assert store.get(session.id) is not None


def test_a_read_only_folder_gives_a_storage_error(tmp_path, monkeypatch):
    store = SessionStore(tmp_path / "cache", ttl=DAY)
    session = store.create()

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(disk.tempfile, "mkstemp", read_only)
    monkeypatch.setattr(disk.os, "open", read_only)  # the lock and the revision log open files too
    session.rename("not stored")
    with pytest.raises(StorageError, match="cannot be written"):
        store.save(session)


# -- quarantine ----------------------------------------------------------------------------------------
def test_quarantine_is_swept_after_its_own_time_to_live(store):
    session = store.create()
    store.path_of(session.id).write_bytes(b"damaged")
    with pytest.raises(Exception):
        store.get(session.id)
    [kept] = list(store.quarantine_dir.iterdir())
    assert store.sweep() == [] and kept.exists(), "fresh in quarantine: kept for a look"
    age(kept, 31 * 86400)
    store.sweep()
    assert not store.quarantine_dir.exists() or list(store.quarantine_dir.iterdir()) == []


# -- keys ----------------------------------------------------------------------------------------------
def test_a_session_signed_by_any_key_of_the_ring_is_served_after_rotation(tmp_path):
    old = KeyRing.from_mapping({"2025-01": "an older secret of enough length"})
    store = SessionStore(tmp_path / "cache", ttl=DAY, keys=old)
    written_with_old = store.create()
    rotated = KeyRing.from_mapping({"2025-01": "an older secret of enough length", "2026-11": "the newest secret, long enough"})
    store.configure(rotated, DAY)
    written_with_new = store.create()
    assert store.get(written_with_old.id) is not None and store.get(written_with_new.id) is not None
    assert store.sweep() == []
    assert not store.quarantine_dir.exists()
