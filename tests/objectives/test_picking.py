"""Picking a point of a front by a target."""

from __future__ import annotations

import pandas as pd
import pytest

from alchemist.objectives import Objective, ObjectiveError, PickReason, PickRule, pick_on_front

OBJECTIVES = [Objective("Yield", "maximize"), Objective("Cost", "minimize")]
FRONT = pd.DataFrame(
    {"Yield": [95.0, 85.0, 80.0, 70.0, 80.0], "Cost": [40.0, 25.0, 20.0, 10.0, 20.0]},
    index=["r1", "r2", "r3", "r4", "r5"],
)


def test_the_cheapest_recipe_with_enough_yield():
    pick = pick_on_front(FRONT, OBJECTIVES, PickRule("Cost", at_least={"Yield": 80}))
    assert (pick.index, pick.reason, pick.n_meeting) == ("r3", PickReason.PICKED, 4)
    assert pick_on_front(FRONT, OBJECTIVES, PickRule("Yield", at_most={"Cost": 30})).index == "r2"
    assert pick_on_front(FRONT, OBJECTIVES, PickRule("Yield")).index == "r1"


def test_ties_in_the_target_go_to_a_point_not_dominated_in_the_others():
    front = FRONT.copy()
    front.loc["r3", "Yield"] = 79.0  # r3 and r5 cost the same; r5 now yields more
    assert pick_on_front(front, OBJECTIVES, PickRule("Cost", at_least={"Yield": 75})).index == "r5"


def test_nothing_to_pick_says_why():
    none = pick_on_front(FRONT, OBJECTIVES, PickRule("Cost", at_least={"Yield": 99}))
    assert (none.index, none.reason, none.n_meeting) == (None, PickReason.NONE_MEETS_LIMITS, 0)
    empty = pick_on_front(FRONT.iloc[:0], OBJECTIVES, PickRule("Cost"))
    assert (empty.index, empty.reason) == (None, PickReason.EMPTY)


def test_unknown_targets_and_columns_are_refused():
    with pytest.raises(ObjectiveError, match="not an objective"):
        pick_on_front(FRONT, OBJECTIVES, PickRule("Purity"))
    with pytest.raises(ObjectiveError, match="no column"):
        pick_on_front(FRONT, OBJECTIVES, PickRule("Cost", at_least={"Purity": 0.9}))
    with pytest.raises(ObjectiveError):
        PickRule("Cost", at_least={"Yield": "high"})
