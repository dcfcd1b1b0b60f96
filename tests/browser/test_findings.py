"""Issue 9, the findings the other browser tests do not cover: each test follows the steps of one
finding, in a real Chromium against `streamlit run`.

Finding 6 (silence), 7 (numbers), 8 (upload limits), 10 (the landscape), 11 (six variables),
12 (jargon) and 13 (cross-validation and large suggestions show progress and stop on Cancel).
The table of every finding and its browser test is in tests/browser/README.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from playwright.sync_api import Page, expect

from alchemist.examples import catalyst_example
from alchemist.model import ModelSettings
from alchemist.persistence import SessionStore
from benchmarks.campaign import build_session
from tests.browser.conftest import StreamlitServer, screenshot
from tests.browser.support import DataEditor, go_to, open_app, open_example, rerun, upload
from tests.browser.test_dashboard import many_experiments
from tests.browser.test_data_in import FIRST_ROW_RESULT, UPLOAD_LABEL, open_upload, session_id
from ui import words

SESSION_FILE = re.compile(r"^Session file")  # the label of Load Session's file uploader
# A number shown with more decimals than any variable's range calls for (e.g. 404.0684519878572).
FULL_PRECISION = re.compile(r"\d\.\d{5,}")


def last_change(page: Page, text: str):
    return page.get_by_text(f"✅ Last change: {text}", exact=True)


def grid_texts(page: Page) -> list[str]:
    """The text of every cell in view in the page's tables (their accessible copy of the canvas)."""
    return page.locator('[role="gridcell"]').all_text_contents()


