"""Templates in the app: "New from template" on the welcome screen, "Save as template" on the Variables page."""

from __future__ import annotations

from typing import Callable

import streamlit as st

from alchemist.errors import AlchemistError
from alchemist.files.templates import MAX_TEMPLATE_FILE_BYTES, read_template, template_to_json
from alchemist.session import Session
from alchemist.templates import Template
from alchemist.templates.presets import PRESETS, preset
from ui import audit_words, words
from ui.uploads import parse_once

_UPLOAD = "upload"


def _preset_names() -> dict[str, str]:
    return {key: preset(key).name for key in PRESETS}


def _chosen_template(choice: str) -> Template | None:
    """The preset chosen, or the template in the file uploaded (None until one is readable)."""
    if choice != _UPLOAD:
        return preset(choice)
    upload = st.file_uploader(
        "Template file (.json) saved with Save as template", type=["json"], key="template_file",
        help=f"At most {MAX_TEMPLATE_FILE_BYTES // 1024} KB.",
    )
    if upload is None:
        return None
    # st.file_uploader's type= checks only the name: size and content are checked by the reader.
    try:
        return parse_once("template", upload.name, upload.getvalue(), lambda data, _name: read_template(data))
    except AlchemistError as error:
        st.error(words.plain(f"'{upload.name}' could not be read: {error.message}"))
        return None


def new_from_template(start: Callable[[Session, str], None]) -> None:
    """Pick a shipped template or upload one, name the session, and start it with `start`."""
    names = _preset_names()
    with st.expander("📋 New from template", expanded=False):
        choice = st.selectbox(
            "Template", [*PRESETS, _UPLOAD], format_func=lambda key: names.get(key, "Upload a template file…"),
            key="template_choice",
        )
        template = _chosen_template(choice)
        if template is None:
            return
        st.caption(words.plain(audit_words.template_summary(template)))
        name = st.text_input("Name of the new session", value=template.name, max_chars=120, key=f"template_session_name_{choice}")
        if st.button("New from template", type="primary", key="new_from_template"):
            try:
                session = Session.from_template(template, name)
            except AlchemistError as error:
                st.error(words.plain(error.message))
                return
            start(session, f"Started '{session.name}' from the template '{template.name}'.")
            st.rerun()


def save_as_template(session: Session) -> None:
    """A download of the session's variables and settings, without experiments, as a template file."""
    if not session.variables:
        return
    try:
        template = session.to_template()
    except AlchemistError as error:
        st.caption(words.plain(f"This session cannot be saved as a template: {error.message}"))
        return
    st.divider()
    # data= a callable: the file is built when clicked, in another thread, from the template made here.
    st.download_button(
        "Save as template", data=lambda: template_to_json(template), file_name="alchemist_template.json",
        mime="application/json", on_click="ignore", key="save_template", icon="📋",
        help="The variables, the result column and the model and suggestion settings, without experiments: "
        "start a new session from it on the welcome screen.",
    )
