"""How long the store keeps a session: the time to live, the sweep, corrupt files set aside.

Real files in tmp_path, real sessions, no mocks.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

from alchemist.errors import SessionFileError
from alchemist.files.container import encode_session_file
from alchemist.persistence import SessionStore
from alchemist.plain import timestamp_to_state, utc_now
from alchemist.session import Session
from tests.session_store_support import DAY, files_in, read_envelope
from tests.store.store_support import age_session, stored_files


def rewrite_envelope(store: SessionStore, session_id: str, **changes) -> None:
    """Edit the timestamps of a cached file as if time had passed."""
    envelope = read_envelope(store, session_id)
    envelope.update({k: timestamp_to_state(v) for k, v in changes.items()})
    store.path_of(session_id).write_bytes(encode_session_file(envelope, store.keys))


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
