"""Constraints as plain data and back, and the checks that span a whole list of constraints."""

from __future__ import annotations

from typing import Any, Sequence, Union

from alchemist.constraints.combinations import ForbiddenCombination
from alchemist.constraints.conditional import ConditionalRule
from alchemist.constraints.linear import LinearConstraint
from alchemist.constraints.mixture import MixtureConstraint
from alchemist.errors import AlchemistError, SessionFileError, VariableError
from alchemist.variables import Variable

Constraint = Union[LinearConstraint, MixtureConstraint, ForbiddenCombination, ConditionalRule]

MAX_CONSTRAINTS = 200

_CLASSES = {cls.kind: cls for cls in (LinearConstraint, MixtureConstraint, ForbiddenCombination, ConditionalRule)}


def constraint_from_state(state: Any) -> Constraint:
    """The constraint a `to_state()` mapping describes; SessionFileError when it is not valid.

    Only the shape of one constraint is checked here; whether it fits the session's variables is
    `validate_constraints(variables, constraints)`, which the session should call after loading
    its variables (and turn a VariableError into a SessionFileError).
    """
    if not isinstance(state, dict):
        raise SessionFileError("A saved constraint is not a mapping.")
    kind = state.get("kind")
    cls = _CLASSES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise SessionFileError(f"A saved constraint has an unknown kind '{str(state.get('kind'))[:40]}'.")
    try:
        return cls.from_plain(state)
    except AlchemistError as error:
        raise SessionFileError(f"A saved constraint is not valid: {error.message}") from None
    except (TypeError, ValueError, AttributeError):
        raise SessionFileError("A saved constraint is not valid.") from None


def constraints_from_state(state: Any) -> list[Constraint]:
    if not isinstance(state, list):
        raise SessionFileError("The saved constraints are not a list.")
    if len(state) > MAX_CONSTRAINTS:
        raise SessionFileError(f"A session holds at most {MAX_CONSTRAINTS} constraints.")
    return [constraint_from_state(item) for item in state]


def validate_constraints(variables: Sequence[Variable], constraints: Sequence[Constraint]) -> None:
    """Raise VariableError unless each constraint fits the variables and, together, they leave at
    least one allowed point (a level combination and a point of the linear polytope)."""
    if len(constraints) > MAX_CONSTRAINTS:
        raise VariableError(f"A session holds at most {MAX_CONSTRAINTS} constraints.")
    for constraint in constraints:
        if not isinstance(constraint, tuple(_CLASSES.values())):
            raise VariableError("Unknown kind of constraint.")
    # Joint feasibility needs the sampler's machinery; imported here to keep this module light.
    from alchemist.constraints.space import ConstrainedSpace

    ConstrainedSpace(variables, constraints).check_feasible()
