"""Issue 9, data in: files as labs have them are mapped, previewed and imported; typed cells are kept.

Each test follows one finding of the issue, in a real browser against `streamlit run`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from playwright.sync_api import Page, expect

from alchemist.persistence import SessionStore
from tests.browser.conftest import PROJECT, StreamlitServer, screenshot
from tests.browser.support import DataEditor, go_to, open_example, rerun, upload

UPLOAD_LABEL = "Table with one column per variable and a result column"
EXAMPLE_FILE = PROJECT / "examples" / "catalyst" / "ALL_catalyst_experiments_ICP_SAR.csv"
FIRST_ROW_RESULT = "0.05466064"  # the example's first row, named by its result

# A German lab's export: ';' between fields, decimal commas, a thousands point, units in the names, a typo.
DECIMAL_COMMA_CSV = (
    "Temperature (°C);Catalyst;Metal loading [wt%];Zinc_Fraction;Output\n"
    "373,80;Low SAR;1,5;0,25;0,0546\n"
    "405,96;High SAR;3,19;0,18;0,0139\n"
    "4O0,1;Low SAR;2,07;0,73;0,406\n"
    "445,76;Low SAR;0,61;0,28;1.000,5\n"
)


def session_id(page: Page) -> str:
    return re.search(r"session=([0-9a-f]{32})", page.url).group(1)


def last_change(page: Page, text: str) -> None:
    expect(page.get_by_text(f"Last change: {text}")).to_be_visible()


def open_upload(page: Page, server: StreamlitServer) -> None:
    open_example(page, server.url)
    go_to(page, "Experiments")
    page.get_by_text("Upload experiments (CSV or Excel)").click()


def picker(page: Page, label: str):
    """The selectbox with this label: a combobox whose value is the chosen option."""
    return page.get_by_role("combobox", name=label, exact=True)


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` as a keyboard user does: focus the selectbox, type to filter its list, Enter."""
    box = picker(page, label)
    box.click()
    expect(box).to_be_focused()
    page.keyboard.type(option)
    expect(page.get_by_role("option", name=option, exact=True)).to_be_visible()
    with rerun(page):
        page.keyboard.press("Enter")
    expect(picker(page, label)).to_have_value(option)


def test_our_own_example_file_maps_onto_the_example_and_imports(page: Page, server: StreamlitServer) -> None:
    """Finding 1: the shipped ALL_catalyst_experiments_ICP_SAR.csv was refused by the shipped example."""
    open_upload(page, server)
    with rerun(page):
        upload(page, UPLOAD_LABEL, EXAMPLE_FILE)
    # Each column's place is proposed, with the reason: SAR is in the name of every Catalyst level.
    expect(picker(page, "SAR")).to_have_value("Catalyst")
    expect(picker(page, "Output")).to_have_value("Result (measured)")
    expect(picker(page, "Reason")).to_have_value("Note")
    expect(page.get_by_text("matches the variable's levels")).to_be_visible()
    expect(page.get_by_text("26 rows will be added: 0 usable for the model, 0 pending (no result), 26 need attention."))\
        .to_be_visible()
    for width in (900, 1400):
        page.set_viewport_size({"width": width, "height": 1000})
        screenshot(page, f"data-in-mapping-{width}")
    # SAR 80 and 280 are the example's Low and High SAR: say so, and every row is usable.
    choose(page, "SAR = 80", "Low SAR")
    choose(page, "SAR = 280", "High SAR")
    expect(page.get_by_text("26 rows will be added: 26 usable for the model, 0 pending (no result), 0 need attention."))\
        .to_be_visible()
    with rerun(page):
        page.get_by_role("button", name="Import experiments").click()
    last_change(page, "Added 26 experiments.")
    expect(page.get_by_text(re.compile(r"48\s+experiments · 48\s+usable for the model"))).to_be_visible()
    stored = SessionStore(server.cache_dir).get(session_id(page))
    assert len(stored.experiments) == 48 and stored.import_mapping["SAR"] == "variable:Catalyst"
    assert set(stored.experiments.frame["Note"][22:]) == {"Initial Design"}  # ALchemist's Reason column
    assert stored.experiments.frame["Iteration"][22:].notna().all()


