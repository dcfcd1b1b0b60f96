"""The on-disk session store's life cycle: create, save, get, delete, a restart.

Real files in tmp_path, real sessions, no mocks.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from alchemist.files.migrations import CURRENT_FORMAT_VERSION, SESSION_FORMAT
from alchemist.persistence import SessionStore
from alchemist.plain import timestamp_from_state
from alchemist.session import Session, is_session_id
from tests.session_store_support import DAY, full_session, read_envelope
from tests.store.store_support import stored_files


# -- basic life cycle -------------------------------------------------------------------------------
def test_create_writes_one_file_named_by_the_id(store):
    session = store.create("My campaign")
    assert is_session_id(session.id)
    assert stored_files(store) == [f"{session.id}/checkpoint"]
    envelope = read_envelope(store, session.id)
    assert set(envelope) == {"format", "format_version", "session", "created_at", "last_accessed", "expires_at", "history"}
    assert envelope["format"] == SESSION_FORMAT and envelope["format_version"] == CURRENT_FORMAT_VERSION
    assert envelope["session"]["name"] == "My campaign"
    expires = timestamp_from_state(envelope["expires_at"])
    assert expires - timestamp_from_state(envelope["last_accessed"]) == DAY


def test_save_and_get_round_trip_of_every_kind(store):
    session = full_session()
    store.save(session)
    again = store.get(session.id)
    assert again is not session
    assert again.name == session.name and again.variables == session.variables
    assert [v.unit for v in again.variables] == ["°C", "count", "", "mol/mol"]
    assert [v.description for v in again.variables] == ["Set point", "Regenerations", "Zeolite", "Si/Al ratio"]
    pd.testing.assert_frame_equal(again.experiments.frame, session.experiments.frame)
    assert again.statuses() == session.statuses()
    assert again.experiments.cells()["Temperature"].tolist()[2] == "hot"
    assert again.experiments.frame["Note"].tolist() == ["Initial Design", "", "EI — suggested", "line one\nline two"]
    assert again.experiments.frame["Yield"].tolist()[0] == 0.1 + 0.2


def test_get_of_unknown_id_is_none(store):
    assert store.get(Session.new().id) is None


def test_delete(store):
    keep, gone = store.create(), store.create()
    store.delete(gone.id)
    assert store.get(gone.id) is None
    assert stored_files(store) == [f"{keep.id}/checkpoint"]
    store.delete(gone.id)  # deleting twice is fine


def test_restart_finds_the_session(tmp_path):
    root = tmp_path / "cache"
    first = SessionStore(root, ttl=DAY)
    session = full_session()
    first.save(session)
    del first

    after_restart = SessionStore(root, ttl=DAY)
    again = after_restart.get(session.id)
    assert again is not None and again.id == session.id
    pd.testing.assert_frame_equal(again.experiments.frame, session.experiments.frame)


def test_ttl_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        SessionStore(tmp_path, ttl=timedelta(0))
