"""The incumbent: the best usable row of the experiment table for the goal."""

from __future__ import annotations

import pytest

from alchemist.errors import ModelError
from tests.experiment_support import VARIABLES, table_with


# -- the incumbent ----------------------------------------------------------------------------------
def test_incumbent_is_the_best_usable_row_for_the_goal():
    table = table_with(
        [
            {"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 0.4},
            {"Temperature": 999, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 9.0},  # invalid: out of range
            {"Temperature": 420, "Catalyst": "High SAR", "Cycles": 3, "Yield": 0.7},
            {"Temperature": 430, "Catalyst": "High SAR", "Cycles": 2, "Yield": None},  # pending
            {"Temperature": 360, "Catalyst": "Low SAR", "Cycles": 5, "Yield": 0.1},
            {"Temperature": 440, "Catalyst": "Low SAR", "Cycles": 4, "Yield": 0.7},  # ties with row 3
        ]
    )
    best = table.incumbent(VARIABLES, "maximize")
    assert best.row == 2 and best.result == 0.7, "the first of two equal results, never the invalid 9.0"
    assert best.values == {"Temperature": 420.0, "Catalyst": "High SAR", "Cycles": 3.0}
    lowest = table.incumbent(VARIABLES, "minimize")
    assert (lowest.row, lowest.result, lowest.values["Temperature"]) == (4, 0.1, 360.0)


def test_no_incumbent_without_a_usable_result():
    table = table_with([{"Temperature": 430, "Catalyst": "High SAR", "Cycles": 2, "Yield": None}])
    assert table.incumbent(VARIABLES, "maximize") is None
    with pytest.raises(ModelError, match="goal"):
        table.incumbent(VARIABLES, "sideways")
