"""The store's recent-sessions list: newest first, bounded, unreadable files left out, nothing touched."""

from __future__ import annotations

from pathlib import Path

from alchemist.persistence import SessionStore
from alchemist.session import Session
from alchemist.store.recent import MAX_RECENT, recent_sessions


def test_newest_first_bounded_and_never_touched(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    sessions = [Session.new(f"Screen {i}") for i in range(MAX_RECENT + 2)]
    for session in sessions:
        store.save(session)
    (store.sessions_dir / ("0" * 32 + ".pkl")).write_bytes(b"not a session")  # unreadable: skipped
    found = recent_sessions(store)
    # The unreadable file is the newest, so it takes one of the MAX_RECENT places and is left out.
    assert [entry.name for entry in found] == [f"Screen {i}" for i in range(MAX_RECENT + 1, 2, -1)]
    assert found[0].variables == 0 and found[0].experiments == 0
    assert [entry.name for entry in recent_sessions(store, limit=3)] == ["Screen 11", "Screen 10"]
    assert recent_sessions(store, limit=1000) == found  # never more than MAX_RECENT files are read
    # Listing is not a use: no sidecar is written, so the time to live is not extended.
    assert not list(store.sessions_dir.glob("*.seen"))
