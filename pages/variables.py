"""Variables: what the scientist can set in an experiment, with units and limits."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from alchemist.errors import AlchemistError, ChangeNeedsConfirmation
from alchemist.variable_fill import FillValueError, NeedsFillValue
from alchemist.files.bounds import whole_megabytes
from alchemist.files.variable_files import MAX_VARIABLES_FILE_BYTES, read_variables, variables_to_csv, variables_to_json
from alchemist.variables import KIND_LABELS, KINDS, Variable, make_variable
from ui import import_words, words
from ui.constraints_form import constraints_section
from ui.plurals import counted
from ui.uploads import parse_once

session = ui.require_session()
st.header("Variables")
st.caption("The quantities you set in each experiment. Experiments are checked against these limits.")


PENDING_NEW_KEY = "pending_new_variable"  # (the variable, the number of rows) while their value is asked


def parse_levels(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def variable_form(prefix: str, existing: Variable | None) -> Variable | None:
    """Fields of one variable; returns the variable when the form is submitted and valid."""
    kind = st.selectbox(
        "Type",
        KINDS,
        index=KINDS.index(existing.kind) if existing else 0,
        format_func=KIND_LABELS.get,
        key=f"{prefix}_kind",
    )
    with st.form(f"{prefix}_form", border=False):
        name_col, unit_col = st.columns([2, 1])
        name = name_col.text_input("Name", value=existing.name if existing else "", key=f"{prefix}_name")
        unit = unit_col.text_input(
            "Unit", value=existing.unit if existing else "", key=f"{prefix}_unit", placeholder="e.g. °C, bar, mol%"
        )
        description = st.text_input(
            "Description", value=existing.description if existing else "", key=f"{prefix}_description"
        )
        fields: dict = {}
        if kind in ("continuous", "integer"):
            same_kind = existing is not None and existing.kind in ("continuous", "integer", "discrete")
            step = 1.0 if kind == "integer" else None
            low_col, high_col = st.columns(2)
            fields["low"] = low_col.number_input(
                "Minimum", value=float(existing.low) if same_kind else 0.0, step=step, format="%g", key=f"{prefix}_low_{kind}"
            )
            fields["high"] = high_col.number_input(
                "Maximum",
                value=float(existing.high) if same_kind else (10.0 if kind == "integer" else 1.0),
                step=step,
                format="%g",
                key=f"{prefix}_high_{kind}",
            )
        elif kind == "categorical":
            levels = "\n".join(existing.levels) if existing is not None and existing.kind == "categorical" else ""
            fields["levels"] = parse_levels(
                st.text_area("Levels (one per line)", value=levels, key=f"{prefix}_levels", height=110)
            )
        else:
            values = existing.describe() if existing is not None and existing.kind == "discrete" else ""
            raw = st.text_input(
                "Allowed values (comma-separated numbers)", value=values, key=f"{prefix}_values", placeholder="e.g. 80, 280"
            )
            fields["values"] = [v.strip() for v in raw.split(",") if v.strip()]
        label = "Save changes" if existing else "Add variable"
        if not st.form_submit_button(label, type="primary"):
            return None
    try:
        return make_variable(kind, name, unit=unit, description=description, **fields)
    except AlchemistError as error:
        st.error(words.plain(error.message))
        return None


def apply_change(kind: str, args: tuple, confirm: bool) -> None:
    """Apply a variable change to this run's session. A change waiting for confirmation is kept as
    data (kind and values), never as a closure: the session may have been replaced meanwhile."""
    if kind == "add":
        session.add_variable(*args)
    elif kind == "replace":
        session.replace_variable(*args, confirm=confirm)
    elif kind == "delete":
        session.delete_variable(*args, confirm=confirm)
    else:
        session.set_variables(*args, confirm=confirm)


def attempt(kind: str, args: tuple, success: str, confirm_label: str) -> None:
    """Apply a change; when it would invalidate experiments, keep it aside for the user to confirm."""
    try:
        apply_change(kind, args, False)
    except ChangeNeedsConfirmation as needs:
        st.session_state["pending_variable_change"] = (kind, args, words.confirmation_text(needs), success,
                                                       confirm_label)
        st.rerun()
    except NeedsFillValue as needs:  # a new variable, and experiments without a value for it: ask
        st.session_state[PENDING_NEW_KEY] = (args[0], needs.rows)
        st.rerun()
    except AlchemistError as error:
        st.error(words.plain(error.message))
        return
    else:
        ui.commit(session)
        st.session_state["variables_form_round"] = st.session_state.get("variables_form_round", 0) + 1
        ui.announce(success)
        st.rerun()


pending = st.session_state.get("pending_variable_change")
if pending:
    kind, args, message, success, confirm_label = pending
    with st.container(border=True):
        st.warning(words.plain(message))
        buttons = st.container(horizontal=True)  # as wide as their labels: fixed columns cut them at 900 px
        if buttons.button(confirm_label, type="primary", key="confirm_variable_change"):
            st.session_state.pop("pending_variable_change")
            if ui.run_action(lambda: apply_change(kind, args, True), success):
                st.session_state["variables_form_round"] = st.session_state.get("variables_form_round", 0) + 1
                st.rerun()
        if buttons.button("Cancel", key="cancel_variable_change"):
            st.session_state.pop("pending_variable_change")
            st.toast("Nothing was changed.", icon="↩️")
            st.rerun()

# -- a new variable: the value of the experiments already in the table -----------------------
def add_with_fill(variable: Variable, fill: object, rows: int) -> None:
    """Add the waiting variable with `fill` for the existing rows (None: not recorded), or say why the value does not fit."""
    try:
        session.add_variable(variable, fill=fill, not_recorded=fill is None)
    except FillValueError as error:
        st.error(words.plain(words.problem_text(error.problem)))
        return
    except AlchemistError as error:
        st.error(words.plain(error.message))
        return
    st.session_state.pop(PENDING_NEW_KEY, None)
    ui.commit(session)
    st.session_state["variables_form_round"] = st.session_state.get("variables_form_round", 0) + 1
    ui.announce(import_words.fill_done(variable.name, rows, fill))
    st.rerun()


pending_new = st.session_state.get(PENDING_NEW_KEY)
if pending_new:
    new_variable, existing_rows = pending_new
    with st.container(border=True):
        st.markdown(import_words.fill_question(words.plain(new_variable.name), existing_rows))
        if new_variable.kind == "categorical":
            fill = st.selectbox(f"{new_variable.label} of the existing experiments", new_variable.levels, index=None,
                                key="fill_value", placeholder="Choose a level")
        else:
            fill = st.text_input(f"{new_variable.label} of the existing experiments", key="fill_value",
                                 placeholder=new_variable.describe())
        buttons = st.container(horizontal=True)
        if buttons.button("Fill in and add", type="primary", key="fill_new_variable"):
            if fill:
                add_with_fill(new_variable, fill, existing_rows)
            else:
                st.error("Give the value first, or choose Not recorded.")
        if buttons.button("Not recorded", key="new_variable_not_recorded"):
            add_with_fill(new_variable, None, existing_rows)
        if buttons.button("Cancel", key="cancel_new_variable"):
            st.session_state.pop(PENDING_NEW_KEY)
            st.toast("Nothing was changed.", icon="↩️")
            st.rerun()

# -- the list -------------------------------------------------------------------------------
if session.variables:
    st.dataframe(
        pd.DataFrame(
            {
                "Name": [v.name for v in session.variables],
                "Type": [KIND_LABELS[v.kind] for v in session.variables],
                "Range or levels": [v.describe() for v in session.variables],
                "Unit": [v.unit for v in session.variables],
                "Description": [v.description for v in session.variables],
            }
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.info("No variables yet. Add the first one below, or import a list from a JSON or CSV file.")

round_ = st.session_state.get("variables_form_round", 0)
add_tab, edit_tab, files_tab = st.tabs(["➕ Add", "✏️ Edit or delete", "📁 Import / export"])

with add_tab:
    new = variable_form(f"add{round_}", None)
    if new is not None:
        attempt("add", (new,), f"Added variable '{new.name}'.", "Add anyway")

with edit_tab:
    if not session.variables:
        st.caption("Add a variable first.")
    else:
        names = [v.name for v in session.variables]
        chosen = st.selectbox("Variable", names, key=f"edit_choice{round_}")
        current = session.variable(chosen)
        edited = variable_form(f"edit{round_}_{names.index(chosen)}", current)
        if edited is not None:
            attempt("replace", (chosen, edited), f"Saved changes to '{edited.name}'.", "Apply anyway")
        if st.button(f"Delete '{chosen}'", key=f"delete{round_}", icon="🗑️"):
            attempt("delete", (chosen,), f"Deleted variable '{chosen}'.", "Delete anyway")

with files_tab:
    st.markdown("**Import** a variable list: ALchemist's search-space JSON, or a JSON or CSV exported here.")
    upload = st.file_uploader(
        "Variables file", type=["json", "csv"], key=f"variables_file{round_}",
        max_upload_size=whole_megabytes(MAX_VARIABLES_FILE_BYTES), help=f"At most {words.size_limit(MAX_VARIABLES_FILE_BYTES)}.")
    if upload is not None:
        try:
            imported = parse_once("variables", upload.name, upload.getvalue(), read_variables)
        except AlchemistError as error:
            st.error(words.plain(f"'{upload.name}' could not be read: {error.message}"))
        else:
            st.text(f"{counted(len(imported), 'variable')}: " + ", ".join(v.label for v in imported))
            if st.button("Replace the variables with these", type="primary", key="import_variables"):
                attempt("import", (imported,), f"Imported {counted(len(imported), 'variable')}.", "Import anyway")
    if session.variables:
        st.markdown("**Export** the variable list")
        buttons = st.container(horizontal=True)
        variables = list(session.variables)
        buttons.download_button(
            "Download JSON", data=lambda: variables_to_json(variables), file_name="variables.json",
            mime="application/json", on_click="ignore",
        )
        buttons.download_button(
            "Download CSV", data=lambda: variables_to_csv(variables), file_name="variables.csv",
            mime="text/csv", on_click="ignore",
        )

constraints_section(session)

# -- template ---------------------------------------------------------------------------------
from ui.templates import save_as_template  # noqa: E402  (kept with its one call, at the end of the page)

save_as_template(session)
