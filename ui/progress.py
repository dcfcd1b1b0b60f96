"""Long work on screen: a progress bar the work reports to, and a Cancel button that stops it.

Cancelling needs no thread: a click on Cancel (or on any other widget) asks Streamlit for a new run,
and Streamlit stops the running one at its next call into Streamlit, here the progress bar's next
update, by raising its own control exception through the library's fit. The fit changes nothing
before it has finished (GPModel.fit), so the stopped work leaves the session as it was. A flag set
for the time of the work tells the next run that the work did not finish, and that run says so.
"""

from __future__ import annotations

from contextlib import contextmanager
from time import monotonic
from typing import Iterator

import streamlit as st

from alchemist.model import FitProgress
from ui import words
from ui.state import announce

# What is running in this tab, while it runs: a sentence for the next run if it never finishes.
RUNNING_KEY = "work_running"
# Redraw the bar at most this often: every redraw is a message to the browser.
REDRAW_SECONDS = 0.2


class FitBar:
    """A progress callback for GPModel.fit that draws the fit's progress on a st.progress bar."""

    def __init__(self, bar) -> None:
        self.bar = bar
        self.last = 0.0

    def say(self, text: str) -> None:
        """A step of the work that reports no progress of its own (the bar shows it as under way)."""
        self.bar.progress(1.0, text=text)

    def __call__(self, report: FitProgress) -> None:
        now = monotonic()
        if now - self.last >= REDRAW_SECONDS:
            self.last = now
            # This call is where Streamlit stops the fit when the user clicked Cancel.
            self.bar.progress(report.fraction_of_budget, text=words.fit_progress(report))


@contextmanager
def cancellable(label: str, cancelled: str) -> Iterator[FitBar]:
    """A status box with a progress bar and a Cancel button around long work.

    `cancelled` is announced by the next run when the work was stopped before its end.
    """
    with st.status(label, expanded=True) as box:
        bar = FitBar(st.progress(0.0, text="Starting…"))
        st.button("Cancel", key="cancel_work", icon="✖️", help="Stop now; nothing is changed.")
        st.session_state[RUNNING_KEY] = cancelled
        try:
            yield bar
        except Exception:
            st.session_state.pop(RUNNING_KEY, None)  # it ended, with an error the page shows
            raise
        # Streamlit's stop is a BaseException: it skips both, so the flag stays for the next run.
        st.session_state.pop(RUNNING_KEY, None)
        box.update(state="complete", expanded=False)


def report_stopped_work() -> None:
    """At the start of a run: say so if the last run's long work was stopped before its end."""
    cancelled = st.session_state.pop(RUNNING_KEY, None)
    if cancelled:
        announce(cancelled)
