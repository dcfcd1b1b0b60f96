"""One turn of the active-learning loop in a real browser: train, suggest, add as pending, enter the result."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from alchemist.persistence import SessionStore
from tests.browser.conftest import StreamlitServer, screenshot
from tests.browser.support import DataEditor, go_to, open_example, rerun


def test_suggest_add_pending_and_fill_in_the_result(page: Page, server: StreamlitServer) -> None:
    page.set_viewport_size({"width": 1400, "height": 2400})  # the whole page in one screenshot
    open_example(page, server.url)
    session_id = re.search(r"session=([0-9a-f]{32})", page.url).group(1)

    go_to(page, "Model")
    with rerun(page):
        page.get_by_role("button", name="Train model").click()
    expect(page.get_by_text("Current model: Matérn 5/2 kernel", exact=False)).to_be_visible()
    with rerun(page):
        page.get_by_role("button", name="Cross-validate").click()
    expect(page.get_by_text("Inside 95% interval")).to_be_visible()
    screenshot(page, "model")

    go_to(page, "Suggestions")
    with rerun(page):
        page.get_by_role("button", name="Suggest next experiments").click()
    add = page.get_by_role("button", name="Add as pending experiments")
    expect(add).to_be_visible()
    # The charts are drawn after the run, by the browser: wait for both to show their axes before the screenshot.
    expect(page.get_by_role("img").filter(has_text="Experiment number")).to_be_visible()
    expect(page.get_by_role("img").filter(has_text="Predicted mean")).to_be_visible()
    screenshot(page, "suggestions")
    with rerun(page):
        add.click()
    # The header keeps what the last change did until the next one (the toast is gone after 4 s).
    expect(page.get_by_text("Last change: Added 1 pending experiments")).to_be_visible()
    expect(add).to_have_count(0)

    go_to(page, "Experiments")
    expect(page.get_by_text(re.compile(r"23\s+experiments · 22\s+usable for the model · 1\s+pending"))).to_be_visible()
    table = DataEditor(page)
    table.show_last_row()  # the pending row is the last one; only the rows in view are in the grid's table
    pending = table.row_with(re.compile(r"^⏳ pending"))
    table.edit(table.cell(pending, "Output (result)"), "0.61")
    expect(page.get_by_text(re.compile(r"23\s+experiments · 23\s+usable for the model · 0\s+pending"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Out of date \(trained on 22 experiments\)"))).to_be_visible()
    stored = SessionStore(server.cache_dir).get(session_id)
    assert stored.experiments.frame["Output"].iloc[-1] == 0.61
    assert stored.experiments.frame["Note"].iloc[-1].startswith("Suggested (Automatic")  # the default policy
    screenshot(page, "experiments-with-new-result")
