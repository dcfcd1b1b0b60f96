"""The current session of this browser tab, and how changes to it are kept.

The session object in `st.session_state["session"]` is the single source of truth while a user
works; every change is written to the store at once, and the id in the URL brings it back.
"""

from __future__ import annotations

import runpy
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

import streamlit as st

from alchemist.errors import AlchemistError, ConflictError, LimitError, StorageError, StorageReason
from alchemist.history.revisions import History
from alchemist.session import Session, is_session_id
from ui import words
from ui.store import PROJECT_DIR, get_store

SESSION_KEY = "session"
QUERY_KEY = "session"
VERSION_KEY = "session_version"
# The revision this tab's copy is at: a change is stored as its difference from that revision, so
# a change made while another tab committed is applied on top of theirs (or refused by name).
REVISION_KEY = "session_revision"
# Set while this tab holds changes the store could not take (disk full, read-only, a conflict):
# the session object in memory is then newer than the stored one and is written at the next run.
UNSAVED_KEY = "session_unsaved"
# The id of a session this tab opened from a link (the URL) rather than creating or loading it:
# someone else may hold that link, so the tab offers a private copy once.
FROM_LINK_KEY = "session_from_link"
# What the user's last change did, in words: a toast disappears after a few seconds, so the header
# also keeps the sentence until the next change (and a test can wait for it without a race).
LAST_CHANGE_KEY = "last_change"
# Set when long work was stopped half way (ui.progress): this tab's copy may hold a part of it, so
# the next run reads the session as stored.
REREAD_KEY = "session_reread"


def current_session(retry_unsaved: bool = False) -> Session | None:
    """The user's session: from this browser tab's state, or from the id in the URL after a reload or restart.

    `retry_unsaved`: app.py's one call at the top of a run tries again to store a change the store
    could not take; the page's later calls in the same run do not (one attempt and one warning a run).

    When the stored file changed since this tab last read or wrote it (the same session open in
    another tab, or a colleague with the link), the tab takes the stored session, so that it never
    overwrites their changes with an older copy.
    """
    session = st.session_state.get(SESSION_KEY)
    if session is not None and st.session_state.pop(REREAD_KEY, False) and not st.session_state.get(UNSAVED_KEY):
        return _load(session.id)
    if session is not None and st.session_state.get(UNSAVED_KEY):
        # This tab's copy is the only up-to-date one: keep it, and try to save it again now.
        if retry_unsaved and commit(session):
            st.toast("Your changes are saved now.", icon="💾")
        return session
    if session is not None:
        try:
            stored = get_store().version(session.id)
        except (StorageError, OSError):
            return session  # the store cannot be read now: this tab's copy is the best there is
        if stored is None or stored == st.session_state.get(VERSION_KEY):
            return session
        st.session_state.pop(SESSION_KEY)
        fresh = _load(session.id)
        if fresh is not None:
            st.toast("This session was changed in another tab; showing the latest version.", icon="🔄")
        return fresh
    session_id = st.query_params.get(QUERY_KEY)
    if not session_id:
        return None
    if not is_session_id(session_id):
        st.query_params.clear()
        st.toast("The link does not name a valid session.", icon="⚠️")
        return None
    session = _load(session_id)
    if session is not None:
        st.session_state[FROM_LINK_KEY] = session.id
    return session


def _load(session_id: str) -> Session | None:
    store = get_store()
    try:
        opened = store.checkout(session_id)
    except AlchemistError as error:
        st.query_params.clear()
        st.error(words.plain(error.message))
        return None
    if opened is None:
        st.query_params.clear()
        st.toast("That session has expired or does not exist. Start a new one or load a saved file.", icon="⚠️")
        return None
    adopt(opened.session, opened.version, opened.number)
    return opened.session


def reread_stored_session() -> None:
    """Make the next run read the session as stored, dropping what this tab's copy holds beyond it
    (kept when the copy holds changes the store could not take: it is the only up-to-date one)."""
    st.session_state[REREAD_KEY] = True


def adopt(session: Session, version: int | None, number: int | None) -> None:
    """Make `session`, as stored at `version` and revision `number`, this tab's copy."""
    st.session_state[SESSION_KEY] = session
    st.session_state[VERSION_KEY] = version
    st.session_state[REVISION_KEY] = number


def open_session(session: Session) -> None:
    """Make `session`, created or loaded by this tab, the tab's session."""
    st.session_state.pop(FROM_LINK_KEY, None)
    st.session_state[SESSION_KEY] = session
    st.query_params[QUERY_KEY] = session.id


def close_session() -> None:
    st.session_state.pop(LAST_CHANGE_KEY, None)
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(VERSION_KEY, None)
    st.session_state.pop(REVISION_KEY, None)
    st.session_state.pop(UNSAVED_KEY, None)
    st.session_state.pop(FROM_LINK_KEY, None)
    st.query_params.clear()


