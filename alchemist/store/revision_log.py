"""Signed revision records: one revision of a session as a few hundred bytes.

The store keeps each revision made since the session's checkpoint as one small object
(`sessions/<id>/rev-<n>`, alchemist.store.layout), so a one-cell edit writes a record instead of
rewriting the session:

    b"ALRV"  u8 key id length, key id  u32 payload length  payload  MAC (32 bytes)

The payload is a revision as plain data (alchemist.history.revisions.Revision.to_state), written
and read by the restricted pickle of alchemist.files. The MAC (HMAC-SHA256 with the store's newest
key) covers the session id and everything before it, so a record cannot be moved to another
session. Sessions cached before issue 13 kept these records appended to one file, `<id>.log`;
`read_records` reads such a file (a record cut short by a crash is not a revision: reading stops
before it) when an old session is opened and converted.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass, field

from alchemist.errors import SessionFileError
from alchemist.files.safe_pickle import dumps_plain, loads_plain
from alchemist.files.signing import MAC_BYTES, KeyRing, is_key_id
from alchemist.history.revisions import Revision

log = logging.getLogger(__name__)

RECORD_MAGIC = b"ALRV"
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
    """The complete, signed records in some bytes, where they end, and whether anything after them is damaged."""

    revisions: list[Revision] = field(default_factory=list)
    valid_bytes: int = 0
    damaged: bool = False


def decode_record(data: bytes, session_id: str, keys: KeyRing) -> Revision:
    """The revision in one record object; SessionFileError unless it is exactly one whole record
    signed for this session by a key of the ring."""
    read = read_records(data, session_id, keys, quiet=True)
    if read.damaged or len(read.revisions) != 1 or read.valid_bytes != len(data):
        raise SessionFileError("A revision of this session is damaged or not signed by this installation.")
    return read.revisions[0]


def read_records(data: bytes, session_id: str, keys: KeyRing, quiet: bool = False) -> LogRead:
    read = LogRead()
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
    if read.damaged and not quiet:
        log.warning("A revision log is damaged after %d bytes; the records before are used", position)
    return read
