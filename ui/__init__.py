"""The app side of ALchemist: everything besides app.py and pages/ that imports Streamlit.

Pages import this package as `ui` and call what it re-exports here; charts, wording and the
data editor's change set have their own modules (`ui.charts`, `ui.words`, `ui.editor`).
"""

import streamlit as st

# The first run in a fresh server process imports the library below: seconds, more on a busy
# machine, and until then the browser would show a blank page. This module is imported once per
# process, by that first run (app.py, or a page opened by a link), before anything heavy: it says
# what is happening at once and clears the message once the library is in.
_starting = st.empty()
_starting.info("Starting ALchemist…", icon="⚗️")

from ui.state import (  # noqa: E402 (after the message above, on purpose)
    FROM_LINK_KEY,
    LAST_CHANGE_KEY,
    QUERY_KEY,
    announce,
    close_session,
    commit,
    current_session,
    navigated_page,
    open_session,
    require_session,
    require_variables,
    run_action,
    store_new,
)
from ui.progress import cancellable, report_stopped_work  # noqa: E402
from ui.store import get_store  # noqa: E402

_starting.empty()

__all__ = [
    "FROM_LINK_KEY",
    "LAST_CHANGE_KEY",
    "QUERY_KEY",
    "announce",
    "cancellable",
    "close_session",
    "commit",
    "current_session",
    "get_store",
    "navigated_page",
    "open_session",
    "report_stopped_work",
    "require_session",
    "require_variables",
    "run_action",
    "store_new",
]
