"""The notice a fresh server process shows while its first run imports the library.

The first run after a start imports pandas, SciPy and the library: seconds, more on a busy machine,
and until app.py draws something the browser shows an empty page. app.py shows this notice first,
before those imports, and clears it once they are done. Later runs find the library imported and
draw no notice (it would flash on every rerun). Every run that starts while the first one still
imports shows it too: such a run waits for the same imports.

This module imports nothing but Streamlit, so it can run before everything else.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

# Set once the first run in this process has imported the library; a process imports it once.
_LOADED = threading.Event()


def show_starting_notice() -> DeltaGenerator | None:
    """Put "Starting ALchemist…" on the screen, unless this process has already loaded the library."""
    if _LOADED.is_set():
        return None
    notice = st.empty()
    notice.info("Starting ALchemist…", icon="⚗️")
    return notice


def library_loaded(notice: DeltaGenerator | None) -> None:
    """The imports are done: clear the notice, and show none in later runs."""
    _LOADED.set()
    if notice is not None:
        notice.empty()
