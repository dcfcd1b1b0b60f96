"""Constraints on the inputs of an experiment, as data: what they are, which points break them,
and how to produce points that do not.

Kinds: LinearConstraint, MixtureConstraint, ForbiddenCombination, ConditionalRule. Each has
`validate(variables)` (VariableError), `to_state()`; `constraint_from_state` reads any kind back.
"""

from alchemist.constraints.base import ACTIVE_TOL, FEASIBILITY_TOL, Violation, ViolationKind
from alchemist.constraints.combinations import ForbiddenCombination
from alchemist.constraints.conditional import ConditionalRule
from alchemist.constraints.encoded import LinearSystem, encoded_linear_system
from alchemist.constraints.feasibility import is_feasible, violations
from alchemist.constraints.linear import LinearConstraint
from alchemist.constraints.mixture import MixtureConstraint
from alchemist.constraints.repair import project, project_encoded
from alchemist.constraints.search import maximize_constrained
from alchemist.constraints.sampling import constrained_design, feasible_candidates, maximin_subset, simplex_points
from alchemist.constraints.state import Constraint, constraint_from_state, constraints_from_state, validate_constraints

__all__ = [
    "ACTIVE_TOL",
    "ConditionalRule",
    "Constraint",
    "FEASIBILITY_TOL",
    "ForbiddenCombination",
    "LinearConstraint",
    "LinearSystem",
    "MixtureConstraint",
    "Violation",
    "ViolationKind",
    "constrained_design",
    "constraint_from_state",
    "constraints_from_state",
    "encoded_linear_system",
    "feasible_candidates",
    "is_feasible",
    "maximin_subset",
    "maximize_constrained",
    "project",
    "project_encoded",
    "simplex_points",
    "validate_constraints",
    "violations",
]
