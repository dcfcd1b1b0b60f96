"""The local folder below alchemist.store.folder_blobs: atomic writes, stamps, a lock, disk errors in words.

Every OSError a full, read-only or vanished disk can raise is turned into a StorageError here,
so the app can say what happened and keep the user's session in memory. A missing folder is
created again before a write, so deleting `sessions/` by hand costs nothing but the cache.
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from alchemist.errors import StorageError, StorageReason

LOCK_FILE = ".sessions.lock"


@dataclass(frozen=True)
class Stamp:
    """What identifies one written version of a file: a new write changes the inode and mtime."""

    mtime_ns: int
    size: int
    inode: int


def stamp(path: Path) -> Stamp | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return Stamp(st.st_mtime_ns, st.st_size, st.st_ino)


def storage_error(action: str, error: OSError) -> StorageError:
    """A disk failure in words for the user; the session itself is not lost."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        why, reason = "the disk is full", StorageReason.DISK_FULL
    elif error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        why, reason = "the cache folder cannot be written (read-only or no permission)", StorageReason.READ_ONLY
    else:
        why, reason = error.strerror or "a disk error", StorageReason.DISK
    return StorageError(
        f"The session could not be {action}: {why}. Your work is kept in this browser tab; "
        "download it with Save Session to be safe. It will be stored again at your next change.", reason
    )


def ensure_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise storage_error("stored", error) from None


def _write_all(handle: BinaryIO, data: bytes) -> None:
    # One place where bytes reach the disk: tests wrap it to simulate a disk that fills up.
    handle.write(data)


def write_atomically(path: Path, data: bytes, not_before_ns: int = 0) -> Stamp:
    """Write to a temporary file beside `path`, fsync, then rename: a reader sees the old file or the new
    one. The new file's mtime is after `not_before_ns`, so the version token always changes even on
    file systems with coarse timestamps. Returns the new stamp; raises StorageError on a disk failure."""
    ensure_dir(path.parent)
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    except OSError as error:
        raise storage_error("stored", error) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_all(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        mtime = max(time.time_ns(), not_before_ns + 1)
        os.utime(temp, ns=(mtime, mtime))
        os.replace(temp, path)
    except BaseException as error:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(error, OSError):
            raise storage_error("stored", error) from None
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    new = stamp(path)
    return new if new is not None else Stamp(mtime, len(data), 0)


class FolderLock:
    """A lock shared by every thread and process using one folder: a thread lock plus flock on a file.

    flock alone would not exclude two threads of one store (they would share an open file), and a
    thread lock alone would not exclude a second process or a second store on the same folder.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._thread_lock = threading.Lock()

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            ensure_dir(self.folder)
            try:
                fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as error:
                raise storage_error("stored", error) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the flock
