"""Several objectives: definitions, Pareto fronts, hypervolume, its expected improvement, the
probability of meeting outcome limits, and picking a point of a front by a target."""

from alchemist.objectives.ehvi import (
    expected_hypervolume_improvement,
    greedy_batch,
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
    "log_probability_of_feasibility",
    "nondominated_boxes",
    "objectives_from_state",
    "pareto_front",
    "pick_on_front",
    "probability_of_feasibility",
]
