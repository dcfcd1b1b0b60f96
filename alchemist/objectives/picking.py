"""Pick one point of a front by a target: "the cheapest recipe with yield at least 80"."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from alchemist.objectives.objective import Objective, ObjectiveError, finite_limit
from alchemist.objectives.pareto import pareto_front

TIE_TOL = 1e-12  # relative: target values this close count as equal, and the others decide


class PickReason(str, Enum):
    PICKED = "picked"
    EMPTY = "empty"  # no row has values for the target and the limited columns
    NONE_MEETS_LIMITS = "none_meets_limits"


@dataclass(frozen=True)
class PickRule:
    """Optimise `target` (in its objective's direction) among rows meeting the limits.

    `at_least` / `at_most` map result columns to limits: PickRule("Cost", at_least={"Yield": 80}).
    """

    target: str
    at_least: Mapping[str, float] = field(default_factory=dict)
    at_most: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for what in ("at_least", "at_most"):
            limits = getattr(self, what)
            if not isinstance(limits, Mapping):
                raise ObjectiveError("The limits of a pick must map result columns to numbers.")
            object.__setattr__(self, what, {str(k): finite_limit(v, f"limit on '{k}'") for k, v in limits.items()})

    def to_state(self) -> dict:
        return {"target": self.target, "at_least": dict(self.at_least), "at_most": dict(self.at_most)}


@dataclass(frozen=True)
class Pick:
    """The chosen row label of the front (None when nothing fits), why, and how many rows met
    the limits."""

    index: Any
    reason: PickReason
    n_meeting: int


def pick_on_front(front: pd.DataFrame, objectives: Sequence[Objective], rule: PickRule) -> Pick:
    """The row of `front` (measured or predicted points, one column per objective) that is best
    in the rule's target among the rows meeting its limits; ties go to a row not dominated in
    the optimised objectives. Returns the row's index label, or None with the reason.

    Raises ObjectiveError when the target is not an optimised objective or a column is missing.
    """
    by_name = {o.name: o for o in objectives}
    target = by_name.get(rule.target)
    if target is None or not target.is_optimized:
        raise ObjectiveError(f"'{rule.target}' is not an objective with a direction.")
    limited = set(rule.at_least) | set(rule.at_most)
    needed = [rule.target, *sorted(limited)]
    missing = [name for name in needed if name not in front.columns]
    if missing:
        raise ObjectiveError(f"The front has no column for: {', '.join(missing)}.")
    values = front[needed].apply(pd.to_numeric, errors="coerce")
    usable = values.notna().all(axis=1).to_numpy()
    if not usable.any():
        return Pick(None, PickReason.EMPTY, 0)
    meets = usable.copy()
    for name, low in rule.at_least.items():
        meets &= (values[name] >= low).to_numpy()
    for name, high in rule.at_most.items():
        meets &= (values[name] <= high).to_numpy()
    if not meets.any():
        return Pick(None, PickReason.NONE_MEETS_LIMITS, 0)
    score = target.sign * values[rule.target].to_numpy(dtype=float)
    best = np.max(score[meets])
    tied = meets & (score >= best - TIE_TOL * max(abs(best), 1.0))
    optimized = [o for o in objectives if o.is_optimized and o.name in front.columns]
    rows = np.flatnonzero(tied)
    Y = front.iloc[rows][[o.name for o in optimized]].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    on_front = pareto_front(Y, [o.direction for o in optimized])
    chosen = rows[int(np.argmax(on_front))] if on_front.any() else rows[0]
    return Pick(front.index[chosen], PickReason.PICKED, int(meets.sum()))
