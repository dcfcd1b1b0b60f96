"""Objectives: which result columns to optimise, each with a direction and optional limits.

One result column with no limit is the classic campaign (the goal on the Suggestions page);
two or more, or a limit, make suggestions by expected hypervolume improvement and the
probability of meeting the limits."""

from __future__ import annotations

import streamlit as st

import ui
from alchemist.objectives import Objective
from alchemist.session import Session
from ui import words
from ui.constraint_words import DIRECTION_LABELS, objectives_text

DIRECTIONS = ["maximize", "minimize", None]


def objectives_section(session: Session) -> None:
    """Draw the objectives form; a change goes through session.set_objectives and is committed."""
    current = {o.name: o for o in session.objectives}
    with st.expander("🎯 Objectives: one or more result columns, with optional limits", expanded=bool(current)):
        if current:
            st.markdown(words.plain("Now: " + objectives_text(session.objectives) + "."))
        else:
            st.caption(f"Now: the result column '{session.target}', by the goal below.")
        known = [session.target, *session.experiments.results]
        new = st.text_input("Add result columns, separated by commas (their values go in the experiment table)",
                            key="objective_new_column", placeholder="e.g. Yield, Cost")
        added = [n for n in dict.fromkeys(part.strip() for part in new.split(",")) if n and n not in known]
        options = known + added
        default = [n for n in known if n in current] + added if added else [n for n in known if n in current] or [session.target]
        chosen = st.multiselect("Result columns to optimise", options, default=default,
                                key=f"objective_columns_{'|'.join(options)}")
        objectives: list[Objective] = []
        error = None
        for name in chosen:
            old = current.get(name)
            direction_col, low_col, high_col = st.columns([2, 1, 1])
            direction = direction_col.selectbox(
                f"{name}", DIRECTIONS, index=DIRECTIONS.index(old.direction) if old else 0,
                format_func=DIRECTION_LABELS.get, key=f"objective_direction_{name}",
            )
            at_least = low_col.number_input(f"{name} at least", value=old.at_least if old else None, format="%g",
                                            placeholder="no limit", key=f"objective_low_{name}")
            at_most = high_col.number_input(f"{name} at most", value=old.at_most if old else None, format="%g",
                                            placeholder="no limit", key=f"objective_high_{name}")
            try:
                objectives.append(Objective(name, direction, at_least, at_most))
            except Exception as problem:  # an ObjectiveError: words from the library's check
                error = getattr(problem, "message", str(problem))
        if error:
            st.caption(words.plain(error))
        if st.button("Use these objectives", key="set_objectives", disabled=not chosen or error is not None):
            if ui.run_action(lambda: session.set_objectives(objectives), "Objectives set: " + objectives_text(objectives) + "."):
                st.rerun()
