"""Issue 11 in a real browser: a mixture constraint defined on the Variables page gives a batch of
5 suggestions that all sum to 1; two objectives give a Pareto plot on which a point is picked."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from playwright.sync_api import Page, expect

from alchemist.constraints import MixtureConstraint, constrained_design
from alchemist.files.variable_files import variables_to_csv
from alchemist.persistence import SessionStore
from alchemist.variables import ContinuousVariable
from tests.browser.conftest import StreamlitServer, screenshot
from tests.browser.support import go_to, open_app, rerun, upload, wait_idle

COMPONENTS = ["A", "B", "C", "D"]
VARIABLES = [ContinuousVariable(n, low=0, high=1) for n in COMPONENTS] + [ContinuousVariable("Temperature", low=20, high=100)]


def _files(tmp_path: Path) -> tuple[Path, Path]:
    variables = tmp_path / "variables.csv"
    variables.write_bytes(variables_to_csv(VARIABLES))
    design = constrained_design(VARIABLES, [MixtureConstraint(COMPONENTS, total=1.0)], 10, seed=3)
    design["Yield"] = 80 * design["A"] + 30 * design["B"] + 0.1 * design["Temperature"] + np.arange(10) * 0.01
    design["Cost"] = 50 * design["A"] + 5 * design["C"] + 0.05 * design["Temperature"]
    experiments = tmp_path / "experiments.csv"
    design.to_csv(experiments, index=False)
    return variables, experiments


def _new_session(page: Page, url: str) -> str:
    open_app(page, url)
    with rerun(page):
        page.get_by_role("button", name="New Session").click()
    expect(page.get_by_role("heading", name="Variables")).to_be_visible()
    return re.search(r"session=([0-9a-f]{32})", page.url).group(1)


def _choose(page: Page, label: str, options: list[str]) -> None:
    """Pick options in the multiselect with this label, as a user does: open it, click each."""
    box = page.get_by_role("combobox", name=label, exact=True)
    for option in options:
        box.click()
        with rerun(page):
            page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def _import_variables(page: Page, path: Path) -> None:
    page.get_by_role("tab", name=re.compile("Import")).click()
    with rerun(page):
        upload(page, "Variables file", path)
    with rerun(page):
        page.get_by_role("button", name="Replace the variables with these").click()
    expect(page.get_by_text("Last change: Imported 5 variables.")).to_be_visible()


def _import_experiments(page: Page, path: Path) -> None:
    go_to(page, "Experiments")
    with rerun(page):
        upload(page, "Table with one column per variable and a result column", path)
    # Each file column's place is proposed; with two numeric result columns and no name to go by,
    # the user says which one is the result.
    box = page.get_by_role("combobox", name="Yield", exact=True)
    if box.input_value() != "Result (measured)":
        box.click()
        expect(box).to_be_focused()
        page.keyboard.type("Result (measured)")
        expect(page.get_by_role("option", name="Result (measured)", exact=True)).to_be_visible()
        with rerun(page):
            page.keyboard.press("Enter")
        expect(box).to_have_value("Result (measured)")
    with rerun(page):
        page.get_by_role("button", name="Import experiments").click()
    expect(page.get_by_text(re.compile(r"10\s+experiments · 10\s+usable"))).to_be_visible()


def test_a_mixture_batch_of_five_sums_to_one(page: Page, server: StreamlitServer, tmp_path: Path) -> None:
    variables, experiments = _files(tmp_path)
    session_id = _new_session(page, server.url)
    _import_variables(page, variables)

    kind = page.get_by_role("combobox", name="Kind of constraint", exact=True)  # the form is open while there is no constraint
    wait_idle(page)
    kind.click()
    expect(kind).to_be_focused()
    page.keyboard.type("Mixture")
    expect(page.get_by_role("option", name=re.compile("^Mixture"))).to_be_visible()
    with rerun(page):
        page.keyboard.press("Enter")
    _choose(page, "Components", COMPONENTS)
    page.set_viewport_size({"width": 900, "height": 1000})
    page.get_by_role("button", name="Add constraint").scroll_into_view_if_needed()
    screenshot(page, "constraints-form-900")
    page.set_viewport_size({"width": 1400, "height": 1000})
    with rerun(page):
        page.get_by_role("button", name="Add constraint").click()
    expect(page.get_by_text("Last change: Added constraint: A + B + C + D = 1.")).to_be_visible()
    expect(page.get_by_text("A + B + C + D = 1", exact=True)).to_be_visible()
    screenshot(page, "constraints-variables-1400")

    _import_experiments(page, experiments)
    go_to(page, "Suggestions")
    how_many = page.get_by_label("How many")
    with rerun(page):
        how_many.fill("5")
        how_many.press("Enter")
    with rerun(page):
        page.get_by_role("button", name="Suggest next experiments").click()
    expect(page.get_by_role("button", name="Add as pending experiments")).to_be_visible()
    screenshot(page, "constraints-suggestions-1400")
    page.set_viewport_size({"width": 900, "height": 1000})
    screenshot(page, "constraints-suggestions-900")

    stored = SessionStore(server.cache_dir).get(session_id)
    assert stored.constraints == (MixtureConstraint(COMPONENTS, total=1.0),)
    suggestions = stored.suggestions
    assert len(suggestions) == 5
    assert np.allclose(suggestions[COMPONENTS].sum(axis=1), 1.0, atol=1e-6), suggestions
    assert suggestions["Temperature"].between(20, 100).all()


def test_two_objectives_give_a_pareto_plot_and_a_pick(page: Page, server: StreamlitServer, tmp_path: Path) -> None:
    variables, experiments = _files(tmp_path)
    session_id = _new_session(page, server.url)
    _import_variables(page, variables)

    # Objectives before the import, so that the Cost column is kept with the experiments.
    go_to(page, "Suggestions")
    page.get_by_text("Objectives: one or more result columns").click()
    new_columns = page.get_by_label("Add result columns, separated by commas (their values go in the experiment table)")
    with rerun(page):
        new_columns.fill("Yield, Cost")
        new_columns.press("Enter")
    direction = page.get_by_role("combobox", name="Cost", exact=True)
    # The text box above still has the focus: the first click only moves it; open the list by keyboard.
    direction.focus()
    direction.press("ArrowDown")
    # Chosen by keyboard: a click on the option raced the list's re-render ("element is not stable").
    page.keyboard.type("Minimise")
    expect(page.get_by_role("option", name="Minimise", exact=True)).to_be_visible()
    with rerun(page):
        page.keyboard.press("Enter")
    expect(direction).to_have_value("Minimise")
    with rerun(page):
        page.get_by_role("button", name="Use these objectives").click()
    expect(page.get_by_text("Last change: Objectives set: maximise Yield; minimise Cost.")).to_be_visible()
    _import_experiments(page, experiments)
    stored = SessionStore(server.cache_dir).get(session_id)
    assert [(o.name, o.direction) for o in stored.objectives] == [("Yield", "maximize"), ("Cost", "minimize")]
    assert stored.experiments.frame["Cost"].notna().sum() == 10

    go_to(page, "Pareto")
    expect(page.get_by_text(re.compile(r"of 10 measured experiments are on the front"))).to_be_visible()
    expect(page.get_by_role("img").filter(has_text="Cost")).to_be_visible()
    with rerun(page):
        page.get_by_role("button", name="Show the models' predicted trade-off").click()
    expect(page.get_by_role("radio", name="Predicted front")).to_be_enabled()
    limit = page.get_by_label("Yield at least")
    with rerun(page):
        limit.fill("40")
        limit.press("Enter")
    expect(page.get_by_text(re.compile(r"Of \d+ points? meeting the limits, this one has the lowest Cost"))).to_be_visible()
    page.get_by_role("img").filter(has_text="Cost").scroll_into_view_if_needed()
    screenshot(page, "pareto-1400")
    page.set_viewport_size({"width": 900, "height": 1000})
    page.get_by_role("img").filter(has_text="Cost").scroll_into_view_if_needed()
    screenshot(page, "pareto-900")
    # The row shown is the cheapest measured experiment with Yield >= 40.
    table = stored.pareto_front()
    cheapest = table[table["Yield"] >= 40].sort_values("Cost").iloc[0]
    expect(page.get_by_text(re.compile(r"Of %d point" % int((table["Yield"] >= 40).sum())))).to_be_visible()
    picked = page.get_by_test_id("stDataFrame").last
    expect(picked.get_by_role("gridcell", name=str(int(cheapest["Row"])), exact=True, include_hidden=True)).to_be_attached()
