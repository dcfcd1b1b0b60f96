"""Long work on screen: a progress bar the work reports to, and a Cancel button that stops it.

One piece serves every long task (training, cross-validation, suggesting): the library takes a
callback and calls it as it goes (GPModel.fit with a FitProgress; cross-validation and the
suggestion search with "steps done, steps in all"), never knowing about Streamlit.

Cancelling needs no thread: a click on Cancel (or on any other widget) asks Streamlit for a new run,
and Streamlit stops the running one at its next call into Streamlit, here the progress bar's next
update, by raising its own control exception through the library's work. The library changes the
session only once its work has finished, and the next run reads the session as stored (whatever
the stopped work may have set on this tab's copy is dropped), so the previous model, figures or
suggestions stay. A flag set for the time of the work tells the next run that the work did not
finish, and that run says so.
"""

from __future__ import annotations

from contextlib import contextmanager
from time import monotonic
from typing import Callable, Iterator

import streamlit as st

from alchemist.model import FitProgress
from ui import words
from ui.state import announce, reread_stored_session

# What is running in this tab, while it runs: a sentence for the next run if it never finishes.
RUNNING_KEY = "work_running"
# Redraw the bar at most this often: every redraw is a message to the browser.
REDRAW_SECONDS = 0.2


class WorkBar:
    """A st.progress bar the library's progress callbacks draw on (and where Cancel stops the work)."""

    def __init__(self, bar) -> None:
        self.bar = bar
        self.last = 0.0

    def _draw(self, fraction: float, text: str) -> None:
        now = monotonic()
        if now - self.last >= REDRAW_SECONDS:
            self.last = now
            # This call is where Streamlit stops the work when the user clicked Cancel.
            self.bar.progress(min(max(fraction, 0.0), 1.0), text=text)

    def __call__(self, report: FitProgress) -> None:
        """GPModel.fit's callback."""
        self._draw(report.fraction_of_budget, words.fit_progress(report))

    def steps(self, describe: Callable[[int, int], str]) -> Callable[[int, int], None]:
        """A callback for work counted in steps (folds, suggested points): `describe(done, total)` words it."""
        return lambda done, total: self._draw(done / max(total, 1), describe(done, total))


@contextmanager
def cancellable(label: str, cancelled: str) -> Iterator[WorkBar]:
    """A status box with a progress bar and a Cancel button around long work.

    `cancelled` is announced by the next run when the work was stopped before its end.
    """
    with st.status(label, expanded=True) as box:
        bar = WorkBar(st.progress(0.0, text="Starting…"))
        st.button("Cancel", key="cancel_work", icon="✖️", help="Stop now; nothing is changed.")
        st.session_state[RUNNING_KEY] = cancelled
        try:
            yield bar
        except Exception:
            st.session_state.pop(RUNNING_KEY, None)  # it ended, with an error the page shows
            raise
        except BaseException:
            # Streamlit's stop (a BaseException): the flag stays for the next run, which also
            # reads the stored session rather than this tab's copy the work may have changed.
            reread_stored_session()
            raise
        st.session_state.pop(RUNNING_KEY, None)
        box.update(state="complete", expanded=False)


def report_stopped_work() -> None:
    """At the start of a run: say so if the last run's long work was stopped before its end."""
    cancelled = st.session_state.pop(RUNNING_KEY, None)
    if cancelled:
        announce(cancelled)
