"""The sessions saved most recently in a store, for a "recent sessions" list on a local install.

Only for a single-user install: on a shared server every visitor's sessions are in the same store,
and a session id is a secret (whoever has it can open the session), so the app shows this list
only when its operator turns it on (ui/recent.py).

Listing reads the newest files by their modification time (stat only) and then only those few,
through the store's own reader, and never touches them: being listed does not extend a
session's time to live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alchemist.errors import AlchemistError
from alchemist.persistence import SessionStore, session_from_envelope
from alchemist.session import is_session_id
from alchemist.store.sweep import SESSION_SUFFIX

# A list a person reads; also bounds the files read for it.
MAX_RECENT = 10


@dataclass(frozen=True)
class RecentSession:
    """One stored session as the list shows it."""

    id: str
    name: str
    modified: datetime
    variables: int
    experiments: int


def recent_sessions(store: SessionStore, limit: int = MAX_RECENT) -> list[RecentSession]:
    """Up to `limit` sessions of the store, the most recently saved first; unreadable ones are left out."""
    limit = max(0, min(int(limit), MAX_RECENT))
    stamped = []
    for path in store.sessions_dir.glob(f"*{SESSION_SUFFIX}"):
        if not is_session_id(path.stem):
            continue
        try:
            stamped.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue  # swept meanwhile
    stamped.sort(reverse=True)
    found = []
    for _, path in stamped[:limit]:
        try:
            read = store._read(path)  # the store's reader: signed by this store, bounded, migrated
            if read is None:
                continue
            session = session_from_envelope(read[0])
        except AlchemistError:
            continue  # the store sets such a file aside when it is opened; the list just skips it
        counts = session.counts()
        found.append(RecentSession(session.id, session.name, session.modified, counts["variables"], counts["experiments"]))
    return found
