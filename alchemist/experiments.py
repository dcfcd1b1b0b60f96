"""The experiment table: one row per experiment, checked cell by cell against the variables.

Cells are kept as the user gave them. A value that does not fit (an unknown level, text in a
numeric column, a number out of bounds, a gap) stays in the table and is reported with its
row, so nothing is ever dropped silently. Only rows without problems and with a result are
used to train a model; rows without a result are "pending".
"""

from __future__ import annotations

import hashlib
from functools import partial
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from alchemist.acquisition import check_goal
from alchemist import limits
from alchemist.errors import ExperimentError, LimitError, SessionFileError
from alchemist.plain import frame_from_state, frame_to_state
from alchemist.table_cells import (
    coerced, iteration_cell, note_cell, side_suspects, switch_cell, variable_suspects,
)
from alchemist.problems import CellProblem, RowCheck, RowStatus, number_problem, variable_problem
from alchemist.variables import RESERVED_COLUMNS, Variable, coerce_number, is_missing, level_text

DEFAULT_TARGET = "Output"
NOISE = "Noise"
ITERATION = "Iteration"
NOTE = "Note"
# The columns every table has besides one per variable: the result, then these three.
SIDE_COLUMNS = ("result", NOISE, ITERATION, NOTE)
# Present once any row was excluded from the model: a switch and its reason per row (issue 11).
EXCLUDED = "Excluded"
EXCLUSION_REASON = "Exclusion reason"
EXCLUSION_COLUMNS = (EXCLUDED, EXCLUSION_REASON)
MAX_REASON = 500
MAX_RESULT_COLUMNS = 8  # result columns besides the target (objectives.MAX_OBJECTIVES in all)

# ALchemist writes the reason for an experiment as "Reason"; we keep it as the row's note.
NOTE_ALIASES = ("note", "notes", "reason", "comment", "comments")


@dataclass(frozen=True)
class Incumbent:
    """The best experiment so far: its position in the table, its variable values and its result."""

    row: int
    values: dict[str, Any]
    result: float


def check_table_size(rows: int, variables: int) -> None:
    """Refuse a table of `rows` experiments over `variables` variables beyond the limits, before it is built.

    Checked on every path that makes a table (import, edit, pending rows, a new variable, load), so
    a table that was accepted can always be saved: the store applies the same limits.
    """
    bounds = limits.current()
    if rows > bounds.max_experiments:
        raise LimitError(
            f"A session can hold at most {bounds.max_experiments:,} experiments; this would make {rows:,}. "
            "Nothing was changed. Import fewer rows, or split the campaign into several sessions.",
            "max_experiments",
        )
    cells = rows * (variables + len(SIDE_COLUMNS))
    if cells > bounds.max_table_cells:
        raise LimitError(
            f"The experiment table would have {cells:,} cells (rows x columns); a session can hold at most "
            f"{bounds.max_table_cells:,}. Nothing was changed. Import fewer rows or use fewer variables.",
            "max_table_cells",
        )


