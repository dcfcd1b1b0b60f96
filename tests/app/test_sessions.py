"""The session's life in the app through AppTest: welcome, new and example sessions, the header, renaming, reload and restart, closing, a failing store, user text."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from alchemist.persistence import SessionStore
from alchemist.session import is_session_id
from tests.app.support import add_variable, button, header, open_example, start_app, texts


def test_welcome_offers_new_load_and_example(cache: Path) -> None:
    at = start_app()
    assert "ALchemist" in at.title[0].value
    assert {"New Session", "Open example"} <= {b.label for b in at.button}
    assert at.file_uploader[0].label.startswith("Session file (.pkl or .json)")
    assert not at.query_params.get("session")

def test_new_session_is_stored_and_named(cache: Path) -> None:
    at = start_app()
    next(t for t in at.text_input if t.label == "Session name").set_value("Zeolite screen")
    button(at, "New Session").click().run()
    session_id = at.query_params["session"]
    session_id = session_id[0] if isinstance(session_id, list) else session_id
    assert is_session_id(session_id)
    assert "**0** variables" in header(at) and "**0** experiments" in header(at) and "No model" in header(at)
    stored = SessionStore(cache).get(session_id)
    assert stored is not None and stored.name == "Zeolite screen"

def test_example_session_and_header_counts(cache: Path) -> None:
    at = open_example(start_app())
    assert "**4** variables" in header(at) and "**22** experiments" in header(at)
    table = at.dataframe[0].value
    assert list(table["Name"]) == ["Temperature", "Catalyst", "Metal Loading", "Zinc Fraction"]

def test_renaming_the_session_is_saved(cache: Path) -> None:
    at = open_example(start_app())
    at.text_input(key="session_name").set_value("Renamed campaign").run()
    session = at.session_state["session"]
    assert session.name == "Renamed campaign"
    assert SessionStore(cache).get(session.id).name == "Renamed campaign"

def test_renaming_says_what_it_did(cache: Path) -> None:
    at = open_example(start_app())
    next(t for t in at.text_input if t.label == "Session name").set_value("Zinc series").run()
    assert at.session_state["session"].name == "Zinc series"
    assert "Last change: Renamed the session to 'Zinc series'." in texts(at.caption)

def test_reload_and_restart_find_the_session_from_the_url(cache: Path) -> None:
    at = open_example(start_app())
    session_id = at.session_state["session"].id
    again = start_app(session=session_id)  # a new browser session: empty session_state
    assert again.session_state["session"].id == session_id
    assert "**22** experiments" in header(again)

def test_unknown_or_malformed_session_link_goes_to_welcome(cache: Path) -> None:
    at = start_app(session="0" * 32)
    assert "expired or does not exist" in " ".join(t.value for t in at.toast)
    assert "ALchemist" in at.title[0].value
    at = start_app(session="../../etc/passwd")
    assert "does not name a valid session" in " ".join(t.value for t in at.toast)

def test_close_asks_for_a_download_then_says_what_it_did_and_offers_the_way_back(cache: Path) -> None:
    at = open_example(start_app())
    session_id = at.session_state["session"].id
    button(at, "Close Session").click().run()
    # Changes never downloaded: the session stays open and the user is asked.
    assert at.session_state["session"].id == session_id
    assert "has changes you have not downloaded" in texts(at.warning)
    button(at, "Keep working").click().run()
    assert "has changes you have not downloaded" not in texts(at.warning)
    assert at.session_state["session"].id == session_id

    button(at, "Close Session").click().run()
    button(at, "Close without downloading").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "session" not in at.session_state
    assert "ALchemist" in at.title[0].value
    assert "Closed **Catalyst screening (example)**. It stays on this server for 7 days" in texts(at.success)

    button(at, "Reopen it").click().run()
    assert at.session_state["session"].id == session_id
    assert "Last change: Reopened 'Catalyst screening (example)'." in texts(at.caption)
    # The name box was not drawn while the session was closed (Streamlit drops a widget's state
    # then): it must show the name again, not an empty box.
    assert at.text_input(key="session_name").value == "Catalyst screening (example)"

def test_an_empty_session_closes_without_asking(cache: Path) -> None:
    at = start_app()
    button(at, "New Session").click().run()
    button(at, "Close Session").click().run()
    assert "session" not in at.session_state
    assert "Closed **Untitled session**" in texts(at.success)

def test_a_failing_store_keeps_the_change_in_memory_says_so_and_saves_it_later(cache: Path) -> None:
    at = open_example(start_app())
    session_id = at.query_params["session"]
    sessions = cache / "sessions"
    aside = cache / "sessions-aside"
    # The store's folder becomes a regular file: every write fails, as on a broken disk (root ignores chmod).
    sessions.rename(aside)
    sessions.write_text("not a folder")
    at.text_input(key="session_name").set_value("Kept while the disk fails").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "could not be saved yet" in texts(at.warning)
    assert at.session_state["session"].name == "Kept while the disk fails"
    at.run()  # another action while the disk still fails: still kept, still said, once
    assert not at.exception and "could not be saved yet" in texts(at.warning)
    assert sum("could not be saved yet" in w.value for w in at.warning) == 1

    sessions.unlink()
    aside.rename(sessions)
    at.run()  # the next action saves it
    assert not at.exception and "could not be saved yet" not in texts(at.warning)
    assert SessionStore(cache).get(session_id).name == "Kept while the disk fails"

def test_user_text_is_shown_as_text_never_as_markdown(cache: Path) -> None:
    import pandas as pd

    at = start_app()
    next(t for t in at.text_input if t.label == "Session name").set_value("![img](http://x/y.png)")
    button(at, "New Session").click().run()
    link = "[x](http://evil)"
    add_variable(at, "add0", "categorical", link, levels="a\nb", description="*bold* :red[alarm]")
    assert "\\[x\\](http:\\/\\/evil)" in texts(at.toast)
    session = at.session_state["session"]
    session.add_experiments(pd.DataFrame({link: ["![img](http://x/y.png)"], "Output": [1.0]}), target="Output")
    at.switch_page("pages/experiments.py").run()
    assert not at.exception, [e.message for e in at.exception]
    shown = markdown_sources(at)
    assert "unknown level '!\\[img\\](http:\\/\\/x/y.png)'" in shown
    # Nowhere does the raw text reach a Markdown element unescaped: no link, no image, no colour.
    assert "](http://" not in shown and "[x]" not in shown and ":red[" not in shown

def markdown_sources(at: AppTest) -> str:
    """Every text the page renders as Markdown: markdown, captions, alerts and toasts."""
    groups = (at.markdown, at.caption, at.error, at.warning, at.success, at.info, at.toast)
    return " | ".join(e.value for group in groups for e in group)
