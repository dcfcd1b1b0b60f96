"""Real-browser fixtures: a `streamlit run` server on localhost and Debian's Chromium driven by Playwright.

Nothing here skips: a browser test that cannot start its browser or server fails, so CI can
never pass without having run them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.support import watch_runs

PROJECT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
# Actions and expectations wait for their element this long: the machine may be busy with other work.
# Waits for a Streamlit run have their own, longer bound (support.RUN_TIMEOUT_MS).
ACTION_TIMEOUT_MS = 30_000
expect.set_options(timeout=ACTION_TIMEOUT_MS)
ARTIFACTS = PROJECT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("ALCHEMIST_CHROMIUM") or shutil.which("chromium")
    if not path or not Path(path).exists():
        pytest.fail(f"Chromium not found ({path or 'not on PATH'}): install Debian's 'chromium' package (scripts/test.sh does).")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerDied(Exception):
    """`streamlit run` exited before it answered."""


class StreamlitServer:
    """`streamlit run app.py` on a free localhost port, with its own cache folder; can be restarted."""

    def __init__(self, cache_dir: Path, log_path: Path):
        self.cache_dir = cache_dir
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log written)"
        return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"

    def start(self) -> None:
        # Another process on this machine may take the free port between free_port() and streamlit's bind:
        # then streamlit exits saying so, and we try again on another port.
        for _ in range(3):
            try:
                self._start_once()
                return
            except ServerDied as died:
                if "is already in use" not in self.log_tail():
                    pytest.fail(f"{died}; its log ends with:\n{self.log_tail()}")
                self.port = free_port()
        pytest.fail(f"streamlit found no free port in 3 tries; its log ends with:\n{self.log_tail()}")

    def _start_once(self) -> None:
        env = {**os.environ, "ALCHEMIST_CACHE_DIR": str(self.cache_dir)}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "streamlit", "run", "app.py",
                    "--server.port", str(self.port),
                    "--server.address", "127.0.0.1",
                    "--server.headless", "true",
                    "--browser.gatherUsageStats", "false",
                ],
                cwd=PROJECT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        # The health endpoint answers once the server listens; poll it briefly, with a bound.
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerDied(f"streamlit exited with code {self.process.returncode} before it answered")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            try:  # between two looks, wait on the one event that can end this early: the server exiting
                self.process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
        self.stop()
        pytest.fail(f"streamlit did not answer within {STARTUP_SECONDS} s; its log ends with:\n{self.log_tail()}")

    def died(self) -> bool:
        """True if the server we started has exited on its own."""
        return self.process is not None and self.process.poll() is not None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A skipped browser test is a failed one: CI must not go green without driving the browser."""
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and isinstance(page, Page):
        # Now, before the fixtures' teardown stops the server: a failure on CI is diagnosed from
        # the page's text (in the report), the server log and this picture.
        report.sections.append(("page as it failed", page_as_it_is(page, f"failed-{item.name}")))
    if report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"browser tests must run, this one was skipped: {report.longrepr}"


@pytest.fixture
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StreamlitServer]:
    ARTIFACTS.mkdir(exist_ok=True)
    srv = StreamlitServer(tmp_path / "cache", tmp_path / "streamlit.log")
    srv.start()
    yield srv
    died = srv.died()
    code = srv.process.returncode if died else None
    srv.stop()
    # The server's log goes with the test's report: pytest shows it when the test fails.
    request.node.add_report_section("teardown", "streamlit log", srv.log_tail(200))
    if died:
        pytest.fail(f"streamlit exited with code {code} during the test; its log ends with:\n{srv.log_tail()}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.on("page", watch_runs)  # every page of the context, also one a test opens itself
    page = context.new_page()
    watch_runs(page)
    yield page
    context.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def page_as_it_is(page: Page, name: str) -> str:
    """A screenshot of `page` in test-artifacts and the text it shows, for a report."""
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    try:
        return f"screenshot: {screenshot(page, name)}\n" + page.locator("body").inner_text(timeout=5_000)[:4_000]
    except Exception as error:  # the page may be in any state after a failure
        return f"no screenshot or text: {error}"
