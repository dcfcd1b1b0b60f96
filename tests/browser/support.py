"""What the browser tests share: waiting for Streamlit's runs, moving between pages, driving the data editor.

Everything here finds elements the way a user does (roles, labels, visible text) and waits for events,
never for a fixed time. Two signals tell when Streamlit is done with a user's action:

- the app's websocket: the server reports every finished script run (`script_finished`), so an action
  that starts a run can wait for exactly that run, with no window in which the run has not begun yet;
- the page itself: the app root says whether a script is running (`data-test-script-state`), and the
  elements of an unfinished run are marked `data-stale="true"` until the run ends and removes them.
  While they are there, an element can be on the page twice (the old one and the new one).
"""

from __future__ import annotations

import re
import time
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from google.protobuf.message import DecodeError
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, WebSocket, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# A run can train a model on a machine loaded by other work: be generous, the wait ends at the event anyway.
RUN_TIMEOUT_MS = 120_000

_RUN_ENDS = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}

# Connected, no script running, nothing left over from an unfinished run, no lazy element still loading.
_IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector(
            '[data-stale="true"], [data-testid="stSkeleton"], [data-testid="stStatusWidget"]') === null;
}"""

_STATE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return {
        connection: app && app.getAttribute('data-test-connection-state'),
        script: app && app.getAttribute('data-test-script-state'),
        stale: document.querySelectorAll('[data-stale="true"]').length,
        loading: document.querySelectorAll('[data-testid="stSkeleton"]').length,
        statusWidget: document.querySelectorAll('[data-testid="stStatusWidget"]').length,
    };
}"""


def wait_idle(page: Page, timeout: float = RUN_TIMEOUT_MS) -> None:
    """Wait until Streamlit has no run going and every element on the page belongs to the last run."""
    try:
        page.wait_for_function(_IDLE, timeout=timeout)
    except PlaywrightTimeoutError:
        raise AssertionError(f"Streamlit did not settle within {timeout / 1000:.0f} s: {page.evaluate(_STATE)}") from None


def _ends_a_run(payload: str | bytes) -> bool:
    if isinstance(payload, str):
        return False
    try:
        message = ForwardMsg.FromString(payload)
    except DecodeError:
        return False
    return message.WhichOneof("type") == "script_finished" and message.script_finished in _RUN_ENDS


_WAIT_SLICE_MS = 1000


class RunWatcher:
    """Counts the script runs the server reports finished to one page, over all its websockets."""

    def __init__(self, page: Page):
        self.page = page
        self.finished = 0
        self.socket: WebSocket | None = None
        page.on("websocket", self._attach)

    def _attach(self, socket: WebSocket) -> None:
        self.socket = socket
        socket.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        if _ends_a_run(payload):
            self.finished += 1

    def wait_past(self, count: int, timeout: float) -> None:
        """Wait until more than `count` runs have finished (event handlers update the count while we wait)."""
        deadline = time.monotonic() + timeout / 1000
        while self.finished <= count:
            remaining = (deadline - time.monotonic()) * 1000
            if remaining <= 0:
                raise AssertionError(f"no Streamlit run finished within {timeout / 1000:.0f} s of the action")
            socket = self.socket
            # One slice at a time: a wait on the socket a page load replaced did not end when it
            # closed, so every second visit in one page waited out the whole timeout (120 s).
            # Event handlers count the new socket's runs during any wait; the loop then sees them.
            slice_ms = min(remaining, _WAIT_SLICE_MS)
            try:
                if socket is None or socket.is_closed():
                    self.page.wait_for_event("websocket", timeout=slice_ms)  # a page load or a reconnection
                else:
                    socket.wait_for_event("framereceived", timeout=slice_ms)
            except PlaywrightTimeoutError:
                continue  # the loop reports it
            except PlaywrightError:
                if socket is None or not socket.is_closed():
                    raise
                # The socket closed while we waited (server restart, page load): wait on the next one.


_watchers: weakref.WeakKeyDictionary[Page, RunWatcher] = weakref.WeakKeyDictionary()


def watch_runs(page: Page) -> None:
    """Start counting the page's runs; must happen before the page opens the app (the fixtures do it)."""
    if page not in _watchers:
        _watchers[page] = RunWatcher(page)


@contextmanager
def rerun(page: Page, timeout: float = RUN_TIMEOUT_MS) -> Iterator[None]:
    """The action in the block makes Streamlit run the page: wait until that run has finished and drawn.

    A run that ends early because another one was asked for (st.rerun) does not count: the wait goes on
    until a run completes.
    """
    watcher = _watchers.get(page)
    if watcher is None:
        raise AssertionError("this page is not watched: make pages with the `page` fixture or call watch_runs first")
    before = watcher.finished
    yield
    watcher.wait_past(before, timeout)
    wait_idle(page, timeout)


