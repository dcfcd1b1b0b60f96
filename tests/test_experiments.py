"""The experiment table: import, cell checks (nothing dropped), editor changes, state round trip."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alchemist.errors import ExperimentError, SessionFileError
from alchemist.experiments import (
    ITERATION,
    NOISE,
    NOTE,
    STATUS_OK,
    STATUS_PENDING,
    ExperimentTable,
    apply_editor_changes,
)
from alchemist.userfiles import read_table, read_variables
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable

VARIABLES = [
    ContinuousVariable("Temperature", unit="°C", low=350, high=450),
    CategoricalVariable("Catalyst", levels=("Low SAR", "High SAR")),
    IntegerVariable("Cycles", low=1, high=5),
]


def table_with(rows: list[dict], target: str = "Yield") -> ExperimentTable:
    table = ExperimentTable(VARIABLES)
    table.import_frame(pd.DataFrame(rows), VARIABLES, target)
    return table


# -- ALchemist's own CSV ------------------------------------------------------------------------
def test_import_alchemist_csv_with_iteration_and_reason(catalyst_dir):
    variables = read_variables((catalyst_dir / "catalyst_search_space_discrete.json").read_bytes(), "space.json")
    csv_path = catalyst_dir / "ALL_catalyst_experiments_ICP_SAR.csv"
    frame = read_table(csv_path.read_bytes(), csv_path.name)
    assert len(frame) == 26

    table = ExperimentTable(variables)
    assert ExperimentTable.guess_target(frame, variables) == "Output"
    report = table.import_frame(frame, variables, "Output")

    assert report.rows_added == 26 and len(table) == 26
    assert report.invalid_rows == 0 and report.ignored_columns == ()
    assert table.statuses(variables) == [STATUS_OK] * 26
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
    report = table.import_frame(frame, VARIABLES, "Yield")

    assert report.rows_added == 7 and len(table) == 7, "no row may be dropped"
    assert report.invalid_rows == 5
    assert "5 row(s) need attention" in report.summary()
    statuses = table.statuses(VARIABLES)
    assert statuses[0] == STATUS_OK
    assert statuses[1] == "Temperature: 500 is outside 350 to 450"
    assert statuses[2] == "Temperature: 'warm' is not a number"
    assert "Catalyst: unknown level 'Medium SAR'" in statuses[3]
    assert "Cycles: 2.5 is not a whole number" in statuses[3]
    assert statuses[4] == "Yield: 'abc' is not a number"
    assert statuses[5] == "Cycles: missing value"
    assert statuses[6] == STATUS_PENDING
    assert table.invalid_rows(VARIABLES) == [1, 2, 3, 4, 5]
    assert table.training_rows(VARIABLES).tolist() == [0]
    # The raw values stay as the user typed them, for the user to fix.
    assert table.frame["Temperature"].tolist()[2] == "warm"
    assert table.frame["Catalyst"].tolist()[3] == "Medium SAR"
    assert table.frame["Yield"].tolist()[4] == "abc"
    assert table.frame[NOTE].tolist() == [
        "first run", "too hot", "", "two problems", "bad result", "no cycles", "waiting for GC",
    ]


def test_side_columns_are_checked_too():
    table = table_with(
        [
            {"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 1.0, "Noise": -0.1, "Iteration": 1},
            {"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 1.0, "Noise": "big", "Iteration": 1.5},
            {"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 1.0, "Noise": 0.01, "Iteration": 2},
        ]
    )
    statuses = table.statuses(VARIABLES)
    assert statuses[0] == "Noise: must not be negative"
    assert "Noise: 'big' is not a number" in statuses[1] and "Iteration: '1.5'" in statuses[1]
    assert statuses[2] == STATUS_OK
    X, y, noise = table.training_data(VARIABLES)
    assert noise.tolist() == [0.01]


def test_import_refuses_missing_columns_and_changes_nothing():
    table = table_with([{"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 1.0}])
    before = table.frame.copy()
    with pytest.raises(ExperimentError, match="no column for the variable\\(s\\) 'Cycles'"):
        table.import_frame(pd.DataFrame({"Temperature": [1], "Catalyst": ["x"], "Yield": [1]}), VARIABLES, "Yield")
    with pytest.raises(ExperimentError, match="no column 'Result'"):
        table.import_frame(
            pd.DataFrame({"Temperature": [1], "Catalyst": ["x"], "Cycles": [1], "Yield": [1]}), VARIABLES, "Result"
        )
    with pytest.raises(ExperimentError, match="is a variable"):
        table.import_frame(pd.DataFrame({"Temperature": [1], "Catalyst": ["x"], "Cycles": [1]}), VARIABLES, "Cycles")
    with pytest.raises(ExperimentError, match="no rows"):
        table.import_frame(pd.DataFrame(columns=["Temperature", "Catalyst", "Cycles", "Yield"]), VARIABLES, "Yield")
    duplicated = pd.DataFrame([[1, "x", 1, 1, 2]], columns=["Temperature", "Catalyst", "Cycles", "Yield", "Yield "])
    with pytest.raises(ExperimentError, match="more than one column named 'Yield'"):
        table.import_frame(duplicated, VARIABLES, "Yield")
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
        table.import_frame(frame, VARIABLES, side_column)
    assert len(table) == 0


def test_append_keeps_existing_rows_and_reports_only_new_ones():
    table = table_with([{"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 1.0, "Note": "old"}])
    assert table.target == "Yield"
    report = table.import_frame(
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
    table.import_frame(
        pd.DataFrame({"Temperature": [420], "Catalyst": ["High SAR"], "Cycles": [3], "Yield": [5.0]}),
        VARIABLES, "Yield", replace=True,
    )
    assert table.frame["Temperature"].tolist() == [420.0]


def test_ignored_columns_are_reported():
    table = ExperimentTable(VARIABLES)
    report = table.import_frame(
        pd.DataFrame({"Temperature": [400], "Catalyst": ["Low SAR"], "Cycles": [1], "Yield": [1.0], "Operator": ["KB"]}),
        VARIABLES,
        "Yield",
    )
    assert report.ignored_columns == ("Operator",)
    assert "Columns not used: Operator." in report.summary()


def test_planned_experiments_with_an_empty_result_column_import_as_pending():
    frame = read_table(b"Temperature,Catalyst,Cycles,Yield\n400,Low SAR,1,\n410,High SAR,2,\n", "plan.csv")
    table = ExperimentTable(VARIABLES)
    report = table.import_frame(frame, VARIABLES, "Yield")
    assert report.rows_added == 2 and report.invalid_rows == 0
    assert table.statuses(VARIABLES) == [STATUS_PENDING, STATUS_PENDING]


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
    assert ExperimentTable.guess_target(frame, VARIABLES) == expected


# -- missing values, notes and the state round trip ----------------------------------------------
def test_state_round_trip_with_missing_values_invalid_cells_and_notes():
    table = table_with(
        [
            {"Temperature": 401.25, "Catalyst": "Low SAR", "Cycles": 2, "Yield": 0.1 + 0.2, "Noise": 0.01,
             "Iteration": 3, "Note": "Ünïcode note — 10 % Zn"},
            {"Temperature": None, "Catalyst": None, "Cycles": None, "Yield": None, "Noise": None,
             "Iteration": None, "Note": None},
            {"Temperature": "warm", "Catalyst": "Medium", "Cycles": 1, "Yield": 1e-300, "Noise": None,
             "Iteration": 0, "Note": "line one\nline two"},
        ]
    )
    state = table.to_state()
    again = ExperimentTable.from_state(state, VARIABLES)
    assert again.target == "Yield"
    pd.testing.assert_frame_equal(again.frame, table.frame)
    assert again.frame["Yield"].tolist()[0] == 0.1 + 0.2  # exact, not rounded
    assert math.isnan(again.frame["Temperature"].tolist()[1])
    assert again.frame["Catalyst"].tolist()[1] is None
    assert again.frame[NOTE].tolist() == ["Ünïcode note — 10 % Zn", "", "line one\nline two"]
    assert again.statuses(VARIABLES) == table.statuses(VARIABLES)
    assert again.statuses(VARIABLES)[1].startswith("Temperature: missing value")


def test_pandas_na_is_a_missing_value_not_text():
    frame = pd.DataFrame(
        {"Temperature": pd.array([400.0, None], dtype="Float64"), "Catalyst": ["Low SAR", pd.NA],
         "Cycles": pd.array([1, pd.NA], dtype="Int64"), "Yield": pd.array([1.0, pd.NA], dtype="Float64")}
    )
    table = ExperimentTable(VARIABLES)
    table.import_frame(frame, VARIABLES, "Yield")
    assert table.statuses(VARIABLES)[1] == "Temperature: missing value; Catalyst: missing value; Cycles: missing value"
    again = ExperimentTable.from_state(table.to_state(), VARIABLES)
    assert "<NA>" not in again.frame.astype(str).to_numpy().ravel().tolist()
    assert again.statuses(VARIABLES) == table.statuses(VARIABLES)


@pytest.mark.parametrize(
    "state",
    [None, {"target": "", "table": {}}, {"target": "Yield", "table": "x"},
     {"target": "Yield", "table": {"n_rows": 1, "columns": [{"name": "Temperature", "encoding": "pickle", "data": b""}]}}],
)
def test_bad_state_raises_session_file_error(state):
    with pytest.raises(SessionFileError):
        ExperimentTable.from_state(state, VARIABLES)


def test_fingerprint_follows_training_data_only():
    rows = [
        {"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 1.0},
        {"Temperature": 410, "Catalyst": "High SAR", "Cycles": 2, "Yield": 2.0},
    ]
    table = table_with(rows)
    first = table.fingerprint(VARIABLES)
    assert table_with(rows).fingerprint(VARIABLES) == first
    table.frame.loc[1, NOTE] = "a note changes nothing the model sees"
    assert table.fingerprint(VARIABLES) == first
    table.frame.loc[1, "Yield"] = 2.5
    assert table.fingerprint(VARIABLES) != first


# -- the table editor's change set -----------------------------------------------------------------
def test_apply_editor_changes_edits_deletes_and_adds():
    shown = pd.DataFrame(
        {"Temperature": [400.0, 410.0, 420.0], "Catalyst": ["Low SAR", "High SAR", "Low SAR"], "Yield": [1.0, 2.0, 3.0]}
    )
    changes = {
        "edited_rows": {0: {"Yield": 1.5}, "2": {"Catalyst": "High SAR", "Unknown": 5}},
        "deleted_rows": [1],
        "added_rows": [{"Temperature": 430.0, "Yield": 4.0, "Bogus": 1}],
    }
    result = apply_editor_changes(shown, changes)
    assert list(result.columns) == ["Temperature", "Catalyst", "Yield"]
    assert result["Temperature"].tolist() == [400.0, 420.0, 430.0]
    assert result["Catalyst"].tolist()[:2] == ["Low SAR", "High SAR"]
    assert pd.isna(result["Catalyst"].tolist()[2])
    assert result["Yield"].tolist() == [1.5, 3.0, 4.0]
    assert list(result.index) == [0, 1, 2]
    # The frame that was shown is left as it was.
    assert shown["Yield"].tolist() == [1.0, 2.0, 3.0] and len(shown) == 3


def test_apply_editor_changes_ignores_out_of_range_positions():
    shown = pd.DataFrame({"a": [1, 2]})
    result = apply_editor_changes(shown, {"edited_rows": {5: {"a": 9}}, "deleted_rows": [7], "added_rows": []})
    assert result["a"].tolist() == [1, 2]
    assert apply_editor_changes(shown, {})["a"].tolist() == [1, 2]


def test_editor_result_feeds_back_into_the_table():
    table = table_with(
        [
            {"Temperature": 400, "Catalyst": "Low SAR", "Cycles": 1, "Yield": 1.0},
            {"Temperature": 410, "Catalyst": "High SAR", "Cycles": 2, "Yield": None},
        ]
    )
    edited = apply_editor_changes(
        table.frame,
        {"edited_rows": {1: {"Yield": "2.5"}}, "added_rows": [{"Temperature": "hot", "Catalyst": "Low SAR"}]},
    )
    table.replace(edited, VARIABLES)
    assert table.frame["Yield"].tolist()[:2] == [1.0, 2.5]
    statuses = table.statuses(VARIABLES)
    assert statuses[:2] == [STATUS_OK, STATUS_OK]
    assert statuses[2] == "Temperature: 'hot' is not a number; Cycles: missing value"


def test_discrete_variable_checks_in_table():
    variables = [DiscreteVariable("SAR", values=(80, 280)), ContinuousVariable("T", low=0, high=1)]
    table = ExperimentTable(variables)
    table.import_frame(pd.DataFrame({"SAR": [80, "280", 81], "T": [0.5, 0.5, 0.5], "y": [1, 2, 3]}), variables, "y")
    assert table.statuses(variables)[:2] == [STATUS_OK, STATUS_OK]
    assert table.statuses(variables)[2] == "SAR: 81 is not one of 80, 280"


def test_checks_of_all_numeric_columns_match_cell_by_cell_checks() -> None:
    """Float columns are screened in bulk; what they report must equal checking every cell."""
    from alchemist.experiments import ExperimentTable
    from alchemist.variables import ContinuousVariable, DiscreteVariable, IntegerVariable

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
    expected = []
    for i in range(len(frame)):
        row = [v.check(frame.loc[i, v.name]) for v in variables]
        output, noise, iteration = frame.loc[i, "Output"], frame.loc[i, "Noise"], frame.loc[i, "Iteration"]
        if output == inf:
            row.append("Output: 'inf' is not a number")
        if noise == inf:
            row.append("Noise: 'inf' is not a number")
        elif noise < 0:
            row.append("Noise: must not be negative")
        if iteration == iteration and (iteration < 0 or not float(iteration).is_integer()):
            row.append(f"Iteration: '{iteration}' is not a whole number ≥ 0")
        expected.append([m for m in row if m])
    assert table.problems(variables) == expected
    assert table.statuses(variables)[5] == "Noise: 'inf' is not a number"
    assert table.statuses(variables)[4] == "n: missing value"
