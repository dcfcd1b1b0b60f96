"""Lab notebook: the audit trail of the campaign, notes on its entries, a check of its hash chain, exports."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from alchemist.audit import AuditKind, AuditTrail
from alchemist.audit.export import to_json, to_markdown
from alchemist.audit.provenance import row_values
from alchemist.plain import timestamp_to_state
from ui import audit_words, words
from ui.plurals import counted

session = ui.require_session()
st.header("Lab notebook")
st.caption("Every model fit, batch of suggestions, planned experiment and result entered, in the order it happened. "
           "Each entry is sealed by a hash that also covers the entry before it, so a change to the record shows.")

trail = session.audit
if not len(trail):
    st.info("Nothing recorded yet. Import or enter experiments, train a model or ask for suggestions: each step appears here.")
    st.stop()

# -- the entries ------------------------------------------------------------------------------
entries = list(reversed(trail.entries))  # newest first
by_number = {e.number: e for e in entries}
notes_by_entry = trail.notes_by_entry()
rows = {  # what happened first: at 900 px the columns after it scroll
    "#": [e.number for e in entries],
    "What": [audit_words.entry_summary(e) for e in entries],
    "Kind": [audit_words.KIND_LABELS[e.kind] for e in entries],
    "Time (UTC)": [timestamp_to_state(e.time)[:16].replace("T", " ") for e in entries],
}
notes = [" · ".join(n.note for n in notes_by_entry.get(e.number, [])) for e in entries]
if any(notes):
    rows["Notes"] = notes
origins = [audit_words.origin_text(e) for e in entries]
if any(origins):  # only entries imported from another program have one
    rows["Origin"] = origins
st.dataframe(
    pd.DataFrame(rows),
    hide_index=True,
    width="stretch",
    column_config={
        "#": st.column_config.NumberColumn("#", width=40),
        "Time (UTC)": st.column_config.TextColumn("Time (UTC)", width=130),
        "Kind": st.column_config.TextColumn("Kind", width=120),
        "What": st.column_config.TextColumn("What", width=440),
        "Notes": st.column_config.TextColumn("Notes", width=240),
    },
)

# -- check and downloads ----------------------------------------------------------------------
# data= a callable: the file is built when clicked, in another thread, from this copy of the trail
# (entries are frozen: a copy of the list is a copy of the trail).
kept, name = AuditTrail(trail.entries, trail.dropped, trail.anchor, trail.links), session.name
with st.container(horizontal=True):
    verify = st.button("Verify", type="primary", icon="🔎", help="Recompute every hash and link of the trail.")
    st.download_button(
        "Markdown", data=lambda: to_markdown(kept, name).encode("utf-8"), icon="📄",
        file_name=f"lab_notebook_{session.short_id}.md", mime="text/markdown", on_click="ignore",
        help="The lab notebook as a Markdown document, to read, print or paste into an electronic notebook.",
    )
    st.download_button(
        "JSON", data=lambda: to_json(kept, name), file_name=f"lab_notebook_{session.short_id}.json",
        mime="application/json", on_click="ignore", icon="🧾", help="Every entry with its hashes, to keep or check.",
    )
if verify:
    broken = session.verify_audit()
    message = audit_words.check_text(broken, len(trail))
    (st.success if broken is None else st.error)(words.plain(message))

# -- a note -----------------------------------------------------------------------------------
st.subheader("Add a note")
with st.form("audit_note", clear_on_submit=True):
    numbers = [e.number for e in entries if e.kind is not AuditKind.NOTE] or [entries[0].number]
    about = st.selectbox(
        "About entry", numbers,
        format_func=lambda n: f"{n}: {audit_words.entry_summary(by_number[n])}"[:120],
    )
    text = st.text_area("Note", placeholder="e.g. Batch 3 run on the new reactor; sample 2 spilled.", max_chars=2000)
    if st.form_submit_button("Add note"):
        if ui.run_action(lambda: session.audit.annotate(int(about), text), f"Added a note to entry {about}."):
            st.rerun()

# -- details ----------------------------------------------------------------------------------
with st.expander("🔍 One entry in full"):
    number = st.selectbox("Entry", [e.number for e in entries], key="audit_detail")
    entry = by_number[number]
    st.json({"inputs": entry.inputs, "outputs": entry.outputs, "note": entry.note, "hash": entry.hash,
             "previous_hash": entry.previous_hash}, expanded=True)

if trail.links:
    with st.expander(f"🔗 Where the {counted(len(trail.links), 'planned experiment')} came from"):
        frame = session.experiments.frame
        names = [v.name for v in session.variables]
        st.dataframe(
            pd.DataFrame([
                audit_words.link_row(link, frame[session.target].iat[link.row], row_values(frame, link.row, names))
                for link in trail.links[:500] if link.row < len(frame)
            ]),
            hide_index=True,
            width="stretch",
        )
        if len(trail.links) > 500:
            st.caption(f"The first 500 of {len(trail.links)} are shown; the JSON download has them all.")
