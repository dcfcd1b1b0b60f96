"""Experiments: the measured results, checked row by row against the variables."""

from __future__ import annotations

import streamlit as st

import ui
from alchemist.errors import AlchemistError
from alchemist.experiments import EXCLUDED, EXCLUSION_REASON, ITERATION, NOISE, NOTE
from alchemist.problems import RowStatus
from alchemist.files.tables import table_to_csv
from ui import words
from ui.constraints_form import status_with_flags
from ui.editor import display_cells, edit_if_current, is_draft
from ui.exclusion_form import exclusion_section
from ui.history import edited_columns
from ui.importing import import_experiments
from ui.plurals import counted

session = ui.require_session()
st.header("Experiments")

ui.require_variables(session, "every experiment is checked against them.")

# -- upload -----------------------------------------------------------------------------------
round_ = st.session_state.get("experiments_round", 0)
with st.expander("📁 Upload experiments (CSV or Excel)", expanded=len(session.experiments) == 0):
    import_experiments(session, round_)

message = st.session_state.pop("experiments_message", None)
if message:  # announced by the import already; shown here too, beside the table it changed
    st.success(words.plain(message))

# -- the table --------------------------------------------------------------------------------
frame = session.experiments.frame
checks = session.check_rows()
# Numeric columns are edited as text: a typo stays as typed, flagged in Status (see ui.editor.display_cells).
shown = display_cells(session.experiments.cells(), session.variables, session.target)
shown.insert(0, "Status", status_with_flags(session, [words.status_cell(check) for check in checks]))

problems = [(i, check) for i, check in enumerate(checks) if check.status is RowStatus.INVALID]
st.markdown(words.table_summary(checks))
if problems:
    with st.expander(f"⚠️ {counted(len(problems), 'row')} cannot be used until {'it is' if len(problems) == 1 else 'they are'} fixed", expanded=True):
        st.markdown("\n".join(f"- Row {i + 1}: {words.plain(words.status_text(check))}" for i, check in problems[:50]))
        if len(problems) > 50:
            st.caption(f"… and {len(problems) - 50} more; see the Status column.")


def number_column(label: str, help_text: str | None = None) -> st.column_config.Column:
    return st.column_config.TextColumn(label, help=help_text, alignment="right")


column_config = {
    "Status": st.column_config.TextColumn("Status", disabled=True, width="large"),
    session.target: number_column(f"{session.target} (result)"),
    NOISE: number_column(NOISE, "Noise variance of the result, if known (zero or more)"),
    ITERATION: number_column(ITERATION, "A whole number: the round the experiment belongs to"),
    NOTE: st.column_config.TextColumn(NOTE, width="medium"),
    # Switched below with a reason, so that every exclusion is logged (issue 11).
    EXCLUDED: st.column_config.CheckboxColumn(EXCLUDED, disabled=True),
    EXCLUSION_REASON: st.column_config.TextColumn(EXCLUSION_REASON, disabled=True),
}
for variable in session.variables:
    # A column's help is shown as Markdown: the user's description and units must read as typed.
    help_text = words.plain(f"{variable.describe()}" + (f" · {variable.description}" if variable.description else ""))
    if variable.kind == "categorical":
        valid = all(v is None or v in variable.levels for v in frame[variable.name])
        column_config[variable.name] = (
            st.column_config.SelectboxColumn(variable.label, options=list(variable.levels), help=help_text)
            if valid
            else st.column_config.TextColumn(variable.label, help=help_text)
        )
    else:
        column_config[variable.name] = number_column(variable.label, help_text)

editor_key = f"experiments_editor{st.session_state.get('editor_version', 0)}"


def commit_edits() -> None:
    # The editor keeps its change set relative to the frame it was given: apply it to that frame,
    # store the result in the session, and start a fresh editor so no edit is applied twice.
    # Row positions refer to the table as drawn: when another tab changed the session since,
    # the edit is refused rather than applied to other rows or saved over the other tab's work.
    changes = st.session_state.get(editor_key) or {}
    if is_draft(changes):
        return  # "+ Add row" with nothing typed yet: the editor keeps the draft row until it holds a value
    st.session_state["editor_version"] = st.session_state.get("editor_version", 0) + 1
    try:
        applied = edit_if_current(session, ui.current_session(), shown.drop(columns=["Status"]), changes)
    except AlchemistError as error:  # e.g. a row limit: the edit is refused before anything changed
        st.session_state["experiments_edit_error"] = error.message
        return
    if applied:
        if ui.commit(session, columns=edited_columns(changes)):  # a cell edit stores its columns only
            ui.announce(words.table_edit(changes))
    else:
        st.toast("The experiments were changed in another tab, so this edit was not applied. "
                 "The table now shows the latest version; please make the edit again.", icon="⚠️")


edit_error = st.session_state.pop("experiments_edit_error", None)
if edit_error:
    st.error(words.plain(f"This edit was not applied: {edit_error}"))
if len(frame) == 0:
    st.info("No experiments yet. Upload a table above, or type rows into the table below.")
st.data_editor(
    shown,
    key=editor_key,
    num_rows="dynamic",
    column_config=column_config,
    hide_index=True,
    width="stretch",
    height=min(36 * (len(frame) + 2), 640),  # room for every row of a small campaign, then scroll
    placeholder="",  # an empty cell stays empty (not a grey "None")
    on_change=commit_edits,
)
st.caption("Edit cells, add rows at the bottom, or select rows and press Delete. Every change is saved at once; "
           "a new row is kept once it holds a value. A value that does not fit stays as typed, with the reason in Status.")
exclusion_section(session)

cells = session.experiments.cells()  # with what was typed: the file can be fixed and imported again
st.download_button(
    "Download table (CSV)",
    data=lambda: table_to_csv(cells),
    file_name=f"experiments_{session.short_id}.csv",
    mime="text/csv",
    on_click="ignore",
    disabled=len(frame) == 0,
)
