"""A history read from a file is checked like everything else in it: a malformed one refuses the
file; one that does not fit its session loads, and asking for a past state it cannot rebuild is
refused in words, never a crash."""

from __future__ import annotations

import json

import pytest

from alchemist.errors import ConflictError, SessionFileError
from alchemist.examples import catalyst_example
from alchemist.persistence import SessionStore
from alchemist.store.timeline import HistoryError


def exported_tree(store: SessionStore) -> dict:
    session = catalyst_example()
    store.save(session)
    session.rename("second")
    store.save(session)
    store.snapshot(session.id, "snap")
    return json.loads(store.export(session, "json"))


def load(store: SessionStore, tree: dict):
    return store.read_file(json.dumps(tree).encode(), "s.json")


@pytest.mark.parametrize("damage", [
    lambda h: h.update(revisions="not a list"),
    lambda h: h.update(head="2"),
    lambda h: h["revisions"][1].update(ops=[{"op": "explode", "path": ["name"]}]),
    lambda h: h["revisions"][1].update(ops=[{"op": "set", "path": [{"x": 1}], "new": 1}]),
    lambda h: h["revisions"][1].update(number=1),   # out of order
    lambda h: h.update(head=7),                     # does not end at the session
    lambda h: h["revisions"][0].update(time="yesterday"),
    lambda h: h["snapshots"][0].update(state="not a state"),
], ids=["revisions", "head", "op", "path", "order", "end", "time", "snapshot"])
def test_a_malformed_history_refuses_the_file(store, damage):
    tree = exported_tree(store)
    damage(tree["history"])
    with pytest.raises(SessionFileError):
        load(store, tree)


def test_a_history_that_does_not_fit_its_session_loads_and_refuses_the_past_in_words(store):
    tree = exported_tree(store)
    rename = tree["history"]["revisions"][1]
    rename["ops"] = [{"op": "set", "path": ["name"], "old": "something else", "new": "not the session's name"}]
    loaded = load(store, tree)
    new_id = store.adopt(loaded.session, loaded.history) and loaded.session.id
    with pytest.raises(HistoryError) as info:
        store.session_at(new_id, 1)
    assert info.value.reason == "damaged"
    with pytest.raises(ConflictError):
        store.undo(new_id)
    assert store.get(new_id).name == "second", "the current state is untouched"


def test_a_snapshot_whose_state_is_invalid_is_refused_when_opened_or_restored(store):
    tree = exported_tree(store)
    snapshot = tree["history"]["snapshots"][0]
    snapshot["state"] = {"state_version": 1, "id": "x"}
    snapshot["number"] = 0  # a state no kept revision rebuilds: only the snapshot has it
    loaded = load(store, tree)
    store.adopt(loaded.session, loaded.history)
    with pytest.raises(SessionFileError):
        store.session_at(loaded.session.id, 0)
    with pytest.raises(SessionFileError):
        store.restore(loaded.session.id, 0)
    assert store.get(loaded.session.id).name == "second" and len(store.history(loaded.session.id)) == 2
