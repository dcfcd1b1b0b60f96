"""Constraints on the inputs of an experiment, as data: what they are, which points break them,
and how to produce points that do not.

Kinds: LinearConstraint, MixtureConstraint, ForbiddenCombination, ConditionalRule. Each has
`validate(variables)` (VariableError) and `to_state()`; `constraint_from_state` reads any kind
back (SessionFileError). Tolerance: FEASIBILITY_TOL, relative to each constraint's scale.

Where each piece is used (issue 11):
- Session (alchemist.campaign_rules, via session_rules.py): `session.add_constraint(c)`,
  `remove_constraint`, `constraints`; checked on every change of the variables (a renamed
  variable is followed, a deletion that would break one is refused) and after loading; saved as
  `[c.to_state() for c in constraints]` in both file formats (absent key: none).
- Experiment table: `session.constraint_violations()` flags rows (they still train the model).
- Initial design: `design.initial_design(..., constraints=...)` / `session.initial_design`
  calls `constrained_design`: space-filling on the allowed set and on a mixture's simplex.
- Suggestions: `optimize.suggest(..., constraints=...)` branches into `maximize_constrained`
  (optimize.constrained_choice), as does the several-objective search
  (alchemist.objectives.suggest); `session_rules.guard_points` checks every suggestion with
  `is_feasible` before it is shown.
- Landscape: `landscape.prediction_grid(..., constraints=...)` adds the FEASIBLE mask.
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
