"""Exclude an experiment from the model (kept in the table, with a reason), or include it again."""

from __future__ import annotations

import streamlit as st

import ui
from alchemist.session import Session
from ui import words


def exclusion_section(session: Session) -> None:
    """An expander under the experiment table; every switch is logged in the session."""
    if not len(session.experiments):
        return
    with st.expander("🚫 Exclude an experiment from the model (it stays in the table)"):
        row_col, reason_col = st.columns([1, 3])
        row = row_col.number_input("Row", min_value=1, max_value=len(session.experiments), value=1, step=1,
                                   key="exclude_row")
        reason = reason_col.text_input("Reason", key="exclude_reason", placeholder="e.g. balance not tared")
        buttons = st.container(horizontal=True)  # as wide as their labels, at 900 px too
        if buttons.button("Exclude", key="exclude_button", disabled=not reason.strip()):
            if ui.run_action(lambda: session.exclude(int(row) - 1, reason), f"Excluded row {int(row)} from the model."):
                st.rerun()
        if buttons.button("Include again", key="include_button"):
            if ui.run_action(lambda: session.include(int(row) - 1, reason), f"Row {int(row)} trains the model again."):
                st.rerun()
        if session.exclusion_log:
            st.caption("Log: " + words.plain(" · ".join(
                f"{e.at:%Y-%m-%d %H:%M} UTC row {e.row + 1} {e.action.value}" + (f" ({e.reason})" if e.reason else "")
                for e in session.exclusion_log[-5:]
            )))