# Set while app.py runs the chosen page, per script thread: each browser tab runs in its own.
_navigation = threading.local()


@contextmanager
def navigated_page() -> Iterator[None]:
    """Mark the page run inside it as run by app.py's navigation (the header and the page list drawn)."""
    _navigation.active = True
    try:
        yield
    finally:
        _navigation.active = False


def _run_through_app() -> None:
    # While no st.navigation call has happened in a server process, Streamlit treats a pages/
    # folder as its old multipage mode and runs pages/<name>.py on its own for a link to /<name>:
    # the first visit after a server restart would come without the header and the navigation
    # (and AppTest runs every page that way). Such a run did not come through app.py, so run
    # app.py instead, within this same run: it calls st.navigation, which leaves that mode, and
    # runs this page again, so no click is lost.
    if not getattr(_navigation, "active", False):
        runpy.run_path(str(PROJECT_DIR / "app.py"), run_name="__main__")
        st.stop()


def require_session() -> Session:
    _run_through_app()
    session = current_session()
    if session is None:
        st.info("No session is open.")
        st.stop()
    return session


def require_variables(session: Session, why: str) -> None:
    """Stop a page that means nothing without variables, pointing the user to where they are made."""
    if not session.variables:
        st.info(f"Define the variables first: {why}")
        st.page_link("pages/variables.py", label="Go to Variables", icon="🎛️")
        st.stop()


def commit(session: Session, columns: Sequence[str] | None = None) -> bool:
    """Write the session's change to the store now, as a new revision: a change the user made must
    survive a reload or restart. `columns`: the change only edited cells of these experiment
    columns (the experiments editor knows), so only they are compared.

    A change made while another tab committed is applied on top of theirs; one that meets their
    change is refused by name, and this tab then shows the stored session. When the store cannot
    take it (disk full or read-only), the session stays in this tab's memory, the user is told,
    and the save is tried again on the next run. False then.
    """
    store = get_store()
    try:
        committed = store.commit(session, base=st.session_state.get(REVISION_KEY),
                                 expected_version=st.session_state.get(VERSION_KEY), columns=columns)
    except ConflictError as error:
        # Never write over another tab's change: the next run shows the stored version; the user
        # is told this change was not applied, and where it met theirs.
        st.session_state.pop(SESSION_KEY, None)
        st.session_state.pop(UNSAVED_KEY, None)
        st.error(f"{words.plain(error.message)} Make it again on the latest version, shown now.")
        return False
    except (StorageError, LimitError) as error:
        _keep_unsaved(words.storage_problem(error))
        return False
    except OSError:
        # The store words disk failures as StorageError; should one still slip through, the
        # user's work must not be lost with a traceback.
        _keep_unsaved(words.storage_problem(StorageError("", StorageReason.DISK)))
        return False
    st.session_state.pop(UNSAVED_KEY, None)
    if committed.merged is not None:  # applied on top of another tab's change: show the result
        session = committed.merged
    adopt(session, committed.version, committed.number)
    return True


def store_new(session: Session, history: History | None = None) -> bool:
    """Store a session this tab created or loaded (with the history its file carried)."""
    if history is None or not (history.revisions or history.snapshots):
        st.session_state.pop(VERSION_KEY, None)
        st.session_state.pop(REVISION_KEY, None)
        return commit(session)
    try:
        version = get_store().adopt(session, history)
    except (StorageError, LimitError) as error:
        _keep_unsaved(words.storage_problem(error))
        return False
    adopt(session, version, history.head)
    return True


def _keep_unsaved(reason: str) -> None:
    st.session_state[UNSAVED_KEY] = True
    st.warning(
        f"Your latest change is kept in this browser tab but could not be saved yet: {words.plain(reason)} "
        "It will be saved at your next action. To be safe, download the session with Save Session.",
        icon="💾",
    )


def run_action(action: Callable[[], object], success: str | None = None, columns: Sequence[str] | None = None) -> bool:
    """Run a change to the session; show our errors to the user and keep the app running.
    `columns`: see `commit`."""
    try:
        action()
    except AlchemistError as error:
        st.error(words.plain(error.message))
        return False
    except MemoryError:
        # Work beyond what the server can hold (a model on very many experiments): the model
        # bounds its memory, but should an allocation still fail, the visitor is told and keeps
        # the session; the allocation that failed was never made, so the server goes on.
        st.error("This needs more memory than the server can give one operation (its memory limit). "
                 "Nothing was changed. Try again with fewer experiments.")
        return False
    session = st.session_state.get(SESSION_KEY)
    if session is not None:
        commit(session, columns)
    if success:
        announce(success)
    return True


def announce(message: str) -> None:
    """Say what a change did: a toast now, and the header's "Last change" line until the next one."""
    st.toast(words.plain(message), icon="✅")
    st.session_state[LAST_CHANGE_KEY] = message
