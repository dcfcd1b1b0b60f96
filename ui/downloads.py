"""Deferred downloads whose click also reruns the page: the file is built only once that rerun has begun.

Streamlit 1.67 answers a deferred download (`st.download_button(data=callable)`) with a message on
the session's outgoing queue. When a full run starts, it clears that queue, keeping only lifecycle
messages and toasts (ForwardMsgQueue.clear). A download button whose on_click reruns the page
therefore races with its own rerun. If the file is built and queued before the rerun clears the
queue, the answer is dropped, and the button spins until the browser gives up, 3 minutes later.

We saw it in the browser tests: Save Session right after reopening a closed session never
downloaded, in about 1 run in 5. There the store's warm cache makes the export fast enough to
win the race.

So the builder waits until a run of this tab has started after the run that drew the button.
Runs start by clearing the queue on the server's event loop, and that is scheduled before
anything the builder queues later, so the answer survives.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Callable, TypeVar

import streamlit as st

# A bound, not a pause: the click always asks for a run. This only keeps a lost run from holding
# a worker thread.
RERUN_WAIT_SECONDS = 10.0
# Tabs whose run count is kept. A tab forgotten beyond this builds its file without waiting:
# the old race, never a lost download.
MAX_TABS = 10_000
TAB_KEY = "download_tab"

T = TypeVar("T")
_runs: "OrderedDict[str, int]" = OrderedDict()
_changed = threading.Condition()


def run_started() -> None:
    """Count a run of this tab. Call it once at the top of every run."""
    token = st.session_state.setdefault(TAB_KEY, uuid.uuid4().hex)
    with _changed:
        _runs[token] = _runs.get(token, 0) + 1
        _runs.move_to_end(token)
        while len(_runs) > MAX_TABS:
            _runs.popitem(last=False)
        _changed.notify_all()


def after_rerun(build: Callable[[], T]) -> Callable[[], T]:
    """`build`, to pass as a download button's data= when its on_click reruns the page: once
    clicked, it waits (at most RERUN_WAIT_SECONDS) until that run has started, then builds."""
    token = st.session_state.get(TAB_KEY)
    with _changed:
        drawn_in = _runs.get(token, 0) if token is not None else 0

    def deferred() -> T:
        # Runs in Streamlit's worker thread: no session_state here, only the token taken above.
        if token is not None:
            with _changed:
                _changed.wait_for(lambda: _runs.get(token, drawn_in + 1) > drawn_in, timeout=RERUN_WAIT_SECONDS)
        return build()

    return deferred