def test_a_decimal_comma_file_imports_and_a_typo_stays_as_typed_and_editable(
    page: Page, server: StreamlitServer, tmp_path: Path
) -> None:
    """Finding 2: decimal commas made every row invalid and four columns read-only text."""
    path = tmp_path / "labor.csv"
    path.write_text(DECIMAL_COMMA_CSV, encoding="utf-8")
    open_upload(page, server)
    with rerun(page):
        upload(page, UPLOAD_LABEL, path)
    expect(picker(page, "Temperature (°C)")).to_have_value("Temperature")
    expect(picker(page, "Metal loading [wt%]")).to_have_value("Metal Loading")
    expect(picker(page, "Zinc_Fraction")).to_have_value("Zinc Fraction")
    expect(page.get_by_text("As detected: Numbers read with a decimal comma (detected).")).to_be_visible()
    with rerun(page):
        page.get_by_text("Replace them with this file").click()
    expect(page.get_by_text(
        "The 22 experiments in the table will be replaced by these 4 rows: 3 usable for the model, "
        "0 pending (no result), 1 need attention."
    )).to_be_visible()
    screenshot(page, "data-in-decimal-comma-preview")
    with rerun(page):
        page.get_by_role("button", name="Import experiments").click()
    last_change(page, "Replaced 22 rows with 4. 1 needs attention; see the Status column.")

    # The typo stays as typed, with its reason; the column stays numeric; valid rows stay valid.
    table = DataEditor(page)
    expect(table.cell_named("4O0,1")).to_be_attached()
    expect(page.get_by_text("Row 3: Temperature: '4O0,1' is not a number")).to_be_visible()
    frame = SessionStore(server.cache_dir).get(session_id(page)).experiments.frame
    assert frame["Temperature"].dtype == np.float64 and frame["Temperature"].tolist()[:2] == [373.8, 405.96]
    assert frame["Output"].tolist()[3] == 1000.5

    # Fixing the typo in the table makes its row usable.
    table.edit(table.cell(table.row_with("4O0,1"), "Temperature"), "400.1")
    expect(page.get_by_text(re.compile(r"4\s+experiments · 4\s+usable for the model"))).to_be_visible()
    frame = SessionStore(server.cache_dir).get(session_id(page)).experiments.frame
    assert frame["Temperature"].tolist()[2] == 400.1


def test_a_typo_in_a_number_cell_is_kept_flagged_and_the_column_stays_numeric(page: Page, server: StreamlitServer) -> None:
    """Finding 4: typing `abc` into a number cell left it empty."""
    open_example(page, server.url)
    go_to(page, "Experiments")
    table = DataEditor(page)
    table.edit(table.cell(table.row_with(FIRST_ROW_RESULT), "Temperature"), "abc")
    expect(page.get_by_text("Row 1: Temperature: 'abc' is not a number")).to_be_visible()
    expect(table.cell(table.row_with(FIRST_ROW_RESULT), "Temperature")).to_have_text("abc")
    expect(page.get_by_text(re.compile(r"22\s+experiments · 21\s+usable for the model"))).to_be_visible()
    stored = SessionStore(server.cache_dir).get(session_id(page)).experiments
    assert stored.frame["Temperature"].dtype == np.float64 and stored.typed == {"Temperature": {0: "abc"}}
    screenshot(page, "data-in-typo-kept")