class ExperimentTable:
    """The experiments of a session, in columns: variables, target, noise, iteration, note."""

    def __init__(
        self, variables: Sequence[Variable], target: str = DEFAULT_TARGET, frame: pd.DataFrame | None = None,
        results: Sequence[str] = (),
    ):
        self.target = target
        # Further result columns (objectives and outcome limits besides the target), in order.
        self.results: tuple[str, ...] = tuple(r for r in results if r != target)
        frame = frame if frame is not None else pd.DataFrame()
        # The exclusion columns appear with the first exclusion and then stay (an audit trail).
        self.has_exclusions = EXCLUDED in frame.columns
        # Text typed into numeric cells that is not a number: {column: {row: text}}. The frame holds
        # NaN there, so numeric columns stay numeric; cells() puts the text back for display and files.
        self.typed: dict[str, dict[int, str]] = {}
        self.frame = self._normalise(frame, variables)

    # -- shape -----------------------------------------------------------------------------
    def columns_for(self, variables: Sequence[Variable]) -> list[str]:
        extra = list(EXCLUSION_COLUMNS) if self.has_exclusions else []
        return [v.name for v in variables] + [self.target, *self.results, NOISE, ITERATION, NOTE, *extra]

    def _normalise(self, frame: pd.DataFrame, variables: Sequence[Variable]) -> pd.DataFrame:
        """Coerce every cell to its column's form; text that is not a number goes to self.typed, to be reported."""
        n = len(frame)
        self.has_exclusions = getattr(self, "has_exclusions", False) or EXCLUDED in frame.columns
        check_table_size(n, len(variables) + len(getattr(self, "results", ())) + 2 * self.has_exclusions)
        columns: dict[str, pd.Series] = {}
        typed: dict[str, dict[int, str]] = {}
        for variable in variables:
            columns[variable.name], typed[variable.name] = coerced(frame, variable.name, variable.coerce, variable.is_numeric)
        results = [(name, coerce_number) for name in (self.target, *getattr(self, "results", ()))]
        for name, cell in (*results, (NOISE, coerce_number), (ITERATION, iteration_cell)):
            columns[name], typed[name] = coerced(frame, name, cell, True)
        raw_notes = frame[NOTE] if NOTE in frame else [None] * n
        columns[NOTE] = pd.Series([note_cell(v) for v in raw_notes], dtype="object")
        if self.has_exclusions:
            raw = frame[EXCLUDED] if EXCLUDED in frame else [False] * n
            columns[EXCLUDED] = pd.Series([switch_cell(v) for v in raw], dtype=bool)
            raw = frame[EXCLUSION_REASON] if EXCLUSION_REASON in frame else [None] * n
            columns[EXCLUSION_REASON] = pd.Series([note_cell(v)[:MAX_REASON] for v in raw], dtype="object")
        self.typed = {name: rows for name, rows in typed.items() if rows}
        return pd.DataFrame(columns, index=pd.RangeIndex(n))

    def cells(self) -> pd.DataFrame:
        """The table as the user gave it: numbers, and the typed text of cells that are not numbers."""
        if not self.typed:
            return self.frame.copy()
        cells = self.frame.copy()
        for name, rows in self.typed.items():
            column = cells[name].astype(object)
            for row, text in rows.items():
                column.iat[row] = text
            cells[name] = column
        return cells

    def copy(self) -> "ExperimentTable":
        """An independent copy, to try a change on before it is applied."""
        table = ExperimentTable.__new__(ExperimentTable)
        table.target = self.target
        table.results = self.results
        table.has_exclusions = self.has_exclusions
        table.frame = self.frame.copy()
        table.typed = {name: dict(rows) for name, rows in self.typed.items()}
        return table

    def set_results(self, results: Sequence[str], variables: Sequence[Variable]) -> None:
        """The further result columns (besides the target); a new one starts empty, a dropped
        one loses its values (the caller confirms that)."""
        self.results = tuple(r for r in results if r != self.target)
        self.frame = self._normalise(self.cells(), variables)

    def set_excluded(self, row: int, excluded: bool, reason: str, variables: Sequence[Variable]) -> None:
        """Switch a row's exclusion from the model; the row itself is never touched."""
        if isinstance(row, bool) or not isinstance(row, (int, np.integer)) or not 0 <= row < len(self.frame):
            raise ExperimentError(f"There is no experiment in row {row}.")
        if not self.has_exclusions:
            self.has_exclusions = True
            self.frame = self._normalise(self.cells(), variables)
        self.frame.loc[int(row), EXCLUDED] = bool(excluded)
        self.frame.loc[int(row), EXCLUSION_REASON] = str(reason)[:MAX_REASON]

    def excluded_rows(self) -> np.ndarray:
        if not self.has_exclusions:
            return np.zeros(len(self.frame), dtype=bool)
        return self.frame[EXCLUDED].to_numpy(dtype=bool)

    def conform(self, variables: Sequence[Variable], renamed: dict[str, str] | None = None,
                fill: dict[str, Any] | None = None) -> None:
        """Follow a change of the variables: rename, add (empty, or filled with `fill[name]`) or drop columns, re-coerce cells."""
        frame = self.cells().rename(columns=renamed or {})
        for name, value in (fill or {}).items():
            if name not in frame:
                frame[name] = pd.Series([value] * len(frame), index=frame.index, dtype="object")
        self.frame = self._normalise(frame, variables)

    def replace(self, frame: pd.DataFrame, variables: Sequence[Variable]) -> None:
        self.frame = self._normalise(frame.reset_index(drop=True), variables)

    def append(self, frame: pd.DataFrame, variables: Sequence[Variable]) -> None:
        check_table_size(len(self.frame) + len(frame), len(variables))  # before any copy is made
        if len(self.frame) == 0:
            self.frame = self._normalise(frame.reset_index(drop=True), variables)
        else:
            combined = pd.concat([self.cells().astype(object), frame.reset_index(drop=True).astype(object)], ignore_index=True)
            self.frame = self._normalise(combined, variables)

    def __len__(self) -> int:
        return len(self.frame)

    # -- checks ----------------------------------------------------------------------------
    def problems(self, variables: Sequence[Variable]) -> list[list[CellProblem]]:
        """For each row, what keeps it from being used (an empty list when the row is fine)."""
        per_row: list[list[CellProblem]] = [[] for _ in range(len(self.frame))]
        target = self.target
        checks = [(self.frame[v.name], partial(variable_problem, v), variable_suspects(v, self.frame[v.name])) for v in variables]
        checks += [
            (self.frame[target], partial(number_problem, target), side_suspects(self.frame[target], negative=False, whole=False)),
            *[(self.frame[r], partial(number_problem, r), side_suspects(self.frame[r], negative=False, whole=False))
              for r in self.results],
            (self.frame[NOISE], partial(number_problem, NOISE, negative=False), side_suspects(self.frame[NOISE], negative=True, whole=False)),
            (self.frame[ITERATION], partial(number_problem, ITERATION, negative=False, whole=True),
             side_suspects(self.frame[ITERATION], negative=True, whole=True)),
        ]
        # Only cells a vectorised test cannot clear are checked one by one, with the same
        # per-cell check as always: a large table is checked in milliseconds.
        for series, check, suspects in checks:
            values = series.to_numpy()
            typed = self.typed.get(str(series.name))
            if typed:
                # The typed text is what is wrong with the cell, not the NaN that stands in for it.
                values = values.astype(object)
                suspects = suspects.copy()
                for row, text in typed.items():
                    values[row] = text
                    suspects[row] = True
            for i in np.flatnonzero(suspects):
                problem = check(values[i])
                if problem is not None:
                    per_row[i].append(problem)
        return per_row

    def check_rows(self, variables: Sequence[Variable]) -> list[RowCheck]:
        """Each row's status (ok, pending or invalid) with its problems."""
        targets = self.frame[self.target].tolist()
        excluded = self.excluded_rows()
        checks = []
        for problems, target, out in zip(self.problems(variables), targets, excluded):
            if problems:
                checks.append(RowCheck(RowStatus.INVALID, tuple(problems)))
            elif out:
                checks.append(RowCheck(RowStatus.EXCLUDED))
            else:
                checks.append(RowCheck(RowStatus.PENDING if is_missing(target) else RowStatus.OK))
        return checks

    def statuses(self, variables: Sequence[Variable]) -> list[RowStatus]:
        return [check.status for check in self.check_rows(variables)]

    def invalid_rows(self, variables: Sequence[Variable]) -> list[int]:
        """0-based positions of rows with problems."""
        return [i for i, p in enumerate(self.problems(variables)) if p]

    def training_rows(self, variables: Sequence[Variable]) -> np.ndarray:
        """Positions of rows that are valid and have a result."""
        statuses = self.statuses(variables)
        return np.array([i for i, s in enumerate(statuses) if s is RowStatus.OK], dtype=int)

    def incumbent(self, variables: Sequence[Variable], goal: str) -> Incumbent | None:
        """The usable experiment with the best result for `goal` (the first one on a tie); None without any."""
        check_goal(goal)
        rows = self.training_rows(variables)
        if not len(rows):
            return None
        X, y, _ = self.training_data(variables)
        best = int(np.argmax(y) if goal == "maximize" else np.argmin(y))
        return Incumbent(row=int(rows[best]), values=X.iloc[best].to_dict(), result=float(y[best]))

    def training_data(
        self, variables: Sequence[Variable], column: str | None = None
    ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
        """X (typed per variable), y and per-row noise (None when no row gives one).

        `column` names another result column (an objective); its rows are the usable ones
        where that column has a number. The noise column belongs to the target only.
        """
        rows = self.training_rows(variables)
        if column is not None and column != self.target:
            if column not in self.results:
                raise ExperimentError(f"'{column}' is not a result column.")
            values = pd.to_numeric(self.frame[column], errors="coerce").to_numpy(dtype=float)[rows]
            rows = rows[np.isfinite(values)]
        X = pd.DataFrame(index=range(len(rows)))
        for variable in variables:
            values = self.frame[variable.name].to_numpy()[rows]
            if variable.kind == "categorical":
                X[variable.name] = pd.Series([level_text(v) for v in values], dtype="object")
            else:
                X[variable.name] = np.asarray(values, dtype=float)
        y = np.asarray(self.frame[column or self.target].to_numpy()[rows], dtype=float)
        noise_values = self.frame[NOISE].to_numpy()[rows]
        noise = None
        if (column is None or column == self.target) and len(rows) and any(not is_missing(v) for v in noise_values):
            noise = np.array([0.0 if is_missing(v) else float(v) for v in noise_values])
        return X, y, noise

    def fingerprint(self, variables: Sequence[Variable]) -> str:
        """Hash of what a model trains on, to tell when a trained model is out of date."""
        return training_fingerprint(variables, *self.training_data(variables))


    # -- state -----------------------------------------------------------------------------
    def to_state(self) -> dict:
        # Typed text goes into the file in its cell: older files hold it the same way, and loading splits it off again.
        state = {"target": self.target, "table": frame_to_state(self.cells())}
        if self.results:  # absent when there is one result column: files stay as before
            state["results"] = list(self.results)
        return state

    @classmethod
    def from_state(cls, state: dict, variables: Sequence[Variable]) -> "ExperimentTable":
        if not isinstance(state, dict) or not isinstance(state.get("target"), str) or not state["target"]:
            raise SessionFileError("The experiments in the file name no target column.")
        results = state.get("results", [])
        if (not isinstance(results, list) or len(results) > MAX_RESULT_COLUMNS
                or not all(isinstance(r, str) and r.strip() for r in results) or len(set(results)) != len(results)):
            raise SessionFileError("The result columns of the experiments in the file are not a list of names.")
        if set(results) & ({v.name for v in variables} | set(RESERVED_COLUMNS) | set(EXCLUSION_COLUMNS)):
            raise SessionFileError("A result column in the file has the name of a variable or of a column the table uses.")
        table = cls(variables, state["target"], results=results)
        frame = frame_from_state(state.get("table"), "experiments")
        table.has_exclusions = EXCLUDED in frame.columns
        table.frame = table._normalise(frame, variables)
        return table


def training_fingerprint(variables: Sequence[Variable], X: pd.DataFrame, y: np.ndarray, noise: np.ndarray | None) -> str:
    """ExperimentTable.fingerprint of training data already read (reading it costs more than the hash)."""
    digest = hashlib.sha256()
    digest.update(repr([v.to_state() for v in variables]).encode())
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    if noise is not None:
        digest.update(noise.tobytes())
    return digest.hexdigest()
