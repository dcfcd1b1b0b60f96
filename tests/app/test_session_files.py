"""Session files in the app through AppTest: our .pkl and JSON, another installation's files, NREL ALchemist sessions, bad files and upload limits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from alchemist.examples import catalyst_example
from alchemist.persistence import SessionStore
from tests.app.support import APP, button, header, open_example, start_app, texts


def upload_session_file(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="load_session_file").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, [e.message for e in at.exception]
    return at

def assert_same_campaign(session, original) -> None:
    assert session.id != original.id and session.name == original.name
    assert session.variables == original.variables
    X, _, _ = original.training_data()
    assert np.array_equal(session.model.predict(X)[1], original.model.predict(X)[1])

def test_own_session_file_loads_at_once(cache: Path) -> None:
    original = catalyst_example()
    original.train()
    data = SessionStore(cache).export(original)  # signed with this installation's key
    at = upload_session_file(start_app(), f"alchemist_session_{original.short_id}.pkl", data)
    assert_same_campaign(at.session_state["session"], original)
    assert "**4** variables" in header(at) and "Trained on 22 experiments" in header(at)
    assert any("Loaded 'Catalyst screening (example)' as a new session" in t.value for t in at.toast)

def test_session_file_from_another_installation_asks_first(cache: Path, tmp_path: Path) -> None:
    original = catalyst_example()
    original.train()
    data = SessionStore(tmp_path / "elsewhere").export(original)  # another installation's key
    at = upload_session_file(start_app(), "colleague.pkl", data)
    assert "signed by another installation" in texts(at.warning)
    assert "session" not in at.session_state
    button(at, "Cancel").click().run()
    assert "session" not in at.session_state and not at.warning

    at = upload_session_file(start_app(), "colleague.pkl", data)
    button(at, "Load anyway").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert_same_campaign(at.session_state["session"], original)

def test_json_session_file_loads(cache: Path, tmp_path: Path) -> None:
    original = catalyst_example()
    original.train()
    data = SessionStore(tmp_path / "elsewhere").export(original, fmt="json")
    at = upload_session_file(start_app(), f"alchemist_session_{original.short_id}.json", data)
    assert_same_campaign(at.session_state["session"], original)

def test_nrel_alchemist_session_is_imported_with_notes(cache: Path) -> None:
    example = Path(__file__).parents[1] / "golden" / "alchemist_nrel_0.4.0_reaction_campaign.json"
    at = upload_session_file(start_app(), example.name, example.read_bytes())
    session = at.session_state["session"]
    assert len(session.experiments) == 12 and len(session.variables) == 4
    assert any("from an NREL ALchemist file" in t.value for t in at.toast)
    assert any("about the file just loaded" in e.label for e in at.expander)

@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty"),
        (b"\x80\x05\x95\x10\x00\x00\x00", "damaged"),
        (b"cos\nsystem\n(S'touch /tmp/x'\ntR.", "not an ALchemist session file"),
        (b"\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R.", "may be harmful"),
    ],
)
def test_bad_session_file_gives_an_error_and_changes_nothing(cache: Path, content: bytes, reason: str) -> None:
    at = upload_session_file(start_app(), "alchemist_session_bad.pkl", content)
    if any(b.label == "Load anyway" for b in at.button):  # an unsigned file: the user insists
        button(at, "Load anyway").click().run()
    assert not at.exception
    shown = texts(at.error)
    if reason == "empty":
        assert "is empty: it holds no session" in shown
    else:
        # A chemist reads what it means; the reader's own words (file internals) wait under Details.
        assert "it is not a session file ALchemist can open, or it is damaged" in shown
        details = next(e for e in at.expander if e.label.startswith("Details"))
        assert reason in texts(details.caption)
    assert any("could not be loaded" in t.value for t in at.toast)
    assert "session" not in at.session_state
    assert not at.query_params.get("session")
    assert not list((cache / "sessions").rglob("checkpoint"))

def test_file_problems_are_worded_without_file_internals(cache: Path, tmp_path: Path) -> None:
    original = catalyst_example()
    data = SessionStore(tmp_path / "elsewhere").export(original)  # another installation's key
    at = upload_session_file(start_app(), "colleague.pkl", data)
    warning = texts(at.warning)
    assert "signed by another installation of ALchemist" in warning
    assert "key id" not in warning and "local-" not in warning
    at = upload_session_file(start_app(), "notes.pkl", b"PK\x03\x04 a zip file, not a session")
    shown = texts(at.error)
    assert "could not be loaded" in shown and "magic" not in shown

def test_upload_limits_are_stated_once_and_match_the_server_setting(cache: Path) -> None:
    import tomllib

    from alchemist.files.bounds import whole_megabytes
    from alchemist.files.kinds import MAX_UPLOAD_BYTES
    from alchemist.files.tables import MAX_TABLE_FILE_BYTES

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == whole_megabytes(MAX_UPLOAD_BYTES) == 100
    at = start_app()
    loader = at.file_uploader[0]
    assert loader.proto.max_upload_size_mb == 100
    assert "A .pkl session file can be at most 50 MB, a .json one 100 MB." in loader.help
    open_example(at)
    at.switch_page("pages/experiments.py").run()
    table = next(u for u in at.file_uploader if u.label.startswith("Table with one column per variable"))
    assert table.proto.max_upload_size_mb == whole_megabytes(MAX_TABLE_FILE_BYTES) == 20
    assert table.help.startswith("At most 20 MB.")
