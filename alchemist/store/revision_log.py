"""The per-session revision log: signed records appended beside the session file.

`<id>.log` holds the revisions made since the session file (the checkpoint) was written, one
record each, so a one-cell edit appends a few hundred bytes instead of rewriting the session:

    b"ALRV"  u8 key id length, key id  u32 payload length  payload  MAC (32 bytes)

The payload is a revision as plain data (alchemist.history.revisions.Revision.to_state), written
and read by the restricted pickle of alchemist.files. The MAC (HMAC-SHA256 with the store's newest
key) covers the session id and everything before it, so a record cannot be moved to another
session. A record cut short by a crash is not a revision: reading stops before it, and the next
append (under the store's lock) cuts it off.
"""

from __future__ import annotations

import logging
import os
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from alchemist.errors import SessionFileError
from alchemist.files.safe_pickle import dumps_plain, loads_plain
from alchemist.files.signing import MAC_BYTES, KeyRing, is_key_id
from alchemist.history.revisions import Revision
from alchemist.store import disk
from alchemist.store.disk import Stamp, stamp, storage_error

log = logging.getLogger(__name__)

RECORD_MAGIC = b"ALRV"
LOG_SUFFIX = ".log"
_LENGTH = struct.Struct(">I")
# One record at most this large; a bigger change is written as a new checkpoint instead.
MAX_RECORD_BYTES = 16 * 1024 * 1024


def _signed_part(session_id: str, body: bytes) -> bytes:
    return b"alchemist revision\0" + session_id.encode("ascii") + b"\0" + body


def encode_record(session_id: str, revision: Revision, keys: KeyRing) -> bytes:
    payload = dumps_plain(revision.to_state())
    key_id = keys.newest.encode("ascii")
    body = RECORD_MAGIC + bytes([len(key_id)]) + key_id + _LENGTH.pack(len(payload)) + payload
    return body + keys.sign(_signed_part(session_id, body))[1]


@dataclass
class LogRead:
    """The complete, signed records of a log, where they end, and whether anything after them is damaged."""

    revisions: list[Revision] = field(default_factory=list)
    valid_bytes: int = 0
    damaged: bool = False
    mtime_ns: int = 0  # taken before the bytes were read: a later append changes it


def read_log(path: Path, session_id: str, keys: KeyRing) -> LogRead:
    try:
        with open(path, "rb") as handle:
            mtime = os.fstat(handle.fileno()).st_mtime_ns
            data = handle.read()
    except FileNotFoundError:
        return LogRead()
    except OSError as error:
        raise SessionFileError(f"The session's revision log could not be read ({error.strerror}).") from None
    read = LogRead(mtime_ns=mtime)
    position = 0
    while position < len(data):
        start = position
        if len(data) - start < 5:
            read.damaged = not RECORD_MAGIC.startswith(data[start:start + 4])  # else the start of a torn append
            break
        if data[start:start + 4] != RECORD_MAGIC:
            read.damaged = True
            break
        key_length = data[start + 4]
        key_end = start + 5 + key_length
        if len(data) < key_end + _LENGTH.size:
            break  # cut short: the tail of an append a crash interrupted
        key_id = data[start + 5:key_end].decode("ascii", "replace")
        (length,) = _LENGTH.unpack_from(data, key_end)
        end = key_end + _LENGTH.size + length + MAC_BYTES
        if length > MAX_RECORD_BYTES or not is_key_id(key_id):
            read.damaged = True
            break
        if len(data) < end:
            break
        body = data[start:end - MAC_BYTES]
        if not keys.verify(key_id, _signed_part(session_id, body), data[end - MAC_BYTES:end]):
            read.damaged = True
            break
        try:
            read.revisions.append(Revision.from_state(loads_plain(body[key_end + _LENGTH.size - start:])))
        except SessionFileError:
            read.damaged = True
            break
        position = end
    read.valid_bytes = position
    if read.damaged:
        log.warning("The revision log %s is damaged after %d bytes; the records before are used", path.name, position)
    return read


def append_record(path: Path, record: bytes, valid_bytes: int, not_before_ns: int) -> Stamp:
    """Append `record` after the first `valid_bytes` (cutting off a damaged or torn tail), fsync,
    and move the file's mtime past `not_before_ns`. Call under the store's lock."""
    existed = path.exists()
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise storage_error("stored", error) from None
    try:
        os.ftruncate(fd, valid_bytes)
        os.lseek(fd, valid_bytes, os.SEEK_SET)
        with os.fdopen(os.dup(fd), "wb", buffering=0) as handle:
            disk._write_all(handle, record)  # through the module: tests fill the disk there
        os.fsync(fd)
        mtime = max(time.time_ns(), not_before_ns + 1)
        os.utime(fd, ns=(mtime, mtime))
    except OSError as error:
        try:  # leave the log as it was: no torn record, no empty file
            if existed or valid_bytes:
                os.ftruncate(fd, valid_bytes)
            else:
                path.unlink(missing_ok=True)
        except OSError:
            pass  # a torn tail is ignored by readers and cut off by the next append
        raise storage_error("stored", error) from None
    finally:
        os.close(fd)
    found = stamp(path)
    return found if found is not None else Stamp(mtime, valid_bytes + len(record), 0)


def cut_tail(path: Path, valid_bytes: int, not_before_ns: int) -> None:
    """Cut a torn or damaged tail off the log (under the store's lock), moving its mtime on so the
    version still grows."""
    try:
        os.truncate(path, valid_bytes)
        mtime = max(time.time_ns(), not_before_ns + 1)
        os.utime(path, ns=(mtime, mtime))
    except FileNotFoundError:
        pass
    except OSError as error:
        raise storage_error("stored", error) from None


def log_version(checkpoint_mtime_ns: int, log_mtime_ns: int | None, log_bytes: int) -> int:
    """The version token: grows with every append (its mtime is set past the last token) and every checkpoint."""
    if log_mtime_ns is None:
        return checkpoint_mtime_ns
    return max(checkpoint_mtime_ns, log_mtime_ns) + log_bytes
