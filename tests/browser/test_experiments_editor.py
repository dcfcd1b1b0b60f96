"""Editing the experiment table in a real browser: every edit is kept, in order, and saved at once."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from alchemist.persistence import SessionStore
from tests.browser.conftest import StreamlitServer, screenshot
from tests.browser.support import DataEditor, go_to, open_example

# Rows of the shipped catalyst example, named by their measured results (each is unique in the example).
FIRST_ROW_RESULT = "0.05466064"  # Temperature 369.42
SECOND_ROW_RESULT = "0.013986853"
THIRD_ROW_RESULT = "0.405993282"


def test_two_edits_and_a_deletion_are_all_kept(page: Page, server: StreamlitServer) -> None:
    open_example(page, server.url)
    session_id = re.search(r"session=([0-9a-f]{32})", page.url).group(1)
    go_to(page, "Experiments")
    store = SessionStore(server.cache_dir)
    table = DataEditor(page)

    # Temperature of the first row: out of its 350–450 range, so the row needs attention.
    table.edit(table.cell(table.row_with(FIRST_ROW_RESULT), "Temperature"), "500")
    expect(page.get_by_text("Row 1: Temperature: 500 is outside 350 to 450")).to_be_visible()
    expect(table.cell(table.row_with(FIRST_ROW_RESULT), "Temperature")).to_have_text("500")

    # The result of the second row: this edit must not undo the first.
    table.edit(table.cell(table.row_with(SECOND_ROW_RESULT), "Output (result)"), "0.987")
    expect(table.row_with("0.987")).to_be_attached()
    frame = store.get(session_id).experiments.frame
    assert frame.loc[0, "Temperature"] == 500.0
    assert frame.loc[1, "Output"] == 0.987
    expect(page.get_by_text(re.compile(r"22\s+experiments · 21\s+usable"))).to_be_visible()

    # Select the third row and delete it: both edits stay.
    table.delete_row_with(THIRD_ROW_RESULT)
    expect(page.get_by_text(re.compile(r"21\s+experiments · 20\s+usable"))).to_be_visible()
    expect(table.row_with(THIRD_ROW_RESULT)).to_have_count(0)
    frame = store.get(session_id).experiments.frame
    assert len(frame) == 21 and frame.loc[0, "Temperature"] == 500.0 and frame.loc[1, "Output"] == 0.987
    assert float(THIRD_ROW_RESULT) not in frame["Output"].tolist()
    screenshot(page, "experiments-edited")
