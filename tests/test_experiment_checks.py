"""Cell checks of the experiment table as data: side columns, discrete values, every numeric column in bulk."""

from __future__ import annotations

import pandas as pd

from alchemist.experiment_import import import_frame
from alchemist.experiments import ITERATION, NOISE, ExperimentTable
from alchemist.problems import CellProblem, ProblemKind, RowStatus
from alchemist.variables import ContinuousVariable, DiscreteVariable, IntegerVariable
from tests.experiment_support import VARIABLES, table_with


def test_side_columns_are_checked_too():
    table = table_with(
        [
            {"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 1.0, "Noise": -0.1, "Iteration": 1},
            {"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 1.0, "Noise": "big", "Iteration": 1.5},
            {"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 1.0, "Noise": 0.01, "Iteration": 2},
        ]
    )
    assert table.problems(VARIABLES) == [
        [CellProblem(NOISE, ProblemKind.NEGATIVE, -0.1)],
        [CellProblem(NOISE, ProblemKind.NOT_A_NUMBER, "big"), CellProblem(ITERATION, ProblemKind.NOT_WHOLE, 1.5)],
        [],
    ]
    assert table.statuses(VARIABLES) == [RowStatus.INVALID, RowStatus.INVALID, RowStatus.OK]
    X, y, noise = table.training_data(VARIABLES)
    assert noise.tolist() == [0.01]


def test_discrete_variable_checks_in_table():
    variables = [DiscreteVariable("SAR", values=(80, 280)), ContinuousVariable("T", low=0, high=1)]
    table = ExperimentTable(variables)
    import_frame(table, pd.DataFrame({"SAR": [80, "280", 81], "T": [0.5, 0.5, 0.5], "y": [1, 2, 3]}), variables, "y")
    assert table.statuses(variables) == [RowStatus.OK, RowStatus.OK, RowStatus.INVALID]
    assert table.problems(variables)[2] == [CellProblem("SAR", ProblemKind.NOT_ALLOWED, 81.0, allowed=(80.0, 280.0))]


def test_all_numeric_columns_are_checked_in_bulk_with_hand_worked_answers() -> None:
    """Float columns are screened in bulk; each expected problem below is worked out by hand."""
    variables = [
        ContinuousVariable("T", low=0, high=10),
        IntegerVariable("n", low=1, high=5),
        DiscreteVariable("d", values=(80, 280)),
    ]
    inf, nan = float("inf"), float("nan")
    frame = pd.DataFrame(
        {
            "T": [1.0, 11.0, -inf, nan, 5.0, 10.0],
            "n": [1.0, 2.5, 6.0, 3.0, nan, 5.0],
            "d": [80.0, 81.0, 280.0, nan, 280.0, 80.0],
            "Output": [0.1, inf, 0.3, 0.4, nan, 0.6],
            "Noise": [0.0, -1.0, nan, 0.2, 0.1, inf],
            "Iteration": [0.0, 1.5, -1.0, 2.0, nan, 3.0],
        }
    )
    table = ExperimentTable(variables, "Output", frame)
    assert all(table.frame[c].dtype == "float64" for c in frame.columns)
    range_t = dict(low=0.0, high=10.0)
    problems = table.problems(variables)
    # Row 1: every cell fits (0 noise and iteration 0 are allowed).
    assert problems[0] == []
    # Row 2: everything is wrong at once.
    assert problems[1] == [
        CellProblem("T", ProblemKind.OUT_OF_RANGE, 11.0, **range_t),
        CellProblem("n", ProblemKind.NOT_WHOLE, 2.5),
        CellProblem("d", ProblemKind.NOT_ALLOWED, 81.0, allowed=(80.0, 280.0)),
        CellProblem("Output", ProblemKind.NOT_A_NUMBER, inf),
        CellProblem(NOISE, ProblemKind.NEGATIVE, -1.0),
        CellProblem(ITERATION, ProblemKind.NOT_WHOLE, 1.5),
    ]
    # Row 3: -inf is no number; 6 is whole but above 5; -1 is a negative iteration.
    assert problems[2] == [
        CellProblem("T", ProblemKind.NOT_A_NUMBER, -inf),
        CellProblem("n", ProblemKind.OUT_OF_RANGE, 6.0, low=1, high=5),
        CellProblem(ITERATION, ProblemKind.NEGATIVE, -1.0),
    ]
    # Row 4: NaN in a variable is a missing value; the side columns may be empty.
    assert problems[3] == [CellProblem("T", ProblemKind.MISSING), CellProblem("d", ProblemKind.MISSING)]
    assert problems[4] == [CellProblem("n", ProblemKind.MISSING)]
    # Row 6: bounds are inclusive; an infinite noise is no number.
    assert problems[5] == [CellProblem(NOISE, ProblemKind.NOT_A_NUMBER, inf)]
    assert table.statuses(variables) == [RowStatus.OK] + [RowStatus.INVALID] * 5
