"""Undo and redo from the header, and the actions of the History page, applied to the stored session."""

from __future__ import annotations

import streamlit as st

from alchemist.errors import AlchemistError
from alchemist.session import Session
from ui import history_words, words
from ui.state import adopt, announce, current_session
from ui.store import get_store

UNDO_SHORTCUT = "Ctrl+Alt+Z"
REDO_SHORTCUT = "Ctrl+Alt+Y"


def _reopen(session_id: str) -> Session | None:
    opened = get_store().checkout(session_id)
    if opened is not None:
        adopt(opened.session, opened.version, opened.number)
        return opened.session
    return None


def undo_or_redo(kind: str) -> None:
    """Button callback: take back (or make again) the session's last change, as a new revision."""
    session = current_session()
    if session is None:
        return
    store = get_store()
    try:
        target = store.undo_targets(session.id)[0 if kind == "undo" else 1]
        if kind == "undo":
            store.undo(session.id)
        else:
            store.redo(session.id)
    except AlchemistError as error:
        st.session_state["history_error"] = error.message
        return
    _reopen(session.id)
    verb = "Undone" if kind == "undo" else "Redone"
    announce(f"{verb}: {history_words.revision_text(target)}" if target is not None else verb)


def undo_redo_buttons(session: Session) -> None:
    """Undo and Redo, disabled when there is nothing to take back or make again; the help says what."""
    try:
        undo_target, redo_target = get_store().undo_targets(session.id)
    except (AlchemistError, OSError):  # the store cannot be read now: nothing to offer
        undo_target = redo_target = None
    st.button("↶ Undo", key="undo", on_click=undo_or_redo, args=("undo",), disabled=undo_target is None,
              help=history_words.undo_help(undo_target), shortcut=UNDO_SHORTCUT, type="tertiary")
    st.button("↷ Redo", key="redo", on_click=undo_or_redo, args=("redo",), disabled=redo_target is None,
              help=history_words.redo_help(redo_target), shortcut=REDO_SHORTCUT, type="tertiary")


def show_history_error() -> None:
    error = st.session_state.pop("history_error", None)
    if error:
        st.error(words.plain(error))


def restore(number: int) -> None:
    session = current_session()
    if session is None:
        return
    try:
        get_store().restore(session.id, number)
    except AlchemistError as error:
        st.session_state["history_error"] = error.message
        return
    _reopen(session.id)
    announce(f"Restored revision {number}. The state before is kept: undo brings it back.")


def save_snapshot(label: str) -> None:
    session = current_session()
    if session is None:
        return
    try:
        saved = get_store().snapshot(session.id, label)
    except AlchemistError as error:
        st.session_state["history_error"] = error.message
        return
    _reopen(session.id)
    announce(f"Saved the snapshot '{saved.label}' (revision {saved.number}).")


def edited_columns(changes: dict) -> list[str] | None:
    """The columns an editor change set edited, when it only edited cells (no row added or
    deleted): the store then compares just those (see ui.state.commit). None otherwise."""
    if changes.get("added_rows") or changes.get("deleted_rows"):
        return None
    columns = {str(c) for cells in (changes.get("edited_rows") or {}).values() if isinstance(cells, dict) for c in cells}
    return sorted(columns) or None
