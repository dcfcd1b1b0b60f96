"""What every constraint kind shares: the tolerance, the violation record, and checks of the
variables a constraint names.

A constraint is a frozen value object. It names variables by their names and is checked
against a list of variables with `validate(variables)`, which raises VariableError; the same
object may therefore be built before its variables exist (from a file) and checked later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from alchemist.errors import VariableError
from alchemist.variables import Variable, level_text, to_number

# A point violates a constraint when it misses it by more than this fraction of the
# constraint's own scale (for a linear constraint sum |a_i| * (high_i - low_i), for a mixture
# its total, for a conditional range the variable's range). Relative, so that a constraint in
# grams and one in tonnes are held to the same standard; 1e-6 is far above the rounding of
# doubles (1e-16) and far below any difference a chemist can weigh out.
FEASIBILITY_TOL = 1e-6

# A mixture component counts as non-zero (active) above this fraction of its range.
ACTIVE_TOL = FEASIBILITY_TOL

MAX_CONSTRAINT_NAME = 100
MAX_TERMS = 100  # variables in one linear constraint or mixture
MAX_COEFFICIENT = 1e12  # beyond this the encoded rows are badly conditioned


class ViolationKind(str, Enum):
    """Which rule a point breaks."""

    LINEAR = "linear"  # a linear inequality or equality
    MIXTURE_TOTAL = "mixture_total"  # the components do not sum to the total
    MIXTURE_ACTIVE = "mixture_active"  # more non-zero components than allowed
    FORBIDDEN = "forbidden"  # a forbidden combination of levels
    CONDITIONAL = "conditional"  # a conditional rule's consequence is not met


@dataclass(frozen=True)
class Violation:
    """One row's breach of one constraint.

    `constraint` is the index of the constraint in the list that was checked; `amount` is by
    how much, in the constraint's own units (for a linear constraint lhs - rhs, for a mixture
    |sum - total|, for cardinality the number of components too many, 1.0 for a forbidden
    combination); `relative` is the amount divided by the constraint's scale, the number that
    is compared with the tolerance.
    """

    constraint: int
    kind: ViolationKind
    amount: float
    relative: float


@dataclass(frozen=True)
class Residual:
    """A constraint's breach over all rows at once (internal currency of `violations`)."""

    kind: ViolationKind
    amount: np.ndarray  # >= 0, 0 where the row complies or cannot be judged
    relative: np.ndarray


def clean_label(name: Any) -> str:
    """An optional free-text name of a constraint ("thermal_exposure")."""
    if name is None:
        return ""
    if not isinstance(name, str):
        raise VariableError("A constraint's name must be text.")
    name = name.strip()
    if len(name) > MAX_CONSTRAINT_NAME:
        raise VariableError(f"A constraint's name is longer than {MAX_CONSTRAINT_NAME} characters.")
    return name


def finite(value: Any, what: str) -> float:
    """A finite float, refusing booleans and text that merely looks numeric."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise VariableError(f"The {what} must be a number.")
    number = float(value)
    if not math.isfinite(number):
        raise VariableError(f"The {what} must be a finite number.")
    return number


def variable_names(names: Any, what: str) -> tuple[str, ...]:
    """Distinct variable names, in order, from a list (not a bare string)."""
    if isinstance(names, (str, bytes)) or not isinstance(names, Iterable):
        raise VariableError(f"The {what} must be a list of variable names.")
    cleaned: list[str] = []
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise VariableError(f"The {what} must be variable names (text).")
        if name.strip() in cleaned:
            raise VariableError(f"The {what} names '{name.strip()}' twice.")
        cleaned.append(name.strip())
    if len(cleaned) > MAX_TERMS:
        raise VariableError(f"The {what} may name at most {MAX_TERMS} variables.")
    return tuple(cleaned)


def lookup(variables: Sequence[Variable], names: Iterable[str], kinds: tuple[str, ...], role: str) -> list[Variable]:
    """The named variables, checking that each exists and is of an allowed kind."""
    by_name = {v.name: v for v in variables}
    found = []
    for name in names:
        if name not in by_name:
            raise VariableError(f"The {role} names '{name}', which is not a variable.")
        variable = by_name[name]
        if variable.kind not in kinds:
            raise VariableError(
                f"The {role} uses '{name}', a {variable.kind} variable; it accepts only {' or '.join(kinds)} variables."
            )
        found.append(variable)
    return found


def level_of(variable: Variable, value: Any, role: str) -> str | float:
    """A level of a categorical variable (text) or an allowed value of a discrete one (float)."""
    if variable.kind == "categorical":
        text = level_text(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
        if text not in variable.levels:
            raise VariableError(f"The {role} uses '{value}', which is not a level of '{variable.name}'.")
        return text
    number = to_number(value)
    if number is None or number not in variable.values:
        raise VariableError(
            f"The {role} uses '{value}', which is not an allowed value of '{variable.name}' ({variable.describe()})."
        )
    return number


def plain_level(value: Any, what: str) -> str | float:
    """A level as given before validation: text or a finite number."""
    if isinstance(value, str):
        if not value.strip():
            raise VariableError(f"The {what} is empty.")
        return value.strip()
    return finite(value, what)


def column_values(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as floats; entries that are not numbers become NaN (not judged)."""
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)


def level_matches(frame: pd.DataFrame, variable: Variable, level: str | float) -> np.ndarray:
    """Per row: does the variable take this level? Missing cells never match."""
    if variable.kind == "categorical":
        return np.array([_is_level(cell, level) for cell in frame[variable.name].tolist()], dtype=bool)
    values = column_values(frame, variable.name)
    span = variable.high - variable.low
    with np.errstate(invalid="ignore"):
        return np.abs(values - float(level)) <= FEASIBILITY_TOL * span


def _is_level(cell: Any, level: str | float) -> bool:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return False
    return level_text(cell) == level


def unfrozen(value: Any) -> Any:
    """A tuple of (name, value) pairs (the frozen form a constraint keeps) as a mapping again, so
    that `replace()` and copies of a constraint pass through its own validation; else as is."""
    if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        return dict(value)
    return value


def coefficient_map(coefficients: Any, what: str) -> tuple[tuple[str, float], ...]:
    """Sorted-by-input (name, coefficient) pairs from a mapping; zero terms are dropped."""
    if not isinstance(coefficients, Mapping):
        raise VariableError(f"The {what} must map variable names to numbers.")
    names = variable_names(list(coefficients.keys()), what)
    pairs = []
    for raw_name, name in zip(coefficients.keys(), names):
        value = finite(coefficients[raw_name], f"coefficient of '{name}'")
        if abs(value) > MAX_COEFFICIENT:
            raise VariableError(f"The coefficient of '{name}' is larger than {MAX_COEFFICIENT:g}.")
        if value != 0.0:
            pairs.append((name, value))
    if not pairs:
        raise VariableError(f"The {what} needs at least one non-zero coefficient.")
    return tuple(pairs)
