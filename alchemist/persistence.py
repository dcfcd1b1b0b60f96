"""Sessions on disk and in files: one signed file per session id, written atomically, expiring after a time to live.

The cache is a convenience that brings a user back after a reload or a server restart; the
file a user downloads with Save Session is their real copy. File names are built only from ids
that match the session id pattern, never from user text.

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
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from alchemist.errors import AlchemistError, ForeignFileError, SessionFileError
from alchemist.files.child import decode_session_file_in_child
from alchemist.files.container import decode_session_file, encode_session_file
from alchemist.files.kinds import FileInfo, inspect_session_file
from alchemist.files.migrations import CURRENT_FORMAT_VERSION, SESSION_FORMAT, migrate, unknown_state_notes
from alchemist.files.nrel import import_alchemist_session
from alchemist.files.signing import KeyRing
from alchemist.files.strict_json import decode_session_json, encode_session_json
from alchemist.plain import timestamp_from_state, timestamp_to_state, utc_now
from alchemist.session import Session, is_session_id, new_session_id

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(days=7)
# Extending the time to live rewrites the file; once a minute is enough to keep it alive.
_TOUCH_INTERVAL = timedelta(minutes=1)
_STALE_TEMP_AGE_SECONDS = 3600
FORMATS = ("pkl", "json")


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
    notes: list[str] = field(default_factory=list)
    info: FileInfo | None = None


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename: a reader sees the old file or the new one."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


class SessionStore:
    """Sessions kept under `root/sessions/<id>.pkl`, each expiring `ttl` after its last access.

    `keys` signs and verifies files; by default a key generated once under `root`
    (owner-only permissions). On a shared deployment pass `KeyRing.from_mapping(secrets)`.
    """

    def __init__(self, root: str | os.PathLike, ttl: timedelta = DEFAULT_TTL, keys: KeyRing | None = None):
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        self.root = Path(root)
        self.ttl = ttl
        self.sessions_dir = self.root / "sessions"
        self.quarantine_dir = self.root / "quarantine"
        self.sessions_dir.mkdir(parents=True, exist_ok=True)
        self.keys = keys if keys is not None else KeyRing.local(self.root)
        self._lock = threading.Lock()

    def _path(self, session_id: str) -> Path:
        if not is_session_id(session_id):
            raise ValueError("not a session id")
        return self.sessions_dir / f"{session_id}.pkl"

    # -- the public API --------------------------------------------------------------------
    def create(self, name: str | None = None) -> Session:
        session = Session.new(name) if name else Session.new()
        self.save(session)
        return session

    def save(self, session: Session) -> None:
        """Write the session's cache file (signed, atomically). Raises SessionFileError if it is too large."""
        self._write(session, utc_now())

    def get(self, session_id: str) -> Session | None:
        """The session with this id, or None when there is none (or it expired). Extends its time to live."""
        if not is_session_id(session_id):
            return None
        path = self._path(session_id)
        try:
            read = self._read(path)
            if read is None:
                return None
            envelope, legacy = read
            now = utc_now()
            if timestamp_from_state(envelope["expires_at"]) <= now:
                self._remove(path)
                return None
            session = session_from_envelope(envelope)
            if session.id != session_id:
                raise SessionFileError("The cached file holds another session.")
        except SessionFileError as error:
            # An unreadable cache file must not keep failing on every visit: set it aside, say so.
            self._quarantine(path, error.message)
            raise SessionFileError(
                f"The saved copy of this session could not be read and was set aside ({error.message})"
            ) from None
        if legacy or now - timestamp_from_state(envelope["last_accessed"]) >= _TOUCH_INTERVAL:
            self._write(session, now)
        return session

    def version(self, session_id: str) -> int | None:
        """A token that changes whenever the stored file is rewritten (its modification time), or None."""
        if not is_session_id(session_id):
            return None
        try:
            return self._path(session_id).stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def delete(self, session_id: str) -> None:
        if is_session_id(session_id):
            self._remove(self._path(session_id))

    def sweep(self) -> list[str]:
        """Remove expired sessions (returning their ids), quarantine unreadable files, clear stale temp files."""
        removed: list[str] = []
        now = utc_now()
        for path in sorted(self.sessions_dir.iterdir()):
            if path.name.startswith(".") and path.suffix == ".tmp":
                self._remove_stale_temp(path)
                continue
            if path.suffix != ".pkl" or not is_session_id(path.stem):
                continue
            try:
                read = self._read(path)
                if read is None:
                    continue
                if timestamp_from_state(read[0]["expires_at"]) <= now:
                    self._remove(path)
                    removed.append(path.stem)
            except SessionFileError as error:
                self._quarantine(path, error.message)
        return removed

    def export(self, session: Session, fmt: str = "pkl", compression: str = "auto") -> bytes:
        """The bytes of a session file to download: "pkl" (signed; compression "auto", "none", "zlib"
        or "lzma") or "json". Raises SessionFileError if the file would be too large to load again."""
        envelope = envelope_for(session, utc_now(), self.ttl)
        if fmt == "json":
            return encode_session_json(envelope)
        if fmt != "pkl":
            raise ValueError(f"fmt must be one of {FORMATS}")
        return encode_session_file(envelope, self.keys, compression)

    def export_session(self, session_id: str, fmt: str = "pkl") -> bytes:
        """The bytes of a stored session's file to download."""
        session = self.get(session_id)
        if session is None:
            raise SessionFileError("That session no longer exists.")
        return self.export(session, fmt)

    def import_session(self, data: bytes, filename: str = "", allow_foreign: bool = False) -> str:
        """Store the session in an uploaded file (any kind read_file takes) under a new id and return
        that id; raises SessionFileError."""
        session = self.load_file(data, filename, allow_foreign)
        self.save(session)
        return session.id

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
        session.id = new_session_id()
        if info.kind == "json" and filename.lower().endswith(".pkl") or info.kind != "json" and filename.lower().endswith(".json"):
            notes.append(f"The file is named '{filename[-60:]}' but holds a session in the other format; it was read by its content.")
        return LoadedFile(session, info.origin, notes, info)

    # -- files -----------------------------------------------------------------------------
    def _write(self, session: Session, last_accessed: datetime) -> None:
        data = encode_session_file(envelope_for(session, last_accessed, self.ttl), self.keys)
        with self._lock:
            write_atomically(self._path(session.id), data)

    def _read(self, path: Path) -> tuple[dict, bool] | None:
        """(migrated envelope, whether it is a version-1 file to rewrite) of a cached file, or None if
        it is absent; SessionFileError if it is unreadable or not signed by this store's keys."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise SessionFileError(f"The cached session could not be read ({error.strerror}).") from None
        info = inspect_session_file(data, self.keys)
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
        return envelope, info.kind == "pkl-v1"

    def _remove(self, path: Path) -> None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass

    def _remove_stale_temp(self, path: Path) -> None:
        try:
            if utc_now().timestamp() - path.stat().st_mtime > _STALE_TEMP_AGE_SECONDS:
                path.unlink()
        except FileNotFoundError:
            pass

    def _quarantine(self, path: Path, reason: str) -> None:
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        target = self.quarantine_dir / f"{path.stem}.{utc_now().strftime('%Y%m%dT%H%M%S%fZ')}.pkl"
        try:
            shutil.move(str(path), target)
            log.warning("Quarantined unreadable session file %s: %s", path.name, reason)
        except FileNotFoundError:
            pass


def start_sweeper(store: SessionStore, interval: timedelta = timedelta(hours=1)) -> threading.Thread:
    """Sweep now and then every `interval`, in a daemon thread; a failing sweep is logged, never fatal."""

    def loop() -> None:
        while True:
            try:
                removed = store.sweep()
                if removed:
                    log.info("Removed %d expired session(s)", len(removed))
            except Exception:  # the sweeper must outlive any one bad file or disk hiccup
                log.exception("Session sweep failed")
            stop.wait(interval.total_seconds())

    stop = threading.Event()
    thread = threading.Thread(target=loop, name="alchemist-session-sweeper", daemon=True)
    thread.start()
    return thread
