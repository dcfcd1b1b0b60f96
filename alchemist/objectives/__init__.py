"""Several objectives: definitions, Pareto fronts, hypervolume, its expected improvement, the
probability of meeting outcome limits, and picking a point of a front by a target.

Numpy and scipy only. Conventions: values are (n, m) arrays in target units, one column per
optimised objective in the order of the objectives; directions are "maximize" / "minimize".

Where each piece belongs once integrated:
- Session: `set_objectives([Objective(...), ...])` checked by `check_objectives`, saved as
  `[o.to_state() for o in objectives]`, read by `objectives_from_state`; one GP per result column.
- Suggestions: score = EHVI(mean, std, front, reference, directions, pending) times the
  probability of feasibility of the limited columns (in log form for the optimiser:
  log EHVI + `log_probability_of_feasibility`), maximised by constraints.maximize_constrained;
  `front` = the models' posterior means at the measured points (noise), `reference` =
  `default_reference(measured values, objectives)`; batches: condition each model on its
  prediction at the chosen point and pass the chosen means as `pending`. Report
  `probability_of_feasibility` with each suggestion.
- Pareto page: `pareto_front` on measured and on predicted points; `pick_on_front` for
  "cheapest with yield >= 80" (PickRule("Cost", at_least={"Yield": 80})); `hypervolume` for a
  progress curve.
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
