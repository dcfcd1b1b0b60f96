"""How soon the first visit after a server restart shows something of ours, and when the app is ready.

    .venv/bin/python -m benchmarks.first_paint [--runs 3] [--project DIR]

Each run starts a fresh `streamlit run app.py` (a new process: nothing imported, nothing cached),
waits until its health endpoint answers, then opens the welcome page in Debian's Chromium and
records, from the browser's navigation start:

  first content   the first element the app itself draws (the "Starting ALchemist…" notice, or any
                  heading, text or alert in the main area): until then the page is blank
  ready           the welcome page's "ALchemist" heading and its "Open example" button

`--project` times another checkout of the app (for example the main one, to compare before and
after a change); the default is this one. Prints the median of the runs and each run's figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from benchmarks.campaign import machine_line

PROJECT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 60
READY_TIMEOUT_MS = 120_000

# Records performance.now() (milliseconds since navigation start) when the app's first own element
# and the ready welcome page first appear in the document.
WATCH = """
(() => {
    window.__firstContent = null;
    window.__ready = null;
    const look = () => {
        const now = performance.now();
        if (window.__firstContent === null && document.querySelector(
                '[data-testid="stMain"] [data-testid="stAlert"], [data-testid="stMain"] [data-testid="stHeading"], '
                + '[data-testid="stMain"] [data-testid="stMarkdown"], [data-testid="stMain"] [data-testid="stText"]')) {
            window.__firstContent = now;
        }
        if (window.__ready === null) {
            const heading = [...document.querySelectorAll('[data-testid="stMain"] h1')]
                .some(h => (h.textContent || '').includes('ALchemist'));
            const button = [...document.querySelectorAll('[data-testid="stMain"] button')]
                .some(b => (b.textContent || '').includes('Open example'));
            if (heading && button) window.__ready = now;
        }
    };
    new MutationObserver(look).observe(document, {childList: true, subtree: true, characterData: true});
})();
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(project: Path, port: int, cache: Path, log) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=project, env={**os.environ, "ALCHEMIST_CACHE_DIR": str(cache)}, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"streamlit did not answer within {STARTUP_SECONDS} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def one_run(browser, project: Path, folder: Path) -> tuple[float, float]:
    """Seconds from navigation start to the first content, and to the ready welcome page."""
    port = free_port()
    with open(folder / "streamlit.log", "ab") as log:
        process = start_server(project, port, folder / f"cache-{port}", log)
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(WATCH)
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function("window.__ready !== null", timeout=READY_TIMEOUT_MS)
        first, ready = page.evaluate("[window.__firstContent, window.__ready]")
        context.close()
    finally:
        stop(process)
    return first / 1000, ready / 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--project", type=Path, default=PROJECT, help="the checkout whose app.py is run")
    args = parser.parse_args(argv)
    chromium = os.environ.get("ALCHEMIST_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("Chromium not found: install Debian's 'chromium' package")

    print(machine_line())
    print(f"App: {args.project.resolve()}; load average {os.getloadavg()[0]:.2f} at the start")
    firsts, readies = [], []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for run in range(1, args.runs + 1):
            first, ready = one_run(browser, args.project, Path(tmp))
            firsts.append(first)
            readies.append(ready)
            print(f"run {run}: first content {first:.2f} s, ready {ready:.2f} s")
        browser.close()
    print(f"median of {args.runs}: first content {statistics.median(firsts):.2f} s, "
          f"ready {statistics.median(readies):.2f} s after the browser asked for the page")


if __name__ == "__main__":
    main()
