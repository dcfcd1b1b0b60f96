"""The sessions saved most recently in a store, for a "recent sessions" list on a local install.

Only for a single-user install: on a shared server every visitor's sessions are in the same store,
and a session id is a secret (whoever has it can open the session), so the app shows this list
only when its operator turns it on (ui/recent.py).

Listing takes one listing of the store, picks the sessions saved most recently (by the time of
their last revision or checkpoint) and reads only those few, through the store's own reader
(sessions of the old layout in place, unconverted), and writes nothing: being listed does not
extend a session's time to live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alchemist.errors import AlchemistError
from alchemist.persistence import SessionStore
from alchemist.store.layout import SESSIONS, group

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
    for session_id, found in group(store.storage.list(SESSIONS)).items():
        saves = [found.checkpoint, *found.revs.values(), *(found.legacy.get(s) for s in (".pkl", ".log"))]
        times = [info.modified for info in saves if info is not None]
        if found.exists and times:
            stamped.append((max(times), session_id))
    stamped.sort(reverse=True)
    found_sessions = []
    for _, session_id in stamped[:limit]:
        try:
            head = store._fresh_head(session_id)  # the store's reader: signed by this store, bounded, migrated
            if head is None or head.tree.get("id") != session_id:
                continue
            session = store.session_of(session_id, head.tree)
        except AlchemistError:
            continue  # the store sets such a session aside when it is opened; the list just skips it
        counts = session.counts()
        found_sessions.append(RecentSession(session.id, session.name, session.modified, counts["variables"],
                                            counts["experiments"]))
    return found_sessions
