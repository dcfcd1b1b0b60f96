"""The Lab notebook page through AppTest: the entries, a note, the chain check (intact and broken), the downloads."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from alchemist.examples import catalyst_example
from alchemist.persistence import SessionStore
from tests.app.support import button, header, open_example, start_app


def notebook(at):
    at.switch_page("pages/notebook.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def table(at):
    return at.dataframe[0].value


def test_the_notebook_lists_entries_takes_a_note_and_verifies(cache: Path) -> None:
    at = notebook(open_example(start_app()))
    assert list(table(at)["#"]) == [1] and "22 experiments imported" in table(at)["What"][0]
    labels = {element.proto.label for element in at.get("download_button")}
    assert {"Markdown", "JSON"} <= labels
    at.text_area[0].input("Data from the 2019 screening campaign.")
    button(at, "Add note").click().run()
    assert not at.exception
    assert "Last change: Added a note to entry 1." in " ".join(c.value for c in at.caption)
    assert list(table(at)["#"]) == [2, 1]
    assert table(at)["Notes"][1] == "Data from the 2019 screening campaign."
    button(at, "Verify").click().run()
    assert [s.value for s in at.success] == ["The audit trail is intact: all 2 entries match their hashes and links."]
    # The note is stored: a reload (a new AppTest on the same link) shows it.
    again = notebook(start_app(session=at.session_state["session"].id))
    assert table(again)["Notes"][1] == "Data from the 2019 screening campaign."


def test_an_empty_note_is_refused_in_words(cache: Path) -> None:
    at = notebook(open_example(start_app()))
    button(at, "Add note").click().run()
    assert [e.value for e in at.error] == ["Write the note first."]
    assert list(table(at)["#"]) == [1]


def test_the_notebook_names_the_entry_a_file_changed(cache: Path, tmp_path: Path) -> None:
    session = catalyst_example()
    session.audit.annotate(1, "first")
    session.audit.annotate(1, "second")
    data = json.loads(SessionStore(tmp_path / "other", ttl=timedelta(days=1)).export(session, "json"))
    data["session"]["audit"]["entries"][1]["note"] = "rewritten"
    at = start_app()
    at.file_uploader(key="load_session_file").set_value(("campaign.json", json.dumps(data).encode(), "application/json")).run()
    assert not at.exception and "**22** experiments" in header(at)
    notebook(at)
    button(at, "Verify").click().run()
    assert [e.value for e in at.error] == [
        "The audit trail is broken at entry 2 (place 2): it was edited after it was recorded "
        "(its content no longer matches its hash)."
    ]


def test_a_new_session_has_nothing_recorded_yet(cache: Path) -> None:
    at = start_app()
    button(at, "New Session").click().run()
    notebook(at)
    assert any("Nothing recorded yet" in i.value for i in at.info)


def test_suggestions_added_from_the_suggestions_page_are_traced_to_their_batch(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/suggestions.py").run()
    at.number_input(key=f"suggest_n_{at.session_state['session'].id}").set_value(2)
    button(at, "Suggest next experiments").click().run()
    button(at, "Add as pending experiments").click().run()
    assert not at.exception, [e.message for e in at.exception]
    notebook(at)
    assert list(table(at)["#"]) == [4, 3, 2, 1]
    assert list(table(at)["Kind"]) == ["🗓️ Planned", "🎯 Suggestions", "🧠 Model fit", "📁 Import"]
    assert table(at)["What"][0] == "2 experiments planned as rows 23–24, from suggestions of entry 3"
    links = at.dataframe[1].value  # the provenance of the planned experiments
    assert list(links["Row"]) == [23, 24] and list(links["Suggested in entry"]) == [3, 3]
    assert list(links["Result"]) == ["pending", "pending"] and list(links["Run as suggested"]) == ["yes", "yes"]
