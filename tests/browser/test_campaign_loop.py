"""One turn of the active-learning loop in a real browser: train, suggest, add as pending, enter the result."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from alchemist.persistence import SessionStore
from tests.browser.conftest import StreamlitServer, screenshot, wait_idle
from tests.browser.test_experiments_editor import edit_cell


def go_to(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    wait_idle(page)


def test_suggest_add_pending_and_fill_in_the_result(page: Page, server: StreamlitServer) -> None:
    page.set_viewport_size({"width": 1400, "height": 2400})  # the whole page in one screenshot
    page.goto(server.url)
    page.get_by_role("button", name="Open example").click()
    expect(page.get_by_role("heading", name="Variables")).to_be_visible()
    wait_idle(page)
    session_id = re.search(r"session=([0-9a-f]{32})", page.url).group(1)

    go_to(page, "Model")
    page.get_by_role("button", name="Train model").click()
    expect(page.get_by_text("Trained on 22 experiments · kernel")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Cross-validate").click()
    expect(page.get_by_text("Inside 95% interval")).to_be_visible(timeout=60_000)
    wait_idle(page)
    screenshot(page, "model")

    go_to(page, "Suggestions")
    page.get_by_role("button", name="Suggest next experiments").click()
    add = page.get_by_role("button", name="Add as pending experiments")
    expect(add).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.wait_for_timeout(1000)  # let the charts draw before the screenshot
    screenshot(page, "suggestions")
    add.click()
    expect(page.get_by_text("Added 1 pending experiments")).to_be_visible()
    wait_idle(page)

    go_to(page, "Experiments")
    expect(page.get_by_text(re.compile(r"23\s+experiments · 22\s+usable for the model · 1\s+pending"))).to_be_visible()
    edit_cell(page, 22, 5, "0.61")  # the pending row is the last one; Output is the 5th column after Status
    expect(page.get_by_text(re.compile(r"23\s+experiments · 23\s+usable for the model · 0\s+pending"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Out of date \(trained on 22 experiments\)"))).to_be_visible()
    stored = SessionStore(server.cache_dir).get(session_id)
    assert stored.experiments.frame["Output"].iloc[-1] == 0.61
    assert stored.experiments.frame["Note"].iloc[-1].startswith("Suggested (Expected improvement)")
    screenshot(page, "experiments-with-new-result")
