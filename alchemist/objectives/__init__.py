"""Several objectives: definitions, Pareto fronts, hypervolume, its expected improvement, the
probability of meeting outcome limits, and picking a point of a front by a target.

Numpy and scipy only. Conventions: values are (n, m) arrays in target units, one column per
optimised objective in the order of the objectives; directions are "maximize" / "minimize".

Where each piece is used (issue 11):
- Session: `session.set_objectives([Objective(...), ...])` (checked by campaign.py, saved as
  `[o.to_state() for o in objectives]`); result columns besides the target are kept in the
  experiment table; a model per column (campaign.objective_models).
- Suggestions (suggest.py): log EHVI (several objectives) or log EI (one) plus
  `log_probability_of_feasibility` for the limited columns, maximised by alchemist.optimize's
  search (with input constraints by constraints.maximize_constrained); the front is the models'
  means at the measured points that are expected to meet the limits (noise); batches and pending
  points by the kriging believer. Each suggestion reports its probability of meeting the limits.
- Pareto page: `session.pareto_front()` (measured) and campaign.predicted_objectives
  (predicted); `pick_on_front` for "cheapest with yield >= 80"
  (PickRule("Cost", at_least={"Yield": 80})); `hypervolume` for a progress curve.
"""

from alchemist.objectives.ehvi import (
    expected_hypervolume_improvement,
    greedy_batch,
    log_expected_hypervolume_improvement,
    log_probability_of_feasibility,
    probability_of_feasibility,
)
from alchemist.objectives.hypervolume import hypervolume, hypervolume_improvement, nondominated_boxes
from alchemist.objectives.objective import (
    Objective,
    ObjectiveError,
    as_maximization,
    check_objectives,
    default_reference,
    objectives_from_state,
)
from alchemist.objectives.pareto import pareto_front
from alchemist.objectives.picking import Pick, PickReason, PickRule, pick_on_front

__all__ = [
    "Objective",
    "ObjectiveError",
    "Pick",
    "PickReason",
    "PickRule",
    "as_maximization",
    "check_objectives",
    "default_reference",
    "expected_hypervolume_improvement",
    "greedy_batch",
    "hypervolume",
    "hypervolume_improvement",
    "log_expected_hypervolume_improvement",
    "log_probability_of_feasibility",
    "nondominated_boxes",
    "objectives_from_state",
    "pareto_front",
    "pick_on_front",
    "probability_of_feasibility",
]
