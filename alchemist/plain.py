"""Plain-data helpers: numeric arrays and timestamps as builtin values for a session's state tree.

The state tree holds only dict, list, str, bytes, int, float, bool and None, so that a session
file can be loaded without allowing a single global (see alchemist.userfiles).
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from alchemist.errors import SessionFileError


def array_to_state(array: np.ndarray) -> dict:
    """A float64 array as little-endian bytes plus its shape: exact and fast to pickle."""
    array = np.ascontiguousarray(array, dtype="<f8")
    return {"dtype": "f8", "shape": list(array.shape), "data": array.tobytes()}


def array_from_state(state: dict) -> np.ndarray:
    if not isinstance(state, dict) or state.get("dtype") != "f8":
        raise SessionFileError("A numeric array in the file is not in the expected form.")
    shape = state.get("shape")
    data = state.get("data")
    if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise SessionFileError("A numeric array in the file has an invalid shape.")
    if not isinstance(data, bytes):
        raise SessionFileError("A numeric array in the file has no data.")
    expected = 8 * int(np.prod(shape, dtype=np.int64)) if shape else 8
    if len(data) != expected:
        raise SessionFileError("A numeric array in the file has the wrong length.")
    return np.frombuffer(data, dtype="<f8").reshape(shape).astype(np.float64)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def timestamp_to_state(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(timezone.utc).isoformat()


def timestamp_from_state(text: object) -> datetime:
    """Parse an ISO-8601 timestamp and insist on UTC: fromisoformat alone accepts naive ones."""
    if not isinstance(text, str) or len(text) > 64:
        raise SessionFileError("A timestamp in the file is not text.")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SessionFileError(f"'{text[:40]}' is not a valid timestamp.") from None
    if moment.tzinfo is None or moment.utcoffset().total_seconds() != 0:
        raise SessionFileError(f"The timestamp '{text[:40]}' is not in UTC.")
    return moment.astimezone(timezone.utc)
