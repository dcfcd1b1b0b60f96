"""The History page and the header's Undo/Redo, through Streamlit's AppTest (the browser test
covers the same with the data editor)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from alchemist.persistence import SessionStore
from tests.app.support import APP, button


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def last_change(at: AppTest) -> str:
    return " | ".join(c.value for c in at.caption if "Last change" in c.value)


def test_undo_redo_restore_and_snapshot_from_the_app(cache: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    ok(at.run())
    ok(button(at, "Open example").click().run())
    session_id = at.query_params["session"]
    assert button(at, "↶ Undo").disabled and button(at, "↷ Redo").disabled
    ok(at.text_input(key="session_name").set_value("Renamed once").run())
    assert not button(at, "↶ Undo").disabled
    assert "Renamed the session to 'Renamed once'" in button(at, "↶ Undo").help

    ok(button(at, "↶ Undo").click().run())
    assert "Undone: Renamed the session to 'Renamed once'" in last_change(at)
    assert at.text_input(key="session_name").value == "Catalyst screening (example)"
    ok(button(at, "↷ Redo").click().run())
    assert at.text_input(key="session_name").value == "Renamed once"

    ok(at.switch_page("pages/history.py").run())
    table = at.dataframe[0].value
    assert list(table["Revision"]) == [4, 3, 2, 1]
    assert table["What changed"].iloc[0] == "Redid change 2: renamed the session to 'Renamed once'"
    label = [t for t in at.text_input if t.label == "Snapshot label"][0]
    label.set_value("Before restoring")
    ok([b for b in at.button if b.label == "Save snapshot"][0].click().run())
    store = SessionStore(cache)
    assert [s.label for s in store.snapshots(session_id)] == ["Before restoring"]

    ok(at.selectbox(key=f"history_view_{session_id}").set_value(1).run())
    assert any(s.value == "Revision 1 (read-only)" for s in at.subheader)
    assert "Session name: 'Catalyst screening (example)' then, 'Renamed once' now" in " ".join(m.value for m in at.markdown)
    ok(button(at, "Restore revision 1").click().run())
    assert "Restored revision 1." in last_change(at)
    assert store.get(session_id).name == "Catalyst screening (example)"
    assert at.text_input(key="session_name").value == "Catalyst screening (example)"


def test_a_loaded_file_brings_its_history_into_the_app(cache: Path) -> None:
    from alchemist.examples import catalyst_example

    source = SessionStore(cache)  # the same key: the file is this installation's own
    original = catalyst_example()
    source.save(original)
    original.rename("Renamed before saving")
    source.save(original)
    source.snapshot(original.id, "kept")
    data = source.export(original)

    at = AppTest.from_file(APP, default_timeout=60)
    ok(at.run())
    ok(at.file_uploader(key="load_session_file").set_value(("s.pkl", data, "application/octet-stream")).run())
    new_id = at.query_params["session"]
    assert new_id != original.id
    store = SessionStore(cache)
    assert [r.kind.value for r in store.history(new_id)] == ["create", "rename"]
    assert [s.label for s in store.snapshots(new_id)] == ["kept"]
    assert "Renamed the session to 'Renamed before saving'" in button(at, "↶ Undo").help
    ok(button(at, "↶ Undo").click().run())
    assert store.get(new_id).name == "Catalyst screening (example)"
