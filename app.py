"""ALchemist: the Streamlit entry point. Welcome screen, navigation and the session header."""

from __future__ import annotations

import streamlit as st

# First, before anything slow: the tab's title and the wide layout hold from the first paint on,
# and a fresh server process says it is starting while it imports the library (ui/starting.py).
st.set_page_config(page_title="ALchemist", page_icon="⚗️", layout="wide")
from ui.starting import library_loaded, show_starting_notice  # noqa: E402 (imports only Streamlit)

starting_notice = show_starting_notice()

import ui  # noqa: E402
from alchemist.errors import AlchemistError, ForeignFileError  # noqa: E402
from alchemist.examples import catalyst_example  # noqa: E402
from alchemist.session import Session  # noqa: E402
from alchemist.files.bounds import whole_megabytes  # noqa: E402
from alchemist.files.container import MAX_SESSION_FILE_BYTES  # noqa: E402
from alchemist.files.kinds import MAX_UPLOAD_BYTES  # noqa: E402
from alchemist.files.strict_json import MAX_JSON_SESSION_FILE_BYTES  # noqa: E402
from alchemist.history.revisions import History  # noqa: E402
from ui import words  # noqa: E402
from ui.history import show_history_error, undo_redo_buttons  # noqa: E402
from ui.import_notes_words import note_lines  # noqa: E402
from ui.recent import recent_list  # noqa: E402
from ui.plurals import bold_counted, counted  # noqa: E402
from ui.downloads import after_rerun, run_started  # noqa: E402
from ui.progress import report_stopped_work  # noqa: E402
from ui.templates import new_from_template  # noqa: E402

library_loaded(starting_notice)

# One limit per kind of session file, stated the same wherever it is shown (and in README.md).
SESSION_LIMITS = (f"A .pkl session file can be at most {words.size_limit(MAX_SESSION_FILE_BYTES)}, "
                  f"a .json one {words.size_limit(MAX_JSON_SESSION_FILE_BYTES)}.")
# (session id, time of its last change) of the last copy this tab downloaded: Close asks unless it is current.
DOWNLOADED_KEY = "downloaded_copy"
# The id of a session whose Close waits for the user's answer (download first, or close anyway).
CLOSING_KEY = "closing_session"
# (id, name) of the session this tab closed last: the welcome page offers to reopen it.
CLOSED_KEY = "closed_session"

PAGES = [
    st.Page("pages/variables.py", title="Variables", icon="🎛️", default=True),
    st.Page("pages/experiments.py", title="Experiments", icon="🧪"),
    st.Page("pages/model.py", title="Model", icon="📈"),
    st.Page("pages/suggestions.py", title="Suggestions", icon="🎯"),
    st.Page("pages/history.py", title="History", icon="🕘"),
    st.Page("pages/notebook.py", title="Lab notebook", icon="📓"),
    st.Page("pages/pareto.py", title="Pareto", icon="⚖️"),
]


def start(session: Session, message: str, history: History | None = None) -> None:
    ui.store_new(session, history)
    ui.open_session(session)
    ui.announce(message)


def load_uploaded_session() -> None:
    upload = st.session_state.get("load_session_file")
    if upload is None:
        return
    # st.file_uploader's type= checks only the name: the size and the content are checked here.
    limit = MAX_JSON_SESSION_FILE_BYTES if upload.name.lower().endswith(".json") else MAX_SESSION_FILE_BYTES
    if upload.size > limit:
        st.session_state["load_error"] = (f"'{upload.name}' is {words.size(upload.size)}; {SESSION_LIMITS}", None)
        return
    if upload.size == 0:
        st.session_state["load_error"] = (f"'{upload.name}' is empty: it holds no session.", None)
        return
    open_file(upload.name, upload.getvalue(), allow_foreign=False)


