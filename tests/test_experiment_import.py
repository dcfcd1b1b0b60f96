"""Importing experiments into the table: ALchemist's own CSV, invalid cells kept (nothing dropped), refusals,
append and replace, the guessed result column."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alchemist.errors import ExperimentError
from alchemist.experiment_import import guess_target, import_frame
from alchemist.experiments import ITERATION, NOISE, NOTE, ExperimentTable
from alchemist.problems import CellProblem, ProblemKind, RowStatus
from alchemist.files.tables import read_table
from alchemist.files.variable_files import read_variables
from tests.experiment_support import VARIABLES, table_with


# -- ALchemist's own CSV ------------------------------------------------------------------------
def test_import_alchemist_csv_with_iteration_and_reason(catalyst_dir):
    variables = read_variables((catalyst_dir / "catalyst_search_space_discrete.json").read_bytes(), "space.json")
    csv_path = catalyst_dir / "ALL_catalyst_experiments_ICP_SAR.csv"
    frame = read_table(csv_path.read_bytes(), csv_path.name)
    assert len(frame) == 26

    table = ExperimentTable(variables)
    assert guess_target(frame, variables) == "Output"
    report = import_frame(table, frame, variables, "Output")

    assert report.rows_added == 26 and len(table) == 26
    assert report.invalid_rows == 0 and report.ignored_columns == ()
    assert table.statuses(variables) == [RowStatus.OK] * 26
    # Reason became the row's note, Iteration was kept as a number.
    assert set(table.frame[NOTE]) == {"Initial Design"}
    assert table.frame[ITERATION].tolist() == [0] * 26
    assert table.frame["SAR"].tolist()[:3] == [80.0, 280.0, 80.0]
    # Every value came through exactly (the file's text parses to the same floats).
    assert table.frame["Temperature"].tolist() == frame["Temperature"].tolist()
    assert table.frame["Output"].tolist() == frame["Output"].tolist()
    X, y, noise = table.training_data(variables)
    assert X.shape == (26, 4) and len(y) == 26 and noise is None


# -- invalid cells are kept and reported ---------------------------------------------------------
def test_invalid_cells_are_kept_and_reported_with_row_and_reason():
    csv = (
        "Temperature,Catalyst,Cycles,Yield,Notes\n"
        "400,Low SAR,2,0.31,first run\n"
        "500,Low SAR,2,0.20,too hot\n"
        "warm,High SAR,3,0.10,\n"
        "400,Medium SAR,2.5,0.4,two problems\n"
        "420,High SAR,4,abc,bad result\n"
        "410,High SAR,,0.2,no cycles\n"
        "405,Low SAR,1,,waiting for GC\n"
    ).encode()
    frame = read_table(csv, "runs.csv")
    table = ExperimentTable(VARIABLES)
    report = import_frame(table, frame, VARIABLES, "Yield")

    assert report.rows_added == 7 and len(table) == 7, "no row may be dropped"
    assert report.invalid_rows == 5
    statuses = table.statuses(VARIABLES)
    assert statuses == [RowStatus.OK] + [RowStatus.INVALID] * 5 + [RowStatus.PENDING]
    levels = ("Low SAR", "High SAR")
    assert table.problems(VARIABLES) == [
        [],
        [CellProblem("Temperature", ProblemKind.OUT_OF_RANGE, 500.0, low=350.0, high=450.0)],
        [CellProblem("Temperature", ProblemKind.NOT_A_NUMBER, "warm")],
        [CellProblem("Catalyst", ProblemKind.NOT_A_LEVEL, "Medium SAR", allowed=levels),
         CellProblem("Cycles", ProblemKind.NOT_WHOLE, 2.5)],
        [CellProblem("Yield", ProblemKind.NOT_A_NUMBER, "abc")],
        [CellProblem("Cycles", ProblemKind.MISSING)],
        [],
    ]
    checks = table.check_rows(VARIABLES)
    assert [c.status for c in checks] == statuses
    assert checks[3].problems == tuple(table.problems(VARIABLES)[3])
    assert table.invalid_rows(VARIABLES) == [1, 2, 3, 4, 5]
    assert table.training_rows(VARIABLES).tolist() == [0]
    # The raw values stay as the user typed them, for the user to fix; numeric columns stay numeric.
    cells = table.cells()
    assert cells["Temperature"].tolist()[2] == "warm"
    assert cells["Catalyst"].tolist()[3] == "Medium SAR"
    assert cells["Yield"].tolist()[4] == "abc"
    assert table.frame["Temperature"].dtype == np.float64 and table.frame["Yield"].dtype == np.float64
    assert math.isnan(table.frame["Temperature"][2]) and table.frame["Temperature"][0] == 400.0
    assert table.typed == {"Temperature": {2: "warm"}, "Yield": {4: "abc"}}
    assert table.frame[NOTE].tolist() == [
        "first run", "too hot", "", "two problems", "bad result", "no cycles", "waiting for GC",
    ]


def test_import_refuses_missing_columns_and_changes_nothing():
    table = table_with([{"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 1.0}])
    before = table.frame.copy()
    with pytest.raises(ExperimentError, match="Columns missing from the file: 'Cycles'"):
        import_frame(table, pd.DataFrame({"Temperature": [1], "Catalyst": ["x"], "Yield": [1]}), VARIABLES, "Yield")
    with pytest.raises(ExperimentError, match="no column 'Result'"):
        import_frame(table, 
            pd.DataFrame({"Temperature": [1], "Catalyst": ["x"], "Cycles": [1], "Yield": [1]}), VARIABLES, "Result"
        )
    with pytest.raises(ExperimentError, match="is a variable"):
        import_frame(table, pd.DataFrame({"Temperature": [1], "Catalyst": ["x"], "Cycles": [1]}), VARIABLES, "Cycles")
    with pytest.raises(ExperimentError, match="no rows"):
        import_frame(table, pd.DataFrame(columns=["Temperature", "Catalyst", "Cycles", "Yield"]), VARIABLES, "Yield")
    duplicated = pd.DataFrame([[1, "x", 1, 1, 2]], columns=["Temperature", "Catalyst", "Cycles", "Yield", "Yield "])
    with pytest.raises(ExperimentError, match="more than one column named 'Yield'"):
        import_frame(table, duplicated, VARIABLES, "Yield")
    pd.testing.assert_frame_equal(table.frame, before)


@pytest.mark.parametrize("side_column", [NOISE, ITERATION, NOTE])
def test_a_side_column_cannot_be_the_result(side_column):
    # Otherwise the result and the side column would share one column and one of them is lost.
    table = ExperimentTable(VARIABLES)
    frame = pd.DataFrame(
        {"Temperature": [400.0, 410.0], "Catalyst": ["Low SAR"] * 2, "Cycles": [1, 2], NOISE: [0.1, 0.2],
         ITERATION: [1, 2], NOTE: ["a", "b"]}
    )
    with pytest.raises(ExperimentError):
        import_frame(table, frame, VARIABLES, side_column)
    assert len(table) == 0


def test_append_keeps_existing_rows_and_reports_only_new_ones():
    table = table_with([{"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 1.0, "Note": "old"}])
    assert table.target == "Yield"
    report = import_frame(table, 
        pd.DataFrame(
            {"Temperature": [410, 999], "Catalyst": ["High SAR", "High SAR"], "Cycles": [2, 3], "Yield": [2.0, 3.0]}
        ),
        VARIABLES,
        "Yield",
    )
    assert len(table) == 3 and report.rows_added == 2 and report.invalid_rows == 1
    assert table.frame["Temperature"].tolist() == [400.0, 410.0, 999.0]
    assert table.frame[NOTE].tolist() == ["old", "", ""]
    assert table.frame["Temperature"].dtype == np.float64


def test_replace_import_replaces_rows():
    table = table_with([{"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 1.0}])
    import_frame(table, 
        pd.DataFrame({"Temperature": [420], "Catalyst": ["High SAR"], "Cycles": [3], "Yield": [5.0]}),
        VARIABLES, "Yield", replace=True,
    )
    assert table.frame["Temperature"].tolist() == [420.0]


def test_ignored_columns_are_reported():
    table = ExperimentTable(VARIABLES)
    report = import_frame(table, 
        pd.DataFrame({"Temperature": [400], "Catalyst": ["Low SAR"], "Cycles": [1], "Yield": [1.0], "Operator": ["KB"]}),
        VARIABLES,
        "Yield",
    )
    assert report.ignored_columns == ("Operator",)


def test_planned_experiments_with_an_empty_result_column_import_as_pending():
    frame = read_table(b"Temperature,Catalyst,Cycles,Yield\n400,Low SAR,1,\n410,High SAR,2,\n", "plan.csv")
    table = ExperimentTable(VARIABLES)
    report = import_frame(table, frame, VARIABLES, "Yield")
    assert report.rows_added == 2 and report.invalid_rows == 0
    assert table.statuses(VARIABLES) == [RowStatus.PENDING, RowStatus.PENDING]


# -- guess_target ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "columns, expected",
    [
        ({"Output": [1.0], "Yield": [2.0]}, "Output"),
        ({"Yield": [2.0], "Iteration": [1], "Noise": [0.1], "Reason": ["x"]}, "Yield"),
        ({"Yield": [2.0], "Selectivity": [3.0]}, None),
        ({"Operator": ["KB"]}, None),
        ({}, None),
    ],
)
def test_guess_target(columns, expected):
    frame = pd.DataFrame({"Temperature": [400.0], "Catalyst": ["Low SAR"], "Cycles": [1], **columns})
    assert guess_target(frame, VARIABLES) == expected
