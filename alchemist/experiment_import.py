"""Rows from an uploaded table into the experiment table: which column is the result, which
columns are noise, iteration and note, and what was left out.

Nothing is changed when a column the variables need is missing; every other problem stays in
the table, cell by cell, to be reported (see alchemist.experiments).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import pandas as pd

from alchemist.errors import ExperimentError
from alchemist.experiments import (
    DEFAULT_TARGET, ITERATION, NOISE, NOTE, NOTE_ALIASES, ExperimentTable, check_table_size,
)
from alchemist.variables import RESERVED_COLUMNS, Variable


@dataclass(frozen=True)
class ImportReport:
    """What an import did: rows added, the result column, columns left out, rows with problems."""

    rows_added: int
    target: str
    ignored_columns: tuple[str, ...]
    invalid_rows: int
    rows_replaced: int = 0  # rows the import took the place of (replace mode); 0 when it added


def guess_target(frame: pd.DataFrame, variables: Sequence[Variable]) -> str | None:
    """The target column when it is obvious: 'Output', or the one numeric column left over."""
    names = {v.name for v in variables}
    spare = [c for c in frame.columns if c not in names and not _is_side_column(c)]
    if DEFAULT_TARGET in spare:
        return DEFAULT_TARGET
    numeric = [c for c in spare if pd.api.types.is_numeric_dtype(frame[c])]
    return numeric[0] if len(numeric) == 1 else None


def _checked_columns(frame: pd.DataFrame, variables: Sequence[Variable], target_column: str) -> pd.DataFrame:
    """The frame with stripped column names; ExperimentError when the columns cannot make experiments."""
    if len(frame) == 0:
        raise ExperimentError("The file has no rows.")
    frame = frame.rename(columns=lambda c: str(c).strip())
    if frame.columns.duplicated().any():
        duplicated = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise ExperimentError("The file has more than one column named " + ", ".join(f"'{c}'" for c in duplicated) + ".")
    missing = [v.name for v in variables if v.name not in frame.columns]
    if missing:
        raise ExperimentError(
            "Columns missing from the file: " + ", ".join(f"'{m}'" for m in missing)
            + ". Column names must match the variable names."
        )
    if target_column not in frame.columns:
        raise ExperimentError(f"The file has no column '{target_column}'.")
    if target_column in {v.name for v in variables}:
        raise ExperimentError(f"'{target_column}' is a variable; choose another column as the result.")
    if target_column in RESERVED_COLUMNS:
        # The table keeps its own column of that name; the result would overwrite it or be overwritten.
        raise ExperimentError(f"'{target_column}' is a column the table uses itself; choose the column that holds the result.")
    return frame


def import_frame(
    table: ExperimentTable, frame: pd.DataFrame, variables: Sequence[Variable], target_column: str, replace: bool = False
) -> ImportReport:
    """Add the rows of an uploaded table to `table`. Raises ExperimentError, changing nothing, when columns are missing."""
    frame = _checked_columns(frame, variables, target_column)
    check_table_size(len(frame) + (0 if replace else len(table.frame)), len(variables))
    incoming = pd.DataFrame({v.name: frame[v.name] for v in variables})
    incoming[table.target] = frame[target_column]
    used = {v.name for v in variables} | {target_column}
    for name in table.results:  # further result columns, when the file has them
        if name in frame.columns and name not in used:
            incoming[name] = frame[name]
            used.add(name)
    for column in frame.columns:
        key = str(column).lower()
        if column in used:
            continue
        if key == "noise":
            incoming[NOISE] = frame[column]
        elif key == "iteration":
            incoming[ITERATION] = frame[column]
        elif key in NOTE_ALIASES and NOTE not in incoming:
            incoming[NOTE] = frame[column]
        else:
            continue
        used.add(column)
    ignored = tuple(str(c) for c in frame.columns if c not in used)
    replaced = len(table.frame) if replace else 0
    if replace or len(table.frame) == 0:
        if len(table.frame) == 0 and table.target == DEFAULT_TARGET:
            # A fresh table takes the result column's own name, e.g. 'Yield'.
            table.target = target_column
            incoming = incoming.rename(columns={DEFAULT_TARGET: target_column})
        table.replace(incoming, variables)
    else:
        table.append(incoming, variables)
    problems = table.problems(variables)[-len(incoming):]
    return ImportReport(
        rows_added=len(incoming),
        target=table.target,
        ignored_columns=ignored,
        invalid_rows=sum(1 for p in problems if p),
        rows_replaced=replaced,
    )


def _is_side_column(name: Any) -> bool:
    return str(name).lower() in ("noise", "iteration", *NOTE_ALIASES)
