"""The experiment table: import, cell checks as data (nothing dropped), the incumbent, state round trip."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alchemist.errors import ExperimentError, ModelError, SessionFileError
from alchemist.experiment_import import guess_target, import_frame
from alchemist.experiments import ITERATION, NOISE, NOTE, ExperimentTable
from alchemist.problems import CellProblem, ProblemKind, RowStatus
from alchemist.files.tables import read_table
from alchemist.files.variable_files import read_variables
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable

VARIABLES = [
    ContinuousVariable("Temperature", unit="°C", low=350, high=450),
    CategoricalVariable("Catalyst", levels=("Low SAR", "High SAR")),
    IntegerVariable("Cycles", low=1, high=5),
]


def table_with(rows: list[dict], target: str = "Yield") -> ExperimentTable:
    table = ExperimentTable(VARIABLES)
    import_frame(table, pd.DataFrame(rows), VARIABLES, target)
    return table


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
    assert again.check_rows(VARIABLES) == table.check_rows(VARIABLES)
    assert again.problems(VARIABLES)[1][0] == CellProblem("Temperature", ProblemKind.MISSING)


def test_pandas_na_is_a_missing_value_not_text():
    frame = pd.DataFrame(
        {"Temperature": pd.array([400.0, None], dtype="Float64"), "Catalyst": ["Low SAR", pd.NA],
         "Cycles": pd.array([1, pd.NA], dtype="Int64"), "Yield": pd.array([1.0, pd.NA], dtype="Float64")}
    )
    table = ExperimentTable(VARIABLES)
    import_frame(table, frame, VARIABLES, "Yield")
    assert table.problems(VARIABLES)[1] == [
        CellProblem("Temperature", ProblemKind.MISSING),
        CellProblem("Catalyst", ProblemKind.MISSING),
        CellProblem("Cycles", ProblemKind.MISSING),
    ]
    again = ExperimentTable.from_state(table.to_state(), VARIABLES)
    assert "<NA>" not in again.frame.astype(str).to_numpy().ravel().tolist()
    assert again.check_rows(VARIABLES) == table.check_rows(VARIABLES)


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


@pytest.fixture
def small_limits():
    from alchemist import limits

    before = limits.current()
    limits.configure(limits.Limits(max_experiments=50, max_table_cells=400))
    yield limits.current()
    limits.configure(before)


def test_row_and_cell_limits_refuse_a_change_before_it_is_applied(small_limits) -> None:
    from alchemist.errors import LimitError
    from alchemist.session import Session

    session = Session.new("Limits")
    session.add_variable(ContinuousVariable("T", low=0, high=10))
    session.add_experiments(pd.DataFrame({"T": [1.0] * 40, "Output": [0.5] * 40}), target="Output")
    before = session.experiments.frame.copy()
    with pytest.raises(LimitError) as error:
        session.add_experiments(pd.DataFrame({"T": [1.0] * 11, "Output": [0.5] * 11}), target="Output")
    assert error.value.limit == "max_experiments" and "50" in error.value.message
    with pytest.raises(LimitError) as error:
        session.edit_experiments(pd.concat([before] * 2, ignore_index=True))
    assert error.value.limit == "max_experiments"
    # 40 rows x (variables + 4 side columns): the seventh variable would pass 400 cells.
    session.add_variable(ContinuousVariable("P", low=0, high=10), fill=5)
    with pytest.raises(LimitError) as error:
        for name in "ABCDEFGH":
            session.add_variable(ContinuousVariable(name, low=0, high=10), fill=1)
    assert error.value.limit == "max_table_cells"
    assert len(session.experiments.frame) == 40
    assert list(session.experiments.frame.columns)[: len(session.variables)] == [v.name for v in session.variables]
    # Replacing with a file within the limits is still fine.
    session.add_experiments(pd.DataFrame({**{v.name: [1.0] * 5 for v in session.variables}, "Output": [1.0] * 5}),
                            target="Output", replace=True)
    assert len(session.experiments) == 5


# -- a new variable in a table with experiments -------------------------------------------------------
def test_adding_a_variable_to_a_table_with_rows_asks_for_their_value_checked_by_the_variable():
    from alchemist.session import Session
    from alchemist.variable_fill import FillValueError, NeedsFillValue

    session = Session.new()
    session.add_variable(ContinuousVariable("T", low=0, high=10))  # no rows yet: nothing to ask
    session.add_experiments(pd.DataFrame({"T": [1.0, 2.0], "y": [0.1, 0.2]}), target="y")
    with pytest.raises(NeedsFillValue) as asked:
        session.add_variable(ContinuousVariable("P", low=1, high=20))
    assert asked.value.rows == 2 and [v.name for v in session.variables] == ["T"], "nothing changed"
    with pytest.raises(FillValueError) as refused:
        session.add_variable(ContinuousVariable("P", low=1, high=20), fill="25")
    assert refused.value.problem == CellProblem("P", ProblemKind.OUT_OF_RANGE, 25.0, low=1.0, high=20.0)
    with pytest.raises(FillValueError):
        session.add_variable(ContinuousVariable("P", low=1, high=20), fill="five")
    session.add_variable(ContinuousVariable("P", low=1, high=20), fill="2.5")
    assert session.experiments.frame["P"].tolist() == [2.5, 2.5] and session.statuses() == [RowStatus.OK] * 2
    session.add_variable(CategoricalVariable("S", levels=("a", "b")), fill="b")
    assert session.experiments.frame["S"].tolist() == ["b", "b"]
    session.add_variable(IntegerVariable("N", low=1, high=3), not_recorded=True)
    assert [c.problems for c in session.check_rows()] == [(CellProblem("N", ProblemKind.MISSING),)] * 2
