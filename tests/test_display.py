"""The precision a variable's values are shown with, and the step of its controls."""

from __future__ import annotations

import pytest

from alchemist.display import decimals_of, display_decimals, display_step, rounded
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable


@pytest.mark.parametrize(
    "value, decimals",
    [(80.0, 0), (0.125, 3), (404.0684519878572, 13), (1e-07, 7), (2.5e-05, 6), (1.5e20, 0), (float("nan"), 0)],
)
def test_decimals_of_a_written_number(value: float, decimals: int) -> None:
    assert decimals_of(value) == decimals


@pytest.mark.parametrize(
    "variable, decimals, step",
    [
        (ContinuousVariable("Temperature", low=300.0, high=500.0), 1, 0.1),  # 404.1 °C, not 404.0684519878572
        (ContinuousVariable("Fraction", low=0.0, high=1.0), 3, 0.001),  # 0.443
        (ContinuousVariable("Pressure", low=1000.0, high=90000.0), 0, 1.0),
        (ContinuousVariable("Dose", low=0.0, high=0.002), 6, 1e-06),
        (ContinuousVariable("Ratio", low=0.125, high=100.0), 3, 0.001),  # never fewer decimals than a bound
        (IntegerVariable("Cycles", low=1, high=200), 0, 1.0),
        (DiscreteVariable("SAR", values=(80.0, 280.0)), 0, 1.0),
        (DiscreteVariable("Loading", values=(0.5, 1.25, 2.0)), 2, 0.01),
        (CategoricalVariable("Catalyst", levels=("A", "B")), 0, 1.0),
    ],
)
def test_precision_and_step_follow_the_variable(variable, decimals: int, step: float) -> None:
    assert display_decimals(variable) == decimals
    assert display_step(variable) == pytest.approx(step)


def test_tiny_ranges_are_capped() -> None:
    assert display_decimals(ContinuousVariable("x", low=0.0, high=1e-9)) == 6


def test_rounded_to_the_shown_precision() -> None:
    assert rounded(ContinuousVariable("T", low=300.0, high=500.0), 404.0684519878572) == 404.1
    assert rounded(ContinuousVariable("f", low=0.0, high=1.0), 0.4434049300649497) == 0.443


def test_rounded_points_round_continuous_values_only_and_stay_in_bounds():
    import pandas as pd

    from alchemist.display import rounded_points
    from alchemist.variables import CategoricalVariable, ContinuousVariable, IntegerVariable

    variables = [ContinuousVariable("T", low=300.0, high=500.0), ContinuousVariable("x", low=0.0, high=1.0),
                 IntegerVariable("n", low=1, high=9),
                 CategoricalVariable("c", levels=("a", "b"))]
    points = pd.DataFrame({"T": [404.0684519878572, 499.99], "x": [0.4434049300649497, 0.99999],
                           "n": [3, 4], "c": ["a", "b"]})
    planned = rounded_points(variables, points)
    assert planned["T"].tolist() == [404.1, 500.0] and planned["x"].tolist() == [0.443, 1.0]
    assert planned["n"].tolist() == [3, 4] and planned["c"].tolist() == ["a", "b"]
    assert points["T"].tolist()[0] == 404.0684519878572  # the suggestions themselves are left as they are