def test_rename_a_cell_edit_and_a_utf16_file_say_what_they_did(page: Page, server: StreamlitServer, tmp_path: Path) -> None:
    """Finding 6: renaming and cell edits gave no feedback; a UTF-16 file showed a garbled header."""
    open_example(page, server.url)
    name = page.get_by_label("Session name")
    with rerun(page):
        name.fill("Zinc series")
        name.press("Enter")
    expect(last_change(page, "Renamed the session to 'Zinc series'.")).to_be_visible()

    go_to(page, "Experiments")
    table = DataEditor(page)
    table.edit(table.cell(table.row_with(FIRST_ROW_RESULT), "Note"), "calibrated")
    expect(last_change(page, "Edited 1 cell (Note).")).to_be_visible()
    assert SessionStore(server.cache_dir).get(session_id(page)).experiments.frame["Note"][0] == "calibrated"

    path = tmp_path / "utf16.csv"
    path.write_text("Temperature,Catalyst,Metal Loading,Zinc Fraction,Output\n"
                    "400,Low SAR,2,0.5,0.3\n410,High SAR,3,0.6,0.4\n", encoding="utf-16")
    page.get_by_text("Upload experiments (CSV or Excel)").click()
    with rerun(page):
        upload(page, UPLOAD_LABEL, path)
    expect(page.get_by_text("2 rows will be added: 2 usable for the model, 0 pending (no result), 0 need attention."))\
        .to_be_visible()
    with rerun(page):
        page.get_by_role("button", name="Import experiments").click()
    expect(last_change(page, "Added 2 experiments.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"24\s+experiments · 24\s+usable"))).to_be_visible()


def test_numbers_keep_a_precision_suited_to_each_variable_and_reasons_are_whole(page: Page, server: StreamlitServer) -> None:
    """Finding 7: suggested values landed with full float precision, empty cells read "None", Status cut reasons off."""
    open_example(page, server.url)
    go_to(page, "Suggestions")
    with rerun(page):
        page.get_by_role("button", name="Suggest next experiments").click()
    expect(last_change(page, "Suggested 1 experiment to run next; see the table below.")).to_be_visible()
    suggested = SessionStore(server.cache_dir).get(session_id(page)).suggestions.iloc[0]
    assert FULL_PRECISION.search(repr(float(suggested["Temperature"])))  # the model's value is a full float…
    table = DataEditor(page)
    shown = [table.cell(table.row_with("1"), v).text_content() for v in ("Temperature", "Metal Loading", "Zinc Fraction")]
    assert not [t for t in shown if FULL_PRECISION.search(t)], shown  # … shown rounded
    assert abs(float(shown[0]) - suggested["Temperature"]) < 0.1, shown
    expect(page.get_by_text("Why these experiments")).to_be_visible()  # the reasons, whole, below the table

    with rerun(page):
        page.get_by_role("button", name="Add as pending experiments").click()
    go_to(page, "Experiments")
    table = DataEditor(page)
    shown = grid_texts(page)
    assert "None" not in shown, shown  # empty Noise and Iteration cells stay empty
    table.show_last_row()
    pending = table.row_with(re.compile(r"^⏳ pending"))
    expect(pending).to_have_count(1)
    temperature = table.cell(pending, "Temperature").text_content()
    assert not FULL_PRECISION.search(temperature) and abs(float(temperature) - suggested["Temperature"]) < 0.1, temperature

    # A value outside its range: the reason is given whole, range included.
    table.focus()
    page.keyboard.press("ControlOrMeta+ArrowUp")  # back to the first row (only the rows in view are in the grid's table)
    table.edit(table.cell(table.row_with(FIRST_ROW_RESULT), "Temperature"), "9999")
    expect(page.get_by_text(re.compile(r"^Row 1: Temperature: 9999 is outside \d+(\.\d+)? to \d+(\.\d+)?"))).to_be_visible()
    for width in (900, 1400):
        page.set_viewport_size({"width": width, "height": 1000})
        screenshot(page, f"findings-status-reasons-{width}")


def test_each_uploader_states_one_limit(page: Page, server: StreamlitServer) -> None:
    """Finding 8: one uploader said 100 MB, its tooltip 20 MB and its error 21 MB."""
    open_app(page, server.url)
    loader = page.get_by_test_id("stFileUploader").filter(has=page.get_by_text(SESSION_FILE))
    expect(loader.get_by_text(re.compile(r"^100(\.0)?\s?MB per file"))).to_be_visible()
    loader.get_by_test_id("stTooltipIcon").hover()
    expect(page.get_by_text("A .pkl session file can be at most 50 MB, a .json one 100 MB.", exact=False)).to_be_visible()
    expect(page.get_by_text(re.compile(r"\b10[45]\s?MB"))).to_have_count(0)

    open_upload(page, server)
    table = page.get_by_test_id("stFileUploader").filter(has=page.get_by_text(UPLOAD_LABEL))
    expect(table.get_by_text(re.compile(r"^20(\.0)?\s?MB per file"))).to_be_visible()
    table.get_by_test_id("stTooltipIcon").hover()
    expect(page.get_by_text(re.compile(r"^At most 20 MB\."))).to_be_visible()
    expect(page.get_by_text(re.compile(r"\b21\s?MB"))).to_have_count(0)


def test_the_landscape_follows_the_suggestions_and_hides_measured_points(page: Page, server: StreamlitServer) -> None:
    """Finding 10: after switching to Minimize the map kept its first slice; measured dots could not be hidden."""
    open_example(page, server.url)
    go_to(page, "Suggestions")
    with rerun(page):
        page.get_by_text("Minimize Output", exact=True).click()
    with rerun(page):
        page.get_by_role("button", name="Suggest next experiments").click()
    expect(last_change(page, "Suggested 1 experiment to run next; see the table below.")).to_be_visible()
    first = SessionStore(server.cache_dir).get(session_id(page)).suggestions.iloc[0]
    page.get_by_role("heading", name="Model landscape").scroll_into_view_if_needed()
    expect(page.get_by_text("held at the first suggested experiment", exact=False)).to_be_visible()
    expect(page.get_by_role("combobox", name="Catalyst", exact=True)).to_have_value(first["Catalyst"])
    zinc = page.get_by_test_id("stSlider").filter(has_text="Zinc Fraction").get_by_test_id("stSliderThumbValue")
    expect(zinc).to_have_text(f"{first['Zinc Fraction']:.3f}")  # the variable's precision: 0 to 1 gives 3 decimals
    expect(page.get_by_text(re.compile(r"^Measured points are drawn"))).to_be_visible()
    with rerun(page):
        page.get_by_text("Show measured experiments", exact=True).click()
    expect(page.get_by_text(re.compile(r"^Measured points are drawn"))).to_have_count(0)
    screenshot(page, "findings-landscape")


def test_six_variables_show_every_fitted_hyperparameter(page: Page, server: StreamlitServer) -> None:
    """Finding 11: with 6 variables the hyperparameter table clipped its last row (and finding 10: the
    integer slider showed "109.00")."""
    session = build_session(40, n_variables=6)
    session.train(ModelSettings(n_restarts=0))
    SessionStore(server.cache_dir).save(session)
    rows = words.hyperparameter_rows(session.model.hyperparameters(), session.target)
    assert len(rows) >= 8
    open_app(page, f"{server.url}/model?session={session.id}")
    expect(page.get_by_role("heading", name="Fitted hyperparameters")).to_be_visible()
    table = DataEditor(page)
    # Only the rows in view are in the grid's accessible table: the last one is there without scrolling.
    for row in (rows[0], rows[-1]):
        expect(table.cell_named(row["Parameter"])).to_be_attached()
    page.set_viewport_size({"width": 900, "height": 1000})
    expect(table.cell_named(rows[-1]["Parameter"])).to_be_attached()
    screenshot(page, "findings-six-variables-model-900")

    # Finding 10's last part: a slider of an integer variable shows a whole number ("12", not "12.00").
    go_to(page, "Suggestions")
    page.get_by_role("heading", name="Model landscape").scroll_into_view_if_needed()
    integer = page.get_by_test_id("stSlider").filter(has_text="n0").get_by_test_id("stSliderThumbValue")
    expect(integer).to_have_text(re.compile(r"^\d+$"))
    screenshot(page, "findings-six-variables-landscape-900")


def test_file_problems_and_model_units_are_worded_for_a_chemist(page: Page, server: StreamlitServer, tmp_path: Path) -> None:
    """Finding 12: "first bytes (the magic)", "key id local-…", "(STACK_GLOBAL)", "standardised output units²"."""
    colleague = tmp_path / "colleague.pkl"
    colleague.write_bytes(SessionStore(tmp_path / "elsewhere").export(catalyst_example()))  # another installation's key
    open_app(page, server.url)
    with rerun(page):
        upload(page, SESSION_FILE, colleague)
    expect(page.get_by_text("signed by another installation of ALchemist", exact=False)).to_be_visible()
    text = page.get_by_test_id("stMain").inner_text()
    assert "key id" not in text and "local-" not in text, text
    with rerun(page):
        page.get_by_role("button", name="Cancel").click()

    zip_file = tmp_path / "notes.pkl"
    zip_file.write_bytes(b"PK\x03\x04 a zip file, not a session")
    open_app(page, server.url)  # a fresh visit: the uploader holds no file
    with rerun(page):
        upload(page, SESSION_FILE, zip_file)
    expect(page.get_by_role("alert").filter(has_text="could not be loaded")).to_be_visible()
    text = page.get_by_test_id("stMain").inner_text()
    assert not re.search(r"magic|STACK_GLOBAL|opcode", text), text

    open_example(page, server.url)
    go_to(page, "Model")
    with rerun(page):
        page.get_by_role("button", name="Train model").click()
    expect(page.get_by_role("heading", name="Fitted hyperparameters")).to_be_visible()
    expect(DataEditor(page).cell_named("Length scale: Temperature")).to_be_attached()
    cells = " ".join(grid_texts(page))
    assert "Length scale: Temperature" in cells and not re.search(r"standardi[sz]ed|transformed|units²", cells), cells


def test_cross_validation_runs_and_a_large_suggestion_shows_progress_and_stops_on_cancel(
    page: Page, server: StreamlitServer
) -> None:
    """Finding 13: cross-validation and suggesting at 2,000 experiments ran under a bare spinner, with no Cancel.

    Cross-validation is bounded to a subset of 2,000 experiments and now ends in about half a second,
    so a click on its Cancel cannot be made to land in time on every machine: that it stops and keeps
    nothing is a unit test (tests/test_progress_hooks.py), and the Cancel both share is clicked here on
    a suggestion of 50 experiments, which runs for tens of seconds."""
    session = many_experiments(2978)  # 3,000 with the example's 22
    session.train(ModelSettings(n_restarts=0))
    store = SessionStore(server.cache_dir)
    store.save(session)
    open_app(page, f"{server.url}/model?session={session.id}")

    with rerun(page):
        page.get_by_role("button", name="Cross-validate").click()
    expect(last_change(page, "Cross-validated the model; the figures are below.")).to_be_visible()
    expect(page.get_by_text("RMSE")).to_be_visible()
    assert store.get(session.id).validation is not None

    # A large suggestion: one experiment after another on the bar; Cancel keeps the session as it was.
    go_to(page, "Suggestions")
    how_many = page.get_by_label("How many")
    with rerun(page):
        how_many.fill("50")
        how_many.press("Enter")
    page.get_by_role("button", name="Suggest next experiments").click()
    expect(page.get_by_text(re.compile(r"^Searching the space for experiment \d+ of 50"))).to_be_visible()
    screenshot(page, "findings-suggesting-progress")
    with rerun(page):
        page.get_by_role("button", name="Cancel").click()
    expect(last_change(page, "Suggesting cancelled; no new experiments were suggested.")).to_be_visible()
    stored = store.get(session.id)
    assert stored.suggestions is None and stored.validation is not None
    assert np.isclose(stored.model.theta, session.model.theta).all()  # the model is the one trained before
