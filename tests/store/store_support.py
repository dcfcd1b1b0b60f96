"""Helpers for tests of the session store: what it left in a local folder, making time pass, and
storage that fails on purpose."""

from __future__ import annotations

import os
import time
from pathlib import Path

from alchemist.errors import StorageError
from alchemist.store.blobs import Blob, BlobInfo, BlobStore
from alchemist.store.heads import CLAIM


def stored_files(store) -> list[str]:
    """Every file under the folder store's sessions/ (relative, "/"-separated), except the claims
    of a revision number (alchemist.store.heads.CLAIM: they hold no data)."""
    found = []
    for path in sorted(store.sessions_dir.rglob("*")):
        if path.is_file() and path.read_bytes() != CLAIM:
            found.append(path.relative_to(store.sessions_dir).as_posix())
    return found


def age_session(store, session_id: str, seconds: float) -> None:
    """Make every object of a session (new layout and old) look last written `seconds` ago."""
    then = time.time() - seconds
    folder = store.sessions_dir / session_id
    paths = list(folder.iterdir()) if folder.exists() else []
    paths += [store.sessions_dir / f"{session_id}{suffix}" for suffix in (".pkl", ".log", ".seen")]
    for path in paths:
        if path.exists():
            os.utime(path, (then, then))


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


class FailingBlobs:
    """A BlobStore that raises StorageError on chosen calls, as unreachable storage would.

    `fail_puts_from` (1-based): that put and every later one fails until `heal()`; `fail_every`:
    while on, every call fails (storage gone away)."""

    def __init__(self, inner: BlobStore) -> None:
        self.inner = inner
        self.puts = 0
        self.fail_puts_from: int | None = None
        self.down = False

    def heal(self) -> None:
        self.fail_puts_from, self.down = None, False

    def _check(self) -> None:
        if self.down:
            raise StorageError("The session could not be stored: storage is unreachable (test).")

    def get(self, key: str) -> Blob | None:
        self._check()
        return self.inner.get(key)

    def put(self, key: str, data: bytes, expected: str | None = None) -> str:
        self._check()
        self.puts += 1
        if self.fail_puts_from is not None and self.puts >= self.fail_puts_from:
            raise StorageError("The session could not be stored: storage is unreachable (test).")
        return self.inner.put(key, data, expected)

    def list(self, prefix: str) -> list[BlobInfo]:
        self._check()
        return self.inner.list(prefix)

    def delete(self, key: str, expected: str | None = None) -> bool:
        self._check()
        return self.inner.delete(key, expected)

    def describe(self) -> str:
        return f"failing {self.inner.describe()}"


KEYS_MAPPING = {"replicas": "the key every replica of the test shares, long enough"}


def replica_keys():
    """The ring every replica gets from secrets (a BlobStore store needs one)."""
    from alchemist.files.signing import KeyRing

    return KeyRing.from_mapping(KEYS_MAPPING)


class Later:
    """A store clock `seconds` ahead of now: time has passed, for the sweep."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def now(self) -> float:
        return time.time() + self.seconds
