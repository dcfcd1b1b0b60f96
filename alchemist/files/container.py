"""The .pkl session file: a header, a payload and a signature around the pickled envelope.

Format version 2:

    magic  b"\\x89ALCHEMIST\\r\\n\\x1a\\n"   14 bytes (a version-1 file starts with b"\\x80" instead)
    format version       u16, big-endian      (fixed position in every version)
    compression          u8                   0 none, 1 zlib, 2 lzma (xz)
    key id length, key id  u8 + ASCII         empty: unsigned
    unpacked length      u64                  checked before anything is unpacked
    payload length       u64
    payload              the pickled envelope (plain data only), maybe compressed
    MAC                  32 bytes             HMAC-SHA256 of everything before it; zeros if unsigned

Version 1 is the bare pickle of the envelope. Both are decoded by alchemist.files.safe_pickle,
whatever the signature says; `container_origin` says who signed a file, for the store to decide
whether to read it here or in the limited child (alchemist.files.child).

Standard library only: the limited child process runs this decoder.
"""

from __future__ import annotations

import lzma
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from alchemist.errors import SessionFileError
from alchemist.files.bounds import check_reads_back, checked_bytes, megabytes
from alchemist.files.migrations import CURRENT_FORMAT_VERSION, check_envelope, newer_version_message
from alchemist.files.safe_pickle import dumps_plain, loads_plain
from alchemist.files.signing import MAC_BYTES, KeyRing, is_key_id

MAX_SESSION_FILE_BYTES = 50 * 1024 * 1024  # a .pkl as stored or uploaded
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # a .pkl payload after decompression

MAGIC = b"\x89ALCHEMIST\r\n\x1a\n"
_FIXED = struct.Struct(">HBB")  # format version, compression, key id length
_LENGTHS = struct.Struct(">QQ")  # unpacked length, payload length
COMPRESSIONS = {"none": 0, "zlib": 1, "lzma": 2}
_COMPRESSION_NAMES = {code: name for name, code in COMPRESSIONS.items()}
# "auto" compresses payloads above this size with zlib: fast, and float columns shrink a little.
AUTO_COMPRESS_ABOVE = 256 * 1024
_LZMA_MEMLIMIT = 128 * 1024 * 1024


# -- writing -------------------------------------------------------------------------------
def _too_large_to_save(size: int, limit: int, what: str) -> SessionFileError:
    return SessionFileError(
        f"This session is too large to save as a file: {what} would be {megabytes(size)}, and a file of more "
        f"than {megabytes(limit)} could not be loaded again. Delete experiments you no longer need, or save as JSON."
    )


def encode_session_file(envelope: dict, keys: KeyRing | None = None, compression: str = "auto") -> bytes:
    """A version-2 session file: header, pickled envelope (plain data only), HMAC with the ring's newest key.

    `compression` is "auto" (zlib above AUTO_COMPRESS_ABOVE), "none", "zlib" or "lzma". Raises
    SessionFileError if the file could not be loaded again (over a size limit).
    """
    if compression not in ("auto", *COMPRESSIONS):
        raise ValueError(f"unknown compression {compression!r}")
    raw = dumps_plain(envelope)
    if len(raw) > MAX_UNPACKED_BYTES:
        raise _too_large_to_save(len(raw), MAX_UNPACKED_BYTES, "its data")
    if compression == "auto":
        compression = "zlib" if len(raw) > AUTO_COMPRESS_ABOVE else "none"
    if compression == "zlib":
        payload = zlib.compress(raw, 6)
    elif compression == "lzma":
        payload = lzma.compress(raw, format=lzma.FORMAT_XZ, preset=6)
    else:
        payload = raw
    version = envelope.get("format_version", CURRENT_FORMAT_VERSION)
    key_id = b""
    if keys is not None:
        key_id = keys.newest.encode("ascii")
    header = MAGIC + _FIXED.pack(version, COMPRESSIONS[compression], len(key_id)) + key_id + _LENGTHS.pack(len(raw), len(payload))
    body = header + payload
    mac = keys.sign(body)[1] if keys is not None else bytes(MAC_BYTES)
    data = body + mac
    if len(data) > MAX_SESSION_FILE_BYTES:
        raise _too_large_to_save(len(data), MAX_SESSION_FILE_BYTES, "the file")
    return check_reads_back(data, decode_session_file, ".pkl")


# -- reading the outside -------------------------------------------------------------------
@dataclass(frozen=True)
class Container:
    """A version-2 file's header, payload and MAC, as read from its bytes (nothing unpacked yet)."""

    version: int
    compression: str
    key_id: str
    unpacked_length: int
    body_end: int
    payload: bytes
    mac: bytes


