"""The Variables page through AppTest: adding, editing, deleting and importing variables."""

from __future__ import annotations

from pathlib import Path


from alchemist.persistence import SessionStore
from alchemist.problems import RowStatus
from tests.app.support import add_variable, button, header, open_example, start_app, texts


def test_add_variables_with_units_and_clear_errors(cache: Path) -> None:
    at = start_app()
    button(at, "New Session").click().run()
    add_variable(at, "add0", "continuous", "Temperature", unit="°C", description="Wall temperature", low=300.0, high=500.0)
    session = at.session_state["session"]
    assert [(v.name, v.unit, v.description) for v in session.variables] == [("Temperature", "°C", "Wall temperature")]
    assert SessionStore(cache).get(session.id).variables == session.variables

    add_variable(at, "add1", "continuous", "temperature", low=0.0, high=1.0)
    assert "There is already a variable named 'temperature'." in texts(at.error)
    add_variable(at, "add1", "integer", "Cycles", low=5.0, high=5.0)
    assert "must be below its maximum" in texts(at.error)
    add_variable(at, "add1", "categorical", "Solvent", levels="Water")
    assert "needs at least two levels" in texts(at.error)
    add_variable(at, "add1", "continuous", "   ")
    assert "A variable needs a name." in texts(at.error)
    assert len(at.session_state["session"].variables) == 1

    add_variable(at, "add1", "categorical", "Solvent", levels="Water\nEthanol\nToluene")
    assert at.session_state["session"].variable("Solvent").levels == ("Water", "Ethanol", "Toluene")

def test_edit_that_invalidates_rows_asks_first(cache: Path) -> None:
    at = open_example(start_app())
    # Narrow the temperature range so that some experiments fall outside it.
    at.number_input(key="edit0_0_high_continuous").set_value(400.0)
    button(at, "Save changes").click().run()
    warning = texts(at.warning)
    assert "invalid: rows" in warning
    session = at.session_state["session"]
    assert session.variable("Temperature").high == 450.0  # nothing changed yet
    button(at, "Apply anyway").click().run()
    session = at.session_state["session"]
    assert session.variable("Temperature").high == 400.0
    assert len(session.experiments) == 22  # rows are kept, marked invalid
    assert RowStatus.INVALID in session.statuses()
    at.switch_page("pages/experiments.py").run()
    assert "- Row 2: Temperature: 405.9560826 is outside 350 to 400" in texts(at.markdown)

def test_delete_variable_with_values_needs_confirmation(cache: Path) -> None:
    at = open_example(start_app())
    button(at, "Delete 'Temperature'").click().run()
    assert "removes its values from 22 experiments: rows 1, 2, 3" in texts(at.warning)
    button(at, "Cancel").click().run()
    assert "Temperature" in [v.name for v in at.session_state["session"].variables]
    button(at, "Delete 'Temperature'").click().run()
    button(at, "Delete anyway").click().run()
    assert "Temperature" not in [v.name for v in at.session_state["session"].variables]
    assert "**3** variables" in header(at)

def test_import_variables_from_alchemist_json(cache: Path, catalyst_dir: Path) -> None:
    at = start_app()
    button(at, "New Session").click().run()
    upload = catalyst_dir / "catalyst_search_space_discrete.json"
    at.file_uploader(key="variables_file0").set_value((upload.name, upload.read_bytes(), "application/json")).run()
    button(at, "Replace the variables with these").click().run()
    session = at.session_state["session"]
    assert [v.kind for v in session.variables] == ["continuous", "discrete", "continuous", "continuous"]
    at.file_uploader(key="variables_file1").set_value(("bad.json", b"{not json", "application/json")).run()
    assert "could not be read" in texts(at.error)

def test_adding_a_variable_to_a_campaign_with_experiments_asks_for_their_value(cache: Path) -> None:
    """Issue 9, finding 3: adding a variable silently invalidated every experiment."""
    at = open_example(start_app())
    add_variable(at, "add0", "continuous", "Pressure", unit="bar", low=1.0, high=20.0)
    assert [v.name for v in at.session_state["session"].variables][-1] == "Zinc Fraction", "nothing added yet"
    assert any("22 experiments in the table have no value for 'Pressure'" in m.value for m in at.markdown)
    at.text_input(key="fill_value").set_value("25").run()
    button(at, "Fill in and add").click().run()
    assert "Pressure: 25 is outside 1 to 20" in texts(at.error)
    assert len(at.session_state["session"].variables) == 4
    at.text_input(key="fill_value").set_value("2.5").run()
    button(at, "Fill in and add").click().run()
    session = at.session_state["session"]
    assert session.variables[-1].name == "Pressure" and session.experiments.frame["Pressure"].tolist() == [2.5] * 22
    assert session.statuses().count(RowStatus.OK) == 22
    assert "Last change: Added variable 'Pressure', with 2.5 for the 22 existing experiments." in texts(at.caption)
