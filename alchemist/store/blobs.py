"""The four operations the session store needs from storage, and nothing more.

A local folder (alchemist.store.folder_blobs) and any fsspec object store such as S3, MinIO or R2
(alchemist.store.object_blobs) provide them; everything above (signing, history, time to live,
sweeps) is shared code that talks to storage only through a `BlobStore`:

  * `get(key)`: the bytes and the version token of one object, or None;
  * `put(key, data, expected)`: write, only if the object is still at `expected` (compare-and-swap);
    `expected=ABSENT` creates only, `expected=None` writes whatever is there;
  * `list(prefix)`: every object under a prefix, with version, size and time of last write;
  * `delete(key, expected)`: remove, only if the object is still at `expected`; True if it was
    removed, False if there was nothing to remove.

A version token is opaque: equal tokens mean the same written object. A write never tears: a
reader sees the old object or the new one. Keys are built only from validated ids (`check_key`).
Storage that cannot be reached raises alchemist.errors.StorageError; a lost compare-and-swap
raises `ChangedMeanwhile`, which the store turns into a re-read or a ConflictError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

# A key is one or more "/"-separated segments of these characters; no "..", no leading dot, so a
# key can never leave the store's folder or prefix, nor name a temporary file of the local folder.
_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")
MAX_KEY_SEGMENTS = 4

# `expected=ABSENT`: the object must not exist yet (create only).
ABSENT = ""


class ChangedMeanwhile(Exception):
    """The object is no longer at the expected version: someone else wrote or deleted it.

    Never shown to a user as such: the store re-reads and re-applies the change, or raises
    alchemist.errors.ConflictError.
    """

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Blob:
    data: bytes
    version: str


@dataclass(frozen=True)
class BlobInfo:
    key: str
    version: str
    size: int
    modified: datetime  # timezone-aware UTC: when this version was written


def check_key(key: str) -> str:
    """`key` if it is a valid storage key; ValueError otherwise (a programming error, never user input)."""
    parts = key.split("/") if isinstance(key, str) else []
    if not 1 <= len(parts) <= MAX_KEY_SEGMENTS or not all(_SEGMENT.fullmatch(p) and p != ".." for p in parts):
        raise ValueError(f"not a storage key: {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """A prefix to list: "" (everything) or a key followed by "/"."""
    if prefix == "":
        return prefix
    if not isinstance(prefix, str) or not prefix.endswith("/"):
        raise ValueError(f"not a storage prefix: {prefix!r}")
    check_key(prefix[:-1])
    return prefix


@runtime_checkable
class BlobStore(Protocol):
    """Storage for the session store: see the module's docstring for the contract."""

    def get(self, key: str) -> Blob | None: ...

    def put(self, key: str, data: bytes, expected: str | None = None) -> str: ...

    def list(self, prefix: str) -> list[BlobInfo]: ...

    def delete(self, key: str, expected: str | None = None) -> bool: ...

    def describe(self) -> str:
        """Where the objects are, for logs and the operator (never holds credentials)."""
        ...
