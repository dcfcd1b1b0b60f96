"""Expiry of stored sessions: judged from one listing, by a clock that a jumped wall clock cannot
fool, and safe with every replica sweeping the same storage at once.

A session's last use is the newest write among its objects (alchemist.store.layout): a save
writes a revision or a checkpoint, an open writes `seen`. So keeping a session alive never
rewrites it, and the sweep reads no session, only the listing (and the checkpoint of an expired
session that has no revision object, to learn its revision number).

The store clock. A wall clock set 8 days ahead must not delete sessions that were alive. The
store clock starts at the *earlier* of the wall clock and the newest activity found in the
store when the store is made, then advances with the monotonic clock; it never runs ahead of
the wall clock. So a clock jump ahead (at start or while running) deletes nothing early; the
price is that after a long pause (a laptop off for a week) sessions live one more time to live
counted from the restart. Errors here keep sessions, never lose them.

Deleting, with other replicas saving, opening and sweeping at the same time. For an expired
session at revision H the sweep first creates `rev-<H+1>` holding heads.CLAIM, only if absent:
a save that took H+1 first keeps the session; a save that comes after meets the claim and
writes a whole checkpoint instead (alchemist.store.timeline), which the sweep then cannot delete.
H is the newest revision object's number, which a listing shows (every checkpoint's number is
claimed by one). Then it lists the session again and stops if anything changed; it deletes
`seen`, the checkpoint and the revisions, each only if unchanged since its listing: an open or a
save since stops it (and it takes its claim back). The claim stays
after a sweep, so a replica still holding the session meets it; objects left without a
checkpoint are removed by a later sweep once older than timeline.REV_GRACE and the time to live.
Sessions of the old layout (`<id>.pkl`, `.log`, `.seen`) are deleted each only if unchanged.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from alchemist import limits
from alchemist.errors import AlchemistError, StorageError
from alchemist.history.revisions import History
from alchemist.store.blobs import ABSENT, BlobInfo, ChangedMeanwhile
from alchemist.store.heads import CLAIM
from alchemist.store.layout import QUARANTINE, SESSIONS, Objects, checkpoint_key, group, prefix_of, rev_key
from alchemist.store.session_files import read_cached
from alchemist.store.timeline import REV_GRACE

if TYPE_CHECKING:  # the store imports this module
    from alchemist.persistence import SessionStore

log = logging.getLogger(__name__)

STALE_TEMP_SECONDS = 3600
DAY_SECONDS = 86400


def wall_clock() -> float:
    # One indirection so tests can move the wall clock without touching the process's time.
    return time.time()


class StoreClock:
    """Seconds since the epoch, never ahead of the wall clock nor of monotonic time since the start."""

    def __init__(self, newest_activity: float | None) -> None:
        wall = wall_clock()
        self._anchor_wall = wall if newest_activity is None else min(wall, newest_activity)
        self._anchor_monotonic = time.monotonic()

    def now(self) -> float:
        return min(wall_clock(), self._anchor_wall + (time.monotonic() - self._anchor_monotonic))


def sweep_store(store: "SessionStore") -> list[str]:
    """Remove sessions unused for longer than the store's time to live (ids returned), what is left
    of swept sessions, stale temporary files of the folder, and quarantined objects older than
    limits.quarantine_days. Reads listings, not sessions."""
    now = store.clock.now()
    ttl = store.ttl.total_seconds()
    if store.sessions_dir is not None:
        _sweep_temps(store.sessions_dir, min(now, wall_clock()) - STALE_TEMP_SECONDS)
    removed: list[str] = []
    kept_bytes = 0
    for session_id, found in group(store.storage.list(SESSIONS)).items():
        age = now - found.last_used.timestamp() if found.last_used else 0.0
        if not found.exists:  # what a sweep left (its claim), or revisions whose checkpoint is gone
            if age > max(ttl, REV_GRACE.total_seconds()):
                _delete_quietly(store, found.all())
            else:
                kept_bytes += found.bytes
        elif age > ttl and _sweep_one(store, session_id, found):
            removed.append(session_id)
        else:
            kept_bytes += found.bytes
    store.note_total_bytes(kept_bytes)
    cutoff = now - limits.current().quarantine_days * DAY_SECONDS
    _delete_quietly(store, [info for info in store.storage.list(QUARANTINE) if info.modified.timestamp() < cutoff])
    return sorted(removed)


def _sweep_one(store: "SessionStore", session_id: str, found: Objects) -> bool:
    """Delete one expired session unless someone saves or opens it meanwhile; True if it is gone."""
    claim = None
    if found.checkpoint is not None:
        # The newest revision object names the head; a checkpoint without one (its objects deleted by
        # hand) is read to learn it.
        number = found.newest_rev or _checkpoint_number(store, session_id)
        if number is None:
            return False
        try:
            claim = store.storage.put(rev_key(session_id, number + 1), CLAIM, ABSENT)
        except ChangedMeanwhile:
            return False  # a save took the number first: the session lives
    first = [found.seen, *found.legacy.values(), found.checkpoint]
    try:
        if claim is not None:
            again = group(store.storage.list(prefix_of(session_id))).get(session_id) or Objects()
            if sorted(_marks(again.all())) != sorted(_marks(found.all()) + [(rev_key(session_id, number + 1), claim)]):
                raise ChangedMeanwhile(session_id)  # opened or saved since the first look
        for info in [i for i in first if i is not None]:
            store.storage.delete(info.key, info.version)
    except ChangedMeanwhile:
        if claim is not None:
            _delete_quietly(store, [BlobInfo(rev_key(session_id, number + 1), claim, 0, found.last_used)])
        return False
    _delete_quietly(store, list(found.revs.values()))
    # The process's cached head stays: a tab still holding the session saves it whole, with its history.
    return True


def _marks(infos: list[BlobInfo]) -> list[tuple[str, str]]:
    return [(info.key, info.version) for info in infos]


def _checkpoint_number(store: "SessionStore", session_id: str) -> int | None:
    blob = store.storage.get(checkpoint_key(session_id))
    if blob is None:
        return None
    try:
        envelope, _legacy = read_cached(blob.data, store.keys)
        return History.from_state(envelope.get("history")).head
    except AlchemistError:
        return None  # unreadable: left for the store to set aside when it is opened


def _delete_quietly(store: "SessionStore", infos: list[BlobInfo]) -> None:
    for info in infos:
        try:
            store.storage.delete(info.key, info.version)
        except (ChangedMeanwhile, StorageError):
            continue  # written again meanwhile, or storage hiccup: the next sweep looks again


def _sweep_temps(folder: Path, cutoff: float) -> None:
    """Temporary files a killed write left in the local folder (not objects: the listing skips them)."""
    for path in folder.rglob(".*.tmp"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            pass


# -- one sweeper thread per process -------------------------------------------------------------
_stores: dict[str, "SessionStore"] = {}
_registry_lock = threading.Lock()
_thread: threading.Thread | None = None


def start_sweeper(store: "SessionStore", interval: timedelta = timedelta(hours=1)) -> threading.Thread:
    """Have the process's one sweeper thread sweep `store` now and then every `interval` (the first
    caller's interval). A later store for the same storage replaces the earlier one, so the sweeper
    always works with the store the app uses. A failing sweep is logged, never fatal."""
    global _thread
    with _registry_lock:
        _stores[str(store.root.resolve()) if store.root is not None else store.describe()] = store
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(
                target=_loop, args=(interval.total_seconds(),), name="alchemist-session-sweeper", daemon=True
            )
            _thread.start()
        return _thread


def _loop(interval_seconds: float) -> None:
    wake = threading.Event()
    while True:
        with _registry_lock:
            stores = list(_stores.values())
        for store in stores:
            try:
                removed = store.sweep()
                if removed:
                    log.info("Removed %d expired session(s) from %s", len(removed), store.describe())
            except Exception:  # the sweeper must outlive any one bad file or disk hiccup
                log.exception("Session sweep failed")
        wake.wait(interval_seconds)
