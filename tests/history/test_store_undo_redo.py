"""The store's undo and redo: every change kind is a revision that undo takes back and redo makes again;
the audit trail is never taken back."""

from __future__ import annotations

import pytest

from alchemist.history.revisions import RevisionKind
from alchemist.persistence import SessionStore
from alchemist.session import Session
from alchemist.store.timeline import HistoryError
from alchemist.variables import ContinuousVariable
from tests.history.store_history_support import add_rows, edit_cell, same
from tests.session_store_support import DAY


def delete_rows(session: Session) -> None:
    session.edit_experiments(session.experiments.frame.drop(index=[0, 5]).reset_index(drop=True))


CHANGES = {
    RevisionKind.EDIT_CELLS: lambda s: edit_cell(s, 3, "Temperature", 401.5),
    RevisionKind.ADD_ROWS: add_rows,
    RevisionKind.DELETE_ROWS: delete_rows,
    RevisionKind.ADD_VARIABLE: lambda s: s.add_variable(ContinuousVariable("Pressure", unit="bar", low=1, high=5), fill=2.0),
    RevisionKind.DELETE_VARIABLE: lambda s: s.delete_variable("Zinc Fraction", confirm=True),
    RevisionKind.CHANGE_VARIABLE: lambda s: s.replace_variable(
        "Temperature", ContinuousVariable("Temp", unit="°C", low=300, high=500), confirm=True),
    RevisionKind.RENAME: lambda s: s.rename("Renamed campaign"),
    RevisionKind.SETTINGS: lambda s: setattr(s, "suggestion_settings",
                                             type(s.suggestion_settings)(batch_size=s.suggestion_settings.batch_size + 1)),
}


@pytest.mark.parametrize("kind", list(CHANGES), ids=lambda k: k.value)
def test_every_change_kind_is_a_revision_that_undo_takes_back_and_redo_makes_again(store, stored, kind):
    before = Session.from_state(stored.to_state())
    CHANGES[kind](stored)
    store.save(stored)
    after = Session.from_state(stored.to_state())
    last = store.history(stored.id)[-1]
    assert (last.number, last.kind) == (2, kind)
    assert last.counts == stored.counts()
    undo_target, redo_target = store.undo_targets(stored.id)
    assert undo_target.number == 2 and redo_target is None

    undone = store.undo(stored.id)
    assert same(undone, before) and same(store.get(stored.id), before)
    assert store.history(stored.id)[-1].kind is RevisionKind.UNDO
    assert store.undo_targets(stored.id) == (None, store.history(stored.id)[1])

    redone = store.redo(stored.id)
    assert same(redone, after) and same(store.get(stored.id), after)
    assert [r.kind for r in store.history(stored.id)] == [RevisionKind.CREATE, kind, RevisionKind.UNDO, RevisionKind.REDO]


def test_training_is_a_revision_and_undo_removes_the_model(store, stored):
    stored.train()
    store.save(stored)
    assert store.history(stored.id)[-1].kind is RevisionKind.TRAIN
    assert store.undo(stored.id).model is None


def test_a_one_cell_edit_appends_a_small_record_and_names_the_cell(store, stored):
    before = {p.name for p in (store.sessions_dir / stored.id).iterdir()}
    checkpoint = store.path_of(stored.id).read_bytes()
    edit_cell(stored, 11, "Temperature", 350.0)
    store.save(stored)
    [written] = [p for p in (store.sessions_dir / stored.id).iterdir() if p.name not in before]
    assert written.name.startswith("rev-") and written.stat().st_size < 2_000
    assert store.path_of(stored.id).read_bytes() == checkpoint, "nothing else rewritten"
    revision = store.history(stored.id)[-1]
    assert revision.summary["cell"] == [11, "Temperature", 350.0] and revision.summary["cells"] == 1
    # A fresh store (a restart) reads the checkpoint plus the log.
    again = SessionStore(store.root, ttl=DAY).get(stored.id)
    assert again.experiments.frame["Temperature"].iloc[11] == 350.0


def test_undo_twice_then_a_new_change_clears_redo(store, stored):
    for name in ("one", "two"):
        stored.rename(name)
        store.save(stored)
    assert store.undo(stored.id).name == "one"
    assert store.undo(stored.id).name == "Catalyst screening (example)"
    session = store.get(stored.id)
    session.rename("three")
    store.save(session)
    assert store.undo_targets(stored.id)[1] is None
    with pytest.raises(HistoryError) as info:
        store.redo(stored.id)
    assert info.value.reason == "no_redo"


def test_nothing_to_undo_on_a_new_session(store, stored):
    assert store.undo_targets(stored.id) == (None, None)
    with pytest.raises(HistoryError):
        store.undo(stored.id)


def test_undo_redo_and_restore_take_back_the_campaign_never_its_audit_trail(store, stored):
    stored.train()
    store.save(stored)  # the fit is a revision with an audit entry
    recorded = [entry.kind for entry in store.get(stored.id).audit.entries]
    assert recorded, "training is recorded"
    undone = store.undo(stored.id)
    assert undone.model is None
    assert [entry.kind for entry in undone.audit.entries] == recorded
    assert undone.verify_audit() is None
    redone = store.redo(stored.id)
    assert redone.model is not None and [e.kind for e in redone.audit.entries] == recorded
    restored = store.restore(stored.id, store.history(stored.id)[0].number)
    assert restored.model is None and [e.kind for e in restored.audit.entries] == recorded
    assert restored.verify_audit() is None
