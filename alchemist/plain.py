"""Plain-data helpers: numeric arrays and timestamps as builtin values for a session's state tree.

The state tree holds only dict, list, str, bytes, int, float, bool and None, so that a session
file can be loaded without allowing a single global (see alchemist.files).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import pandas as pd

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
    expected = 8 * math.prod(shape)  # Python ints: np.prod would overflow (or wrap to 0) on a crafted shape
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

def _plain_cell(value: object) -> object:
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    return str(value)

def frame_to_state(frame: pd.DataFrame) -> dict:
    """A table as columns: float64 columns as raw bytes (exact, fast), others as lists of builtins."""
    return {"n_rows": len(frame), "columns": [column_to_state(name, frame[name]) for name in frame.columns]}


def column_to_state(name: object, series: pd.Series) -> dict:
    """One column of frame_to_state (the history stores a cell edit by its column alone)."""
    if series.dtype == np.float64:
        return {"name": str(name), "encoding": "f8", "data": array_to_state(series.to_numpy())}
    return {"name": str(name), "encoding": "list", "data": [_plain_cell(v) for v in series.tolist()]}

def frame_from_state(state: object, what: str) -> pd.DataFrame:
    """Rebuild a table written by frame_to_state; `what` names it in error messages."""

    if not isinstance(state, dict):
        raise SessionFileError(f"The {what} in the file are not in the expected form.")
    n_rows = state.get("n_rows")
    columns = state.get("columns")
    if not isinstance(n_rows, int) or isinstance(n_rows, bool) or n_rows < 0 or not isinstance(columns, list):
        raise SessionFileError(f"The {what} in the file are not in the expected form.")
    if n_rows and not columns:
        # Nothing in the file would back the rows: a few bytes must not make us build huge empty columns.
        raise SessionFileError(f"The {what} in the file have rows but no columns.")
    data: dict = {}
    for column in columns:
        if not isinstance(column, dict) or not isinstance(column.get("name"), str):
            raise SessionFileError(f"A column of the {what} in the file has no name.")
        name = column["name"]
        if name in data:
            raise SessionFileError(f"The {what} in the file name the column '{name}' twice.")
        encoding = column.get("encoding")
        if encoding == "f8":
            values = array_from_state(column.get("data"))
            if values.ndim != 1:
                raise SessionFileError(f"The column '{name}' of the {what} is not one-dimensional.")
            series = pd.Series(values, dtype="float64")
        elif encoding == "list" and isinstance(column.get("data"), list):
            values = column["data"]
            if not all(v is None or isinstance(v, (str, int, float)) for v in values):
                raise SessionFileError(f"The column '{name}' of the {what} holds values of an unknown kind.")
            series = pd.Series(values, dtype="object")
        else:
            raise SessionFileError(f"The column '{name}' of the {what} is not in the expected form.")
        if len(series) != n_rows:
            raise SessionFileError(
                f"The column '{name}' of the {what} has {len(series)} rows, the table {n_rows}: the file is damaged."
            )
        data[name] = series
    return pd.DataFrame(data, index=pd.RangeIndex(n_rows))
