"""ALchemist: the Streamlit entry point. Welcome screen, navigation and the session header."""

from __future__ import annotations

import streamlit as st

import ui
from alchemist.errors import AlchemistError, ForeignFileError
from alchemist.examples import catalyst_example
from alchemist.session import Session
from alchemist.files.kinds import MAX_UPLOAD_BYTES
from ui import words

st.set_page_config(page_title="ALchemist", page_icon="⚗️", layout="wide")

PAGES = [
    st.Page("pages/variables.py", title="Variables", icon="🎛️", default=True),
    st.Page("pages/experiments.py", title="Experiments", icon="🧪"),
    st.Page("pages/model.py", title="Model", icon="📈"),
    st.Page("pages/suggestions.py", title="Suggestions", icon="🎯"),
    st.Page("pages/pareto.py", title="Pareto", icon="⚖️"),
]


def start(session: Session, message: str) -> None:
    ui.commit(session)
    ui.open_session(session)
    ui.announce(message)


def load_uploaded_session() -> None:
    upload = st.session_state.get("load_session_file")
    if upload is None:
        return
    # st.file_uploader's type= checks only the name: the size and the content are checked here.
    if upload.size > MAX_UPLOAD_BYTES:
        st.session_state["load_error"] = (
            f"'{upload.name}' is {upload.size / 1e6:.1f} MB; session files can be at most "
            f"{MAX_UPLOAD_BYTES / 1e6:.0f} MB."
        )
        return
    open_file(upload.name, upload.getvalue(), allow_foreign=False)


def open_file(name: str, data: bytes, allow_foreign: bool) -> None:
    """Open an uploaded session file as a new session; a file from elsewhere waits for the user's word."""
    store = ui.get_store()
    try:
        loaded = store.read_file(data, name, allow_foreign=allow_foreign)
        session, notes, origin = loaded.session, loaded.notes, loaded.origin
    except ForeignFileError as foreign:
        st.session_state["foreign_file"] = (name, data, foreign.message)
        return
    except AlchemistError as error:
        st.session_state["load_error"] = f"'{name}' could not be loaded: {error.message}"
        return
    st.session_state["load_notes"] = notes
    source = " from an NREL ALchemist file" if origin == "alchemist" else ""
    start(session, f"Loaded '{session.name}'{source} as a new session ({session.short_id}).")


def foreign_file_prompt() -> None:
    """Ask before reading a file this installation did not sign; it is then read in a limited process."""
    name, data, message = st.session_state["foreign_file"]
    with st.container(border=True):
        st.warning(f"**{words.plain(name)}**: {words.plain(message)}")
        load_col, cancel_col, _ = st.columns([1, 1, 5])
        if load_col.button("Load anyway", type="primary", key="load_foreign"):
            del st.session_state["foreign_file"]
            with st.spinner("Reading the file in a separate, limited process…"):
                open_file(name, data, allow_foreign=True)
            st.rerun()
        if cancel_col.button("Cancel", key="cancel_foreign"):
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
        st.error(words.plain(error))
        st.toast("The session file could not be loaded. Nothing was changed.", icon="❌")
    if "foreign_file" in st.session_state:
        foreign_file_prompt()
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
    with load_col:
        st.subheader("Load Session")
        st.file_uploader(
            "Session file (.pkl or .json) saved with Save Session, or an NREL ALchemist session (.json)",
            type=["pkl", "json"],
            key="load_session_file",
            on_change=load_uploaded_session,
            help=f"At most {MAX_UPLOAD_BYTES // 1_000_000} MB. The file is loaded under a new session id; "
            "files saved by another installation are read only after you confirm.",
        )


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
    ui.commit(session)


def link_notice(session: Session) -> None:
    """Once per tab, for a session opened from a link: whoever sent it can see and change it."""
    with st.container(border=True):
        st.warning("You opened this session from a link; anyone with the link can see and change it.", icon="🔗")
        copy_col, keep_col, _ = st.columns([1.3, 1.2, 4])
        if copy_col.button("Make a private copy", type="primary", key="private_copy",
                           help="Copies this campaign under a new link that only you have; the original stays as it is."):
            start(session.private_copy(), f"Made a private copy of '{session.name}'. The link you opened is unchanged.")
            st.rerun()
        if keep_col.button("Keep working here", key="keep_linked"):
            st.session_state.pop(ui.FROM_LINK_KEY, None)
            st.rerun()


def header(session: Session) -> None:
    """Drawn once for every page: who the session is, what it holds, and how to keep it."""
    store = ui.get_store()
    counts = session.counts()
    status = session.model_status()
    name_col, actions_col = st.columns([2, 3], vertical_alignment="bottom")
    with name_col:
        # The box follows the session's name whenever it changes elsewhere (a load, another tab).
        if st.session_state.get("session_name_for") != (session.id, session.name):
            st.session_state["session_name"] = session.name
            st.session_state["session_name_for"] = (session.id, session.name)
        st.text_input("Session name", key="session_name", on_change=rename_session, max_chars=120)
    with actions_col, st.container(horizontal=True, horizontal_alignment="right"):
        # data= a callable: the file is built when clicked, in another thread, so it gets what it needs here.
        st.download_button(
            "Save Session",
            data=lambda: store.export(session),
            file_name=f"alchemist_session_{session.short_id}.pkl",
            mime="application/octet-stream",
            on_click="ignore",
            key="save_session",
            icon="💾",
            type="primary",
        )
        st.download_button(
            "Save as JSON",
            data=lambda: store.export(session, fmt="json"),
            file_name=f"alchemist_session_{session.short_id}.json",
            mime="application/json",
            on_click="ignore",
            key="save_session_json",
            help="A readable file with exactly the same content, for other installations and version control.",
        )
        if st.button("Close Session", key="close_session"):
            ui.close_session()
            st.rerun()
    st.markdown(
        f"**ID** `{session.short_id}` · {words.plural(counts['variables'], 'variable')} · "
        f"{words.plural(counts['experiments'], 'experiment')} · **Model:** {words.model_status_text(status)}"
    )
    last_change = st.session_state.get(ui.LAST_CHANGE_KEY)
    if last_change:
        st.caption(f"✅ Last change: {words.plain(last_change)}")
    if st.session_state.get(ui.FROM_LINK_KEY) == session.id:
        link_notice(session)
    notes = st.session_state.get("load_notes")
    if notes:
        with st.expander(f"ℹ️ {len(notes)} note(s) about the file just loaded", expanded=True):
            st.markdown("\n".join(f"- {words.plain(note)}" for note in notes))
            if st.button("Dismiss", key="dismiss_notes"):
                del st.session_state["load_notes"]
                st.rerun()
    st.divider()


ui.get_store()  # a bad key ring, time to live or limit stops the app here, before anyone works
session = ui.current_session()
if session is None:
    page = st.navigation([st.Page(welcome, title="Welcome", icon="⚗️")], position="hidden")
else:
    # Query params are cleared on page switch; set the id again on every run so a reload finds the session.
    st.query_params[ui.QUERY_KEY] = session.id
    page = st.navigation(PAGES)
    header(session)
with ui.navigated_page():
    page.run()
