"""Keys that sign session files: a key ring (the newest signs, every key verifies).

A signature (HMAC-SHA256 over a file's header and payload) tells our own files from anyone
else's. It is *not* a safety boundary: a signed file is still read by the restricted decoder.

On a shared deployment the keys come from the app's secrets (`KeyRing.from_mapping`); on a
laptop a key is generated once into the cache folder, readable by its owner only
(`KeyRing.local`). The library never reads secrets itself: the app passes a ring in.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path
from typing import Mapping

KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MIN_KEY_BYTES = 16
LOCAL_KEY_FILE = "session-signing-key"
MAC_BYTES = 32


def is_key_id(value: object) -> bool:
    return isinstance(value, str) and KEY_ID_PATTERN.fullmatch(value) is not None


class KeyRing:
    """Named HMAC keys. `newest` signs; every key verifies (old files survive a key rotation)."""

    def __init__(self, keys: Mapping[str, bytes], newest: str) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        for key_id, key in keys.items():
            if not is_key_id(key_id):
                raise ValueError(f"key id {key_id!r} must be 1-64 characters of A-Z a-z 0-9 . _ -")
            if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
                raise ValueError(f"key {key_id!r} must be at least {MIN_KEY_BYTES} bytes")
        if newest not in keys:
            raise ValueError(f"the newest key {newest!r} is not in the ring")
        self._keys = dict(keys)
        self.newest = newest

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str | bytes], newest: str | None = None) -> "KeyRing":
        """From secrets such as `{"2026-11": "long random text", "2025-01": "..."}`.

        Text keys are used as their UTF-8 bytes. Without `newest`, the greatest key id signs
        (date-like ids such as "2026-11" then sort by age).
        """
        keys = {str(k): (v.encode("utf-8") if isinstance(v, str) else v) for k, v in dict(mapping).items()}
        if not keys:
            raise ValueError("a key ring needs at least one key")
        return cls(keys, newest if newest is not None else max(keys))

    @classmethod
    def local(cls, folder: str | os.PathLike) -> "KeyRing":
        """This machine's key: generated once into `folder`, owner read/write only (0600)."""
        key = load_or_create_local_key(Path(folder))
        key_id = "local-" + hashlib.sha256(b"alchemist key id\0" + key).hexdigest()[:16]
        return cls({key_id: key}, key_id)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    @property
    def fingerprint(self) -> str:
        """A digest of the ids, keys and newest id: equal rings, equal fingerprints. Lets the app tell
        that secrets changed without keeping or comparing the keys themselves."""
        digest = hashlib.sha256(b"alchemist key ring\0" + self.newest.encode() + b"\0")
        for key_id in sorted(self._keys):
            key = self._keys[key_id]
            digest.update(key_id.encode() + b"\0" + len(key).to_bytes(4, "big") + key)
        return digest.hexdigest()

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def sign(self, message: bytes) -> tuple[str, bytes]:
        """(key id, MAC) with the newest key."""
        return self.newest, hmac.new(self._keys[self.newest], message, hashlib.sha256).digest()

    def derive(self, purpose: bytes, message: bytes) -> str:
        """A stable hex token for `message` (HMAC with the newest key, labelled by `purpose`): the same
        input gives the same token, and nobody without the key can tell `message` from it."""
        return hmac.new(self._keys[self.newest], purpose + b"\0" + message, hashlib.sha256).hexdigest()

    def verify(self, key_id: str, message: bytes, mac: bytes) -> bool:
        key = self._keys.get(key_id)
        if key is None:
            return False
        return hmac.compare_digest(hmac.new(key, message, hashlib.sha256).digest(), mac)

    def __repr__(self) -> str:  # never show the keys
        return f"KeyRing(key_ids={list(self._keys)!r}, newest={self.newest!r})"


def load_or_create_local_key(folder: Path) -> bytes:
    """Read the key in `folder`, or create it: written to a private temp file, then linked into place
    (so two processes starting at once agree on one key and nobody reads half a key)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCAL_KEY_FILE
    for _ in range(3):
        try:
            return _read_key(path)
        except FileNotFoundError:
            pass
        temp = folder / f".{LOCAL_KEY_FILE}.{secrets.token_hex(8)}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temp, path)  # fails if another process made the key first: then use theirs
            except FileExistsError:
                pass
        finally:
            temp.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise PermissionError(f"{path} must be readable by its owner only (chmod 600); it is {oct(mode)}")
    text = path.read_text(encoding="ascii").strip()
    key = bytes.fromhex(text)
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"{path} holds no usable key")
    return key
