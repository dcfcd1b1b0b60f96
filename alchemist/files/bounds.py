"""The limits every reader applies to what a user gives it: the size of a file, and the plain tree it decodes to.

A plain tree holds only dict (with text keys), list, str, bytes, int, float, bool and None: what a
session's state is made of (alchemist.plain turns arrays and tables into it). Whatever a file
holds, .pkl or JSON, ours or NREL ALchemist's, passes `check_plain` before anything else sees it.

Standard library only: the limited child process imports it.
"""

from __future__ import annotations

from typing import Any, Callable

from alchemist.errors import SessionFileError

MAX_DEPTH = 32  # nesting of a plain tree (a session's state is about 8 deep)
MAX_NODES = 5_000_000  # values in one tree
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # text and bytes in one tree, keys included
MAX_INT_BITS = 1024  # an integer beyond any a session holds (and beyond float range)
MAX_INT_DIGITS = len(str(2**MAX_INT_BITS))  # the same limit for a number written as text: 309 digits


# One MB as this app states every size: 2**20 bytes, as Streamlit counts server.maxUploadSize, so the
# limit the uploader shows, the limit in config.toml and the limit our readers enforce read the same.
MB = 1024 * 1024


def megabytes(n: int) -> str:
    """A size for reading, e.g. "20.3 MB"."""
    return f"{n / MB:.1f} MB"


def whole_megabytes(limit: int) -> int:
    """A limit in whole MB (the limits are whole MB), e.g. for st.file_uploader's max_upload_size."""
    return max(1, round(limit / MB))


def checked_bytes(data: Any, limit: int, what: str = "file") -> bytes:
    """`data` as bytes, if it is bytes of 1 to `limit` bytes; SessionFileError saying which limit otherwise."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise SessionFileError("No file content was given.")
    data = bytes(data)
    if len(data) == 0:
        raise SessionFileError(f"The {what} is empty.")
    if len(data) > limit:
        raise SessionFileError(f"The {what} is {megabytes(len(data))}; session files can be at most {whole_megabytes(limit)} MB.")
    return data


def check_plain(tree: Any, what: str = "file") -> None:
    """Iteratively check that a tree holds only builtin values, within depth, count and size limits."""
    nodes = 0
    total_bytes = 0
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise SessionFileError(f"The {what} holds more items than a session can have.")
        if depth > MAX_DEPTH:
            raise SessionFileError(f"The {what} is nested deeper than a session is.")
        kind = type(node)
        if node is None or kind is bool or kind is float:
            continue
        if kind is int:
            if node.bit_length() > MAX_INT_BITS:
                raise SessionFileError(f"The {what} holds a number too large for a session.")
        elif kind is str or kind is bytes:
            total_bytes += len(node)
            if total_bytes > MAX_TOTAL_BYTES:
                raise SessionFileError(f"The {what} holds more data than a session can have.")
        elif kind is list:
            stack.extend((item, depth + 1) for item in node)
        elif kind is dict:
            for key, value in node.items():
                if type(key) is not str:
                    raise SessionFileError(f"The {what} has a key that is not text.")
                total_bytes += len(key)
                stack.append((value, depth + 1))
        else:
            raise SessionFileError(f"The {what} holds a value of a kind a session never has ({kind.__name__}).")


def check_plain_state(state: Any) -> None:
    """Raise unless `state` is plain data a session file may hold; used before every write."""
    check_plain(state, "session")


def check_reads_back(data: bytes, decode: Callable[[bytes], Any], what: str) -> bytes:
    """`data`, once `decode` (the reader of its format) accepts it; SessionFileError otherwise.

    The writer never writes what the reader refuses: a save that would produce a file its own
    reader rejects (a bound one side checks and the other does not) fails now, in words, instead
    of at the next visit, when the user's copy is already unreadable.
    """
    try:
        decode(data)
    except SessionFileError as error:
        raise SessionFileError(f"This session was not saved as {what}: the file would not load again ({error.message})") from None
    return data
