"""Constraints on the inputs of an experiment, as data: what they are, which points break them,
and how to produce points that do not.

Kinds: LinearConstraint, MixtureConstraint, ForbiddenCombination, ConditionalRule. Each has
`validate(variables)` (VariableError) and `to_state()`; `constraint_from_state` reads any kind
back (SessionFileError). Tolerance: FEASIBILITY_TOL, relative to each constraint's scale.

Where each piece belongs once integrated:
- Session: keep a list of constraints; `validate_constraints(variables, constraints)` on every
  change of variables or constraints (and after loading, turning VariableError into
  SessionFileError); save `[c.to_state() for c in constraints]` in both file formats.
- Experiment table: `violations(table, variables, constraints)` flags rows (never drops them).
- Initial design: `constrained_design(variables, constraints, n, method, seed)` instead of
  `design.initial_design` when there are constraints.
- Suggestions and "best predicted": `maximize_constrained(score, encoder, constraints, rng,
  extra=local_candidates)` in place of `optimize._maximize`; it returns feasible encoded points,
  best first. A last guard before showing: `is_feasible(table, variables, constraints)`.
- Landscape: `is_feasible` on the grid's frame (other variables at their fixed values) gives
  the mask to shade.
- Lower level: `encoded_linear_system(encoder, constraints)` (A_ub u <= b_ub, A_eq u = b_eq on
  the encoder's columns, for SLSQP / trust-constr) and `project` / `project_encoded` (repair).
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
