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

_EXPORTS = {
    **dict.fromkeys(
        ["FROM_LINK_KEY", "LAST_CHANGE_KEY", "QUERY_KEY", "announce", "close_session", "commit",
         "current_session", "navigated_page", "open_session", "require_session", "require_variables",
         "run_action", "store_new"],
        "ui.state",
    ),
    "cancellable": "ui.progress",
    "report_stopped_work": "ui.progress",
    "get_store": "ui.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ui' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once imported, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