def open_file(name: str, data: bytes, allow_foreign: bool) -> None:
    """Open an uploaded session file as a new session; a file from elsewhere waits for the user's word."""
    store = ui.get_store()
    try:
        loaded = store.read_file(data, name, allow_foreign=allow_foreign)
        session, notes, origin, history = loaded.session, loaded.notes, loaded.origin, loaded.history
    except ForeignFileError as foreign:
        st.session_state["foreign_file"] = (name, data, words.foreign_file_text(foreign.reason))
        return
    except AlchemistError as error:
        st.session_state["load_error"] = words.load_failure(name, error)
        return
    st.session_state["load_notes"] = note_lines(notes)  # records of an NREL import worded once, here
    st.session_state[DOWNLOADED_KEY] = (session.id, session.modified)  # the user holds the file just loaded
    source = " from an NREL ALchemist file" if origin == "alchemist" else ""
    start(session, f"Loaded '{session.name}'{source} as a new session ({session.short_id}).", history)


def foreign_file_prompt() -> None:
    """Ask before reading a file this installation did not sign; it is then read in a limited process."""
    name, data, message = st.session_state["foreign_file"]
    with st.container(border=True):
        st.warning(f"**{words.plain(name)}**: {words.plain(message)}")
        # A row of buttons as wide as their labels: fixed columns cut the labels off at 900 px.
        buttons = st.container(horizontal=True)
        if buttons.button("Load anyway", type="primary", key="load_foreign"):
            del st.session_state["foreign_file"]
            with st.spinner("Reading the file in a separate, limited process…"):
                open_file(name, data, allow_foreign=True)
            st.rerun()
        if buttons.button("Cancel", key="cancel_foreign"):
            del st.session_state["foreign_file"]
            st.toast("Nothing was loaded.", icon="↩️")
            st.rerun()


def welcome() -> None:
    st.title("⚗️ ALchemist")
    st.write(
        "Active learning for experiments: define your variables, record results, train a "
        "Gaussian-process model and get the next experiments to run."
    )
    error = st.session_state.pop("load_error", None)
    if error:
        sentence, details = error
        st.error(words.plain(sentence))
        if details:
            with st.expander("Details for whoever looks after this installation"):
                st.caption(words.plain(details))
        st.toast("The session file could not be loaded. Nothing was changed.", icon="❌")
    if "foreign_file" in st.session_state:
        foreign_file_prompt()
    if CLOSED_KEY in st.session_state:
        closed_notice()
    new_col, load_col = st.columns(2, gap="large")
    with new_col:
        st.subheader("New Session")
        with st.form("new_session"):
            name = st.text_input("Session name", value="Untitled session", max_chars=120)
            if st.form_submit_button("New Session", type="primary"):
                try:
                    start(Session.new(name), f"Started '{name.strip()}'.")
                    st.rerun()
                except AlchemistError as err:
                    st.error(words.plain(err.message))
        if st.button("Open example", help="A real catalyst screening campaign with 4 variables and 22 experiments."):
            start(catalyst_example(), "Opened the catalyst example.")
            st.rerun()
        new_from_template(start)
    with load_col:
        st.subheader("Load Session")
        st.file_uploader(
            "Session file (.pkl or .json) saved with Save Session, or an NREL ALchemist session (.json)",
            type=["pkl", "json"],
            key="load_session_file",
            on_change=load_uploaded_session,
            max_upload_size=whole_megabytes(MAX_UPLOAD_BYTES),
            help=f"{SESSION_LIMITS} The file is loaded under a new session id; "
            "files saved by another installation are read only after you confirm.",
        )
    recent_list()  # a local install only, when its operator turned it on (README)


