"""What an operator sets through secrets and the environment, seen through AppTest: time to live, signing keys, the recent-sessions list."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from alchemist.examples import catalyst_example
from alchemist.persistence import SessionStore
from tests.app.support import APP, open_example, start_app, texts


def stored_time_to_live(cache: Path, session_id: str):
    from alchemist.plain import timestamp_from_state
    from alchemist.files.container import decode_session_file

    envelope = decode_session_file((cache / "sessions" / session_id / "checkpoint").read_bytes())
    return timestamp_from_state(envelope["expires_at"]) - timestamp_from_state(envelope["last_accessed"])

def test_time_to_live_from_secrets_and_environment(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["session_ttl_days"] = 2
    at.run()
    open_example(at)
    assert stored_time_to_live(cache, at.session_state["session"].id) == timedelta(days=2)

    monkeypatch.setenv("ALCHEMIST_SESSION_TTL_DAYS", "0.5")  # the environment wins over secrets
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["session_ttl_days"] = 2
    at.run()
    open_example(at)
    assert stored_time_to_live(cache, at.session_state["session"].id) == timedelta(hours=12)

def test_signing_key_ring_from_secrets(cache: Path) -> None:
    from alchemist.files.signing import KeyRing

    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["session_keys"] = {"2025-01": "an older secret of enough length", "2026-11": "the newest secret, long enough"}
    at.run()
    open_example(at)
    session_id = at.session_state["session"].id
    data = (cache / "sessions" / session_id / "checkpoint").read_bytes()
    ring = KeyRing.from_mapping({"2026-11": "the newest secret, long enough"})
    assert SessionStore(cache, keys=ring).get(session_id) is not None  # signed with the newest key
    assert b"2026-11" in data[:200] and not (cache / "session-signing-key").exists()

def test_recent_sessions_are_listed_only_when_the_operator_turns_them_on(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SessionStore(cache)
    older, newer = catalyst_example(), catalyst_example()
    older.rename("Older screen")
    newer.rename("Zeolite screen")
    store.save(older)
    store.save(newer)

    at = start_app()  # off by default: a shared server must not show one visitor another's sessions
    assert "Recent sessions" not in [s.value for s in at.subheader]

    monkeypatch.setenv("ALCHEMIST_RECENT_SESSIONS", "1")
    at = start_app()
    assert "Recent sessions" in [s.value for s in at.subheader]
    listed = [m.value for m in at.markdown if " · " in m.value and "changed" in m.value]
    assert listed[0].startswith("**Zeolite screen**") and listed[1].startswith("**Older screen**")
    button_ = next(b for b in at.button if b.key == f"recent_{older.id}")
    button_.click().run()
    assert at.session_state["session"].id == older.id
    assert "Last change: Opened 'Older screen'." in texts(at.caption)

@pytest.mark.parametrize(
    "secrets, environ, on",
    [({}, {}, False), ({"recent_sessions": True}, {}, True), ({"recent_sessions": True}, {"ALCHEMIST_RECENT_SESSIONS": "0"}, False),
     ({}, {"ALCHEMIST_RECENT_SESSIONS": "yes"}, True), ({"recent_sessions": "maybe"}, {}, False)],
)
def test_recent_sessions_setting(secrets: dict, environ: dict, on: bool) -> None:
    from ui.recent import recent_enabled

    assert recent_enabled(secrets, environ) is on
