"""Two tabs and shared links through AppTest: no tab overwrites another's change, and a link's notice offers a private copy."""

from __future__ import annotations

from pathlib import Path


from alchemist.persistence import SessionStore
from alchemist.session import is_session_id
from tests.app.support import add_variable, button, open_example, start_app, texts


def test_a_second_tab_never_overwrites_the_first_tabs_change(cache: Path) -> None:
    first = open_example(start_app())
    session_id = first.session_state["session"].id
    second = start_app(session=session_id)  # the same link in another tab
    first.text_input(key="session_name").set_value("Renamed in tab one").run()
    second.run()  # any interaction in tab two
    assert any("changed in another tab" in t.value for t in second.toast)
    assert second.session_state["session"].name == "Renamed in tab one"
    assert second.text_input(key="session_name").value == "Renamed in tab one"
    add_variable(second, "add0", "continuous", "Pressure", unit="bar", low=1.0, high=10.0)
    button(second, "Not recorded").click().run()  # the example's 22 experiments have no pressure
    stored = SessionStore(cache).get(session_id)  # both changes are kept
    assert stored.name == "Renamed in tab one"
    assert "Pressure" in [v.name for v in stored.variables]
    assert stored.experiments.frame["Pressure"].isna().all(), "not recorded: left empty"

def test_a_confirmed_change_after_another_tab_renamed_is_kept(cache: Path) -> None:
    # Issue 8: the confirmation used to keep a closure over tab one's old session object.
    first = open_example(start_app())
    session_id = first.session_state["session"].id
    button(first, "Delete 'Temperature'").click().run()
    assert "removes its values" in texts(first.warning)
    second = start_app(session=session_id)
    second.text_input(key="session_name").set_value("Renamed in tab two").run()
    button(first, "Delete anyway").click().run()
    assert not first.exception, [e.message for e in first.exception]
    stored = SessionStore(cache).get(session_id)
    assert "Temperature" not in [v.name for v in stored.variables]
    assert stored.name == "Renamed in tab two"
    assert "Temperature" not in [v.name for v in first.session_state["session"].variables]

def test_renaming_in_a_tab_keeps_what_another_tab_did(cache: Path) -> None:
    first = open_example(start_app())
    session_id = first.session_state["session"].id
    second = start_app(session=session_id)
    add_variable(second, "add0", "continuous", "Pressure", unit="bar", low=1.0, high=10.0)
    second.text_input(key="fill_value").set_value("5").run()
    button(second, "Fill in and add").click().run()
    first.text_input(key="session_name").set_value("Renamed in tab one").run()
    stored = SessionStore(cache).get(session_id)
    assert stored.name == "Renamed in tab one"
    assert "Pressure" in [v.name for v in stored.variables]

LINK_NOTICE = "You opened this session from a link; anyone with the link can see and change it."

def test_a_session_opened_from_a_link_offers_a_private_copy(cache: Path) -> None:
    owner = open_example(start_app())
    session_id = owner.query_params["session"]
    assert LINK_NOTICE not in texts(owner.warning)  # the tab that created it is not warned

    visitor = start_app(session=session_id)
    assert LINK_NOTICE in texts(visitor.warning)
    button(visitor, "Make a private copy").click().run()
    assert not visitor.exception, [e.message for e in visitor.exception]
    copy_id = visitor.query_params["session"]
    assert is_session_id(copy_id) and copy_id != session_id
    assert LINK_NOTICE not in texts(visitor.warning)
    visitor.text_input(key="session_name").set_value("My own copy").run()

    store = SessionStore(cache)
    original, copy = store.get(session_id), store.get(copy_id)
    assert original.name != "My own copy" and copy.name == "My own copy"
    assert copy.experiments.frame.equals(original.experiments.frame)
    assert owner.run().session_state["session"].id == session_id

def test_the_link_notice_can_be_dismissed_and_stays_away(cache: Path) -> None:
    session_id = open_example(start_app()).query_params["session"]
    visitor = start_app(session=session_id)
    button(visitor, "Keep working here").click().run()
    assert LINK_NOTICE not in texts(visitor.warning)
    visitor.run()
    assert LINK_NOTICE not in texts(visitor.warning) and visitor.query_params["session"] == session_id