def closed_notice() -> None:
    """After Close: what became of the session, and the way back to it."""
    session_id, name = st.session_state[CLOSED_KEY]
    store = ui.get_store()
    with st.container(border=True):
        st.success(f"Closed **{words.plain(name)}**. It stays on this server for {words.duration(store.ttl)} "
                   "after its last use: reopen it here, or with its link.", icon="📁")
        buttons = st.container(horizontal=True)
        if buttons.button("Reopen it", type="primary", key="reopen_closed"):
            del st.session_state[CLOSED_KEY]
            session = store.get(session_id)
            if session is None:
                st.session_state["load_error"] = ("That session has expired or was deleted; load a saved file instead.", None)
            else:
                ui.open_session(session)
                ui.announce(f"Reopened '{session.name}'.")
            st.rerun()
        if buttons.button("Dismiss", key="dismiss_closed"):
            del st.session_state[CLOSED_KEY]
            st.rerun()


def has_current_copy(session: Session) -> bool:
    """True if this tab downloaded the session since its last change, or there is nothing in it to lose."""
    empty = not session.variables and not len(session.experiments)
    return empty or st.session_state.get(DOWNLOADED_KEY) == (session.id, session.modified)


def note_download(session_id: str, modified: object, what: str) -> None:
    st.session_state[DOWNLOADED_KEY] = (session_id, modified)
    ui.announce(f"Downloaded {what}.")


def close_now(session: Session) -> None:
    ui.close_session()
    st.session_state.pop(CLOSING_KEY, None)
    st.session_state[CLOSED_KEY] = (session.id, session.name)
    st.toast(f"Closed '{words.plain(session.name)}'.", icon="📁")
    st.rerun()


def close_prompt(session: Session) -> None:
    """Close asked for, with changes that were never downloaded: offer the download first."""
    store = ui.get_store()
    with st.container(border=True):
        if has_current_copy(session):
            st.success("A copy with every change is downloaded: you can close the session now.", icon="💾")
        else:
            st.warning(
                f"**{words.plain(session.name)}** has changes you have not downloaded. After closing it stays on "
                f"this server for {words.duration(store.ttl)}, but only a downloaded file is yours to keep.", icon="💾")
        with st.container(horizontal=True):
            if not has_current_copy(session):
                st.download_button(
                    "Download a copy", data=after_rerun(lambda: store.export(session)),
                    file_name=f"alchemist_session_{session.short_id}.pkl", mime="application/octet-stream",
                    on_click=note_download, args=(session.id, session.modified, "a copy of the session"),
                    key="close_download", icon="💾", type="primary",
                )
                close_label = "Close without downloading"
            else:
                close_label = "Close now"
            if st.button(close_label, key="close_anyway"):
                close_now(session)
            if st.button("Keep working", key="close_cancel"):
                st.session_state.pop(CLOSING_KEY, None)
                st.rerun()


def rename_session() -> None:
    # Renames the session as stored now, not the one this header was drawn for: another tab
    # may have changed it since, and saving the older object would undo that change.
    session = ui.current_session()
    if session is None:
        return
    try:
        session.rename(st.session_state["session_name"])
    except AlchemistError as error:
        st.session_state["session_name"] = session.name
        st.toast(words.plain(error.message), icon="⚠️")
        return
    if ui.commit(session):
        ui.announce(f"Renamed the session to '{session.name}'.")


def link_notice(session: Session) -> None:
    """Once per tab, for a session opened from a link: whoever sent it can see and change it."""
    with st.container(border=True):
        st.warning("You opened this session from a link; anyone with the link can see and change it.", icon="🔗")
        buttons = st.container(horizontal=True)  # as wide as their labels, at 900 px too
        if buttons.button("Make a private copy", type="primary", key="private_copy",
                           help="Copies this campaign under a new link that only you have; the original stays as it is."):
            start(session.private_copy(), f"Made a private copy of '{session.name}'. The link you opened is unchanged.")
            st.rerun()
        if buttons.button("Keep working here", key="keep_linked"):
            st.session_state.pop(ui.FROM_LINK_KEY, None)
            st.rerun()


