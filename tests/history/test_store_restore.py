"""The store's past states: session_at, restore and compare; snapshots; the pruning budget; checkpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alchemist.examples import catalyst_example
from alchemist.history import revisions as revisions_module
from alchemist.history.diff import compare
from alchemist.history.revisions import RevisionKind
from alchemist.persistence import SessionStore
from alchemist.session import Session
from alchemist.store import timeline
from alchemist.store.timeline import HistoryError
from tests.history.store_history_support import add_rows, edit_cell, same
from tests.session_store_support import DAY


def test_session_at_restore_and_compare(store, stored):
    first = Session.from_state(stored.to_state())
    edit_cell(stored, 0, "Temperature", 444.0)
    stored.delete_variable("Zinc Fraction", confirm=True)
    store.save(stored)
    add_rows(stored)
    store.save(stored)
    past = store.session_at(stored.id, 1)
    assert same(past, first) and past.id == stored.id
    comparison = compare(past, store.get(stored.id))
    assert comparison.variables_removed == ["Zinc Fraction"] and comparison.rows_added == 2
    assert comparison.cells_changed >= 1 and "Temperature" in comparison.columns_changed
    assert compare(past, past).same

    restored = store.restore(stored.id, 1)
    assert same(restored, first) and same(store.get(stored.id), first)
    history = store.history(stored.id)
    assert [r.number for r in history] == [1, 2, 3, 4] and history[-1].kind is RevisionKind.RESTORE
    assert history[-1].summary["target"] == 1
    assert store.session_at(stored.id, 3).experiments.frame.shape[0] == 24, "nothing was overwritten"
    assert store.undo(stored.id).experiments.frame.shape[0] == 24, "a restore can be undone"


def test_snapshots_are_kept_whole_labelled_and_restorable(store, stored):
    snapshot = store.snapshot(stored.id, "  Before   the big change ")
    assert snapshot.label == "Before the big change" and snapshot.number == 1
    stored.rename("after")
    store.save(stored)
    [kept] = store.snapshots(stored.id)
    assert kept.label == "Before the big change"
    assert store.restore(stored.id, kept.number).name == "Catalyst screening (example)"
    assert store.history(stored.id)[-1].summary == {"target": 1, "label": "Before the big change"}
    with pytest.raises(HistoryError):
        store.snapshot(stored.id, "   ")


def test_the_budget_prunes_old_revisions_keeps_dailies_and_never_snapshots(tmp_path, monkeypatch):
    from datetime import datetime, timezone

    store = SessionStore(tmp_path / "cache", ttl=timedelta(days=5))
    stored = catalyst_example()
    store.save(stored)
    monkeypatch.setattr(revisions_module, "MAX_REVISIONS", 10)
    monkeypatch.setattr(timeline, "CHECKPOINT_EVERY", 4)
    store.snapshot(stored.id, "kept forever")
    clock = iter(datetime(2030, 1, 1, 1, tzinfo=timezone.utc) + timedelta(hours=5 * i) for i in range(10_000))
    monkeypatch.setattr(timeline, "utc_now", lambda: next(clock))
    for i in range(40):  # 40 changes, 5 hours apart: eight days
        stored.rename(f"name {i}")
        store.save(stored)
    history = store.history(stored.id)
    assert len(history) <= 10 + 4 and history[-1].number == 41 and history[0].number > 1
    assert [s.label for s in store.snapshots(stored.id)] == ["kept forever"]
    assert store.session_at(stored.id, 1).name == "Catalyst screening (example)", "the snapshot keeps revision 1"
    dailies = store.dailies(stored.id)
    oldest_kept = history[0].time
    days = [d.time.date() for d in dailies]
    assert days and len(set(days)) == len(days), "one state per day"
    assert all(history[-1].time - timedelta(days=5) <= d.time and d.time.date() < oldest_kept.date() for d in dailies)
    for daily in dailies:
        assert store.session_at(stored.id, daily.number).name == f"name {daily.number - 2}"
    with pytest.raises(HistoryError) as info:
        store.session_at(stored.id, 5)
    assert info.value.reason == "pruned"
    assert store.get(stored.id).name == "name 39"


def test_checkpoints_keep_the_whole_history_readable(store, stored, monkeypatch):
    monkeypatch.setattr(timeline, "CHECKPOINT_EVERY", 3)
    for i in range(10):
        edit_cell(stored, i, "Temperature", 300.0 + i)
        store.save(stored)
    fresh = SessionStore(store.root, ttl=DAY)
    assert [r.number for r in fresh.history(stored.id)] == list(range(1, 12))
    assert fresh.session_at(stored.id, 5).experiments.frame["Temperature"].iloc[3] == 303.0
    assert fresh.session_at(stored.id, 5).experiments.frame["Temperature"].iloc[4] != 304.0
