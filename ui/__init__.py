"""The app side of ALchemist: everything besides app.py and pages/ that imports Streamlit.

Pages import this package as `ui` and call what it re-exports here; charts, wording and the
data editor's change set have their own modules (`ui.charts`, `ui.words`, `ui.editor`).
"""

from ui.state import (
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
)
from ui.progress import cancellable, report_stopped_work
from ui.store import get_store

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
]
