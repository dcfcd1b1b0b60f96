"""What can be wrong with a cell of the experiment table, as data.

A row's status and its problems are typed values, never sentences: code decides on them
(a row is pending because its status is PENDING, not because its text starts with "pending"),
and the app words them for the screen. A variable named "pending time" can then never be
mistaken for a pending row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from alchemist.variables import Variable, is_missing, level_text, to_number

# The largest magnitude a result, a noise or a numeric setting may have. The model standardises
# its inputs and outputs (subtracts the mean, divides by the spread, squares differences): with
# |value| <= 1e12 a square stays near 1e24, far from float overflow, while 1e155 (a typo) would
# overflow to inf and make the saved session unreadable. No measured quantity in a lab needs more.
MAX_MAGNITUDE = 1e12


class RowStatus(StrEnum):
    """Whether a model can use a row."""

    OK = "ok"  # every cell fits and there is a result: the row trains the model
    PENDING = "pending"  # every cell fits, no result yet: an experiment still to run
    INVALID = "invalid"  # at least one cell does not fit; see its problems
    EXCLUDED = "excluded"  # fits, but the user excluded it from the model (kept, with a reason)


class ProblemKind(StrEnum):
    MISSING = "missing"  # an empty cell where a value is needed
    NOT_A_NUMBER = "not a number"  # text (or an infinite value) in a numeric column
    NOT_WHOLE = "not whole"  # a fraction where a whole number is needed
    OUT_OF_RANGE = "out of range"  # a number outside [low, high]
    NOT_A_LEVEL = "not a level"  # a categorical value that is not one of the levels
    NOT_ALLOWED = "not allowed"  # a number that is not one of a discrete variable's values
    NEGATIVE = "negative"  # a negative number where only zero or more makes sense
    TOO_LARGE = "too large"  # a number beyond MAX_MAGNITUDE (in size): more than the model can standardise


@dataclass(frozen=True)
class CellProblem:
    """One cell that does not fit: its column, what is wrong, and what would fit.

    `value` is the cell as stored (the raw text when it is not a number, else the number);
    `low`/`high` are set for OUT_OF_RANGE, `allowed` (levels or values) for NOT_A_LEVEL and
    NOT_ALLOWED.
    """

    column: str
    kind: ProblemKind
    value: Any = None
    low: float | None = None
    high: float | None = None
    allowed: tuple = ()


@dataclass(frozen=True)
class RowCheck:
    """A row's status and, when it is INVALID, every problem of the row in column order."""

    status: RowStatus
    problems: tuple[CellProblem, ...] = ()


def variable_problem(variable: Variable, value: Any) -> CellProblem | None:
    """Why `value` is not a valid setting of `variable`, or None when it is."""
    name = variable.name
    if is_missing(value):
        return CellProblem(name, ProblemKind.MISSING)
    if variable.kind == "categorical":
        if level_text(value) not in variable.levels:
            return CellProblem(name, ProblemKind.NOT_A_LEVEL, value, allowed=variable.levels)
        return None
    number = _as_number(name, value)
    if isinstance(number, CellProblem):
        return number
    if variable.kind == "discrete":
        if number not in variable.values:
            return CellProblem(name, ProblemKind.NOT_ALLOWED, number, allowed=variable.values)
        return None
    if variable.kind == "integer" and not number.is_integer():
        return CellProblem(name, ProblemKind.NOT_WHOLE, number)
    if number < variable.low or number > variable.high:
        return CellProblem(name, ProblemKind.OUT_OF_RANGE, number, low=variable.low, high=variable.high)
    return None


def _as_number(column: str, value: Any) -> float | CellProblem:
    """A present cell as a number the model can standardise, or the problem that stops it being one."""
    number = to_number(value)
    if number is None:
        return CellProblem(column, ProblemKind.NOT_A_NUMBER, value)
    if abs(number) > MAX_MAGNITUDE:
        return CellProblem(column, ProblemKind.TOO_LARGE, number, low=-MAX_MAGNITUDE, high=MAX_MAGNITUDE)
    return number


def number_problem(column: str, value: Any, *, negative: bool = True, whole: bool = False) -> CellProblem | None:
    """Why an optional numeric cell (result, noise, iteration) does not fit; an empty cell is fine.

    `negative=False` refuses numbers below zero; `whole=True` refuses fractions.
    """
    if is_missing(value):
        return None
    number = _as_number(column, value)
    if isinstance(number, CellProblem):
        return number
    if whole and not number.is_integer():
        return CellProblem(column, ProblemKind.NOT_WHOLE, number)
    if not negative and number < 0:
        return CellProblem(column, ProblemKind.NEGATIVE, number)
    return None
