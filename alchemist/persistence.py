"""Sessions on disk and in files: one signed file per session id, written atomically, expiring after a time to live.

The cache is a convenience that brings a user back after a reload or a server restart; the
file a user downloads with Save Session is their real copy. File names are built only from ids
that match the session id pattern, never from user text. A session link is a secret (whoever
has it can edit); a downloaded file is a copy to share: it never holds the live id.

Below the store, alchemist.store.disk does the writes (atomic, CAS under a folder lock, disk
failures as StorageError) and alchemist.store.sweep the expiry (stat only, a store clock that a
clock jump cannot fool, one sweeper thread per process).

Every .pkl this store writes (cache files and downloads) is signed with the newest key of its
key ring (see alchemist.files.signing). `SessionStore.read_file` is the one way in for every
file the Load Session picker takes (alchemist.files.kinds tells them apart):

  * our own signature: decoded at once, by the restricted decoder (a signature never skips it);
  * unsigned, or signed by another installation: ForeignFileError, naming which; with
    allow_foreign=True it is decoded in a child process with memory, CPU and time limits,
    and the plain data it returns are checked again here;
  * JSON (our JSON session file): parsed strictly, which runs no code, then checked field by
    field like any other file: it loads at once and is reported as origin "json";
  * a JSON session of NREL's ALchemist: mapped to a new session (alchemist.files.nrel), origin
    "alchemist", with notes on what could not be mapped.

A file of an earlier format version is migrated step by step (alchemist.files.migrations); a newer
one is refused with the version it needs. A file that fails to load changes nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from alchemist.errors import (
    AlchemistError, ConflictError, ForeignFileError, LimitError, SessionFileError, StorageError,
)
from alchemist.files.child import decode_session_file_in_child
from alchemist.files.container import decode_session_file, encode_session_file
from alchemist.files.kinds import FileInfo, inspect_session_file
from alchemist.files.migrations import CURRENT_FORMAT_VERSION, SESSION_FORMAT, migrate, unknown_state_notes
from alchemist.files.nrel import import_alchemist_session
from alchemist.files.nrel_notes import NotMapped
from alchemist.files.signing import KeyRing
from alchemist.files.strict_json import decode_session_json, encode_session_json
from alchemist.history.patch import diff_states
from alchemist.history.revisions import History, Revision
from alchemist.history.diff import describe
from alchemist.plain import timestamp_from_state, timestamp_to_state, utc_now
from alchemist.session import Session, is_session_id, new_session_id
from alchemist.store.disk import FolderLock, ensure_dir, stamp, storage_error, touch, write_atomically
from alchemist.store.sweep import SEEN_SUFFIX, SESSION_SUFFIX, StoreClock, list_folder, start_sweeper, sweep_store
from alchemist.store.history_requests import HistoryRequests
from alchemist.store.timeline import Checkout

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(days=7)
# The time to live an operator may set: long enough to come back after lunch, short enough that
# every date computed from it stays representable (3,000,000 days overflowed and broke every save).
MIN_TTL = timedelta(hours=1)
MAX_TTL = timedelta(days=3650)
# Opening a session touches its sidecar at most once a minute: enough to keep it alive.
_TOUCH_INTERVAL = timedelta(minutes=1)
FORMATS = ("pkl", "json")

__all__ = ["DEFAULT_TTL", "MAX_TTL", "MIN_TTL", "LoadedFile", "SessionStore", "envelope_for",
           "session_from_envelope", "start_sweeper", "write_atomically"]


def check_ttl(ttl: timedelta) -> None:
    """The library takes any positive time to live up to MAX_TTL (tests use seconds); the app's
    configuration is held to MIN_TTL..MAX_TTL (ui/store.py)."""
    if not isinstance(ttl, timedelta) or ttl <= timedelta(0) or ttl > MAX_TTL:
        raise ValueError(f"ttl must be positive and at most {MAX_TTL.days} days")


def envelope_for(session: Session, last_accessed: datetime, ttl: timedelta) -> dict:
    return {
        "format": SESSION_FORMAT,
        "format_version": CURRENT_FORMAT_VERSION,
        "session": session.to_state(),
        "created_at": timestamp_to_state(session.created),
        "last_accessed": timestamp_to_state(last_accessed),
        "expires_at": timestamp_to_state(last_accessed + ttl),
    }


def session_from_envelope(envelope: dict) -> Session:
    """The session in an envelope of any known format version (migrated first); raises SessionFileError."""
    return _session_and_notes(envelope)[0]


def _session_and_notes(envelope: dict) -> tuple[Session, list[str]]:
    envelope, notes = migrate(envelope)
    notes += unknown_state_notes(envelope["session"], _known_state_keys())
    try:
        return Session.from_state(envelope["session"]), notes
    except SessionFileError:
        raise
    except AlchemistError as error:
        raise SessionFileError(f"The session in the file is not valid: {error.message}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, ArithmeticError) as error:
        # A value of the wrong kind that a check missed: still a bad file, never a crash of the page.
        log.warning("Session file refused by an unexpected error", exc_info=error)
        raise SessionFileError("The session in the file is not valid (a value has the wrong form).") from None


def _history_of(envelope: dict) -> History:
    """The history a file carries (empty when it has none); a damaged one is a bad file."""
    history = History.from_state(envelope.get("history"))
    if history.revisions and history.head != history.revisions[-1].number:
        raise SessionFileError("The history in the file does not end at its session.")
    return history


def _known_state_keys() -> set[str]:
    return set(Session.new().to_state())


def foreign_file_error(info: FileInfo) -> ForeignFileError:
    """The refusal of a file this installation did not sign, in words for the user."""
    trust = " Load it only if you trust where it comes from; it will then be read in a separate, limited process."
    if info.origin == "foreign":
        return ForeignFileError(
            f"This session file was signed by another installation (key id {info.key_id}), not by this one." + trust,
            "foreign", info.key_id,
        )
    if info.origin == "mismatch":
        return ForeignFileError(
            f"This session file's signature does not match its content (key id {info.key_id}): "
            "it was changed after it was saved, or damaged." + trust,
            "mismatch", info.key_id,
        )
    # Any pickle without our header reads as version 1: it may be an old file of ours, or anything else.
    older = " (the format from before files were signed, or not an ALchemist file at all)" if info.kind == "pkl-v1" else ""
    return ForeignFileError(
        f"This session file is unsigned{older}: nothing shows that it was saved by this installation." + trust,
        "unsigned", None,
    )


@dataclass
class LoadedFile:
    """A session read from a file, with where the file came from and what the user should know."""

    session: Session
    origin: str  # "own", "unsigned", "foreign", "mismatch", "json" or "alchemist" (NREL ALchemist import)
    notes: list[str | NotMapped] = field(default_factory=list)  # NotMapped: what an NREL import left out
    info: FileInfo | None = None
    history: History = field(default_factory=History)


class SessionStore(HistoryRequests):
    """Sessions kept under `root/sessions/<id>.pkl`, each expiring `ttl` after its last use.

    `keys` signs and verifies files; by default a key generated once under `root`
    (owner-only permissions). On a shared deployment pass `KeyRing.from_mapping(secrets)`;
    `configure` swaps the ring (and time to live) of a running store when secrets change.

    Last use is the file's mtime (a save) or its sidecar's (an open): opening a session never
    rewrites it. `version` grows strictly with every save, and `save(..., expected_version=v)`
    is a compare-and-swap on it. Budgets: one session's file at most limits.session_bytes, the
    whole cache at most limits.cache_bytes.

    History (alchemist.store.timeline): every save is a revision stored as a small signed patch
    beside the session file; `history`, `session_at`, `restore`, `snapshot`, `undo`, `redo`.
    """

    def __init__(self, root: str | os.PathLike, ttl: timedelta = DEFAULT_TTL, keys: KeyRing | None = None):
        self.root = Path(root)
        self.sessions_dir = self.root / "sessions"
        self.quarantine_dir = self.root / "quarantine"
        ensure_dir(self.sessions_dir)
        self.lock = FolderLock(self.root)  # beside sessions/, so listing it shows sessions only
        self._heads: OrderedDict = OrderedDict()  # the current state of recently used sessions
        self._heads_lock = threading.Lock()
        self.configure(keys if keys is not None else KeyRing.local(self.root), ttl)
        listing = list_folder(self.sessions_dir)
        self.clock = StoreClock(listing.newest)
        self._total_bytes = listing.total_bytes

    def configure(self, keys: KeyRing, ttl: timedelta) -> None:
        """Use this ring and time to live from now on (secrets changed while the app runs)."""
        check_ttl(ttl)
        self.keys, self.ttl = keys, ttl

    def path_of(self, session_id: str) -> Path:
        if not is_session_id(session_id):
            raise ValueError("not a session id")
        return self.sessions_dir / f"{session_id}{SESSION_SUFFIX}"

    def sidecar_of(self, session_id: str) -> Path:
        return self.path_of(session_id).with_suffix(SEEN_SUFFIX)

    def note_total_bytes(self, total: int) -> None:
        """The sweep's count of the cache's bytes (other processes' saves are counted at the next sweep)."""
        self._total_bytes = total

    # -- the public API --------------------------------------------------------------------
    def create(self, name: str | None = None) -> Session:
        session = Session.new(name) if name else Session.new()
        self.save(session)
        return session

    def save(self, session: Session, expected_version: int | None = None) -> int:
        """Store the session's change as a new revision and return the new version.

        With `expected_version`, refuse with ConflictError when the stored session changed since that
        version (another tab saved): a reader never overwrites a newer save (see `commit` to apply a
        change on top of another tab's instead). Raises LimitError over limits.session_bytes,
        StorageError when the disk or the cache budget is full."""
        return self.commit(session, expected_version=expected_version).version

    def get(self, session_id: str) -> Session | None:
        """The session with this id, or None when there is none (or it was swept). Extends its time
        to live by touching its sidecar, never by rewriting it. A file signed by any key of the
        current ring is read; an unreadable one is set aside (SessionFileError)."""
        opened = self.checkout(session_id)
        return opened.session if opened is not None else None

    def checkout(self, session_id: str) -> Checkout | None:
        """Like `get`, with the version and revision number of that same read: what a tab keeps to
        commit its next change against (see `commit`)."""
        if not is_session_id(session_id):
            return None
        path = self.path_of(session_id)
        try:
            head = self.head(session_id)
            if head is None:
                return None
            if head.tree.get("id") != session_id:
                raise SessionFileError("The cached file holds another session.")
            if not head.legacy:
                session = self.session_of(session_id, head.tree)
                self._touch_quietly(session_id)
                return Checkout(session, head.version, head.number)
            read = self._read(path)
            if read is None:
                return None
            envelope, legacy, version, _size = read
            session = session_from_envelope(envelope)
            if session.id != session_id:
                raise SessionFileError("The cached file holds another session.")
        except SessionFileError as error:
            # An unreadable cache file must not keep failing on every visit: set it aside, say so.
            self._forget(session_id)
            self._quarantine(path, error.message)
            raise SessionFileError(
                f"The saved copy of this session could not be read and was set aside ({error.message})"
            ) from None
        try:
            if legacy:  # rewrite a pre-signature file signed, unless someone saved meanwhile
                with self.lock.held():
                    if stamp(path) is not None and stamp(path).mtime_ns == version:
                        self._forget(session_id)
                        self._checkpoint(session_id, session.to_state(), History(), version, session.to_state()["created"])
        except (StorageError, ConflictError, LimitError) as error:
            log.warning("Could not rewrite the legacy file of session %s: %s", session_id, error)
        self._touch_quietly(session_id)
        head = self.head(session_id)
        return Checkout(session, head.version if head else version, head.number if head else 0)

    def _touch_quietly(self, session_id: str) -> None:
        try:
            self._touch(session_id)
        except StorageError as error:
            # Opening must work on a full or read-only disk: the session is served from memory.
            log.warning("Could not extend the life of session %s: %s", session_id, error)

    def _touch(self, session_id: str) -> None:
        sidecar = self.sidecar_of(session_id)
        marks = [found.mtime_ns for found in (stamp(self.path_of(session_id)), stamp(sidecar), stamp(self.log_of(session_id)))
                 if found is not None]
        if marks and self.clock.now() - max(marks) / 1e9 < _TOUCH_INTERVAL.total_seconds():
            return  # saved or opened within the last minute: alive enough, no write at all
        with self.lock.held():  # the sweep checks the sidecar under the same lock
            if self.path_of(session_id).exists():
                touch(sidecar)

    def delete(self, session_id: str) -> None:
        if is_session_id(session_id):
            with self.lock.held():
                self._forget(session_id)
                for path in (self.path_of(session_id), self.sidecar_of(session_id), self.log_of(session_id)):
                    try:
                        path.unlink(missing_ok=True)
                    except OSError as error:
                        raise storage_error("deleted", error) from None

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
        """A session from any file the Load Session picker takes: our .pkl (any format version), our
        JSON, or a session file of NREL's ALchemist; with where the file came from (`origin`) and
        what the user should know (`notes`). The session gets a new id. Writes nothing.

        Raises ForeignFileError (a SessionFileError) for a .pkl this installation did not sign,
        unless allow_foreign; SessionFileError for anything else wrong.
        """
        info = inspect_session_file(data, self.keys)
        if info.kind == "alchemist":
            session, notes = import_alchemist_session(data)
            return LoadedFile(session, info.origin, notes, info)
        if info.kind == "json":
            envelope = decode_session_json(data)
        elif info.origin == "own":
            envelope = decode_session_file(data)  # the restricted decoder, signature or not
        elif not allow_foreign:
            raise foreign_file_error(info)
        else:
            envelope = decode_session_file_in_child(data)
        session, notes = _session_and_notes(envelope)
        history = _history_of(envelope)
        session.id = new_session_id()
        if info.kind == "json" and filename.lower().endswith(".pkl") or info.kind != "json" and filename.lower().endswith(".json"):
            notes.append(f"The file is named '{filename[-60:]}' but holds a session in the other format; it was read by its content.")
        return LoadedFile(session, info.origin, notes, info, history)

    # -- files -----------------------------------------------------------------------------
    def _read(self, path: Path) -> tuple[dict, bool, int, int] | None:
        """(migrated envelope, whether it is a version-1 file to rewrite, its mtime, its size) of a cached file,
        or None if it is absent; SessionFileError if it is unreadable or not signed by this store's keys."""
        keys = self.keys  # one ring for the whole read, even if secrets change meanwhile
        try:
            with open(path, "rb") as handle:
                version = os.fstat(handle.fileno()).st_mtime_ns
                data = handle.read()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise SessionFileError(f"The cached session could not be read ({error.strerror}).") from None
        info = inspect_session_file(data, keys)
        if info.origin == "own":
            envelope = decode_session_file(data)
        elif info.kind == "pkl-v1":
            # Written by this app before files were signed: read once in the limited child, then rewritten signed.
            envelope = decode_session_file_in_child(data)
        else:
            raise SessionFileError(foreign_file_error(info).message.split(" Load it only")[0])
        envelope, _notes = migrate(envelope)
        for key in ("created_at", "last_accessed", "expires_at"):
            timestamp_from_state(envelope.get(key))
        return envelope, info.kind == "pkl-v1", version, len(data)

    def _quarantine(self, path: Path, reason: str) -> None:
        target = self.quarantine_dir / f"{path.stem}.{utc_now().strftime('%Y%m%dT%H%M%S%fZ')}.pkl"
        try:
            ensure_dir(self.quarantine_dir)
            with self.lock.held():
                os.replace(path, target)
            os.utime(target)  # quarantine_days count from now, not from the file's last save
            log.warning("Quarantined unreadable session file %s: %s", path.name, reason)
        except FileNotFoundError:
            pass
        except (OSError, StorageError) as error:
            log.warning("Could not set aside unreadable session file %s: %s", path.name, error)
