"""Glue between Streamlit and the library: the store, the current session, and how changes are kept.

The session object in `st.session_state["session"]` is the single source of truth while a user
works; every change is written to the store at once, and the id in the URL brings it back.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Callable

import streamlit as st

from alchemist.errors import AlchemistError
from alchemist.persistence import DEFAULT_TTL, SessionStore, start_sweeper
from alchemist.session import Session, is_session_id

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent
SESSION_KEY = "session"
QUERY_KEY = "session"


def _secret(name: str) -> object | None:
    # st.secrets raises when no secrets file exists; a missing file simply means "not set".
    try:
        return st.secrets.get(name)
    except Exception:
        return None


def configured_ttl() -> timedelta:
    """Time to live of cached sessions: ALCHEMIST_SESSION_TTL_DAYS, else secrets' session_ttl_days, else 7 days."""
    for raw in (os.environ.get("ALCHEMIST_SESSION_TTL_DAYS"), _secret("session_ttl_days")):
        if raw in (None, ""):
            continue
        try:
            days = float(raw)
        except (TypeError, ValueError):
            log.warning("Ignoring session time to live %r: not a number of days", raw)
            continue
        if days > 0:
            return timedelta(days=days)
        log.warning("Ignoring session time to live %r: must be positive", raw)
    return DEFAULT_TTL


def cache_dir() -> Path:
    return Path(os.environ.get("ALCHEMIST_CACHE_DIR", PROJECT_DIR / "cache"))


@st.cache_resource
def get_store() -> SessionStore:
    """One store per server process (shared by all users: it holds files, not anyone's session)."""
    store = SessionStore(cache_dir(), configured_ttl())
    start_sweeper(store)
    return store


def current_session() -> Session | None:
    """The user's session: from this browser tab's state, or from the id in the URL after a reload or restart."""
    session = st.session_state.get(SESSION_KEY)
    if session is not None:
        return session
    session_id = st.query_params.get(QUERY_KEY)
    if not session_id:
        return None
    if not is_session_id(session_id):
        st.query_params.clear()
        st.toast("The link does not name a valid session.", icon="⚠️")
        return None
    try:
        session = get_store().get(session_id)
    except AlchemistError as error:
        st.query_params.clear()
        st.error(error.message)
        return None
    if session is None:
        st.query_params.clear()
        st.toast("That session has expired or does not exist. Start a new one or load a saved file.", icon="⚠️")
        return None
    st.session_state[SESSION_KEY] = session
    return session


def open_session(session: Session) -> None:
    st.session_state[SESSION_KEY] = session
    st.query_params[QUERY_KEY] = session.id


def close_session() -> None:
    st.session_state.pop(SESSION_KEY, None)
    st.query_params.clear()


_navigation_ran = False


def navigation_started() -> None:
    """Called by app.py once it has called st.navigation."""
    global _navigation_ran
    _navigation_ran = True


def _run_through_app() -> None:
    # Until app.py has called st.navigation once in a server process, Streamlit treats a pages/
    # folder as its old multipage mode and runs pages/<name>.py on its own for a link to /<name>:
    # the first visit after a server restart would lose the header and navigation. Leave that
    # mode (as st.navigation itself does) and run again, through app.py.
    if not _navigation_ran:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        PagesManager.uses_pages_directory = False
        ctx = get_script_run_ctx()
        page = ctx.pages_manager.get_pages().get(ctx.page_script_hash) if ctx else None
        if page is None:
            st.rerun()
        st.switch_page(page["script_path"], query_params=st.query_params.to_dict())


def require_session() -> Session:
    _run_through_app()
    session = current_session()
    if session is None:
        st.info("No session is open.")
        st.stop()
    return session


def commit(session: Session) -> None:
    """Write the session to the store now: a change the user made must survive a reload or restart."""
    get_store().save(session)


def run_action(action: Callable[[], object], success: str | None = None) -> bool:
    """Run a change to the session; show our errors to the user and keep the app running."""
    try:
        action()
    except AlchemistError as error:
        st.error(error.message)
        return False
    session = st.session_state.get(SESSION_KEY)
    if session is not None:
        commit(session)
    if success:
        st.toast(success, icon="✅")
    return True
