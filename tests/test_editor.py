"""The data editor's change set (Streamlit's format, read in the app) turned into the table the library takes."""

from __future__ import annotations

import pandas as pd

from alchemist.experiment_import import import_frame
from alchemist.experiments import ExperimentTable
from alchemist.problems import CellProblem, ProblemKind, RowStatus
from alchemist.variables import CategoricalVariable, ContinuousVariable, IntegerVariable
from alchemist.session import Session
from ui.editor import apply_editor_changes, display_cells, edit_if_current, is_draft

VARIABLES = [
    ContinuousVariable("Temperature", unit="°C", low=350, high=450),
    CategoricalVariable("Catalyst", levels=("Low SAR", "High SAR")),
    IntegerVariable("Cycles", low=1, high=5),
]


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
    table = ExperimentTable(VARIABLES)
    import_frame(
        table,
        pd.DataFrame(
            {"Temperature": [400, 410], "Catalyst": ["Low SAR", "High SAR"], "Cycles": [1, 2], "Yield": [1.0, None]}
        ),
        VARIABLES,
        "Yield",
    )
    edited = apply_editor_changes(
        table.frame,
        {"edited_rows": {1: {"Yield": "2.5"}}, "added_rows": [{"Temperature": "hot", "Catalyst": "Low SAR"}]},
    )
    table.replace(edited, VARIABLES)
    assert table.frame["Yield"].tolist()[:2] == [1.0, 2.5]
    assert table.statuses(VARIABLES) == [RowStatus.OK, RowStatus.OK, RowStatus.INVALID]
    assert table.problems(VARIABLES)[2] == [
        CellProblem("Temperature", ProblemKind.NOT_A_NUMBER, "hot"),
        CellProblem("Cycles", ProblemKind.MISSING),
    ]


def test_an_edit_applies_only_to_the_session_the_table_was_drawn_from():
    drawn = Session.new("Screening")
    drawn.add_variable(ContinuousVariable("Temperature", low=350, high=450))
    drawn.add_experiments(pd.DataFrame({"Temperature": [400.0, 410.0], "Yield": [1.0, 2.0]}), target="Yield")
    shown = drawn.experiments.frame.copy()
    changes = {"edited_rows": {1: {"Yield": 2.5}}}

    # Another tab changed the session: the current one was reloaded as a new object.
    reloaded = Session.from_state(drawn.to_state())
    reloaded.experiments.replace(reloaded.experiments.frame.iloc[1:], reloaded.variables)
    assert not edit_if_current(drawn, reloaded, shown, changes)
    assert reloaded.experiments.frame["Yield"].tolist() == [2.0], "row 1 of the drawn table is not row 1 now"
    assert not edit_if_current(drawn, None, shown, changes)

    assert edit_if_current(drawn, drawn, shown, changes)
    assert drawn.experiments.frame["Yield"].tolist() == [1.0, 2.5]


# -- cells keep what was typed; an empty new row is a draft ----------------------------------------
def test_a_typo_in_a_number_cell_stays_as_typed_and_its_column_stays_numeric():
    """Finding 4: `abc` typed into a number cell was erased; now it is kept, flagged and editable."""
    session = Session.new()
    for variable in VARIABLES:
        session.add_variable(variable)
    session.add_experiments(pd.DataFrame({"Temperature": [400.0, 410.0], "Catalyst": ["Low SAR", "High SAR"],
                                          "Cycles": [1, 2], "Yield": [0.1, 0.2]}), target="Yield")
    table = session.experiments
    shown = display_cells(table.cells(), session.variables, session.target)
    assert shown["Temperature"].tolist() == ["400", "410"] and shown["Yield"].tolist() == ["0.1", "0.2"]
    assert edit_if_current(session, session, shown, {"edited_rows": {1: {"Temperature": "abc"}}})
    assert session.experiments.frame["Temperature"].dtype == "float64"
    assert session.experiments.typed == {"Temperature": {1: "abc"}}
    assert session.check_rows()[1].problems == (CellProblem("Temperature", ProblemKind.NOT_A_NUMBER, "abc"),)
    assert session.check_rows()[0].status is RowStatus.OK, "the valid row stays valid"
    # Drawn again, the cell shows what was typed; fixing it makes the row usable again.
    shown = display_cells(session.experiments.cells(), session.variables, session.target)
    assert shown["Temperature"].tolist() == ["400", "abc"]
    assert edit_if_current(session, session, shown, {"edited_rows": {1: {"Temperature": "420"}}})
    assert session.experiments.typed == {} and session.experiments.frame["Temperature"].tolist() == [400.0, 420.0]
    assert session.statuses() == [RowStatus.OK, RowStatus.OK]


def test_numbers_shown_as_text_read_back_exactly():
    values = [369.4200075, 0.1 + 0.2, 1e-20, 123456789012.5, 80.0]
    table = ExperimentTable([ContinuousVariable("T", low=-1e13, high=1e13)], frame=pd.DataFrame({"T": values}))
    shown = display_cells(table.cells(), [ContinuousVariable("T", low=-1e13, high=1e13)], "Output")
    again = ExperimentTable([ContinuousVariable("T", low=-1e13, high=1e13)], frame=shown)
    assert again.frame["T"].tolist() == values


def test_an_added_row_is_a_draft_until_it_has_a_value():
    """Finding 5: "+ Add row" stored an empty row at once, needing attention."""
    assert is_draft({"edited_rows": {}, "added_rows": [{}], "deleted_rows": []})
    assert is_draft({"added_rows": [{"Temperature": None, "Note": ""}]})
    assert not is_draft({"added_rows": [{"Temperature": "400"}]})
    assert not is_draft({"edited_rows": {0: {"Yield": 1}}, "added_rows": [{}]})
    shown = pd.DataFrame({"Temperature": ["400"], "Yield": ["0.1"]})
    result = apply_editor_changes(shown, {"edited_rows": {0: {"Yield": "0.2"}}, "added_rows": [{}, {"Bogus": 1}]})
    assert len(result) == 1 and result["Yield"].tolist() == ["0.2"]


def test_an_empty_table_of_numeric_variables_is_shown_as_text_columns():
    # The editor refuses a text column over float data: the page of a new campaign crashed.
    session = Session.new("empty")
    session.add_variable(ContinuousVariable("A", low=0.0, high=1.0))
    shown = display_cells(session.experiments.cells(), session.variables, session.target)
    assert len(shown) == 0 and shown["A"].dtype == object and shown[session.target].dtype == object
