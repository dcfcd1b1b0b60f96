"""The dashboard says what it did: closing, downloading, training and cancelling, in a real Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from playwright.sync_api import Page, expect

from alchemist.examples import catalyst_example
from alchemist.persistence import SessionStore
from alchemist.session import Session
from tests.browser.conftest import ARTIFACTS, StreamlitServer, screenshot
from tests.browser.support import go_to, open_app, open_example, rerun, wait_idle


def last_change(page: Page, text: str):
    return page.get_by_text(f"✅ Last change: {text}", exact=True)


def test_close_asks_offers_the_download_and_the_way_back(page: Page, server: StreamlitServer, tmp_path: Path) -> None:
    open_example(page, server.url)
    with rerun(page):
        page.get_by_role("button", name="Close Session").click()
    expect(page.get_by_text("has changes you have not downloaded", exact=False)).to_be_visible()
    expect(page.get_by_role("heading", name="Variables")).to_be_visible()  # still open
    screenshot(page, "close-asks")

    with page.expect_download() as download_info, rerun(page):
        page.get_by_role("button", name="Download a copy").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.stat().st_size > 0
    expect(last_change(page, "Downloaded a copy of the session.")).to_be_visible()
    expect(page.get_by_text("A copy with every change is downloaded")).to_be_visible()

    with rerun(page):
        page.get_by_role("button", name="Close now").click()
    expect(page.get_by_role("heading", name="Load Session")).to_be_visible()
    expect(page.get_by_text("Closed Catalyst screening (example). It stays on this server for 7 days")).to_be_visible()
    assert "session=" not in page.url

    with rerun(page):
        page.get_by_role("button", name="Reopen it").click()
    expect(page.get_by_role("heading", name="Variables")).to_be_visible()
    expect(last_change(page, "Reopened 'Catalyst screening (example)'.")).to_be_visible()

    # With the download current, Close closes at once.
    with page.expect_download(), rerun(page):
        page.get_by_role("button", name="Save Session").click()
    expect(last_change(page, "Downloaded the session file (.pkl).")).to_be_visible()
    with rerun(page):
        page.get_by_role("button", name="Close Session").click()
    expect(page.get_by_role("heading", name="Load Session")).to_be_visible()


def many_experiments(rows: int) -> Session:
    """The catalyst example with enough experiments that a fit with many restarts runs for a while."""
    session = catalyst_example()
    rng = np.random.default_rng(0)
    names = [v.name for v in session.variables]
    extra = session.experiments.frame.sample(rows, replace=True, random_state=0)[names].copy()
    for variable in session.variables:
        if variable.kind == "continuous":
            extra[variable.name] = rng.uniform(variable.low, variable.high, rows)
    extra[session.target] = np.sin(extra["Temperature"] / 20) + rng.normal(scale=0.05, size=rows)
    session.add_experiments(extra, target=session.target)
    return session


def test_training_shows_progress_cancel_keeps_the_model_and_changed_settings_are_marked(
    page: Page, server: StreamlitServer
) -> None:
    session = many_experiments(268)  # 290 with the example's 22: every restart is honoured
    SessionStore(server.cache_dir).save(session)
    open_app(page, f"{server.url}/model?session={session.id}")
    expect(page.get_by_role("heading", name="Model")).to_be_visible()

    restarts = page.get_by_label("Optimiser restarts")
    with rerun(page):
        restarts.fill("0")
        restarts.press("Enter")
    with rerun(page):
        page.get_by_role("button", name="Train model").click()
    expect(last_change(page, "Model trained on 290 experiments.")).to_be_visible()
    expect(page.get_by_text("Current model: Matérn 5/2 kernel · 0 restarts")).to_be_visible()

    # Settings changed since: the page says which, and that the model shown does not use them yet.
    # Chosen by keyboard (type, Enter): a click on the option races the list's re-render.
    kernel = page.get_by_role("combobox", name="Kernel")
    kernel.click()
    expect(kernel).to_be_focused()
    page.keyboard.type("RBF")
    expect(page.get_by_role("option", name="RBF")).to_be_visible()
    with rerun(page):
        page.keyboard.press("Enter")
    expect(kernel).to_have_value(re.compile("RBF"))
    with rerun(page):
        restarts.fill("50")
        restarts.press("Enter")
    changed = page.get_by_text(re.compile(r"differ from the ones the current model was trained with"))
    expect(changed).to_contain_text("kernel Matérn 5/2 → RBF")
    expect(changed).to_contain_text("restarts 0 → 50")

    # A long fit shows its progress and stops on Cancel; the model trained before stays.
    page.get_by_role("button", name="Train model").click()
    expect(page.get_by_text(re.compile(r"^Tried \d+ sets of model parameters"))).to_be_visible()
    screenshot(page, "model-training-progress")
    with rerun(page):
        page.get_by_role("button", name="Cancel").click()
    expect(last_change(page, "Training cancelled; the previous model is kept.")).to_be_visible()
    expect(page.get_by_text("Current model: Matérn 5/2 kernel · 0 restarts")).to_be_visible()
    expect(changed).to_contain_text("kernel Matérn 5/2 → RBF")
    stored = SessionStore(server.cache_dir).get(session.id)
    assert stored.model is not None and stored.model.settings.kernel == "matern52"


WIDTHS = (900, 1400)


def test_every_page_holds_its_layout_at_900_and_1400_px(page: Page, server: StreamlitServer) -> None:
    open_app(page, server.url)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        screenshot(page, f"layout-welcome-{width}")
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_example(page, server.url)
    go_to(page, "Suggestions")
    with rerun(page):
        page.get_by_role("button", name="Suggest next experiments").click()
    expect(last_change(page, "Suggested 1 experiment to run next; see the table below.")).to_be_visible()
    for title in ("Variables", "Experiments", "Model", "Suggestions", "History", "Lab notebook", "Pareto"):
        go_to(page, title)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 1000})
            wait_idle(page)
            screenshot(page, f"layout-{title.lower().replace(' ', '-')}-{width}")
            lower = {"Model": "How well does it predict? (cross-validation)", "Suggestions": "Model landscape"}.get(title)
            if lower:  # the page scrolls inside Streamlit's own container: show its lower part too
                page.get_by_role("heading", name=lower).scroll_into_view_if_needed()
                page.screenshot(path=str(ARTIFACTS / f"layout-{title.lower()}-lower-{width}.png"))
            if title == "Suggestions":
                # Labels stay on one line (no "Maxim ize"), and the acquisition box fits the page.
                goal = page.get_by_text("Maximize Output", exact=True)
                assert goal.bounding_box()["height"] < 30, goal.bounding_box()
                beta = page.get_by_text("β (confidence bound)", exact=True)
                assert beta.bounding_box()["height"] < 30, beta.bounding_box()
                box = page.get_by_role("combobox", name="Acquisition").bounding_box()
                assert box["x"] + box["width"] <= width, (box, width)
        page.set_viewport_size({"width": 1400, "height": 1000})
