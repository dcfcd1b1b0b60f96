"""Which kind of session file this is, and who signed it, read from its outside only.

The Load Session picker takes four kinds; the store reads each with its own reader:

    kind        origin                               read by
    "pkl"       "own", "unsigned", "foreign",        alchemist.files.container (here when "own",
                "mismatch" (see container_origin)    else in alchemist.files.child, if the user agrees)
    "pkl-v1"    "unsigned"                           the same (a bare pickle: our files before version 2)
    "json"      "json"                               alchemist.files.strict_json
    "alchemist" "alchemist"                          alchemist.files.nrel (NREL ALchemist's session JSON)

Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alchemist.errors import SessionFileError
from alchemist.files.bounds import checked_bytes
from alchemist.files.container import MAGIC, MAX_SESSION_FILE_BYTES, container_origin, parse_container
from alchemist.files.migrations import SESSION_FORMAT
from alchemist.files.signing import KeyRing
from alchemist.files.strict_json import MAX_JSON_SESSION_FILE_BYTES, is_json

MAX_UPLOAD_BYTES = max(MAX_SESSION_FILE_BYTES, MAX_JSON_SESSION_FILE_BYTES)  # the largest file of any kind
_NREL_SNIFF_BYTES = 1_000_000


@dataclass(frozen=True)
class FileInfo:
    """What a session file's outside says, read without unpickling or parsing anything."""

    kind: str  # "pkl" (version 2 container), "pkl-v1" (bare pickle), "json", "alchemist" (NREL ALchemist)
    format_version: int | None  # from the header; None where it is stated inside (version 1, JSON)
    origin: str  # "own" (signature verified), "unsigned", "foreign" (unknown key id), "mismatch" (bad MAC), "json", "alchemist"
    key_id: str | None = None
    compression: str = "none"


def looks_like_alchemist_nrel(data: bytes) -> bool:
    """A JSON file written by NREL's ALchemist (a session with a search space), judged from its first bytes."""
    return is_json(data) and b'"search_space"' in data[:_NREL_SNIFF_BYTES] and f'"{SESSION_FORMAT}"'.encode() not in data[:4096]


def inspect_session_file(data: Any, keys: KeyRing | None = None) -> FileInfo:
    """Where a file comes from (its kind, version, signature), reading only its outside; raises SessionFileError."""
    data = checked_bytes(data, MAX_UPLOAD_BYTES)
    if data.startswith(MAGIC):
        data = checked_bytes(data, MAX_SESSION_FILE_BYTES)
        container = parse_container(data)
        origin = container_origin(container, data, keys)
        return FileInfo("pkl", container.version, origin, container.key_id or None, container.compression)
    if data[:1] == b"\x80":
        checked_bytes(data, MAX_SESSION_FILE_BYTES)
        return FileInfo("pkl-v1", None, "unsigned")
    if is_json(data):
        if looks_like_alchemist_nrel(data):
            return FileInfo("alchemist", None, "alchemist")
        return FileInfo("json", None, "json")
    if data[:1] == MAGIC[:1]:
        raise SessionFileError("This is not an ALchemist session file: its first bytes (the magic) are wrong or damaged.")
    raise SessionFileError("This is not an ALchemist session file (.pkl or .json): its first bytes (the magic) are not those of one.")
