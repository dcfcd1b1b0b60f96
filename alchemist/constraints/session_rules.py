"""A session's constraints: kept valid as its variables change, saved with it, and applied to its
experiments (flagged, never dropped) and to every point it produces (a last guard).

The session (alchemist.session) delegates here so that it holds only thin methods.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from alchemist.constraints.base import FEASIBILITY_TOL, Violation
from alchemist.constraints.feasibility import is_feasible, violations
from alchemist.constraints.state import Constraint, constraint_from_state, constraints_from_state, validate_constraints
from alchemist.errors import ModelError, SessionFileError, VariableError
from alchemist.variables import Variable

# Relative to a variable's range: far below FEASIBILITY_TOL, so snapping cannot break a constraint
# by more than it allows, and far above an optimiser's rounding residue.
SNAP = 1e-9


def with_constraint(variables: Sequence[Variable], constraints: Sequence[Constraint], new: Constraint) -> list[Constraint]:
    """The list with `new` appended, checked against the variables (VariableError otherwise)."""
    if not isinstance(new, Constraint.__args__):  # type: ignore[attr-defined]
        raise VariableError("This is not a constraint (linear, mixture, forbidden combination or rule).")
    if new in constraints:
        raise VariableError("This constraint is already defined.")
    updated = [*constraints, new]
    validate_constraints(variables, updated)
    return updated


def without_constraint(constraints: Sequence[Constraint], which: int | Constraint) -> list[Constraint]:
    """The list without the constraint at position `which` (or equal to it)."""
    updated = list(constraints)
    if isinstance(which, bool) or not isinstance(which, int):
        if which not in updated:
            raise VariableError("There is no such constraint.")
        updated.remove(which)
        return updated
    if not 0 <= which < len(updated):
        raise VariableError(f"There is no constraint number {which + 1}.")
    del updated[which]
    return updated


def renamed(constraints: Sequence[Constraint], old: str, new: str) -> list[Constraint]:
    """The constraints with the variable `old` called `new` (a variable was renamed)."""
    if old == new:
        return list(constraints)
    out = []
    for constraint in constraints:
        state = constraint.to_state()
        for key in ("coefficients", "levels"):
            if key in state:
                state[key] = {new if name == old else name: value for name, value in state[key].items()}
        if "components" in state:
            state["components"] = [new if name == old else name for name in state["components"]]
        for key in ("if_variable", "then_variable"):
            if state.get(key) == old:
                state[key] = new
        out.append(constraint_from_state(state))
    return out


def check_variable_change(variables: Sequence[Variable], constraints: Sequence[Constraint]) -> None:
    """Raise VariableError, naming the constraint, when the new variables no longer fit one."""
    for number, constraint in enumerate(constraints, start=1):
        try:
            constraint.validate(variables)
        except VariableError as error:
            label = f"'{constraint.name}'" if constraint.name else f"number {number}"
            raise VariableError(
                f"Constraint {label} would no longer fit: {error.message} Change or remove the constraint first."
            ) from None
    if constraints:
        validate_constraints(variables, constraints)


def row_violations(frame: pd.DataFrame, variables: Sequence[Variable], constraints: Sequence[Constraint]) -> list[list[Violation]]:
    """Per experiment, the constraints it breaks (it still trains the model: a flag, not a drop).
    Cells that do not fit their variable are not judged here (the row is invalid already)."""
    if not constraints or not len(frame):
        return [[] for _ in range(len(frame))]
    return violations(frame, variables, constraints)


def guard_points(frame: pd.DataFrame, variables: Sequence[Variable], constraints: Sequence[Constraint]) -> pd.DataFrame:
    """The last step before points are shown. Continuous values within SNAP of a bound (an
    optimiser's 4e-12 for a component that is really absent) are put on the bound, then every
    point is checked: ModelError when any breaks a constraint by more than FEASIBILITY_TOL. The
    searches only return feasible points; this catches a regression."""
    if not constraints or not len(frame):
        return frame
    frame = frame.copy()
    for variable in variables:
        if variable.kind == "continuous" and variable.name in frame:
            values = pd.to_numeric(frame[variable.name], errors="coerce").to_numpy(dtype=float)
            span = variable.high - variable.low
            values = np.where(np.abs(values - variable.low) <= SNAP * span, variable.low, values)
            values = np.where(np.abs(values - variable.high) <= SNAP * span, variable.high, values)
            frame[variable.name] = values
    ok = is_feasible(frame, variables, constraints, FEASIBILITY_TOL)
    if not ok.all():
        raise ModelError(f"Suggested points break a constraint ({int((~ok).sum())} of {len(ok)}); nothing was suggested.")
    return frame


def constraints_to_state(constraints: Sequence[Constraint]) -> list[dict]:
    return [c.to_state() for c in constraints]


def session_constraints_from_state(state: Any, variables: Sequence[Variable]) -> list[Constraint]:
    """The saved constraints (absent: none), checked against the saved variables."""
    if state is None:
        return []
    constraints = constraints_from_state(state)
    if not constraints:
        return []
    try:
        validate_constraints(variables, constraints)
    except VariableError as error:
        raise SessionFileError(f"The constraints in the file do not fit its variables: {error.message}") from None
    return constraints