def header(session: Session) -> None:
    """Drawn once for every page: who the session is, what it holds, and how to keep it."""
    store = ui.get_store()
    counts = session.counts()
    status = session.model_status()
    name_col, actions_col = st.columns([2, 3], vertical_alignment="bottom")
    with name_col:
        # The box follows the session's name whenever it changes elsewhere (a load, another tab),
        # and is filled again when it was not drawn for a run (a closed session): Streamlit then
        # drops the widget's state, and the box would come back empty.
        if ("session_name" not in st.session_state
                or st.session_state.get("session_name_for") != (session.id, session.name)):
            st.session_state["session_name"] = session.name
            st.session_state["session_name_for"] = (session.id, session.name)
        st.text_input("Session name", key="session_name", on_change=rename_session, max_chars=120)
    with actions_col, st.container(horizontal=True, horizontal_alignment="right"):
        with_history = st.checkbox("With history", value=True, key="save_with_history",
                                   help="Include the revisions and snapshots in the saved file, or only the current state.")
        # data= a callable: the file is built when clicked, in another thread, so it gets what it needs
        # here; after_rerun holds it back until the run the click starts has begun (ui/downloads.py).
        st.download_button(
            "Save Session",
            data=after_rerun(lambda: store.export(session, include_history=with_history)),
            file_name=f"alchemist_session_{session.short_id}.pkl",
            mime="application/octet-stream",
            on_click=note_download,
            args=(session.id, session.modified, "the session file (.pkl)"),
            key="save_session",
            icon="💾",
            type="primary",
        )
        st.download_button(
            "Save as JSON",
            data=after_rerun(lambda: store.export(session, fmt="json", include_history=with_history)),
            file_name=f"alchemist_session_{session.short_id}.json",
            mime="application/json",
            on_click=note_download,
            args=(session.id, session.modified, "the session as JSON"),
            key="save_session_json",
            help="A readable file with exactly the same content, for other installations and version control.",
        )
        if st.button("Close Session", key="close_session"):
            if has_current_copy(session):
                close_now(session)
            st.session_state[CLOSING_KEY] = session.id
            st.rerun()
    st.markdown(
        f"**ID** `{session.short_id}` · {bold_counted(counts['variables'], 'variable')} · "
        f"{bold_counted(counts['experiments'], 'experiment')} · **Model:** {words.model_status_text(status)}"
    )
    with st.container(horizontal=True, vertical_alignment="center"):
        undo_redo_buttons(session)
        last_change = st.session_state.get(ui.LAST_CHANGE_KEY)
        if last_change:
            st.caption(f"✅ Last change: {words.plain(last_change)}")
    show_history_error()
    if st.session_state.get(CLOSING_KEY) == session.id:
        close_prompt(session)
    if st.session_state.get(ui.FROM_LINK_KEY) == session.id:
        link_notice(session)
    notes = st.session_state.get("load_notes")
    if notes:
        with st.expander(f"ℹ️ {counted(len(notes), 'note')} about the file just loaded", expanded=True):
            st.markdown("\n".join(f"- {words.plain(note)}" for note in notes))
            if st.button("Dismiss", key="dismiss_notes"):
                del st.session_state["load_notes"]
                st.rerun()
    st.divider()


run_started()  # before any download button is drawn (ui/downloads.py)
ui.get_store()  # a bad key ring, time to live or limit stops the app here, before anyone works
session = ui.current_session(retry_unsaved=True)
report_stopped_work()  # long work the last run did not finish (Cancel, or another click): before the header
if session is None:
    page = st.navigation([st.Page(welcome, title="Welcome", icon="⚗️")], position="hidden")
else:
    # Query params are cleared on page switch; set the id again on every run so a reload finds the session.
    st.query_params[ui.QUERY_KEY] = session.id
    # At the top: .streamlit/config.toml hides the sidebar's page list (see the note there).
    page = st.navigation(PAGES, position="top")
    header(session)
with ui.navigated_page():
    page.run()
