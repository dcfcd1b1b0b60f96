"""Experiments: the measured results, checked row by row against the variables."""

from __future__ import annotations

import streamlit as st

import ui
from alchemist.errors import AlchemistError
from alchemist.experiments import ITERATION, NOISE, NOTE, ExperimentTable
from alchemist.problems import RowStatus
from alchemist.files.tables import MAX_TABLE_FILE_BYTES, read_table, table_to_csv
from ui import words
from ui.editor import edit_if_current
from ui.exclusion_form import exclusion_section
from ui.uploads import forget, parse_once

session = ui.require_session()
st.header("Experiments")

ui.require_variables(session, "every experiment is checked against them.")

# -- upload -----------------------------------------------------------------------------------
round_ = st.session_state.get("experiments_round", 0)
with st.expander("📁 Upload experiments (CSV or Excel)", expanded=len(session.experiments) == 0):
    upload = st.file_uploader(
        "Table with one column per variable and a result column",
        type=["csv", "xlsx"],
        key=f"experiments_file{round_}",
        help=f"At most {MAX_TABLE_FILE_BYTES // 1_000_000} MB. Columns named Noise, Iteration and Note (or Reason) are kept too.",
    )
    if upload is not None:
        try:
            incoming = parse_once("experiments", upload.name, upload.getvalue(), read_table)
        except AlchemistError as error:  # unreadable, or beyond a limit of what a table may hold
            st.error(words.plain(f"'{upload.name}' could not be read: {error.message}"))
        else:
            skipped = incoming.attrs.get("empty_rows_skipped", 0)
            st.caption(words.plain(
                f"{len(incoming)} row(s), columns: {', '.join(map(str, incoming.columns))}"
                + (f". {skipped} completely empty row(s) in the file are skipped." if skipped else "")
            ))
            candidates = [c for c in incoming.columns if c not in {v.name for v in session.variables}]
            guess = ExperimentTable.guess_target(incoming, session.variables)
            target = st.selectbox(
                "Result column",
                candidates,
                index=candidates.index(guess) if guess in candidates else None,
                placeholder="Choose the column that holds the measured result",
                key=f"experiments_target{round_}",
            )
            replace = False
            if len(session.experiments):
                replace = st.radio(
                    "Existing experiments",
                    ["Keep them and add these rows", "Replace them with this file"],
                    horizontal=True,
                    key=f"experiments_mode{round_}",
                ).startswith("Replace")
            if st.button("Import experiments", type="primary", disabled=target is None, key="import_experiments"):
                try:
                    report = session.add_experiments(incoming, target=target, replace=replace)
                except AlchemistError as error:
                    st.error(words.plain(error.message))
                else:
                    ui.commit(session)
                    st.session_state["experiments_round"] = round_ + 1
                    forget("experiments")
                    st.session_state["experiments_message"] = words.import_summary(report)
                    st.rerun()

message = st.session_state.pop("experiments_message", None)
if message:
    ui.announce(message)
    st.success(words.plain(message))

# -- the table --------------------------------------------------------------------------------
frame = session.experiments.frame
checks = session.check_rows()
shown = frame.copy()
shown.insert(0, "Status", [words.status_cell(check) for check in checks])

problems = [(i, check) for i, check in enumerate(checks) if check.status is RowStatus.INVALID]
st.markdown(words.table_summary(checks))
if problems:
    with st.expander(f"⚠️ {len(problems)} row(s) cannot be used until they are fixed", expanded=True):
        st.markdown("\n".join(f"- Row {i + 1}: {words.plain(words.status_text(check))}" for i, check in problems[:50]))
        if len(problems) > 50:
            st.caption(f"… and {len(problems) - 50} more; see the Status column.")

column_config = {
    "Status": st.column_config.TextColumn("Status", disabled=True, width="medium"),
    session.target: st.column_config.NumberColumn(f"{session.target} (result)", format="%g"),
    NOISE: st.column_config.NumberColumn(NOISE, help="Noise variance of the result, if known", format="%g", min_value=0.0),
    ITERATION: st.column_config.NumberColumn(ITERATION, format="%d", min_value=0, step=1),
    NOTE: st.column_config.TextColumn(NOTE, width="medium"),
}
for variable in session.variables:
    # A column's help is shown as Markdown: the user's description and units must read as typed.
    help_text = words.plain(f"{variable.describe()}" + (f" · {variable.description}" if variable.description else ""))
    numeric_column = frame[variable.name].dtype == "float64"
    if variable.kind == "categorical":
        valid = all(v is None or v in variable.levels for v in frame[variable.name])
        column_config[variable.name] = (
            st.column_config.SelectboxColumn(variable.label, options=list(variable.levels), help=help_text)
            if valid
            else st.column_config.TextColumn(variable.label, help=help_text)
        )
    elif numeric_column:
        column_config[variable.name] = st.column_config.NumberColumn(variable.label, help=help_text, format="%g")
    else:
        # Text in a numeric column is shown as text so the user can see and fix it.
        column_config[variable.name] = st.column_config.TextColumn(variable.label, help=help_text)
if frame[session.target].dtype != "float64":
    column_config[session.target] = st.column_config.TextColumn(f"{session.target} (result)")

editor_key = f"experiments_editor{st.session_state.get('editor_version', 0)}"


def commit_edits() -> None:
    # The editor keeps its change set relative to the frame it was given: apply it to that frame,
    # store the result in the session, and start a fresh editor so no edit is applied twice.
    # Row positions refer to the table as drawn: when another tab changed the session since,
    # the edit is refused rather than applied to other rows or saved over the other tab's work.
    changes = st.session_state.get(editor_key) or {}
    st.session_state["editor_version"] = st.session_state.get("editor_version", 0) + 1
    try:
        applied = edit_if_current(session, ui.current_session(), shown.drop(columns=["Status"]), changes)
    except AlchemistError as error:  # e.g. a row limit: the edit is refused before anything changed
        st.session_state["experiments_edit_error"] = error.message
        return
    if applied:
        ui.commit(session)
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
    on_change=commit_edits,
)
st.caption("Edit cells, add rows at the bottom, or select rows and press Delete. Every change is saved at once.")
exclusion_section(session)

st.download_button(
    "Download table (CSV)",
    data=lambda: table_to_csv(frame),
    file_name=f"experiments_{session.short_id}.csv",
    mime="text/csv",
    on_click="ignore",
    disabled=len(frame) == 0,
)
