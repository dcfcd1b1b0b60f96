"""Cells of the experiment table: coercing what a file or the editor gave into each column's
form, and the vectorised tests that pick out the few cells a per-cell check must look at.

A cell that does not fit is never dropped: a numeric column keeps NaN there and hands back the
text as typed, so the table can show it, flag it and save it.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
import pandas as pd

from alchemist.problems import MAX_MAGNITUDE
from alchemist.variables import Variable, coerce_number, is_missing


def iteration_cell(raw: Any) -> Any:
    value = coerce_number(raw)
    if isinstance(value, float) and not math.isnan(value) and value.is_integer():
        return int(value)
    return value


def note_cell(raw: Any) -> str:
    return "" if is_missing(raw) else str(raw)


def switch_cell(raw: Any) -> bool:
    """An exclusion switch: True, 1 or 'true'/'yes'/'1' (from a file or the editor) is on."""
    if isinstance(raw, (bool, np.bool_)):
        return bool(raw)
    if isinstance(raw, (int, float)) and not is_missing(raw):
        return raw == 1
    return isinstance(raw, str) and raw.strip().lower() in ("true", "yes", "1")


def coerced(frame: pd.DataFrame, name: str, cell: Any, numeric: bool) -> tuple[pd.Series, dict[int, str]]:
    """The column `name` of `frame`, each cell coerced by `cell`; all missing when absent.

    A numeric column stays float64: a cell that is not a number is NaN there, and its text as typed
    is returned beside it ({row: text}), so the table can show and flag it without turning the whole
    column into text.
    """
    if name not in frame:
        return column_of([cell(None)] * len(frame)), {}
    raw = frame[name]
    if numeric and raw.dtype == np.float64:
        # Already floats: coercion would give back the very same values, cell by cell.
        return pd.Series(raw.to_numpy(copy=True), dtype="float64"), {}
    if not numeric:
        return column_of([cell(v) for v in raw]), {}
    # Plain Python numbers (an object column from a file whose numbers were read by hand) are taken
    # as they are; only the other cells (text, numpy scalars, None) go through `cell` one by one.
    values = [float(v) if type(v) is float or type(v) is int else cell(v) for v in raw.tolist()]
    typed: dict[int, str] = {}
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isinf(value):
            typed[i] = str(value)
            values[i] = math.nan
    return pd.Series(values, dtype="float64"), typed


def variable_suspects(variable: Variable, series: pd.Series) -> np.ndarray:
    """Cells that may break the variable's rules; every other cell certainly keeps them."""
    if series.dtype != np.float64:
        if variable.kind == "categorical":
            return ~series.isin(variable.levels).to_numpy()
        return np.ones(len(series), dtype=bool)
    values = series.to_numpy()
    if variable.kind == "categorical":
        return np.ones(len(series), dtype=bool)
    with np.errstate(invalid="ignore"):
        too_large = np.abs(values) > MAX_MAGNITUDE
    if variable.kind == "discrete":
        return ~np.isin(values, variable.values) | too_large
    outside = too_large | ~np.isfinite(values) | (values < variable.low) | (values > variable.high)
    if variable.kind == "integer":
        with np.errstate(invalid="ignore"):
            outside |= values != np.round(values)
    return outside


def side_suspects(series: pd.Series, negative: bool, whole: bool) -> np.ndarray:
    if series.dtype != np.float64:
        return np.ones(len(series), dtype=bool)
    values = series.to_numpy()
    with np.errstate(invalid="ignore"):
        suspects = np.isinf(values) | (np.abs(values) > MAX_MAGNITUDE)
        if negative:
            suspects |= values < 0
        if whole:
            suspects |= np.isfinite(values) & (values != np.round(values))
    return suspects


def column_of(values: Iterable[Any]) -> pd.Series:
    """A float64 column when every cell is a number, else an object column that keeps raw text."""
    values = list(values)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return pd.Series(values, dtype="float64")
    return pd.Series(values, dtype="object")
