"""JSON from a user, parsed strictly; and the JSON session file, the readable twin of the .pkl.

Strict means: UTF-8, no key twice in one object, finite numbers of bounded size, bounded
nesting, and no NaN or Infinity tokens unless the caller reads another program's files. The
JSON session file holds the same envelope as the .pkl, rendered by alchemist.files.json_tree.

Standard library only: the limited child process answers in JSON, parsed here.
"""

from __future__ import annotations

import json
import math
from typing import Any

from alchemist.errors import SessionFileError
from alchemist.files import json_tree
from alchemist.files.bounds import MAX_INT_DIGITS, check_plain, check_reads_back, checked_bytes, megabytes
from alchemist.files.migrations import SESSION_FORMAT, check_envelope

MAX_JSON_SESSION_FILE_BYTES = 100 * 1024 * 1024  # JSON writes each float as text: about twice the .pkl


class _JsonProblem(ValueError):
    pass


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise _JsonProblem(f"the key {key[:40]!r} appears twice in one object")
        result[key] = value
    return result


def finite_float(text: str) -> float:
    """A JSON number as a float; ValueError if it overflows (1e400 would silently become infinity)."""
    value = float(text)
    if not math.isfinite(value):
        raise _JsonProblem(f"the number {text[:30]} is too large")
    return value


def bounded_int(text: str) -> int:
    """A JSON integer; ValueError beyond MAX_INT_DIGITS digits (int() of a huge text is quadratic, and no session holds one)."""
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _JsonProblem(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def is_json(data: bytes) -> bool:
    """Whether bytes look like a JSON object (after a byte-order mark and white space)."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def parse_json_bytes(data: bytes, what: str, allow_nan: bool = False) -> Any:
    """Strict JSON from a user: UTF-8, no duplicate keys, finite numbers of bounded size, bounded nesting.

    `allow_nan` accepts the NaN/Infinity tokens Python's json writes (other programs' files).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SessionFileError(f"The {what} is not UTF-8 text (byte {error.start:,} is not valid).") from None

    def constant(name: str) -> float:
        if allow_nan:
            return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[name]
        raise _JsonProblem(f"{name} is not allowed in JSON (this file format writes it as {{\"$float\": \"{name}\"}})")

    try:
        return json.loads(
            text,
            object_pairs_hook=_refuse_duplicates,
            parse_float=finite_float,
            parse_int=bounded_int,
            parse_constant=constant,
        )
    except _JsonProblem as problem:
        raise SessionFileError(f"The {what} is not valid: {problem}.") from None
    except json.JSONDecodeError as error:
        raise SessionFileError(f"The {what} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}).") from None
    except RecursionError:
        raise SessionFileError(f"The {what} is nested deeper than a session is.") from None
    except (ValueError, MemoryError, OverflowError):
        raise SessionFileError(f"The {what} is not valid JSON.") from None


def encode_session_json(envelope: dict) -> bytes:
    """The JSON form of a session file: the same envelope as the .pkl, readable and diffable text."""
    check_plain(envelope, "session")
    data = json_tree.dumps(json_tree.to_json_tree(envelope)).encode("utf-8")
    if len(data) > MAX_JSON_SESSION_FILE_BYTES:
        raise SessionFileError(
            f"This session is too large to save as JSON: the file would be {megabytes(len(data))}, and a JSON session "
            f"file of more than {megabytes(MAX_JSON_SESSION_FILE_BYTES)} could not be loaded again. Save it as .pkl instead."
        )
    return check_reads_back(data, decode_session_json, "JSON")


def envelope_from_json_tree(tree: Any, what: str) -> dict:
    """The envelope a JSON tree renders (see json_tree), checked as plain data and as an envelope."""
    try:
        envelope = json_tree.from_json_tree(tree)
    except json_tree.JsonTreeError as error:
        raise SessionFileError(f"The {what} is not valid: {error}.") from None
    check_plain(envelope, what)
    check_envelope(envelope)
    return envelope


def decode_session_json(data: Any) -> dict:
    """The envelope of a JSON session file (as stored: not migrated); raises SessionFileError."""
    data = checked_bytes(data, MAX_JSON_SESSION_FILE_BYTES)
    tree = parse_json_bytes(data, "JSON session file")
    if not isinstance(tree, dict) or tree.get("format") != SESSION_FORMAT:
        raise SessionFileError("This JSON file is not an ALchemist session: it has no \"format\": \"alchemist-session\".")
    return envelope_from_json_tree(tree, "JSON session file")
