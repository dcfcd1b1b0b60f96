"""Sessions in storage: one signed checkpoint and small signed revisions per session id, expiring
after a time to live, on the local folder or any object store (alchemist.store.blobs).

The cache is a convenience that brings a user back after a reload or a server restart, and lets
several replicas of the app share sessions; the file a user downloads with Save Session is their
real copy. Keys are built only from ids that match the session id pattern, never from user text.
A session link is a secret (whoever has it can edit); a downloaded file is a copy to share: it
never holds the live id.

SessionStore talks to storage only through a BlobStore (get, put-if-unchanged, list by prefix,
delete-if-unchanged); everything else is shared code:

  * alchemist.store.layout: where a session's objects are (and the layout from before, still read);
  * alchemist.store.heads and .timeline: reading the current state, committing a change as one
    revision object created only if absent (the compare-and-swap of a save), checkpoints;
  * alchemist.store.history_requests: history, undo/redo, restore, snapshots;
  * alchemist.store.sweep: expiry judged from one listing, safe with several replicas sweeping;
  * alchemist.store.session_files: reading every kind of session file (Load Session) and our
    cached checkpoints, signed with the newest key of the store's ring (alchemist.files.signing).

Any storage failure below surfaces as StorageError: the app then keeps the session in memory and
saves it at the next action. The store itself never retries a failed call.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from datetime import timedelta
from pathlib import Path

from alchemist.errors import SessionFileError, StorageError
from alchemist.files.container import encode_session_file
from alchemist.files.signing import KeyRing
from alchemist.files.strict_json import encode_session_json
from alchemist.history.diff import describe
from alchemist.history.patch import diff_states
from alchemist.history.revisions import History, Revision
from alchemist.plain import utc_now
from alchemist.session import Session, is_session_id
from alchemist.store.blobs import BlobStore, ChangedMeanwhile
from alchemist.store.disk import ensure_dir, write_atomically
from alchemist.store.folder_blobs import FolderBlobs
from alchemist.store.history_requests import HistoryRequests
from alchemist.store.layout import (
    LEGACY_SUFFIXES, SESSIONS, checkpoint_key, group, legacy_key, prefix_of, quarantine_key, seen_key,
)
from alchemist.store.session_files import (
    LoadedFile, envelope_for, foreign_file_error, read_session_file, session_from_envelope,
)
from alchemist.store.sweep import StoreClock, start_sweeper, sweep_store
from alchemist.store.timeline import Checkout

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(days=7)
# The time to live an operator may set: long enough to come back after lunch, short enough that
# every date computed from it stays representable (3,000,000 days overflowed and broke every save).
MIN_TTL = timedelta(hours=1)
MAX_TTL = timedelta(days=3650)
# Opening a session writes its `seen` object at most once a minute: enough to keep it alive.
_TOUCH_INTERVAL = timedelta(minutes=1)
FORMATS = ("pkl", "json")

__all__ = ["DEFAULT_TTL", "MAX_TTL", "MIN_TTL", "LoadedFile", "SessionStore", "envelope_for", "foreign_file_error",
           "session_from_envelope", "start_sweeper", "write_atomically"]


def check_ttl(ttl: timedelta) -> None:
    """The library takes any positive time to live up to MAX_TTL (tests use seconds); the app's
    configuration is held to MIN_TTL..MAX_TTL (ui/store.py)."""
    if not isinstance(ttl, timedelta) or ttl <= timedelta(0) or ttl > MAX_TTL:
        raise ValueError(f"ttl must be positive and at most {MAX_TTL.days} days")


class SessionStore(HistoryRequests):
    """Sessions kept in `storage`, each expiring `ttl` after its last use.

    `storage` is a folder (the default: a laptop, one server) or any BlobStore (an object store that
    several replicas share). `keys` signs and verifies every object; for a folder, by default a
    key generated once in it (owner-only permissions). With a BlobStore `keys` is required: every
    replica must verify every other's objects, so the ring comes from secrets
    (`KeyRing.from_mapping`). `configure` swaps the ring (and time to live) of a running store.

    Last use is the newest write among a session's objects: a save, or an open (its `seen` object,
    written at most once a minute), so opening a session never rewrites it. `version` changes
    with every save, and `save(..., expected_version=v)` is a compare-and-swap on it. Budgets: one
    session at most limits.session_bytes, the whole store at most limits.cache_bytes (counted by
    this process between sweeps).

    History (alchemist.store.timeline): every save is a revision stored as a small signed object;
    `history`, `session_at`, `restore`, `snapshot`, `undo`, `redo`.
    """

    def __init__(self, storage: str | os.PathLike | BlobStore, ttl: timedelta = DEFAULT_TTL,
                 keys: KeyRing | None = None):
        self.root: Path | None = None
        if isinstance(storage, (str, os.PathLike)):
            storage = FolderBlobs(storage)
        if isinstance(storage, FolderBlobs):
            self.root = storage.root
            ensure_dir(self.root / "sessions")
        elif keys is None:
            raise ValueError("A store on shared storage needs the signing keys every replica uses (keys=...).")
        self.storage: BlobStore = storage
        self.sessions_dir = self.root / "sessions" if self.root is not None else None
        self.quarantine_dir = self.root / "quarantine" if self.root is not None else None
        self._heads: OrderedDict = OrderedDict()  # the current state of recently used sessions
        self._heads_lock = threading.Lock()
        self.configure(keys if keys is not None else KeyRing.local(self.root), ttl)
        sessions = group(storage.list(SESSIONS))  # unreachable storage: StorageError at start
        newest = [found.last_used for found in sessions.values() if found.last_used is not None]
        self.clock = StoreClock(max(newest).timestamp() if newest else None)
        self._total_bytes = sum(found.bytes for found in sessions.values())

    def configure(self, keys: KeyRing, ttl: timedelta) -> None:
        """Use this ring and time to live from now on (secrets changed while the app runs)."""
        check_ttl(ttl)
        self.keys, self.ttl = keys, ttl

    def describe(self) -> str:
        """Where the sessions are, for logs (never holds credentials)."""
        return self.storage.describe()

    def path_of(self, session_id: str) -> Path:
        """The checkpoint's file, when the store is a folder (for tests and the operator)."""
        if self.root is None:
            raise ValueError("the store is not a folder")
        return self.root.joinpath(*checkpoint_key(session_id).split("/"))

    def note_total_bytes(self, total: int) -> None:
        """The sweep's count of the store's bytes (other processes' saves are counted at the next sweep)."""
        self._total_bytes = total

    # -- the public API --------------------------------------------------------------------
    def create(self, name: str | None = None) -> Session:
        session = Session.new(name) if name else Session.new()
        self.save(session)
        return session

    def save(self, session: Session, expected_version: str | None = None) -> str:
        """Store the session's change as a new revision and return the new version.

        With `expected_version`, refuse with ConflictError when the stored session changed since that
        version (another tab saved): a reader never overwrites a newer save (see `commit` to apply a
        change on top of another tab's instead). Raises LimitError over limits.session_bytes,
        StorageError when storage fails or the cache budget is full."""
        return self.commit(session, expected_version=expected_version).version

    def get(self, session_id: str) -> Session | None:
        """The session with this id, or None when there is none (or it was swept). Extends its time
        to live by writing its `seen` object, never by rewriting it. A session signed by any key of
        the current ring is read; an unreadable one is set aside (SessionFileError)."""
        opened = self.checkout(session_id)
        return opened.session if opened is not None else None

    def checkout(self, session_id: str) -> Checkout | None:
        """Like `get`, with the version and revision number of that same read: what a tab keeps to
        commit its next change against (see `commit`). A session of the old layout is converted."""
        if not is_session_id(session_id):
            return None
        try:
            head = self._fresh_head(session_id, convert=True)
            if head is None:
                return None
            if head.tree.get("id") != session_id:
                raise SessionFileError("The cached file holds another session.")
            session = self.session_of(session_id, head.tree)
        except SessionFileError as error:
            # An unreadable cached session must not keep failing on every visit: set it aside, say so.
            self._forget(session_id)
            self._quarantine(session_id, error.message)
            raise SessionFileError(
                f"The saved copy of this session could not be read and was set aside ({error.message})"
            ) from None
        if head.legacy is None and (head.last_used is None or
                                    self.clock.now() - head.last_used.timestamp() >= _TOUCH_INTERVAL.total_seconds()):
            try:
                self.storage.put(seen_key(session_id), b"")
            except StorageError as error:
                # Opening must work when storage cannot be written: the session is served from memory.
                log.warning("Could not extend the life of a session: %s", error)
        return Checkout(session, head.version, head.number)

    def delete(self, session_id: str) -> None:
        if not is_session_id(session_id):
            return
        self._forget(session_id)
        sessions = group(self.storage.list(prefix_of(session_id)))
        found = sessions.get(session_id)
        for info in found.all() if found else []:
            self.storage.delete(info.key)
        for suffix in LEGACY_SUFFIXES:
            self.storage.delete(legacy_key(session_id, suffix))

    def sweep(self) -> list[str]:
        """Remove sessions unused for longer than the time to live (returning their ids), stale temp
        files and old quarantined files. Reads stat only; see alchemist.store.sweep."""
        return sweep_store(self)

    def export(self, session: Session, fmt: str = "pkl", compression: str = "auto", include_history: bool = True) -> bytes:
        """The bytes of a session file to download: "pkl" (signed; compression "auto", "none", "zlib"
        or "lzma") or "json". Raises SessionFileError if the file would be too large to load again.
        With include_history, the file carries the session's revisions and snapshots as stored.

        The file never holds the live session id: a link to a session is a capability (whoever has
        it can edit), a download is a copy to share. It holds an export id instead: derived from the
        live id with the signing key, so exports of one session diff line by line in version
        control, yet nobody without the key can get the live id back from it. It opens nothing:
        an import always gets a new id."""
        envelope = envelope_for(session, utc_now(), self.ttl)
        export_id = self.keys.derive(b"export id", session.id.encode())[:32]
        envelope["session"]["id"] = export_id
        if include_history:
            envelope["history"] = self._history_to_export(session, envelope["session"], export_id).to_state()
        if fmt == "json":
            return encode_session_json(envelope)
        if fmt != "pkl":
            raise ValueError(f"fmt must be one of {FORMATS}")
        return encode_session_file(envelope, self.keys, compression)

    def _history_to_export(self, session: Session, tree: dict, export_id: str) -> History:
        """The stored history, ending in the state being exported (a change this tab holds unsaved
        becomes one more revision), with every saved state under the export id, never the live one."""
        try:
            head = self.head(session.id) if is_session_id(session.id) else None
        except SessionFileError:
            head = None
        if head is None:
            return History()
        history = head.history
        ops = diff_states(head.tree, tree)
        if ops:
            kind, summary = describe(ops)
            extra = Revision(history.head + 1, utc_now(), kind, summary, session.counts(), ops)
            history = History(extra.number, [*history.revisions, extra], history.snapshots, history.dailies)
        rename = lambda saved: type(saved)(saved.number, saved.time, saved.label, {**saved.state, "id": export_id})  # noqa: E731
        return History(history.head, history.revisions, [rename(s) for s in history.snapshots],
                       [rename(d) for d in history.dailies])

    def export_session(self, session_id: str, fmt: str = "pkl", include_history: bool = True) -> bytes:
        """The bytes of a stored session's file to download."""
        session = self.get(session_id)
        if session is None:
            raise SessionFileError("That session no longer exists.")
        return self.export(session, fmt, include_history=include_history)

    def import_session(self, data: bytes, filename: str = "", allow_foreign: bool = False) -> str:
        """Store the session in an uploaded file (any kind read_file takes) under a new id and return
        that id; raises SessionFileError."""
        loaded = self.read_file(data, filename, allow_foreign)
        self.adopt(loaded.session, loaded.history)
        return loaded.session.id

    def load_file(self, data: bytes, filename: str = "", allow_foreign: bool = False) -> Session:
        """The session in an uploaded file (see read_file), with a new id so it never overwrites the original's cache."""
        return self.read_file(data, filename, allow_foreign).session

    def read_file(self, data: bytes, filename: str = "", allow_foreign: bool = False) -> LoadedFile:
        """A session from any file the Load Session picker takes (alchemist.store.session_files); with
        a new id. Writes nothing. Raises ForeignFileError for a .pkl this installation did not sign,
        unless allow_foreign; SessionFileError for anything else wrong."""
        return read_session_file(data, self.keys, filename, allow_foreign)

    def _quarantine(self, session_id: str, reason: str) -> None:
        """Set an unreadable session aside under quarantine/ (for a look, swept after
        limits.quarantine_days) and remove its objects, each only if unchanged."""
        try:
            found = group(self.storage.list(prefix_of(session_id))).get(session_id)
            key = checkpoint_key(session_id) if found and found.checkpoint else legacy_key(session_id, ".pkl")
            blob = self.storage.get(key)
            if blob is None:
                return
            self.storage.put(quarantine_key(session_id, utc_now()), blob.data)
            self.storage.delete(key, blob.version)
            for info in found.all() if found else []:
                if info.key != key:
                    self.storage.delete(info.key, info.version)
            for suffix in (".log", ".seen"):
                self.storage.delete(legacy_key(session_id, suffix))
            log.warning("Quarantined an unreadable session: %s", reason)
        except (ChangedMeanwhile, StorageError) as error:
            log.warning("Could not set aside an unreadable session: %s", error)
