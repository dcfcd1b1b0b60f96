"""History: every change as a revision; view a past state read-only, compare it with now, restore it;
named snapshots."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from alchemist.errors import AlchemistError
from alchemist.history.diff import compare
from alchemist.history.revisions import MAX_LABEL, MAX_REVISIONS
from ui import history_words, words
from ui.history import restore, save_snapshot, show_history_error

session = ui.require_session()
store = ui.get_store()
st.header("History")
show_history_error()
try:
    revisions = store.history(session.id)
    snapshots = store.snapshots(session.id)
    dailies = store.dailies(session.id)
except AlchemistError as error:
    st.error(words.plain(error.message))
    st.stop()
head = revisions[-1].number if revisions else 0
st.caption(
    f"Every change is kept as a revision: the last {MAX_REVISIONS} with what they changed, one state per day "
    "before that, and your snapshots for good. Restoring a revision is itself a new revision: nothing is overwritten."
)

st.dataframe(
    pd.DataFrame([
        {"Revision": r.number, "When": history_words.when_text(r.time), "What changed": history_words.revision_text(r),
         "Variables": r.counts.get("variables"), "Experiments": r.counts.get("experiments")}
        for r in reversed(revisions)
    ]),
    hide_index=True,
    width="stretch",
    height=min(36 * (len(revisions) + 1) + 2, 400),
    column_config={"Revision": st.column_config.NumberColumn(format="%d", width="small")},
)

snapshot_col, list_col = st.columns([1, 1.4], gap="large")
with snapshot_col:
    with st.form("snapshot_form", clear_on_submit=True, border=True):
        label = st.text_input("Snapshot label", max_chars=MAX_LABEL, placeholder="e.g. Before the second batch")
        if st.form_submit_button("Save snapshot", help="Keeps the current state under this label; snapshots are never pruned."):
            save_snapshot(label)
            st.rerun()
with list_col:
    if snapshots:
        st.markdown("**Snapshots**")
        st.dataframe(
            pd.DataFrame([{"Label": s.label, "Revision": s.number, "Saved": history_words.when_text(s.time)}
                          for s in reversed(snapshots)]),
            hide_index=True, width="stretch",
        )
    else:
        st.caption("No snapshots yet.")

# A past state: any kept revision, snapshot or daily state, by the number of the revision it is the state after.
choices: dict[int, str] = {}
for s in snapshots:
    choices[s.number] = f"Snapshot '{s.label}' (revision {s.number})"
for d in dailies:
    choices.setdefault(d.number, f"State of {d.time:%Y-%m-%d} (revision {d.number})")
for r in revisions:
    choices[r.number] = f"Revision {r.number}: {history_words.revision_text(r)} ({history_words.when_text(r.time)})"
number = st.selectbox(
    "View a past state", sorted(choices, reverse=True), index=None, format_func=lambda n: choices[n],
    placeholder="Choose a revision or snapshot to view it read-only and compare it with now",
    key=f"history_view_{session.id}",
)
if number is not None:
    try:
        past = store.session_at(session.id, number)
    except AlchemistError as error:
        st.error(words.plain(error.message))
        st.stop()
    with st.container(border=True):
        st.subheader(f"Revision {number} (read-only)")
        lines = history_words.comparison_lines(compare(past, session))
        if lines:
            st.markdown("**Compared with now:**\n" + "\n".join(f"- {words.plain(line)}" for line in lines))
        else:
            st.markdown("**The same as now.**")
        st.button(f"Restore revision {number}", type="primary", key="restore_revision", on_click=restore, args=(number,),
                  disabled=number == head,
                  help="Makes this state the current one, as a new revision; undo takes it back.")
        st.markdown(f"**Variables** ({len(past.variables)})")
        st.dataframe(
            pd.DataFrame([{"Name": v.name, "Kind": v.kind, "Unit": v.unit, "Values": v.describe()} for v in past.variables]),
            hide_index=True, width="stretch",
        )
        st.markdown(f"**Experiments** ({len(past.experiments)})")
        st.dataframe(past.experiments.frame, hide_index=True, width="stretch", height=min(36 * (len(past.experiments) + 1) + 2, 400))
