"""A lab's 50,000 experiments in a real browser: upload, train, suggest, while another visitor keeps working.

One Streamlit process serves every visitor: one visitor's large table must neither take the server
down nor stall the others. Training may finish (an approximate model above the exact size) or say
clearly which limit stops it; a traceback or a dead server is a failure either way.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, StreamlitServer, screenshot
from tests.browser.support import go_to, open_example, rerun, upload, watch_runs

ROWS = 50_000
# Training and suggesting on 50,000 rows may take minutes on a loaded 2-core machine.
LONG_MS = 600_000


def large_csv(path: Path) -> Path:
    """ROWS experiments over the catalyst example's four variables, with a smooth result and noise."""
    rng = np.random.default_rng(50_000)
    temperature = rng.uniform(350, 450, ROWS)
    catalyst = np.where(rng.random(ROWS) < 0.5, "High SAR", "Low SAR")
    loading = rng.uniform(0, 5, ROWS)
    zinc = rng.uniform(0, 1, ROWS)
    output = 0.01 * (temperature - 350) - (loading - 2.5) ** 2 + zinc + rng.normal(0, 0.1, ROWS)
    lines = ["Temperature,Catalyst,Metal Loading,Zinc Fraction,Output"]
    lines += [f"{t:.3f},{c},{m:.4f},{z:.4f},{o:.5f}" for t, c, m, z, o in zip(temperature, catalyst, loading, zinc, output)]
    path.write_text("\n".join(lines) + "\n")
    return path


def second_visitor_works(browser: Browser, url: str) -> None:
    """Another browser context on the same server opens the example and sees its table."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        other = context.new_page()
        watch_runs(other)
        open_example(other, url)
        go_to(other, "Experiments")
        expect(other.get_by_text(re.compile(r"22\s+experiments · 22\s+usable for the model"))).to_be_visible()
    finally:
        context.close()


def finished_or_said_why(page: Page, done: re.Pattern[str]) -> str:
    """Wait for `done` or a message naming a limit; a traceback (an uncaught exception) fails the test."""
    said = page.get_by_role("alert").filter(has_text=re.compile("limit|at most", re.I))
    traceback = page.get_by_test_id("stException")
    expect(page.get_by_text(done).or_(said).or_(traceback).first).to_be_visible(timeout=LONG_MS)
    expect(traceback).to_have_count(0)
    outcome = page.get_by_text(done).or_(said)
    return outcome.first.inner_text()


def test_fifty_thousand_rows_upload_train_and_suggest_while_another_visitor_works(
    page: Page, browser: Browser, server: StreamlitServer, tmp_path: Path
) -> None:
    csv = large_csv(tmp_path / "lab_50000.csv")
    open_example(page, server.url)
    go_to(page, "Experiments")
    page.get_by_text("Upload experiments (CSV or Excel)").click()
    with rerun(page, LONG_MS):
        upload(page, "Table with one column per variable and a result column", csv)
    expect(page.get_by_text(f"{ROWS:,} rows, columns:")).to_be_visible()
    with rerun(page, LONG_MS):
        page.get_by_role("button", name="Import experiments").click()
    expect(page.get_by_text(re.compile(rf"{ROWS + 22}\s+experiments · {ROWS + 22}\s+usable"))).to_be_visible(timeout=LONG_MS)

    go_to(page, "Model")
    with rerun(page, LONG_MS):
        page.get_by_role("button", name="Train model").click()
        second_visitor_works(browser, server.url)  # while this visitor's model is being fitted
        assert not server.died()
    trained = finished_or_said_why(page, re.compile(rf"Trained on {ROWS + 22:,} experiments"))
    screenshot(page, "large-upload-model")
    assert not server.died()

    if trained.startswith("Trained on"):
        go_to(page, "Suggestions")
        with rerun(page, LONG_MS):
            page.get_by_role("button", name="Suggest next experiments").click()
            second_visitor_works(browser, server.url)
        finished_or_said_why(page, re.compile("Add as pending experiments"))
        screenshot(page, "large-upload-suggestions")
    assert not server.died()
