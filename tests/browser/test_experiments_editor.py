"""Editing the experiment table in a real browser: every edit is kept, in order, and saved at once."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from alchemist.persistence import SessionStore
from tests.browser.conftest import StreamlitServer, screenshot, wait_idle

ROW_HEIGHT = 35  # Streamlit's data editor: header and rows are 35 px high


def cell_click(page: Page, row: int, x_offset: float) -> None:
    # The grid is drawn on a canvas: cells are reached by position. Measure it anew each time,
    # since messages above the table move it.
    box = page.get_by_test_id("stDataFrame").bounding_box()
    x, y = box["x"] + x_offset, box["y"] + ROW_HEIGHT * (row + 1) + ROW_HEIGHT / 2
    page.mouse.move(x, y)  # the row-marker checkbox only takes a click once hovered
    page.wait_for_timeout(200)
    page.mouse.click(x, y)


def edit_cell(page: Page, row: int, columns_right_of_status: int, text: str) -> None:
    # Start at the first Status cell and move with the keyboard, which also scrolls the grid.
    cell_click(page, 0, 100)
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    for _ in range(columns_right_of_status):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.wait_for_timeout(200)
    page.keyboard.press("Enter")
    wait_idle(page)
    page.wait_for_timeout(800)


def test_two_edits_and_a_deletion_are_all_kept(page: Page, server: StreamlitServer) -> None:
    page.goto(server.url)
    page.get_by_role("button", name="Open example").click()
    expect(page.get_by_role("heading", name="Variables")).to_be_visible()
    wait_idle(page)
    session_id = re.search(r"session=([0-9a-f]{32})", page.url).group(1)
    page.get_by_test_id("stSidebarNav").get_by_text("Experiments", exact=True).click()
    wait_idle(page)
    store = SessionStore(server.cache_dir)

    edit_cell(page, 0, 1, "500")  # Temperature of row 1: out of its 350–450 range
    expect(page.get_by_text("Row 1: Temperature: 500 is outside 350 to 450")).to_be_visible()
    edit_cell(page, 1, 5, "0.987")  # Output of row 2: the second edit must not undo the first
    frame = store.get(session_id).experiments.frame
    assert frame.loc[0, "Temperature"] == 500.0
    assert frame.loc[1, "Output"] == 0.987
    expect(page.get_by_text(re.compile(r"22\s+experiments · 21\s+usable"))).to_be_visible()

    cell_click(page, 2, 16)  # the row marker of row 3 selects the row
    page.keyboard.press("Delete")
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"21\s+experiments · 20\s+usable"))).to_be_visible()
    frame = store.get(session_id).experiments.frame
    assert len(frame) == 21 and frame.loc[0, "Temperature"] == 500.0 and frame.loc[1, "Output"] == 0.987
    screenshot(page, "experiments-edited")
