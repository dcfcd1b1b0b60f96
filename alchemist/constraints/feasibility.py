"""Which rows of a table break which constraint, as data.

For checks on recorded experiments (flag, never drop), on suggestions before they are shown,
and for tests. A cell that is missing or not a number is not judged here: the variable's own
check (alchemist.variables) reports it. Bounds of single variables are not checked here either.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from alchemist.constraints.base import FEASIBILITY_TOL, Residual, Violation
from alchemist.errors import VariableError
from alchemist.variables import Variable


def _residuals(frame: pd.DataFrame, variables: Sequence[Variable], constraints: Sequence[object]) -> list[list[Residual]]:
    missing = sorted({name for c in constraints for name in c.variables_used if name not in frame.columns})
    if missing:
        raise VariableError(f"The table has no column for: {', '.join(missing)}.")
    frame = frame.reset_index(drop=True)
    return [c.residuals(frame, variables) for c in constraints]


def violations(
    frame: pd.DataFrame, variables: Sequence[Variable], constraints: Sequence[object], tol: float = FEASIBILITY_TOL
) -> list[list[Violation]]:
    """Per row of `frame` (in order), the constraints it breaks by more than `tol` (relative).

    `frame` has one column per variable, in the variables' own units; extra columns are
    ignored. Each Violation names the index of the constraint in `constraints`, its kind and
    the amount. Raises VariableError when a constraint does not fit the variables or a column
    is missing. The session should call this on the experiment table to flag rows (they still
    train the model), and on every suggestion as a last guard.
    """
    out: list[list[Violation]] = [[] for _ in range(len(frame))]
    for index, residuals in enumerate(_residuals(frame, variables, constraints)):
        for residual in residuals:
            for row in np.flatnonzero(residual.relative > tol):
                out[row].append(Violation(index, residual.kind, float(residual.amount[row]), float(residual.relative[row])))
    return out


def is_feasible(
    frame: pd.DataFrame, variables: Sequence[Variable], constraints: Sequence[object], tol: float = FEASIBILITY_TOL
) -> np.ndarray:
    """Boolean array: True where a row breaks no constraint by more than `tol` (relative)."""
    ok = np.ones(len(frame), dtype=bool)
    for residuals in _residuals(frame, variables, constraints):
        for residual in residuals:
            ok &= residual.relative <= tol
    return ok
