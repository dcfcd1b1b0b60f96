"""The pages through Streamlit's AppTest: the welcome screen, the header, variables, experiments, model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from alchemist.examples import catalyst_example
from alchemist.persistence import SessionStore
from alchemist.problems import RowStatus
from alchemist.session import is_session_id

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ALCHEMIST_CACHE_DIR", str(folder))
    monkeypatch.delenv("ALCHEMIST_SESSION_TTL_DAYS", raising=False)
    return folder


def start_app(**query: str) -> AppTest:
    # Model fits take longer than AppTest's default 3 s.
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button '{label}' among {[b.label for b in at.button]}"
    return matches[0]


def header(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**ID**"))


def texts(elements) -> str:
    return " | ".join(e.value for e in elements)


def open_example(at: AppTest) -> AppTest:
    button(at, "Open example").click().run()
    assert not at.exception
    return at


def test_welcome_offers_new_load_and_example(cache: Path) -> None:
    at = start_app()
    assert "ALchemist" in at.title[0].value
    assert {"New Session", "Open example"} <= {b.label for b in at.button}
    assert at.file_uploader[0].label.startswith("Session file (.pkl or .json)")
    assert not at.query_params.get("session")


def test_new_session_is_stored_and_named(cache: Path) -> None:
    at = start_app()
    next(t for t in at.text_input if t.label == "Session name").set_value("Zeolite screen")
    button(at, "New Session").click().run()
    session_id = at.query_params["session"]
    session_id = session_id[0] if isinstance(session_id, list) else session_id
    assert is_session_id(session_id)
    assert "**0** variables" in header(at) and "**0** experiments" in header(at) and "No model" in header(at)
    stored = SessionStore(cache).get(session_id)
    assert stored is not None and stored.name == "Zeolite screen"


def test_example_session_and_header_counts(cache: Path) -> None:
    at = open_example(start_app())
    assert "**4** variables" in header(at) and "**22** experiments" in header(at)
    table = at.dataframe[0].value
    assert list(table["Name"]) == ["Temperature", "Catalyst", "Metal Loading", "Zinc Fraction"]


def test_renaming_the_session_is_saved(cache: Path) -> None:
    at = open_example(start_app())
    at.text_input(key="session_name").set_value("Renamed campaign").run()
    session = at.session_state["session"]
    assert session.name == "Renamed campaign"
    assert SessionStore(cache).get(session.id).name == "Renamed campaign"


def add_variable(at: AppTest, prefix: str, kind: str, name: str, **fields) -> AppTest:
    at.selectbox(key=f"{prefix}_kind").set_value(kind).run()
    at.text_input(key=f"{prefix}_name").set_value(name)
    for key, value in fields.items():
        widget_key = f"{prefix}_{key}_{kind}" if key in ("low", "high") else f"{prefix}_{key}"
        if key == "levels":
            at.text_area(key=widget_key).set_value(value)
        elif key in ("low", "high"):
            at.number_input(key=widget_key).set_value(value)
        else:
            at.text_input(key=widget_key).set_value(value)
    button(at, "Add variable").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


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


def new_session_with(at: AppTest, categorical: str, levels: str) -> AppTest:
    """A new session with a continuous Temperature and one categorical variable."""
    button(at, "New Session").click().run()
    add_variable(at, "add0", "continuous", "Temperature", unit="°C", low=300.0, high=500.0)
    return add_variable(at, "add1", "categorical", categorical, levels=levels)


def test_upload_experiments_and_see_problem_rows(cache: Path) -> None:
    at = new_session_with(start_app(), "Catalyst", "A\nB")
    at.switch_page("pages/experiments.py").run()
    csv = (
        b"Temperature,Catalyst,Yield,Comment,Operator\n350,A,0.4,first,AB\n900,A,0.5,hot,AB\n"
        b"400,C,0.6,,CD\nabc,B,0.7,,CD\n,,,,\n420,B,,pending,CD\n"
    )
    at.file_uploader(key="experiments_file0").set_value(("runs.csv", csv, "text/csv")).run()
    mapping = {box.label: box.value for box in at.selectbox if box.key.startswith("experiments_map0_")}
    assert mapping == {"Temperature": "variable:Temperature", "Catalyst": "variable:Catalyst", "Yield": "result",
                       "Comment": "note", "Operator": "ignored"}
    assert "1 completely empty row in the file is skipped" in texts(at.caption)
    button(at, "Import experiments").click().run()
    assert not at.exception
    session = at.session_state["session"]
    assert len(session.experiments) == 5 and session.target == "Yield"
    problems = texts(at.markdown)
    assert "Row 2: Temperature: 900 is outside 300 to 500" in problems
    assert "Row 3: Catalyst: unknown level 'C'" in problems
    assert "Row 4: Temperature: 'abc' is not a number" in problems
    assert "**1** usable for the model · **1** pending · **3** need attention" in problems
    assert "Columns not used: Operator." in texts(at.success)  # named, not dropped silently
    assert session.experiments.frame["Note"].tolist() == ["first", "hot", "", "", "pending"]


def test_unreadable_experiment_file_says_why(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/experiments.py").run()
    at.file_uploader(key="experiments_file0").set_value(("runs.xlsx", b"not a workbook", "application/octet-stream")).run()
    assert "is not an Excel workbook" in texts(at.error)
    assert len(at.session_state["session"].experiments) == 22


def test_train_model_shows_status_and_hyperparameters(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/model.py").run()
    button(at, "Train model").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Trained on 22 experiments" in texts(at.success)
    assert "Trained on 22 experiments" in header(at)
    assert len(at.dataframe[0].value) >= 4
    session = at.session_state["session"]
    restored = SessionStore(cache).get(session.id)
    X, _, _ = session.training_data()
    assert np.array_equal(restored.model.predict(X)[0], session.model.predict(X)[0])


def upload_session_file(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="load_session_file").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def assert_same_campaign(session, original) -> None:
    assert session.id != original.id and session.name == original.name
    assert session.variables == original.variables
    X, _, _ = original.training_data()
    assert np.array_equal(session.model.predict(X)[1], original.model.predict(X)[1])


def test_own_session_file_loads_at_once(cache: Path) -> None:
    original = catalyst_example()
    original.train()
    data = SessionStore(cache).export(original)  # signed with this installation's key
    at = upload_session_file(start_app(), f"alchemist_session_{original.short_id}.pkl", data)
    assert_same_campaign(at.session_state["session"], original)
    assert "**4** variables" in header(at) and "Trained on 22 experiments" in header(at)
    assert any("Loaded 'Catalyst screening (example)' as a new session" in t.value for t in at.toast)


def test_session_file_from_another_installation_asks_first(cache: Path, tmp_path: Path) -> None:
    original = catalyst_example()
    original.train()
    data = SessionStore(tmp_path / "elsewhere").export(original)  # another installation's key
    at = upload_session_file(start_app(), "colleague.pkl", data)
    assert "signed by another installation" in texts(at.warning)
    assert "session" not in at.session_state
    button(at, "Cancel").click().run()
    assert "session" not in at.session_state and not at.warning

    at = upload_session_file(start_app(), "colleague.pkl", data)
    button(at, "Load anyway").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert_same_campaign(at.session_state["session"], original)


def test_json_session_file_loads(cache: Path, tmp_path: Path) -> None:
    original = catalyst_example()
    original.train()
    data = SessionStore(tmp_path / "elsewhere").export(original, fmt="json")
    at = upload_session_file(start_app(), f"alchemist_session_{original.short_id}.json", data)
    assert_same_campaign(at.session_state["session"], original)


def test_nrel_alchemist_session_is_imported_with_notes(cache: Path) -> None:
    example = Path(__file__).parent / "golden" / "alchemist_nrel_0.4.0_reaction_campaign.json"
    at = upload_session_file(start_app(), example.name, example.read_bytes())
    session = at.session_state["session"]
    assert len(session.experiments) == 12 and len(session.variables) == 4
    assert any("from an NREL ALchemist file" in t.value for t in at.toast)
    assert any("about the file just loaded" in e.label for e in at.expander)


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty"),
        (b"\x80\x05\x95\x10\x00\x00\x00", "damaged"),
        (b"cos\nsystem\n(S'touch /tmp/x'\ntR.", "not an ALchemist session file"),
        (b"\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R.", "may be harmful"),
    ],
)
def test_bad_session_file_gives_an_error_and_changes_nothing(cache: Path, content: bytes, reason: str) -> None:
    at = upload_session_file(start_app(), "alchemist_session_bad.pkl", content)
    if any(b.label == "Load anyway" for b in at.button):  # an unsigned file: the user insists
        button(at, "Load anyway").click().run()
    assert not at.exception
    shown = texts(at.error)
    if reason == "empty":
        assert "is empty: it holds no session" in shown
    else:
        # A chemist reads what it means; the reader's own words (file internals) wait under Details.
        assert "it is not a session file ALchemist can open, or it is damaged" in shown
        details = next(e for e in at.expander if e.label.startswith("Details"))
        assert reason in texts(details.caption)
    assert any("could not be loaded" in t.value for t in at.toast)
    assert "session" not in at.session_state
    assert not at.query_params.get("session")
    assert not list((cache / "sessions").rglob("checkpoint"))


def test_reload_and_restart_find_the_session_from_the_url(cache: Path) -> None:
    at = open_example(start_app())
    session_id = at.session_state["session"].id
    again = start_app(session=session_id)  # a new browser session: empty session_state
    assert again.session_state["session"].id == session_id
    assert "**22** experiments" in header(again)


def test_a_second_tab_never_overwrites_the_first_tabs_change(cache: Path) -> None:
    first = open_example(start_app())
    session_id = first.session_state["session"].id
    second = start_app(session=session_id)  # the same link in another tab
    first.text_input(key="session_name").set_value("Renamed in tab one").run()
    second.run()  # any interaction in tab two
    assert any("changed in another tab" in t.value for t in second.toast)
    assert second.session_state["session"].name == "Renamed in tab one"
    assert second.text_input(key="session_name").value == "Renamed in tab one"
    add_variable(second, "add0", "continuous", "Pressure", unit="bar", low=1.0, high=10.0)
    button(second, "Not recorded").click().run()  # the example's 22 experiments have no pressure
    stored = SessionStore(cache).get(session_id)  # both changes are kept
    assert stored.name == "Renamed in tab one"
    assert "Pressure" in [v.name for v in stored.variables]
    assert stored.experiments.frame["Pressure"].isna().all(), "not recorded: left empty"


def test_a_confirmed_change_after_another_tab_renamed_is_kept(cache: Path) -> None:
    # Issue 8: the confirmation used to keep a closure over tab one's old session object.
    first = open_example(start_app())
    session_id = first.session_state["session"].id
    button(first, "Delete 'Temperature'").click().run()
    assert "removes its values" in texts(first.warning)
    second = start_app(session=session_id)
    second.text_input(key="session_name").set_value("Renamed in tab two").run()
    button(first, "Delete anyway").click().run()
    assert not first.exception, [e.message for e in first.exception]
    stored = SessionStore(cache).get(session_id)
    assert "Temperature" not in [v.name for v in stored.variables]
    assert stored.name == "Renamed in tab two"
    assert "Temperature" not in [v.name for v in first.session_state["session"].variables]


def test_renaming_in_a_tab_keeps_what_another_tab_did(cache: Path) -> None:
    first = open_example(start_app())
    session_id = first.session_state["session"].id
    second = start_app(session=session_id)
    add_variable(second, "add0", "continuous", "Pressure", unit="bar", low=1.0, high=10.0)
    second.text_input(key="fill_value").set_value("5").run()
    button(second, "Fill in and add").click().run()
    first.text_input(key="session_name").set_value("Renamed in tab one").run()
    stored = SessionStore(cache).get(session_id)
    assert stored.name == "Renamed in tab one"
    assert "Pressure" in [v.name for v in stored.variables]


def test_unknown_or_malformed_session_link_goes_to_welcome(cache: Path) -> None:
    at = start_app(session="0" * 32)
    assert "expired or does not exist" in " ".join(t.value for t in at.toast)
    assert "ALchemist" in at.title[0].value
    at = start_app(session="../../etc/passwd")
    assert "does not name a valid session" in " ".join(t.value for t in at.toast)


def test_close_asks_for_a_download_then_says_what_it_did_and_offers_the_way_back(cache: Path) -> None:
    at = open_example(start_app())
    session_id = at.session_state["session"].id
    button(at, "Close Session").click().run()
    # Changes never downloaded: the session stays open and the user is asked.
    assert at.session_state["session"].id == session_id
    assert "has changes you have not downloaded" in texts(at.warning)
    button(at, "Keep working").click().run()
    assert "has changes you have not downloaded" not in texts(at.warning)
    assert at.session_state["session"].id == session_id

    button(at, "Close Session").click().run()
    button(at, "Close without downloading").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "session" not in at.session_state
    assert "ALchemist" in at.title[0].value
    assert "Closed **Catalyst screening (example)**. It stays on this server for 7 days" in texts(at.success)

    button(at, "Reopen it").click().run()
    assert at.session_state["session"].id == session_id
    assert "Last change: Reopened 'Catalyst screening (example)'." in texts(at.caption)


def test_an_empty_session_closes_without_asking(cache: Path) -> None:
    at = start_app()
    button(at, "New Session").click().run()
    button(at, "Close Session").click().run()
    assert "session" not in at.session_state
    assert "Closed **Untitled session**" in texts(at.success)


def test_renaming_says_what_it_did(cache: Path) -> None:
    at = open_example(start_app())
    next(t for t in at.text_input if t.label == "Session name").set_value("Zinc series").run()
    assert at.session_state["session"].name == "Zinc series"
    assert "Last change: Renamed the session to 'Zinc series'." in texts(at.caption)


def test_model_page_cross_validation_and_parity(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/model.py").run()
    button(at, "Train model").click().run()
    button(at, "Cross-validate").click().run()
    assert not at.exception, [e.message for e in at.exception]
    labels = [m.label for m in at.metric]
    assert labels == ["RMSE", "MAE", "R²", "Inside 95% interval"]
    validation = at.session_state["session"].validation
    assert validation is not None and validation.method == "leave-one-out" and len(validation.table) == 22
    assert SessionStore(cache).get(at.session_state["session"].id).validation.rmse == validation.rmse


def test_suggest_then_add_as_pending(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/suggestions.py").run()
    session_id = at.session_state["session"].id
    at.number_input(key=f"suggest_n_{session_id}").set_value(3)
    at.radio(key=f"suggest_goal_{session_id}").set_value("minimize")
    button(at, "Suggest next experiments").click().run()
    assert not at.exception, [e.message for e in at.exception]
    session = at.session_state["session"]
    assert session.suggestion_settings.goal == "minimize" and session.suggestion_settings.batch_size == 3
    table = at.dataframe[0].value
    assert len(table) == 3 and "Predicted mean" in table.columns and "Acquisition" in table.columns
    for variable in session.variables:
        assert all(variable.check(v) is None for v in session.suggestions[variable.name])
    assert "Trained on 22 experiments" in header(at)

    button(at, "Add as pending experiments").click().run()
    session = at.session_state["session"]
    assert len(session.experiments) == 25 and session.suggestions is None
    assert "Last change: Added 3 pending experiments." in texts(at.caption)
    assert session.statuses().count(RowStatus.PENDING) == 3
    assert "**25** experiments" in header(at)
    stored = SessionStore(cache).get(session.id)
    assert len(stored.experiments) == 25

    # A second round never repeats the pending points.
    button(at, "Suggest next experiments").click().run()
    pending = stored.pending_points()
    new = at.session_state["session"].suggestions
    for _, row in new.iterrows():
        assert not ((pending == row[pending.columns]).all(axis=1)).any()


def test_landscape_follows_the_newest_suggestion_unless_pinned(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/suggestions.py").run()
    sid = at.session_state["session"].id
    button(at, "Suggest next experiments").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Last change: Suggested 1 experiment to run next" in texts(at.caption)
    # The map's axes are the first two numeric variables: Catalyst (categorical) and Zinc Fraction are held.
    first = at.session_state["session"].suggestions.iloc[0]
    assert at.selectbox(key=f"fix_{sid}_Catalyst").value == first["Catalyst"]
    zinc = at.slider(key=f"fix_{sid}_Zinc Fraction")
    assert zinc.value == pytest.approx(round(first["Zinc Fraction"], 3))
    assert "held at the first suggested experiment" in texts(at.caption)

    # A new round moves the slice to the new first suggestion.
    at.radio(key=f"suggest_goal_{sid}").set_value("minimize")
    button(at, "Suggest next experiments").click().run()
    second = at.session_state["session"].suggestions.iloc[0]
    assert at.selectbox(key=f"fix_{sid}_Catalyst").value == second["Catalyst"]
    assert at.slider(key=f"fix_{sid}_Zinc Fraction").value == pytest.approx(round(second["Zinc Fraction"], 3))

    # Pinned, the slice stays where the user put it.
    at.toggle(key=f"land_pin_{sid}").set_value(True).run()
    at.slider(key=f"fix_{sid}_Zinc Fraction").set_value(0.5).run()
    at.radio(key=f"suggest_goal_{sid}").set_value("maximize")
    button(at, "Suggest next experiments").click().run()
    assert at.slider(key=f"fix_{sid}_Zinc Fraction").value == pytest.approx(0.5)
    assert "(pinned)" in texts(at.caption)


def test_landscape_hides_measured_points_on_request(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/model.py").run()
    button(at, "Train model").click().run()
    at.switch_page("pages/suggestions.py").run()
    sid = at.session_state["session"].id
    assert at.toggle(key=f"land_points_{sid}").value is True  # 22 experiments: shown by default
    assert "Measured points are drawn" in texts(at.caption)
    at.toggle(key=f"land_points_{sid}").set_value(False).run()
    assert not at.exception
    assert "Measured points are drawn" not in texts(at.caption)


def test_initial_design_for_an_empty_campaign(cache: Path) -> None:
    at = new_session_with(start_app(), "Solvent", "Water\nEthanol")
    at.switch_page("pages/suggestions.py").run()
    assert any("needs at least 2 experiments" in i.value or "need a model" in i.value for i in at.info)
    button(at, "Add initial design as pending experiments").click().run()
    session = at.session_state["session"]
    assert len(session.experiments) == 5
    assert session.statuses() == [RowStatus.PENDING] * 5
    assert set(session.experiments.frame["Solvent"]) == {"Water", "Ethanol"}


def stored_time_to_live(cache: Path, session_id: str):
    from alchemist.plain import timestamp_from_state
    from alchemist.files.container import decode_session_file

    envelope = decode_session_file((cache / "sessions" / session_id / "checkpoint").read_bytes())
    return timestamp_from_state(envelope["expires_at"]) - timestamp_from_state(envelope["last_accessed"])


def test_time_to_live_from_secrets_and_environment(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["session_ttl_days"] = 2
    at.run()
    open_example(at)
    assert stored_time_to_live(cache, at.session_state["session"].id) == timedelta(days=2)

    monkeypatch.setenv("ALCHEMIST_SESSION_TTL_DAYS", "0.5")  # the environment wins over secrets
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["session_ttl_days"] = 2
    at.run()
    open_example(at)
    assert stored_time_to_live(cache, at.session_state["session"].id) == timedelta(hours=12)


def test_signing_key_ring_from_secrets(cache: Path) -> None:
    from alchemist.files.signing import KeyRing

    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["session_keys"] = {"2025-01": "an older secret of enough length", "2026-11": "the newest secret, long enough"}
    at.run()
    open_example(at)
    session_id = at.session_state["session"].id
    data = (cache / "sessions" / session_id / "checkpoint").read_bytes()
    ring = KeyRing.from_mapping({"2026-11": "the newest secret, long enough"})
    assert SessionStore(cache, keys=ring).get(session_id) is not None  # signed with the newest key
    assert b"2026-11" in data[:200] and not (cache / "session-signing-key").exists()


# -- issue 10: the automatic policy, when to stop, which variables matter ---------------------------
def test_a_new_session_suggests_with_the_automatic_policy_and_says_why(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/suggestions.py").run()
    session_id = at.session_state["session"].id
    assert at.selectbox(key=f"suggest_acquisition_{session_id}").value == "auto"
    assert any("**Automatic**" in c.value for c in at.caption)
    at.number_input(key=f"suggest_budget_{session_id}").set_value(23)  # 22 done: the last one refines
    button(at, "Suggest next experiments").click().run()
    assert not at.exception, [e.message for e in at.exception]
    session = at.session_state["session"]
    assert session.suggestion_settings.budget == 23
    assert list(session.suggestions["Policy"]) == ["exploit"]
    assert "Reason" not in at.dataframe[0].value  # said in full below the table: a column scrolled at 900 px
    assert any("**1**: budget nearly spent: refine the best" in m.value for m in at.markdown)
    assert [m.label for m in at.metric][:2] == ["Best observed", "Best by the model"]


def test_when_to_stop_on_demand_and_not_recomputed_on_rerun(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import alchemist.analysis.stopping as stopping

    at = open_example(start_app())
    at.switch_page("pages/model.py").run()
    button(at, "Train model").click().run()
    at.switch_page("pages/suggestions.py").run()
    assert not any(m.label == "Chance to beat the best" for m in at.metric)  # only on demand
    button(at, "Assess when to stop").click().run()
    assert not at.exception, [e.message for e in at.exception]
    labels = [m.label for m in at.metric]
    assert "Chance to beat the best" in labels
    assert "Expected improvement left" in labels
    assert any("Further experiments" in i.value or "Another experiment" in i.value for i in at.info)
    history = at.session_state["stopping"][1]
    assert len(history) > 1  # how both moved over the last rounds

    def no_recompute(*args, **kwargs):
        raise AssertionError("recomputed on a rerun")

    monkeypatch.setattr(stopping, "_report", no_recompute)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Expected improvement left" in [m.label for m in at.metric]


def test_which_variables_matter_on_the_model_page(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/model.py").run()
    button(at, "Train model").click().run()
    button(at, "Compute variable importance").click().run()
    assert not at.exception, [e.message for e in at.exception]
    key, result = at.session_state["sensitivity"]
    assert {v.name for v in result.variables} == {v.name for v in at.session_state["session"].variables}
    assert any("not a confidence interval" in c.value for c in at.caption)
    at.run()  # a rerun shows the cached figures
    assert at.session_state["sensitivity"][1] is result
    assert any("not a confidence interval" in c.value for c in at.caption)


def test_a_failing_store_keeps_the_change_in_memory_says_so_and_saves_it_later(cache: Path) -> None:
    at = open_example(start_app())
    session_id = at.query_params["session"]
    sessions = cache / "sessions"
    aside = cache / "sessions-aside"
    # The store's folder becomes a regular file: every write fails, as on a broken disk (root ignores chmod).
    sessions.rename(aside)
    sessions.write_text("not a folder")
    at.text_input(key="session_name").set_value("Kept while the disk fails").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "could not be saved yet" in texts(at.warning)
    assert at.session_state["session"].name == "Kept while the disk fails"
    at.run()  # another action while the disk still fails: still kept, still said, once
    assert not at.exception and "could not be saved yet" in texts(at.warning)
    assert sum("could not be saved yet" in w.value for w in at.warning) == 1

    sessions.unlink()
    aside.rename(sessions)
    at.run()  # the next action saves it
    assert not at.exception and "could not be saved yet" not in texts(at.warning)
    assert SessionStore(cache).get(session_id).name == "Kept while the disk fails"


def test_an_upload_is_parsed_once_per_content_not_on_every_rerun() -> None:
    def script() -> None:
        import streamlit as st

        from alchemist.errors import FileFormatError
        from ui.uploads import parse_once

        def parse(data: bytes, name: str) -> str:
            st.session_state["parses"] = st.session_state.get("parses", 0) + 1
            if data == b"bad":
                raise FileFormatError("unreadable")
            return data.decode().upper()

        data = st.session_state.get("data", b"a,b\n1,2\n")
        try:
            st.text(parse_once("experiments", "x.csv", data, parse))
        except FileFormatError as error:
            st.text(f"error: {error.message}")
        st.button("Again")

    at = AppTest.from_function(script, default_timeout=30)
    at.run()
    at.button[0].click().run()
    at.run()
    assert at.session_state["parses"] == 1 and at.text[0].value.strip() == "A,B\n1,2"
    at.session_state["data"] = b"bad"
    at.run()
    at.run()  # an unreadable file is not read again either
    assert at.session_state["parses"] == 2 and at.text[0].value == "error: unreadable"
    at.session_state["data"] = b"new"
    at.run()
    assert at.session_state["parses"] == 3 and at.text[0].value == "NEW"
    assert len(at.session_state["parsed_uploads"]) == 1  # one kept file per kind of upload


def markdown_sources(at: AppTest) -> str:
    """Every text the page renders as Markdown: markdown, captions, alerts and toasts."""
    groups = (at.markdown, at.caption, at.error, at.warning, at.success, at.info, at.toast)
    return " | ".join(e.value for group in groups for e in group)


def test_user_text_is_shown_as_text_never_as_markdown(cache: Path) -> None:
    import pandas as pd

    at = start_app()
    next(t for t in at.text_input if t.label == "Session name").set_value("![img](http://x/y.png)")
    button(at, "New Session").click().run()
    link = "[x](http://evil)"
    add_variable(at, "add0", "categorical", link, levels="a\nb", description="*bold* :red[alarm]")
    assert "\\[x\\](http:\\/\\/evil)" in texts(at.toast)
    session = at.session_state["session"]
    session.add_experiments(pd.DataFrame({link: ["![img](http://x/y.png)"], "Output": [1.0]}), target="Output")
    at.switch_page("pages/experiments.py").run()
    assert not at.exception, [e.message for e in at.exception]
    shown = markdown_sources(at)
    assert "unknown level '!\\[img\\](http:\\/\\/x/y.png)'" in shown
    # Nowhere does the raw text reach a Markdown element unescaped: no link, no image, no colour.
    assert "](http://" not in shown and "[x]" not in shown and ":red[" not in shown


LINK_NOTICE = "You opened this session from a link; anyone with the link can see and change it."


def test_a_session_opened_from_a_link_offers_a_private_copy(cache: Path) -> None:
    owner = open_example(start_app())
    session_id = owner.query_params["session"]
    assert LINK_NOTICE not in texts(owner.warning)  # the tab that created it is not warned

    visitor = start_app(session=session_id)
    assert LINK_NOTICE in texts(visitor.warning)
    button(visitor, "Make a private copy").click().run()
    assert not visitor.exception, [e.message for e in visitor.exception]
    copy_id = visitor.query_params["session"]
    assert is_session_id(copy_id) and copy_id != session_id
    assert LINK_NOTICE not in texts(visitor.warning)
    visitor.text_input(key="session_name").set_value("My own copy").run()

    store = SessionStore(cache)
    original, copy = store.get(session_id), store.get(copy_id)
    assert original.name != "My own copy" and copy.name == "My own copy"
    assert copy.experiments.frame.equals(original.experiments.frame)
    assert owner.run().session_state["session"].id == session_id


def test_the_link_notice_can_be_dismissed_and_stays_away(cache: Path) -> None:
    session_id = open_example(start_app()).query_params["session"]
    visitor = start_app(session=session_id)
    button(visitor, "Keep working here").click().run()
    assert LINK_NOTICE not in texts(visitor.warning)
    visitor.run()
    assert LINK_NOTICE not in texts(visitor.warning) and visitor.query_params["session"] == session_id


def test_work_that_runs_out_of_memory_is_said_and_the_session_kept(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alchemist.session import Session

    def too_large(self, settings=None, progress=None):
        raise MemoryError("Unable to allocate 18.6 GiB")

    monkeypatch.setattr(Session, "train", too_large)
    at = open_example(start_app())
    at.switch_page("pages/model.py").run()
    button(at, "Train model").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "more memory than the server can give one operation" in texts(at.error)
    assert at.session_state["session"].model is None and len(at.session_state["session"].experiments) == 22


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
def test_upload_limits_are_stated_once_and_match_the_server_setting(cache: Path) -> None:
    import tomllib

    from alchemist.files.bounds import whole_megabytes
    from alchemist.files.kinds import MAX_UPLOAD_BYTES
    from alchemist.files.tables import MAX_TABLE_FILE_BYTES

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == whole_megabytes(MAX_UPLOAD_BYTES) == 100
    at = start_app()
    loader = at.file_uploader[0]
    assert loader.proto.max_upload_size_mb == 100
    assert "A .pkl session file can be at most 50 MB, a .json one 100 MB." in loader.help
    open_example(at)
    at.switch_page("pages/experiments.py").run()
    table = next(u for u in at.file_uploader if u.label.startswith("Table with one column per variable"))
    assert table.proto.max_upload_size_mb == whole_megabytes(MAX_TABLE_FILE_BYTES) == 20
    assert table.help.startswith("At most 20 MB.")


def test_file_problems_are_worded_without_file_internals(cache: Path, tmp_path: Path) -> None:
    original = catalyst_example()
    data = SessionStore(tmp_path / "elsewhere").export(original)  # another installation's key
    at = upload_session_file(start_app(), "colleague.pkl", data)
    warning = texts(at.warning)
    assert "signed by another installation of ALchemist" in warning
    assert "key id" not in warning and "local-" not in warning
    at = upload_session_file(start_app(), "notes.pkl", b"PK\x03\x04 a zip file, not a session")
    shown = texts(at.error)
    assert "could not be loaded" in shown and "magic" not in shown


def test_recent_sessions_are_listed_only_when_the_operator_turns_them_on(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SessionStore(cache)
    older, newer = catalyst_example(), catalyst_example()
    older.rename("Older screen")
    newer.rename("Zeolite screen")
    store.save(older)
    store.save(newer)

    at = start_app()  # off by default: a shared server must not show one visitor another's sessions
    assert "Recent sessions" not in [s.value for s in at.subheader]

    monkeypatch.setenv("ALCHEMIST_RECENT_SESSIONS", "1")
    at = start_app()
    assert "Recent sessions" in [s.value for s in at.subheader]
    listed = [m.value for m in at.markdown if " · " in m.value and "changed" in m.value]
    assert listed[0].startswith("**Zeolite screen**") and listed[1].startswith("**Older screen**")
    button_ = next(b for b in at.button if b.key == f"recent_{older.id}")
    button_.click().run()
    assert at.session_state["session"].id == older.id
    assert "Last change: Opened 'Older screen'." in texts(at.caption)


@pytest.mark.parametrize(
    "secrets, environ, on",
    [({}, {}, False), ({"recent_sessions": True}, {}, True), ({"recent_sessions": True}, {"ALCHEMIST_RECENT_SESSIONS": "0"}, False),
     ({}, {"ALCHEMIST_RECENT_SESSIONS": "yes"}, True), ({"recent_sessions": "maybe"}, {}, False)],
)
def test_recent_sessions_setting(secrets: dict, environ: dict, on: bool) -> None:
    from ui.recent import recent_enabled

    assert recent_enabled(secrets, environ) is on
