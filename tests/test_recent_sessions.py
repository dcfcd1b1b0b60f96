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
    # Listing is not a use: no `seen` is written, so the time to live is not extended.
    assert not list(store.sessions_dir.rglob("*seen"))
    # A session in the layout from before is listed in place (and not converted by being listed).
    old = Session.new("Screen from before the upgrade")
    store.save(old)
    data = store.path_of(old.id).read_bytes()
    store.delete(old.id)
    store.sessions_dir.mkdir(exist_ok=True)
    (store.sessions_dir / f"{old.id}.pkl").write_bytes(data)
    assert recent_sessions(store, limit=1)[0].name == "Screen from before the upgrade"
    assert (store.sessions_dir / f"{old.id}.pkl").exists() and not (store.sessions_dir / old.id).exists()
