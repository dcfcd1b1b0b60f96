"""Sessions on disk: one file per session id, written atomically, expiring after a time to live.

The cache is a convenience that brings a user back after a reload or a server restart; the
file a user downloads with Save Session is their real copy. File names are built only from ids
that match the session id pattern, never from user text.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from datetime import datetime, timedelta
from pathlib import Path

from alchemist.errors import AlchemistError, SessionFileError
from alchemist.plain import timestamp_from_state, timestamp_to_state, utc_now
from alchemist.session import Session, is_session_id, new_session_id
from alchemist.userfiles import SESSION_FORMAT, SESSION_FORMAT_VERSION, decode_session_file, encode_session_file

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(days=7)
# Extending the time to live rewrites the file; once a minute is enough to keep it alive.
_TOUCH_INTERVAL = timedelta(minutes=1)
_STALE_TEMP_AGE_SECONDS = 3600


def envelope_for(session: Session, last_accessed: datetime, ttl: timedelta) -> dict:
    return {
        "format": SESSION_FORMAT,
        "format_version": SESSION_FORMAT_VERSION,
        "session": session.to_state(),
        "created_at": timestamp_to_state(session.created),
        "last_accessed": timestamp_to_state(last_accessed),
        "expires_at": timestamp_to_state(last_accessed + ttl),
    }


def session_from_envelope(envelope: dict) -> Session:
    try:
        return Session.from_state(envelope["session"])
    except SessionFileError:
        raise
    except AlchemistError as error:
        raise SessionFileError(f"The session in the file is not valid: {error.message}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, ArithmeticError) as error:
        # A value of the wrong kind that a check missed: still a bad file, never a crash of the page.
        log.warning("Session file refused by an unexpected error", exc_info=error)
        raise SessionFileError("The session in the file is not valid (a value has the wrong form).") from None


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
    """Sessions kept under `root/sessions/<id>.pkl`, each expiring `ttl` after its last access."""

    def __init__(self, root: str | os.PathLike, ttl: timedelta = DEFAULT_TTL):
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        self.root = Path(root)
        self.ttl = ttl
        self.sessions_dir = self.root / "sessions"
        self.quarantine_dir = self.root / "quarantine"
        self.sessions_dir.mkdir(parents=True, exist_ok=True)
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
        self._write(session, utc_now())

    def get(self, session_id: str) -> Session | None:
        """The session with this id, or None when there is none (or it expired). Extends its time to live."""
        if not is_session_id(session_id):
            return None
        path = self._path(session_id)
        try:
            envelope = self._read(path)
            if envelope is None:
                return None
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
        if now - timestamp_from_state(envelope["last_accessed"]) >= _TOUCH_INTERVAL:
            self._write(session, now)
        return session

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
                envelope = self._read(path)
                if envelope is None:
                    continue
                if timestamp_from_state(envelope["expires_at"]) <= now:
                    self._remove(path)
                    removed.append(path.stem)
            except SessionFileError as error:
                self._quarantine(path, error.message)
        return removed

    def export_session(self, session_id: str) -> bytes:
        """The bytes of a session file to download."""
        session = self.get(session_id)
        if session is None:
            raise SessionFileError("That session no longer exists.")
        return self.export(session)

    def export(self, session: Session) -> bytes:
        return encode_session_file(envelope_for(session, utc_now(), self.ttl))

    def import_session(self, data: bytes) -> str:
        """Store the session in an uploaded file under a new id and return that id; raises SessionFileError."""
        session = self.load_file(data)
        self.save(session)
        return session.id

    def load_file(self, data: bytes) -> Session:
        """A session from an uploaded file, given a new id so it never overwrites the original's cache."""
        session = session_from_envelope(decode_session_file(data))
        session.id = new_session_id()
        return session

    # -- files -----------------------------------------------------------------------------
    def _write(self, session: Session, last_accessed: datetime) -> None:
        data = encode_session_file(envelope_for(session, last_accessed, self.ttl))
        with self._lock:
            write_atomically(self._path(session.id), data)

    def _read(self, path: Path) -> dict | None:
        """The envelope of a cached file, or None if it is absent; SessionFileError if it is unreadable."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise SessionFileError(f"The cached session could not be read ({error.strerror}).") from None
        envelope = decode_session_file(data)
        for key in ("created_at", "last_accessed", "expires_at"):
            timestamp_from_state(envelope.get(key))
        return envelope

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
