"""The import flow of the Experiments page: upload, sheet, column mapping, decimal mark, preview, import.

Every step is the library's data (alchemist.files.mapping, alchemist.files.numbers,
alchemist.import_preview) shown as widgets; nothing is added to the session before the user
presses the import button, and what is imported is exactly the previewed rows.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

import ui
from alchemist.errors import AlchemistError
from alchemist.files.bounds import whole_megabytes
from alchemist.files.levels import suggest_level, unknown_values
from alchemist.files.mapping import Destination, check_mapping, choose, destination_key, propose_mapping
from alchemist.files.numbers import DecimalMark
from alchemist.files.sheets import sheet_names
from alchemist.files.tables import MAX_TABLE_FILE_BYTES, read_table
from alchemist.import_preview import ImportPreview, decimal_marks, import_previewed, preview_import
from alchemist.problems import RowStatus
from alchemist.session import Session
from ui import import_words, words
from ui.editor import display_cells, numeric_columns
from ui.uploads import forget, parse_once
from ui.plurals import counted

UPLOAD_KIND = "experiments"
PREVIEW_ROWS = 200  # rows drawn in the preview; those that need attention come first
_PREVIEW_KEY = "import_preview"
MESSAGE_KEY = "experiments_message"


def _sheet(data: bytes, name: str, round_: int, digest: str) -> str | None:
    """The workbook sheet to read: the one chosen when the workbook has several, else None (the first)."""
    if not name.lower().endswith((".xlsx", ".xlsm")) or not data.startswith(b"PK"):
        return None  # not a workbook: read_table says what it is instead
    names = parse_once("experiments-sheets", name, data, lambda d, _: sheet_names(d))
    if len(names) < 2:
        return None
    return st.selectbox(
        f"Sheet (this workbook has {len(names)})", names, key=f"experiments_sheet{round_}_{digest}",
        help="Only the chosen sheet is read.",
    )


def _mapping(session: Session, frame: pd.DataFrame, round_: int, digest: str):
    """One picker per file column, the proposal preselected; returns the matches as chosen."""
    variables = session.variables
    further = session.experiments.results
    proposed = propose_mapping(frame, variables, session.target, session.import_mapping, further)
    places = [destination_key(Destination.VARIABLE, v.name) for v in variables] + [destination_key(Destination.RESULT)] + [
        destination_key(Destination.FURTHER_RESULT, name) for name in further
    ] + [destination_key(d) for d in (Destination.NOISE, Destination.ITERATION, Destination.NOTE, Destination.IGNORED)]
    st.markdown("**Where each column of the file goes**")
    matches = list(proposed)
    grid = st.columns(2)  # two pickers a row: a variable's name stays readable at 900 px
    for position, match in enumerate(proposed):
        cell = grid[position % 2]
        sample = ", ".join(str(v) for v in frame[match.column].dropna().head(3).tolist())
        chosen = cell.selectbox(
            match.column,
            places,
            index=places.index(match.key),
            format_func=lambda key: import_words.place_text(key, variables),
            key=f"experiments_map{round_}_{digest}_{position}",
            help=words.plain(f"Suggested: {import_words.reason_text(match)}. First values: {sample[:120]}"),
        )
        if chosen != match.key:
            matches = choose(matches, match.column, chosen)
        else:
            cell.caption(words.plain(import_words.reason_text(match)))
    return matches


def _recoding(frame: pd.DataFrame, matches, session: Session, round_: int, digest: str) -> dict[str, dict[str, str]]:
    """For values of a categorical column that are not levels: the level each one means, as the user chose."""
    recoding: dict[str, dict[str, str]] = {}
    for column, values in unknown_values(frame, matches, session.variables).items():
        variable = session.variable(next(m.variable for m in matches if m.column == column))
        st.markdown(words.plain(import_words.recode_heading(column, variable.name, len(values))))
        grid = st.columns(4)
        chosen: dict[str, str] = {}
        options: list[str | None] = [None, *variable.levels]
        for position, value in enumerate(values):
            level = grid[position % 4].selectbox(
                f"{column} = {value}",
                options,
                index=options.index(suggest_level(value, variable.levels)),
                format_func=import_words.level_choice,
                key=f"experiments_level{round_}_{digest}_{list(frame.columns).index(column)}_{position}",
            )
            if level is not None:
                chosen[value] = level
        recoding[column] = chosen
    return recoding


def _decimal_marks(frame: pd.DataFrame, matches, session: Session, round_: int, digest: str) -> dict:
    detected = decimal_marks(frame, matches, session.variables)
    texts = [c for c in detected if not pd.api.types.is_numeric_dtype(frame[c])]
    if not texts:  # every numeric column was read as numbers: nothing to choose
        return detected
    options: list[DecimalMark | None] = [None, DecimalMark.POINT, DecimalMark.COMMA]
    chosen = st.radio(
        "Numbers in this file",
        options,
        format_func=lambda mark: f"As detected: {import_words.marks_text(detected)}" if mark is None else import_words.MARK_LABELS[mark],
        key=f"experiments_marks{round_}_{digest}",
        help="Thousands separators (a point, comma, space or apostrophe between groups of three digits) are read too.",
    )
    return detected if chosen is None else decimal_marks(frame, matches, session.variables, chosen)


def _preview(session: Session, frame: pd.DataFrame, matches, marks, recoding, replace: bool, digest: str) -> ImportPreview:
    """The preview, computed once per file, mapping, marks and session state (not on every rerun)."""
    key = (session.id, session.modified.isoformat(), digest, tuple(m.key for m in matches),
           tuple(sorted((c, m.value) for c, m in marks.items())), repr(sorted(recoding.items())), replace)
    kept = st.session_state.get(_PREVIEW_KEY)
    if kept is None or kept[0] != key:
        kept = (key, preview_import(session, frame, matches, marks, replace, recoding))
        st.session_state[_PREVIEW_KEY] = kept
    return kept[1]


def _show_preview(preview: ImportPreview, session: Session) -> None:
    st.markdown(words.plain(import_words.preview_summary(preview)))
    attention = [i for i, c in enumerate(preview.checks) if c.status is RowStatus.INVALID]
    order = (attention + [i for i in range(len(preview.checks)) if i not in set(attention)])[:PREVIEW_ROWS]
    shown = display_cells(preview.frame.iloc[order], session.variables, preview.result)
    numbers = numeric_columns(preview.frame, session.variables, preview.result)
    shown.insert(0, "Status", [words.status_cell(preview.checks[i]) for i in order])
    shown.insert(0, "Row", [i + 1 for i in order])
    st.dataframe(
        shown, hide_index=True, width="stretch", height=min(36 * (len(shown) + 1), 360),
        column_config={column: st.column_config.TextColumn(column, alignment="right") for column in numbers},
    )
    if len(preview.checks) > PREVIEW_ROWS:
        st.caption(f"Showing {PREVIEW_ROWS} of {len(preview.checks):,} rows, those that need attention first.")


def import_experiments(session: Session, round_: int) -> None:
    """The whole import flow, inside the page's upload expander."""
    upload = st.file_uploader(
        "Table with one column per variable and a result column",
        type=["csv", "xlsx"],
        key=f"experiments_file{round_}",
        max_upload_size=whole_megabytes(MAX_TABLE_FILE_BYTES),
        help=f"At most {words.size_limit(MAX_TABLE_FILE_BYTES)}. Columns are matched to the variables by name; "
             "you can change every match before anything is imported.",
    )
    if upload is None:
        return
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:16]
    try:
        sheet = _sheet(data, upload.name, round_, digest)
        incoming = parse_once(UPLOAD_KIND, upload.name, data, lambda d, n: read_table(d, n, sheet), variant=sheet or "")
    except AlchemistError as error:  # unreadable, or beyond a limit of what a table may hold
        st.error(words.plain(f"'{upload.name}' could not be read: {error.message}"))
        return
    if sheet is not None:  # widgets below belong to this sheet: another sheet starts them afresh
        digest += hashlib.sha256(sheet.encode()).hexdigest()[:8]
    skipped = incoming.attrs.get("empty_rows_skipped", 0)
    st.caption(words.plain(
        f"{counted(len(incoming), 'row')}, columns: {', '.join(map(str, incoming.columns))}"
        + (f". {counted(skipped, 'completely empty row')} in the file {'is' if skipped == 1 else 'are'} skipped."
           if skipped else "")
    ))
    matches = _mapping(session, incoming, round_, digest)
    check = check_mapping(matches, session.variables)
    stops, gaps = import_words.mapping_notes(check, session.variables)
    for note in stops:
        st.error(words.plain(note))
    for note in gaps:
        st.warning(words.plain(note))
    recoding = _recoding(incoming, matches, session, round_, digest)
    marks = _decimal_marks(incoming, matches, session, round_, digest)
    replace = False
    if len(session.experiments):
        replace = st.radio(
            "Existing experiments",
            ["Keep them and add these rows", "Replace them with this file"],
            horizontal=True,
            key=f"experiments_mode{round_}",
        ).startswith("Replace")
    if stops:
        return
    try:
        preview = _preview(session, incoming, matches, marks, recoding, replace, digest)
    except AlchemistError as error:
        st.error(words.plain(error.message))
        return
    _show_preview(preview, session)
    if st.button("Import experiments", type="primary", key="import_experiments", help=import_words.import_button(preview)):
        try:
            report = import_previewed(session, preview, matches, replace)
        except AlchemistError as error:
            st.error(words.plain(error.message))
            return
        ui.commit(session)
        st.session_state["experiments_round"] = round_ + 1
        st.session_state.pop(_PREVIEW_KEY, None)
        forget(UPLOAD_KIND)
        ignored = [m.column for m in matches if m.destination is Destination.IGNORED]
        message = import_words.import_account(report, skipped)
        if ignored:
            message += " Columns not used: " + ", ".join(ignored) + "."
        ui.announce(message)  # before the rerun: the header, drawn first, then shows it
        st.session_state[MESSAGE_KEY] = message
        st.rerun()
