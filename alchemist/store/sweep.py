"""Expiry of cached sessions: judged from stat only, by a clock that a jumped wall clock cannot fool.

A session's last use is the later of its file's mtime (its last save) and the mtime of its
sidecar `<id>.seen` (touched when it is opened), so keeping a session alive never rewrites it.

The store clock. A wall clock set 8 days ahead must not delete sessions that were alive. The
store clock starts at the *earlier* of the wall clock and the newest activity found in the
store when the store is made, then advances with the monotonic clock; it never runs ahead of
the wall clock. So a clock jump ahead (at start or while running) deletes nothing early; the
price is that after a long pause (a laptop off for a week) sessions live one more time to live
counted from the restart. Errors here keep sessions, never lose them.

Deleting. The sweep lists and stats, then, under the store's folder lock, checks that a file
and its sidecar still have the stamps it saw before it unlinks them. Saves and touches take
the same lock, so a save or an open that lands after the sweep's look keeps the session.
Only a writer that bypasses the lock (a person editing the folder) could slip in between.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from alchemist import limits
from alchemist.session import is_session_id
from alchemist.store.disk import Stamp, stamp

if TYPE_CHECKING:  # the store imports this module
    from alchemist.persistence import SessionStore

log = logging.getLogger(__name__)

SESSION_SUFFIX = ".pkl"
SEEN_SUFFIX = ".seen"
LOG_SUFFIX = ".log"  # the revision log beside a session file (alchemist.store.revision_log)
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


@dataclass
class Listing:
    """One look at the sessions folder: stamps of session files and sidecars, stale temp files."""

    sessions: dict[str, Stamp] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)  # session id -> sidecar mtime_ns
    logs: dict[str, Stamp] = field(default_factory=dict)  # session id -> revision log stamp
    temps: list[Path] = field(default_factory=list)

    def last_used(self, session_id: str) -> float:
        log = self.logs.get(session_id)
        return max(self.sessions[session_id].mtime_ns, self.seen.get(session_id, 0), log.mtime_ns if log else 0) / 1e9

    @property
    def newest(self) -> float | None:
        return max((self.last_used(i) for i in self.sessions), default=None)

    @property
    def total_bytes(self) -> int:
        return sum(s.size for s in self.sessions.values()) + sum(s.size for s in self.logs.values())


def list_folder(folder: Path) -> Listing:
    listing = Listing()
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return listing
    for entry in entries:
        name = entry.name
        try:
            if name.startswith(".") and name.endswith(".tmp"):
                listing.temps.append(Path(entry.path))
            elif name.endswith(SESSION_SUFFIX) and is_session_id(name[: -len(SESSION_SUFFIX)]):
                st = entry.stat()
                listing.sessions[name[: -len(SESSION_SUFFIX)]] = Stamp(st.st_mtime_ns, st.st_size, st.st_ino)
            elif name.endswith(LOG_SUFFIX) and is_session_id(name[: -len(LOG_SUFFIX)]):
                st = entry.stat()
                listing.logs[name[: -len(LOG_SUFFIX)]] = Stamp(st.st_mtime_ns, st.st_size, st.st_ino)
            elif name.endswith(SEEN_SUFFIX) and is_session_id(name[: -len(SEEN_SUFFIX)]):
                listing.seen[name[: -len(SEEN_SUFFIX)]] = entry.stat().st_mtime_ns
        except FileNotFoundError:  # removed while we looked
            continue
    return listing


def seen_mtime(path: Path) -> int:
    found = stamp(path)
    return found.mtime_ns if found is not None else 0


def sweep_store(store: "SessionStore") -> list[str]:
    """Remove sessions unused for longer than the store's time to live (ids returned), stale temp
    files and quarantined files older than limits.quarantine_days. Reads no session file."""
    now = store.clock.now()
    ttl = store.ttl.total_seconds()
    listing = list_folder(store.sessions_dir)
    for temp in listing.temps:
        _unlink_if_older(temp, now - STALE_TEMP_SECONDS)
    removed: list[str] = []
    kept_bytes = 0
    for session_id, seen_stamp in listing.sessions.items():
        log_stamp = listing.logs.get(session_id)
        size = seen_stamp.size + (log_stamp.size if log_stamp else 0)
        if now - listing.last_used(session_id) <= ttl:
            kept_bytes += size
            continue
        path, sidecar, log_path = store.path_of(session_id), store.sidecar_of(session_id), store.log_of(session_id)
        with store.lock.held():
            # Delete only what we judged: a save or an open since our look changed a stamp.
            if (stamp(path) == seen_stamp and seen_mtime(sidecar) == listing.seen.get(session_id, 0)
                    and stamp(log_path) == log_stamp):
                path.unlink(missing_ok=True)
                sidecar.unlink(missing_ok=True)
                log_path.unlink(missing_ok=True)
                store._forget(session_id)
                removed.append(session_id)
            else:
                kept_bytes += size
    for session_id, log_stamp in listing.logs.items():
        if session_id not in listing.sessions:  # a log whose session file is gone is nothing
            _unlink_if_older(store.log_of(session_id), now - ttl)
    for session_id, mtime_ns in listing.seen.items():
        if session_id not in listing.sessions and now - mtime_ns / 1e9 > ttl:
            _unlink_if_older(store.sidecar_of(session_id), now - ttl)
    store.note_total_bytes(kept_bytes)
    _sweep_quarantine(store.quarantine_dir, now - limits.current().quarantine_days * DAY_SECONDS)
    return sorted(removed)


def _sweep_quarantine(folder: Path, cutoff: float) -> None:
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        _unlink_if_older(Path(entry.path), cutoff)


def _unlink_if_older(path: Path, cutoff: float) -> None:
    try:
        if path.stat().st_mtime < cutoff:
            path.unlink()
    except FileNotFoundError:
        pass


# -- one sweeper thread per process -------------------------------------------------------------
_stores: dict[str, "SessionStore"] = {}
_registry_lock = threading.Lock()
_thread: threading.Thread | None = None


def start_sweeper(store: "SessionStore", interval: timedelta = timedelta(hours=1)) -> threading.Thread:
    """Have the process's one sweeper thread sweep `store` now and then every `interval` (the first
    caller's interval). A later store for the same folder replaces the earlier one, so the sweeper
    always works with the store the app uses. A failing sweep is logged, never fatal."""
    global _thread
    with _registry_lock:
        _stores[str(store.root.resolve())] = store
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
                    log.info("Removed %d expired session(s) from %s", len(removed), store.root)
            except Exception:  # the sweeper must outlive any one bad file or disk hiccup
                log.exception("Session sweep failed")
        wake.wait(interval_seconds)
