"""History in a real browser: edit a cell, undo and redo it from the header; open History, restore
an earlier revision and see the old values again."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from alchemist.persistence import SessionStore
from tests.browser.conftest import StreamlitServer, screenshot
from tests.browser.support import DataEditor, go_to, open_example, rerun

FIRST_ROW_RESULT = "0.05466064"  # the first experiment of the catalyst example, by its unique result
ORIGINAL_TEMPERATURE = 369.420007


def temperature(store: SessionStore, session_id: str) -> float:
    return float(store.get(session_id).experiments.frame.loc[0, "Temperature"])


def last_change(page: Page, pattern: str) -> None:
    expect(page.get_by_text(re.compile(r"Last change: " + pattern))).to_be_visible()


def test_edit_undo_redo_then_restore_from_history(page: Page, server: StreamlitServer) -> None:
    open_example(page, server.url)
    session_id = re.search(r"session=([0-9a-f]{32})", page.url).group(1)
    store = SessionStore(server.cache_dir)
    undo = page.get_by_role("button", name="↶ Undo")
    redo = page.get_by_role("button", name="↷ Redo")
    expect(undo).to_be_disabled()
    expect(redo).to_be_disabled()

    go_to(page, "Experiments")
    table = DataEditor(page)
    table.edit(table.cell(table.row_with(FIRST_ROW_RESULT), "Temperature"), "400")
    expect(table.cell(table.row_with(FIRST_ROW_RESULT), "Temperature")).to_have_text("400")
    assert temperature(store, session_id) == 400.0
    expect(undo).to_be_enabled()

    with rerun(page):
        undo.click()
    last_change(page, r"Undone: Set Temperature in row 1 to 400")
    assert abs(temperature(store, session_id) - ORIGINAL_TEMPERATURE) < 1e-6
    expect(table.cell(table.row_with(FIRST_ROW_RESULT), "Temperature")).to_have_text(re.compile(r"^369\.42"))
    expect(redo).to_be_enabled()

    with rerun(page):
        redo.click()
    last_change(page, r"Redone: Set Temperature in row 1 to 400")
    assert temperature(store, session_id) == 400.0
    expect(table.cell(table.row_with(FIRST_ROW_RESULT), "Temperature")).to_have_text("400")
    expect(redo).to_be_disabled()
    screenshot(page, "history-redone")

    go_to(page, "History")
    expect(page.get_by_text("Set Temperature in row 1 to 400").first).to_be_visible()
    page.get_by_label("View a past state").click()
    with rerun(page):
        page.get_by_role("option", name=re.compile(r"^Revision 1: Session stored for the first time")).click()
    expect(page.get_by_role("heading", name="Revision 1 (read-only)")).to_be_visible()
    expect(page.get_by_text("1 cell changed since, in Temperature")).to_be_visible()
    for width in (900, 1400):
        page.set_viewport_size({"width": width, "height": 1000})
        screenshot(page, f"history-revision-{width}")
    with rerun(page):
        page.get_by_role("button", name="Restore revision 1").click()
    last_change(page, r"Restored revision 1\.")
    assert abs(temperature(store, session_id) - ORIGINAL_TEMPERATURE) < 1e-6
    assert store.history(session_id)[-1].summary["target"] == 1

    go_to(page, "Experiments")
    expect(table.cell(table.row_with(FIRST_ROW_RESULT), "Temperature")).to_have_text(re.compile(r"^369\.42"))
    with rerun(page):
        undo.click()
    last_change(page, r"Undone: Restored revision 1")
    assert temperature(store, session_id) == 400.0


def test_two_tabs_a_confirmed_delete_after_a_rename_in_the_other_tab_keeps_both(page: Page, server: StreamlitServer) -> None:
    open_example(page, server.url)
    session_id = re.search(r"session=([0-9a-f]{32})", page.url).group(1)
    store = SessionStore(server.cache_dir)

    # Tab one asks to delete Temperature, which holds values: the app asks first.
    page.get_by_role("tab", name="Edit or delete").click()
    with rerun(page):
        page.get_by_role("button", name="Delete 'Temperature'").click()
    expect(page.get_by_text(re.compile(r"removes its values"))).to_be_visible()

    # Meanwhile tab two, on the same link, renames the session.
    other = page.context.new_page()
    with rerun(other):
        other.goto(page.url)
    name_box = other.get_by_label("Session name", exact=True)
    expect(name_box).to_have_value("Catalyst screening (example)")
    name_box.fill("Renamed in tab two")
    with rerun(other):
        name_box.press("Enter")
    expect(name_box).to_have_value("Renamed in tab two")
    assert store.get(session_id).name == "Renamed in tab two"

    # Tab one confirms: the delete lands on the renamed session, nothing of tab two's is lost.
    with rerun(page):
        page.get_by_role("button", name="Delete anyway").click()
    last_change(page, r"Deleted variable 'Temperature'")
    stored = store.get(session_id)
    assert stored.name == "Renamed in tab two"
    assert "Temperature" not in [v.name for v in stored.variables]
    expect(page.get_by_label("Session name", exact=True)).to_have_value("Renamed in tab two")
    kinds = [r.kind.value for r in store.history(session_id)]
    assert kinds[-2:] == ["rename", "delete_variable"], kinds
    screenshot(page, "history-two-tabs")