def open_app(page: Page, url: str) -> None:
    """Load the app at `url` and wait for its first run (the first one imports the library: slow when loaded)."""
    with rerun(page):
        page.goto(url)


def go_to(page: Page, title: str) -> None:
    """Open a page of the app from the sidebar navigation, as a user does."""
    with rerun(page):
        page.get_by_role("navigation").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def open_example(page: Page, url: str) -> None:
    """From the welcome screen, open the shipped catalyst example."""
    open_app(page, url)
    with rerun(page):
        page.get_by_role("button", name="Open example").click()
    expect(page.get_by_role("heading", name="Variables")).to_be_visible()


def upload(page: Page, label: str | re.Pattern[str], path: Path) -> None:
    """Choose `path` in the file uploader with this label, through its Upload button, as a user does.

    Streamlit runs the page when the file is in: wrap the call in `rerun`.
    """
    zone = page.get_by_label(label, exact=isinstance(label, str))  # the drop zone carries the uploader's label
    with page.expect_file_chooser() as chooser:
        zone.get_by_role("button", name="Upload", exact=True).click()
    chooser.value.set_files(path)


class DataEditor:
    """Streamlit's data editor (glide-data-grid), driven the way a keyboard user does.

    The grid is painted on a canvas, but inside the canvas it keeps an accessible table (roles grid, row,
    columnheader, gridcell) of the rows and columns in view; focusing one of its cells moves the grid's
    selection there. Chromium exposes that table to assistive technology; Playwright counts canvas content
    as hidden (it has no box of its own), hence include_hidden=True.
    """

    def __init__(self, page: Page):
        self.page = page
        self.grid = page.get_by_role("grid", include_hidden=True)
        self.canvas = self.grid.locator("xpath=ancestor::canvas")

    def cell_named(self, text: str) -> Locator:
        return self.grid.get_by_role("gridcell", name=text, exact=True, include_hidden=True)

    def row_with(self, text: str | re.Pattern[str]) -> Locator:
        """The row that has a cell with this text (a string for the exact text, or a pattern)."""
        # A `has=` locator is matched inside each row: it starts from the page, not from the grid.
        cell = self.page.get_by_role("gridcell", name=text, exact=isinstance(text, str), include_hidden=True)
        return self.grid.get_by_role("row", include_hidden=True).filter(has=cell)

    def cell(self, row: Locator, column: str) -> Locator:
        """The cell of `row` under the column header `column` (cells name their column by aria-colindex)."""
        header = self.grid.get_by_role("columnheader", name=column, exact=True, include_hidden=True)
        index = header.get_attribute("aria-colindex")
        return row.locator(f'[role="gridcell"][aria-colindex="{index}"]')

    def focus(self) -> None:
        """Give the grid the keyboard focus; it then has a current cell (the first one, if none before)."""
        self.canvas.focus()
        expect(self.grid.locator('[role="gridcell"][aria-selected="true"]')).not_to_have_count(0)

    def select(self, cell: Locator) -> None:
        """Make `cell` the grid's current cell."""
        # Focus the grid first: with no current cell, the grid's own focus handler would put the selection
        # on the first cell right after focusing `cell` had put it there.
        self.focus()
        cell.focus()
        expect(cell).to_have_attribute("aria-selected", "true")

    def edit(self, cell: Locator, text: str) -> None:
        """Type `text` into `cell` and commit it with Enter; waits for the run that stores the edit."""
        self.select(cell)
        self.page.keyboard.press("Enter")  # opens the cell's editor, a text box over the grid
        editor = self.page.get_by_test_id("portal").get_by_role("textbox")
        expect(editor).to_be_focused()
        editor.fill(text)
        expect(editor).to_have_value(text)
        with rerun(self.page):
            editor.press("Enter")

    def show_last_row(self) -> None:
        """Scroll the grid to its last row with the keyboard (only the rows in view are in the table)."""
        self.focus()
        self.page.keyboard.press("ControlOrMeta+ArrowDown")

    def delete_row_with(self, text: str) -> None:
        """Select the row of the cell with this exact text (Shift+Space) and delete it with the Delete key;
        waits for the run that stores the change."""
        self.select(self.cell_named(text))
        self.page.keyboard.press("Shift+Space")
        expect(self.row_with(text)).to_have_attribute("aria-selected", "true")
        with rerun(self.page):
            self.page.keyboard.press("Delete")