def parse_container(data: bytes) -> Container:
    """The parts of a version-2 file (starting with MAGIC); SessionFileError naming the damaged part."""
    start = len(MAGIC)
    if len(data) < start + _FIXED.size:
        raise SessionFileError("The file is cut short inside its header.")
    version, code, key_length = _FIXED.unpack_from(data, start)
    if version > CURRENT_FORMAT_VERSION:
        raise SessionFileError(newer_version_message(version))
    if version < 2:
        raise SessionFileError(f"The file header names format version {version}, which has no header: the header is damaged.")
    if code not in _COMPRESSION_NAMES:
        raise SessionFileError(f"The file header names an unknown compression (code {code}): the header is damaged.")
    position = start + _FIXED.size
    if len(data) < position + key_length + _LENGTHS.size:
        raise SessionFileError("The file is cut short inside its header.")
    try:
        key_id = data[position:position + key_length].decode("ascii")
    except UnicodeDecodeError:
        key_id = "\ufffd"
    if key_length and not is_key_id(key_id):
        raise SessionFileError("The key id in the file header is not valid: the header is damaged.")
    position += key_length
    unpacked, payload_length = _LENGTHS.unpack_from(data, position)
    position += _LENGTHS.size
    if unpacked > MAX_UNPACKED_BYTES:
        raise SessionFileError(
            f"The file header says its session data unpack to {megabytes(unpacked)}; the limit is {megabytes(MAX_UNPACKED_BYTES)}."
        )
    if code == 0 and unpacked != payload_length:
        raise SessionFileError("The file header gives two different sizes for uncompressed data: the header is damaged.")
    body_end = position + payload_length
    if len(data) < body_end:
        raise SessionFileError(f"The file is cut short: its session data end {body_end - len(data):,} bytes early.")
    if len(data) < body_end + MAC_BYTES:
        raise SessionFileError("The file is cut short inside its signature.")
    if len(data) > body_end + MAC_BYTES:
        raise SessionFileError(f"The file has {len(data) - body_end - MAC_BYTES:,} unexpected bytes after its signature.")
    mac = data[body_end:]
    if not key_length and mac != bytes(MAC_BYTES):
        raise SessionFileError("The file names no key but carries a signature: its signature part is damaged.")
    return Container(version, _COMPRESSION_NAMES[code], key_id, unpacked, body_end, data[position:body_end], mac)


def container_origin(container: Container, data: bytes, keys: KeyRing | None) -> str:
    """"own" (signed by a key of the ring, and the MAC matches), "mismatch" (one of our key ids, but the
    MAC does not match), "foreign" (a key id the ring does not have) or "unsigned"."""
    if not container.key_id:
        return "unsigned"
    if keys is None or container.key_id not in keys:
        return "foreign"
    return "own" if keys.verify(container.key_id, data[:container.body_end], container.mac) else "mismatch"


# -- reading the inside --------------------------------------------------------------------
def _unpack(container: Container) -> bytes:
    payload = container.payload
    if container.compression == "none":
        return payload
    try:
        if container.compression == "zlib":
            decompressor = zlib.decompressobj()
            raw = decompressor.decompress(payload, container.unpacked_length + 1)
            complete = decompressor.eof and not decompressor.unused_data and not decompressor.unconsumed_tail
        else:
            decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_XZ, memlimit=_LZMA_MEMLIMIT)
            raw = decompressor.decompress(payload, max_length=container.unpacked_length + 1)
            complete = decompressor.eof and not decompressor.unused_data
    except (zlib.error, lzma.LZMAError, MemoryError):
        raise SessionFileError(f"The compressed session data ({container.compression}) are damaged.") from None
    if len(raw) > container.unpacked_length:
        raise SessionFileError("The compressed session data unpack to more than the file header says: the file is damaged or harmful.")
    if not complete or len(raw) != container.unpacked_length:
        raise SessionFileError(f"The compressed session data ({container.compression}) are damaged or cut short.")
    return raw


def session_file_payload(data: Any) -> bytes:
    """The pickled envelope inside a .pkl session file (unpacked, not unpickled): for inspection and tests."""
    data = checked_bytes(data, MAX_SESSION_FILE_BYTES)
    return _unpack(parse_container(data)) if data.startswith(MAGIC) else data


def decode_session_file(data: Any, max_bytes: int = MAX_SESSION_FILE_BYTES) -> dict:
    """A .pkl session file's envelope (as stored: not migrated), running none of its content.

    Reads version 1 and 2 without looking at the signature (see alchemist.files.kinds for that).
    Raises SessionFileError naming the part of the file at fault.
    """
    data = checked_bytes(data, max_bytes)
    if data.startswith(MAGIC):
        container = parse_container(data)
        envelope = loads_plain(_unpack(container))
        stated = envelope.get("format_version") if isinstance(envelope, dict) else None
        check_envelope(envelope)
        if stated != container.version:
            raise SessionFileError(
                f"The file header says format version {container.version} but the session data say {stated}: the file is damaged."
            )
        return envelope
    if data[:1] != b"\x80":
        raise SessionFileError("This is not an ALchemist session file (.pkl).")
    envelope = loads_plain(data)
    check_envelope(envelope)
    if envelope["format_version"] != 1:
        raise SessionFileError(
            f"The file has no header but says format version {envelope['format_version']}; only version 1 files have none."
        )
    return envelope
