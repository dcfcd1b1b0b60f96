"""The welcome page's "recent sessions" list: on a local install only, by the operator's setting.

Off unless `ALCHEMIST_RECENT_SESSIONS=1` (environment) or `recent_sessions = true` (secrets) says
otherwise: on a shared deployment the store holds every visitor's sessions, and listing them would
hand each visitor the others' session links.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

import streamlit as st

from alchemist.store.recent import recent_sessions
from ui import words
from ui.plurals import bold_counted
from ui.state import announce, open_session
from ui.store import get_store

RECENT_ENV = "ALCHEMIST_RECENT_SESSIONS"
_ON = {"1", "true", "yes", "on"}


def recent_enabled(secrets: Mapping[str, Any], environ: Mapping[str, str]) -> bool:
    """The operator's setting: the environment wins over secrets; anything unclear means off."""
    raw = environ.get(RECENT_ENV)
    if raw is None:
        raw = secrets.get("recent_sessions", False)
    if isinstance(raw, bool):
        return raw
    return str(raw).strip().lower() in _ON


def _secrets() -> Mapping[str, Any]:
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except Exception:  # no secrets file: nothing is set
        return {}


def recent_list() -> None:
    """The list, with an Open button per session; draws nothing when the setting is off or the list empty."""
    if not recent_enabled(_secrets(), os.environ):
        return
    store = get_store()
    found = recent_sessions(store)
    if not found:
        return
    st.subheader("Recent sessions")
    st.caption("Sessions kept on this computer, the most recently changed first.")
    for entry in found:
        name_col, open_col = st.columns([5, 1], vertical_alignment="center")
        name_col.markdown(
            f"**{words.plain(entry.name)}** · {bold_counted(entry.variables, 'variable')} · "
            f"{bold_counted(entry.experiments, 'experiment')} · changed {entry.modified:%Y-%m-%d %H:%M} UTC"
        )
        if open_col.button("Open", key=f"recent_{entry.id}"):
            session = store.get(entry.id)
            if session is not None:
                open_session(session)
                announce(f"Opened '{session.name}'.")
                st.rerun()
