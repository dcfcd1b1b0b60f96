"""The experiment table's plain-data state: missing values, invalid cells and notes round trip; the fingerprint."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from alchemist.errors import SessionFileError
from alchemist.experiment_import import import_frame
from alchemist.experiments import NOTE, ExperimentTable
from alchemist.problems import CellProblem, ProblemKind
from tests.experiment_support import VARIABLES, table_with


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