def test_adding_a_variable_asks_for_the_value_of_the_existing_experiments(page: Page, server: StreamlitServer) -> None:
    """Finding 3: adding Pressure made all 22 experiments unusable with only a toast."""
    open_example(page, server.url)
    page.get_by_label("Name", exact=True).locator("visible=true").fill("Pressure")
    page.get_by_label("Unit", exact=True).locator("visible=true").fill("bar")
    page.get_by_label("Minimum", exact=True).locator("visible=true").fill("1")
    page.get_by_label("Maximum", exact=True).locator("visible=true").fill("20")
    with rerun(page):
        page.get_by_role("button", name="Add variable").click()
    expect(page.get_by_text("The 22 experiments in the table have no value for 'Pressure'.")).to_be_visible()
    screenshot(page, "data-in-new-variable-asks")
    page.get_by_label("Pressure [bar] of the existing experiments").fill("25")
    with rerun(page):
        page.get_by_role("button", name="Fill in and add").click()
    expect(page.get_by_text("Pressure: 25 is outside 1 to 20")).to_be_visible()
    page.get_by_label("Pressure [bar] of the existing experiments").fill("5")
    with rerun(page):
        page.get_by_role("button", name="Fill in and add").click()
    last_change(page, "Added variable 'Pressure', with 5 for the 22 existing experiments.")
    go_to(page, "Experiments")
    expect(page.get_by_text(re.compile(r"22\s+experiments · 22\s+usable for the model"))).to_be_visible()


def test_add_row_is_a_draft_until_it_holds_a_value(page: Page, server: StreamlitServer) -> None:
    """Finding 5: "+ Add row" stored an empty row at once, needing attention."""
    open_example(page, server.url)
    go_to(page, "Experiments")
    table = DataEditor(page)
    rows = int(table.grid.get_attribute("aria-rowcount"))
    add_row = page.get_by_role("button", name="Add row")
    add_row.focus()  # the toolbar shows on hover or focus; the keyboard reaches it either way
    with rerun(page):
        page.keyboard.press("Enter")
    expect(table.grid).to_have_attribute("aria-rowcount", str(rows + 1))  # the draft row is shown
    expect(page.get_by_text(re.compile(r"22\s+experiments · 22\s+usable for the model · 0\s+pending · 0\s+need attention")))\
        .to_be_visible()
    assert len(SessionStore(server.cache_dir).get(session_id(page)).experiments) == 22
    # A value typed into the draft makes it an experiment (the rest of it still to fill in).
    table.show_last_row()
    draft = table.grid.locator(f'[role="row"][aria-rowindex="{rows}"]')
    table.edit(table.cell(draft, "Temperature"), "400")
    expect(page.get_by_text(re.compile(r"23\s+experiments · 22\s+usable for the model · 0\s+pending · 1\s+need attention")))\
        .to_be_visible()
    assert SessionStore(server.cache_dir).get(session_id(page)).experiments.frame["Temperature"].tolist()[-1] == 400.0


def test_a_workbook_with_several_sheets_asks_which_one(page: Page, server: StreamlitServer, tmp_path: Path) -> None:
    """Finding 6: a multi-sheet workbook silently read its first sheet."""
    path = tmp_path / "lab.xlsx"
    runs = pd.DataFrame({"Temperature": [400.0, 410.0], "Catalyst": ["Low SAR", "High SAR"], "Metal Loading": [1.0, 2.0],
                         "Zinc Fraction": [0.5, 0.6], "Output": [0.3, 0.4]})
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"Remark": ["calibrated 2024-03-01"]}).to_excel(writer, sheet_name="Notes", index=False)
        runs.to_excel(writer, sheet_name="Runs", index=False)
    open_upload(page, server)
    with rerun(page):
        upload(page, UPLOAD_LABEL, path)
    expect(picker(page, "Sheet (this workbook has 2)")).to_have_value("Notes")
    choose(page, "Sheet (this workbook has 2)", "Runs")
    expect(page.get_by_text("2 rows will be added: 2 usable for the model, 0 pending (no result), 0 need attention."))\
        .to_be_visible()
    with rerun(page):
        page.get_by_role("button", name="Import experiments").click()
    last_change(page, "Added 2 experiments.")
    expect(page.get_by_text(re.compile(r"24\s+experiments · 24\s+usable"))).to_be_visible()
