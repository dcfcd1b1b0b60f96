"""The app side of ALchemist: everything besides app.py and pages/ that imports Streamlit.

Pages import this package as `ui` and call what it re-exports here; charts, wording and the
data editor's change set have their own modules (`ui.charts`, `ui.words`, `ui.editor`).

The names below are imported when first used (PEP 562): importing `ui` itself loads nothing but
this file, so app.py can put its "Starting ALchemist…" notice on the screen (ui.starting) before
the first run in a fresh server process spends seconds importing the library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ui.progress import cancellable, report_stopped_work
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
        store_new,
    )
    from ui.store import get_store

# A literal list, so linters see the names above as used.
__all__ = [
    "FROM_LINK_KEY", "LAST_CHANGE_KEY", "QUERY_KEY", "announce", "cancellable", "close_session", "commit",
    "current_session", "get_store", "navigated_page", "open_session", "report_stopped_work",
    "require_session", "require_variables", "run_action", "store_new",
]
# Where each name lives; every other name of __all__ lives in ui.state.
_HOMES = {"cancellable": "ui.progress", "report_stopped_work": "ui.progress", "get_store": "ui.store"}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'ui' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES.get(name, "ui.state")), name)
    globals()[name] = value  # once imported, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
