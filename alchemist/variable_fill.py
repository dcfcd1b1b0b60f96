"""A new variable in a campaign that already has experiments: the value those experiments were run at.

The existing rows have no value for a variable added later. Left empty, every one of them would
need attention and leave the model at once, with nothing said. So adding a variable to a table
with rows asks first (NeedsFillValue): the value they were run at (checked by the variable's own
rules), or "not recorded" (the rows then need attention and are left out of the model until a
value is filled in).
"""

from __future__ import annotations

from typing import Any

from alchemist.errors import AlchemistError, VariableError
from alchemist.problems import CellProblem
from alchemist.variables import Variable, is_missing


class NeedsFillValue(AlchemistError):
    """Adding `variable` to a table of `rows` experiments needs a value for them, or the choice "not recorded"."""

    def __init__(self, variable: str, rows: int):
        super().__init__(f"The existing experiments ({rows:,}) have no value for '{variable}'.")
        self.variable = variable
        self.rows = rows


class FillValueError(VariableError):
    """The value given for the existing rows does not fit the new variable; `problem` says why."""

    def __init__(self, problem: CellProblem):
        super().__init__(f"The value for the existing experiments does not fit '{problem.column}'.")
        self.problem = problem


def fill_value(variable: Variable, raw: Any) -> Any:
    """`raw` (typed by the user) as a cell of `variable`; FillValueError when it breaks the variable's rules."""
    value = variable.coerce(raw)
    problem = variable.check(value)
    if problem is not None:
        raise FillValueError(problem)
    return value


def needs_fill(rows: int, fill: Any, not_recorded: bool) -> bool:
    """Whether adding a variable must ask first: there are rows, and neither a value nor "not recorded" was given."""
    return rows > 0 and is_missing(fill) and not not_recorded
