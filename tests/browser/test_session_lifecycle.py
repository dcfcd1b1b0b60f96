"""A scientist's whole session lifecycle, in a real Chromium against `streamlit run app.py`."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import StreamlitServer, screenshot
from tests.browser.support import go_to, open_app, rerun, upload

EXPERIMENTS_CSV = """Temperature,Pressure,Output
320,2.5,0.41
350,4.0,0.55
410,6.5,0.72
455,8.0,0.63
480,9.5,0.48
"""
SESSION_FILE = re.compile(r"^Session file")  # the label of Load Session's file uploader


def header(page: Page):
    """The session header's summary line: id, counts and model status."""
    return page.get_by_text(re.compile(r"^ID [0-9a-f]{8}"))


def header_text(page: Page) -> str:
    return header(page).inner_text()


def session_id_in_url(page: Page) -> str:
    match = re.search(r"[?&]session=([0-9a-f]{32})", page.url)
    assert match, f"no session id in {page.url}"
    return match.group(1)


def new_session(page: Page, server: StreamlitServer, name: str) -> None:
    open_app(page, server.url)
    expect(page.get_by_role("heading", name="ALchemist")).to_be_visible()
    page.get_by_label("Session name").fill(name)
    with rerun(page):
        page.get_by_role("button", name="New Session").click()
    expect(page.get_by_role("heading", name="Variables")).to_be_visible()


def field(page: Page, label: str):
    """The visible input with this label (hidden tabs hold inputs with the same labels)."""
    return page.get_by_label(label, exact=True).locator("visible=true")


def add_continuous(page: Page, name: str, unit: str, description: str, low: str, high: str) -> None:
    field(page, "Name").fill(name)
    field(page, "Unit").fill(unit)
    field(page, "Description").fill(description)
    field(page, "Minimum").fill(low)
    field(page, "Maximum").fill(high)
    with rerun(page):
        page.get_by_role("button", name="Add variable").click()
    expect(page.get_by_text(f"Last change: Added variable '{name}'.")).to_be_visible()
    # The form is drawn anew, empty, once the variable is in.
    expect(field(page, "Name")).to_have_value("")


def build_campaign(page: Page, server: StreamlitServer, tmp_path: Path) -> None:
    new_session(page, server, "Hydrogenation screen")
    add_continuous(page, "Temperature", "°C", "Reactor wall temperature", "300", "500")
    add_continuous(page, "Pressure", "bar", "H2 partial pressure", "1", "10")
    expect(header(page)).to_contain_text("2 variables")
    screenshot(page, "variables")

    go_to(page, "Experiments")
    csv_path = tmp_path / "runs.csv"
    csv_path.write_text(EXPERIMENTS_CSV)
    with rerun(page):
        upload(page, "Table with one column per variable and a result column", csv_path)
    with rerun(page):
        page.get_by_role("button", name="Import experiments").click()
    expect(page.get_by_role("status").filter(has_text="Added 5 experiments")).to_be_visible()
    expect(header(page)).to_contain_text("5 experiments")
    screenshot(page, "experiments")


def test_save_close_and_load_a_session(page: Page, server: StreamlitServer, tmp_path: Path) -> None:
    build_campaign(page, server, tmp_path)
    first_id = session_id_in_url(page)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Save Session").click()
    download = download_info.value
    assert download.suggested_filename == f"alchemist_session_{first_id[:8]}.pkl"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.stat().st_size > 0

    with rerun(page):
        page.get_by_role("button", name="Close Session").click()
    expect(page.get_by_role("heading", name="Load Session")).to_be_visible()
    assert "session=" not in page.url

    with rerun(page):
        upload(page, SESSION_FILE, saved)
    expect(page.get_by_role("heading", name="Variables")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Last change: Loaded 'Hydrogenation screen' as a new session"))).to_be_visible()
    new_id = session_id_in_url(page)
    assert new_id != first_id
    text = header_text(page)
    assert new_id[:8] in text and "2 variables" in text and "5 experiments" in text

    # Units and descriptions came back: open each variable in the edit form (tabs switch in the browser alone).
    page.get_by_role("tab", name="Edit or delete").click()
    expect(page.get_by_role("tab", name="Edit or delete")).to_have_attribute("aria-selected", "true")
    expect(field(page, "Unit")).to_have_value("°C")
    expect(field(page, "Description")).to_have_value("Reactor wall temperature")
    field(page, "Variable").click()
    with rerun(page):
        page.get_by_role("option", name="Pressure").click()
    expect(field(page, "Unit")).to_have_value("bar")
    expect(field(page, "Description")).to_have_value("H2 partial pressure")
    screenshot(page, "loaded-variables")

    go_to(page, "Experiments")
    expect(page.get_by_text(re.compile(r"5\s+experiments · 5\s+usable"))).to_be_visible()
    screenshot(page, "loaded-experiments")


def test_a_bad_file_is_refused_and_changes_nothing(page: Page, server: StreamlitServer, tmp_path: Path) -> None:
    bad = tmp_path / "alchemist_session_deadbeef.pkl"
    bad.write_bytes(b"\x80\x04not really a pickle")
    open_app(page, server.url)
    with rerun(page):
        upload(page, SESSION_FILE, bad)
    # Unsigned: the app names it and asks before reading it at all.
    expect(page.get_by_text(re.compile("This session file is unsigned"))).to_be_visible()
    screenshot(page, "load-foreign-prompt")
    with rerun(page):
        page.get_by_role("button", name="Load anyway").click()
    expect(page.get_by_role("alert").filter(has_text="could not be loaded")).to_be_visible()
    expect(page.get_by_role("heading", name="Load Session")).to_be_visible()
    assert "session=" not in page.url
    screenshot(page, "load-error")


def test_reload_and_server_restart_bring_the_session_back(page: Page, server: StreamlitServer, tmp_path: Path) -> None:
    build_campaign(page, server, tmp_path)
    session_id = session_id_in_url(page)
    assert "experiments" in page.url

    with rerun(page):
        page.reload()
    expect(page.get_by_role("heading", name="Experiments")).to_be_visible()
    assert session_id[:8] in header_text(page)
    assert "5 experiments" in header_text(page)

    server.restart()
    open_app(page, f"{server.url}/variables?session={session_id}")
    expect(page.get_by_role("heading", name="Variables")).to_be_visible()
    text = header_text(page)
    assert session_id[:8] in text and "2 variables" in text and "5 experiments" in text
    expect(page.get_by_label("Session name")).to_have_value("Hydrogenation screen")

    # A second tab with the same link finds the same session.
    other = page.context.new_page()
    open_app(other, f"{server.url}/experiments?session={session_id}")
    expect(other.get_by_role("heading", name="Experiments")).to_be_visible()
    assert "5 experiments" in header_text(other)
    screenshot(other, "after-restart")
