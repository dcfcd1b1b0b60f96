"""The session's variable changes: adding, renaming, narrowing, deleting; changes that break rows need confirmation."""

from __future__ import annotations

import pytest

from alchemist.errors import ChangeKind, VariableError
from alchemist.problems import CellProblem, ProblemKind, RowStatus
from alchemist.session import ChangeNeedsConfirmation
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable
from tests.session_support import small_session


# -- variable changes -------------------------------------------------------------------------------
def test_add_variable_adds_an_empty_column_and_refuses_duplicates_and_the_target():
    session = small_session()
    session.add_variable(IntegerVariable("Cycles", low=1, high=3), not_recorded=True)
    assert session.experiments.frame["Cycles"].isna().all()
    assert all(CellProblem("Cycles", ProblemKind.MISSING) in c.problems for c in session.check_rows())
    with pytest.raises(VariableError, match="already a variable"):
        session.add_variable(ContinuousVariable("cycles", low=0, high=1))
    with pytest.raises(VariableError, match="result column"):
        session.add_variable(ContinuousVariable("Yield", low=0, high=1))
    assert [v.name for v in session.variables] == ["Temperature", "Catalyst", "Cycles"]


def test_narrowing_a_range_needs_confirmation_listing_the_rows():
    session = small_session()
    narrower = ContinuousVariable("Temperature", unit="°C", low=300, high=390)
    with pytest.raises(ChangeNeedsConfirmation) as info:
        session.replace_variable("Temperature", narrower)
    assert info.value.rows == [1, 2]  # 0-based positions; the message counts from 1
    assert info.value.change is ChangeKind.EDIT_VARIABLE
    assert session.variable("Temperature").high == 500, "nothing changes without confirmation"
    assert session.statuses()[1] == RowStatus.OK

    session.replace_variable("Temperature", narrower, confirm=True)
    assert session.variable("Temperature").high == 390
    assert session.check_rows()[1].problems == (
        CellProblem("Temperature", ProblemKind.OUT_OF_RANGE, 400.0, low=300.0, high=390.0),
    )
    assert session.experiments.frame["Temperature"].tolist()[1] == 400.0, "values are kept, only marked"


def test_change_that_breaks_nothing_needs_no_confirmation():
    session = small_session()
    session.replace_variable("Temperature", ContinuousVariable("Temperature", low=250, high=600))
    assert session.variable("Temperature").low == 250


def test_rename_keeps_the_values():
    session = small_session()
    session.replace_variable("Temperature", ContinuousVariable("Bed temperature", unit="K", low=300, high=500))
    frame = session.experiments.frame
    assert "Temperature" not in frame.columns
    assert frame["Bed temperature"].tolist()[:3] == [320.0, 400.0, 480.0]
    with pytest.raises(VariableError, match="already a variable"):
        session.replace_variable("Bed temperature", ContinuousVariable("catalyst", low=0, high=1))
    with pytest.raises(VariableError, match="result column"):
        session.replace_variable("Bed temperature", ContinuousVariable("Yield", low=0, high=1))
    with pytest.raises(VariableError, match="no variable named"):
        session.replace_variable("Pressure", ContinuousVariable("P", low=0, high=1))


def test_changing_a_kind_lists_the_rows_that_break():
    session = small_session()
    with pytest.raises(ChangeNeedsConfirmation) as info:
        session.replace_variable("Catalyst", CategoricalVariable("Catalyst", levels=("A", "C")))
    assert info.value.rows == [1, 4]
    with pytest.raises(ChangeNeedsConfirmation) as info:
        session.replace_variable("Temperature", DiscreteVariable("Temperature", values=(320, 480)))
    assert info.value.rows == [1, 4]


def test_delete_variable_with_values_needs_confirmation():
    session = small_session()
    with pytest.raises(ChangeNeedsConfirmation) as info:
        session.delete_variable("Temperature")
    assert info.value.rows == [0, 1, 2, 4]  # row 4 (0-based 3) has no temperature
    assert (info.value.change, info.value.variable) == (ChangeKind.DELETE_VARIABLE, "Temperature")
    assert "Temperature" in session.experiments.frame.columns
    session.delete_variable("Temperature", confirm=True)
    assert [v.name for v in session.variables] == ["Catalyst"]
    assert "Temperature" not in session.experiments.frame.columns
    assert len(session.experiments) == 5, "deleting a variable removes a column, never rows"


def test_delete_empty_variable_needs_no_confirmation():
    session = small_session()
    session.add_variable(ContinuousVariable("Pressure", low=1, high=2), not_recorded=True)
    session.delete_variable("Pressure")
    assert [v.name for v in session.variables] == ["Temperature", "Catalyst"]


def test_set_variables_keeps_columns_by_name_and_asks_before_dropping_values():
    session = small_session()
    new_list = [
        ContinuousVariable("Temperature", unit="K", low=300, high=500),
        IntegerVariable("Cycles", low=1, high=3),
    ]
    with pytest.raises(ChangeNeedsConfirmation) as info:
        session.set_variables(new_list)
    assert (info.value.change, info.value.dropped) == (ChangeKind.IMPORT_VARIABLES, ["Catalyst"])
    assert info.value.rows == [0, 1, 2, 3, 4]
    assert [v.name for v in session.variables] == ["Temperature", "Catalyst"]
    session.set_variables(new_list, confirm=True)
    assert [v.name for v in session.variables] == ["Temperature", "Cycles"]
    assert session.variable("Temperature").unit == "K"
    assert session.experiments.frame["Temperature"].tolist()[:3] == [320.0, 400.0, 480.0]
    assert list(session.experiments.frame.columns[:2]) == ["Temperature", "Cycles"]


def test_set_variables_refuses_duplicates_and_the_result_column():
    session = small_session()
    with pytest.raises(VariableError, match="already a variable"):
        session.set_variables([ContinuousVariable("A", low=0, high=1), ContinuousVariable("a", low=0, high=1)])
    # A variable named like the result would share its column: the model would learn y from y.
    with pytest.raises(VariableError, match="result column"):
        session.set_variables(
            [*session.variables, ContinuousVariable("Yield", low=0, high=1)], confirm=True
        )
    assert [v.name for v in session.variables] == ["Temperature", "Catalyst"]
