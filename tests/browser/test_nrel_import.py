"""Issue 14 in a real Chromium: NREL ALchemist's two-objective session file through Load Session on the welcome screen.

The file is the one ALchemist 0.4.0 wrote (shared/ beside the checkout; a missing file fails the test).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import StreamlitServer, screenshot
from tests.browser.support import DataEditor, go_to, open_app, rerun, upload
from tests.session_files_support import shared_file

SESSION_FILE = re.compile(r"^Session file")  # the label of Load Session's file uploader
TWO_OBJECTIVES = "alchemist_session_queue/two_objective_campaign_alchemist040.json"


def test_the_two_objective_alchemist_file_loads_with_its_queue_and_both_objectives(page: Page, server: StreamlitServer) -> None:
    path = shared_file(TWO_OBJECTIVES)
    open_app(page, server.url)
    expect(page.get_by_role("heading", name="Load Session")).to_be_visible()
    with rerun(page):
        upload(page, SESSION_FILE, path)
    expect(page.get_by_role("heading", name="Variables")).to_be_visible()
    expect(page.get_by_text(re.compile(
        r"Last change: Loaded 'Flow amination: yield vs cost' from an NREL ALchemist file as a new session"))).to_be_visible()
    # Only what has no place here is named: ALchemist's run settings, its fitted model, the results' labels.
    notes = page.get_by_text("3 notes about the file just loaded")
    expect(notes).to_be_visible()
    lines = page.get_by_role("group").filter(has=notes).get_by_role("listitem")
    expect(lines).to_have_count(3)
    expect(lines.filter(has_text=re.compile(r"^ALchemist settings not imported: verbose=True"))).to_have_count(1)
    expect(lines.filter(has_text="Labels and units of the results not imported: Yield, Cost")).to_have_count(1)
    expect(lines.filter(has_text=re.compile(r"trained model \(botorch\) was not imported"))).to_have_count(1)
    for width in (900, 1400):
        page.set_viewport_size({"width": width, "height": 1000})
        screenshot(page, f"nrel-loaded-{width}")

    page.set_viewport_size({"width": 2400, "height": 1200})  # the grid draws only the columns in view: show them all
    go_to(page, "Experiments")
    # 12 runs of the design and the done queue item (already among ALchemist's experiments), then the
    # failed run (kept, out of the model) and the pending one (work in flight).
    expect(page.get_by_text(re.compile(r"15\s+experiments · 13\s+usable for the model · 1\s+pending · 0\s+need attention · 1\s+excluded"))).to_be_visible()
    grid = DataEditor(page)
    for column in ("Yield (result)", "Cost", "Temperature [°C]", "Note"):
        expect(grid.grid.get_by_role("columnheader", name=column, exact=True, include_hidden=True)).to_have_count(1)
    failed = grid.row_with("qNEHVI [failed] pump pressure fault; run aborted")
    expect(failed).to_have_count(1)
    expect(grid.cell(failed, "Status")).to_have_text(re.compile("excluded from the model"))
    queue_rows = grid.row_with("qNEHVI")
    expect(queue_rows).to_have_count(2)  # the done item's row and the pending one (the failed one's note differs)
    done = queue_rows.filter(has=page.get_by_role("gridcell", name="75.14", exact=True, include_hidden=True))
    expect(grid.cell(done, "Cost")).to_have_text("72.52")
    expect(grid.cell(done, "Status")).to_have_text(re.compile("ok"))
    pending = queue_rows.filter(has=page.get_by_role("gridcell", name=re.compile("pending: no result yet"), include_hidden=True))
    expect(pending).to_have_count(1)
    expect(grid.cell(pending, "Temperature [°C]")).to_have_text(re.compile(r"^110\.58"))
    summary = page.get_by_text(re.compile(r"15\s+experiments · 13"))
    for width in (900, 1400):
        page.set_viewport_size({"width": width, "height": 1000})
        summary.evaluate("element => element.scrollIntoView({block: 'start'})")  # the table, not the header
        screenshot(page, f"nrel-experiments-{width}")
