"""The store's history: every change kind is a revision that undo takes back and redo makes again;
restore, session_at and compare; snapshots; the pruning budget; two stores (two tabs) at once;
format 2 -> 3; the history travels through export, import and a restart."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from alchemist.errors import ConflictError
from alchemist.examples import catalyst_example
from alchemist.files.container import decode_session_file
from alchemist.history import revisions as revisions_module
from alchemist.history.diff import compare
from alchemist.history.revisions import RevisionKind
from alchemist.persistence import SessionStore
from alchemist.session import Session
from alchemist.store import timeline
from alchemist.store.timeline import HistoryError
from alchemist.variables import ContinuousVariable
from tests.session_files_support import GOLDEN_KEYS

DAY = timedelta(days=1)
GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"


@pytest.fixture
def store(tmp_path) -> SessionStore:
    return SessionStore(tmp_path / "cache", ttl=DAY)


@pytest.fixture
def stored(store) -> Session:
    session = catalyst_example()
    store.save(session)
    return session


def same(a: Session, b: Session) -> bool:
    """The same campaign: the audit trail only grows (undo and restore are not taken back from it)."""
    strip = lambda s: {k: v for k, v in s.to_state().items() if k not in ("id", "modified", "audit")}  # noqa: E731
    return json.dumps(strip(a), default=repr, sort_keys=True) == json.dumps(strip(b), default=repr, sort_keys=True)


def edit_cell(session: Session, row: int, column: str, value) -> None:
    frame = session.experiments.frame.copy()
    frame.iat[row, frame.columns.get_loc(column)] = value
    session.edit_experiments(frame)


def add_rows(session: Session) -> None:
    frame = session.experiments.frame
    session.edit_experiments(pd.concat([frame, frame.iloc[:2]], ignore_index=True))


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


# -- two tabs -------------------------------------------------------------------------------------
def test_a_stale_tab_change_is_applied_to_the_current_session(store, stored):
    base, version = store.history(stored.id)[-1].number, store.version(stored.id)
    tab_a = store.get(stored.id)
    tab_b = store.get(stored.id)
    tab_a.delete_variable("Zinc Fraction", confirm=True)
    store.save(tab_a, expected_version=version)
    edit_cell(tab_b, 2, "Temperature", 333.0)  # made on the copy from before the delete
    committed = store.commit(tab_b, base=base, expected_version=version)
    assert committed.merged is not None
    now = store.get(stored.id)
    assert "Zinc Fraction" not in [v.name for v in now.variables], "tab A's change is kept"
    assert now.experiments.frame["Temperature"].iloc[2] == 333.0, "tab B's change is applied"


def test_a_stale_tab_change_that_meets_another_is_refused_naming_it(store, stored):
    base, version = store.history(stored.id)[-1].number, store.version(stored.id)
    tab_a, tab_b = store.get(stored.id), store.get(stored.id)
    tab_a.delete_variable("Zinc Fraction", confirm=True)
    store.save(tab_a, expected_version=version)
    tab_b.replace_variable("Zinc Fraction", ContinuousVariable("Zinc", low=0, high=1), confirm=True)
    with pytest.raises(ConflictError, match="Zinc Fraction"):
        store.commit(tab_b, base=base, expected_version=version)
    assert "Zinc" not in [v.name for v in store.get(stored.id).variables]
    # Without a base, a stale save is refused as before (compare-and-swap).
    with pytest.raises(ConflictError, match="another tab"):
        store.save(tab_b, expected_version=version)


def test_two_stores_editing_cells_at_once_lose_nothing(tmp_path):
    root = tmp_path / "cache"
    stores = [SessionStore(root, ttl=DAY), SessionStore(root, ttl=DAY)]
    session = catalyst_example()
    stores[0].save(session)
    errors: list[BaseException] = []

    def tab(store: SessionStore, rows: range) -> None:
        try:
            for row in rows:
                for _ in range(20):  # a conflict-free change is re-applied; retry only on a real conflict
                    opened = store.checkout(session.id)  # session, version and revision of one read
                    edit_cell(opened.session, row, "Temperature", 300.0 + row)
                    try:
                        store.commit(opened.session, base=opened.number, expected_version=opened.version)
                        break
                    except ConflictError:
                        continue
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=tab, args=(s, rows)) for s, rows in zip(stores, (range(0, 10), range(10, 20)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    final = SessionStore(root, ttl=DAY).get(session.id).experiments.frame["Temperature"]
    assert list(final.iloc[:20]) == [300.0 + r for r in range(20)]
    assert len(stores[1].history(session.id)) == 21


# -- files ------------------------------------------------------------------------------------------
def test_history_travels_through_export_import_both_formats(store, stored):
    store.snapshot(stored.id, "first")
    stored.rename("second")
    store.save(stored)
    for fmt in ("pkl", "json"):
        data = store.export(stored, fmt)
        assert stored.id.encode() not in data, "the live id is never exported, not even inside a snapshot"
        new_id = store.import_session(data, f"s.{fmt}")
        assert [r.kind for r in store.history(new_id)] == [RevisionKind.CREATE, RevisionKind.RENAME]
        assert store.snapshots(new_id)[0].label == "first"
        assert store.session_at(new_id, 1).name == "Catalyst screening (example)"
        assert store.undo(new_id).name == "Catalyst screening (example)"
        bare = store.export(stored, fmt, include_history=False)
        assert len(bare) < len(data)
        plain_id = store.import_session(bare, f"s.{fmt}")
        assert [r.kind for r in store.history(plain_id)] == [RevisionKind.CREATE] and store.snapshots(plain_id) == []


def test_an_unsaved_change_is_the_last_revision_of_an_export(store, stored):
    stored.rename("not stored yet")
    new_id = store.import_session(store.export(stored))
    assert store.history(new_id)[-1].kind is RevisionKind.RENAME
    assert store.session_at(new_id, 1).name == "Catalyst screening (example)"


def test_a_version_2_file_migrates_to_an_empty_history_and_keeps_loading(store):
    data = (GOLDEN_DIR / "session_v2.pkl").read_bytes()
    assert decode_session_file(data)["format_version"] == 2
    keyed = SessionStore(store.root, ttl=DAY, keys=GOLDEN_KEYS)
    loaded = keyed.read_file(data)
    assert loaded.history.revisions == [] and loaded.history.head == 0
    new_id = keyed.import_session(data)
    assert [r.kind for r in keyed.history(new_id)] == [RevisionKind.CREATE]
    session = keyed.get(new_id)
    session.rename("after the migration")
    keyed.save(session)
    assert keyed.undo(new_id).name == loaded.session.name


def test_the_golden_version_3_file_carries_its_history():
    data = (GOLDEN_DIR / "session_v3.pkl").read_bytes()
    envelope = decode_session_file(data)
    assert envelope["format_version"] == 3 and envelope["history"]["head"] == 2


def test_golden_v3_history_opens_in_a_store(tmp_path):
    store = SessionStore(tmp_path / "cache", ttl=DAY, keys=GOLDEN_KEYS)
    new_id = store.import_session((GOLDEN_DIR / "session_v3.pkl").read_bytes())
    assert [r.number for r in store.history(new_id)] == [1, 2]
    assert store.session_at(new_id, 1).name == "Golden before the rename"
    assert store.snapshots(new_id)[0].label == "First «state»"


def test_a_torn_or_tampered_revision_record_is_not_a_revision(store, stored):
    stored.rename("kept")
    store.save(stored)
    stored.rename("torn")
    store.save(stored)
    [record] = [p for p in (store.sessions_dir / stored.id).iterdir() if p.name.endswith("3")]
    whole = record.read_bytes()
    record.write_bytes(whole[: len(whole) // 2])  # damaged in storage
    fresh = SessionStore(store.root, ttl=DAY)
    assert fresh.get(stored.id).name == "kept"
    assert not record.exists(), "set aside, so it cannot block the next save at its number"
    assert [p.read_bytes() for p in store.quarantine_dir.iterdir()] == [whole[: len(whole) // 2]]
    stored.rename("saved again")
    fresh.save(stored)
    assert SessionStore(store.root, ttl=DAY).get(stored.id).name == "saved again"
    tampered = bytearray(record.read_bytes())
    tampered[40] ^= 0xFF
    record.write_bytes(bytes(tampered))
    assert SessionStore(store.root, ttl=DAY).get(stored.id).name == "kept"


def test_delete_and_sweep_remove_the_log(store, stored):
    stored.rename("x")
    store.save(stored)
    assert [p.name for p in (store.sessions_dir / stored.id).iterdir() if p.name.startswith("rev-")]
    store.delete(stored.id)
    assert not store.sessions_dir.exists() or list(store.sessions_dir.iterdir()) == []


def test_a_commit_naming_its_columns_stores_the_same_as_a_whole_save(store, stored, tmp_path):
    edit_cell(stored, 4, "Temperature", 377.0)
    level = "Low SAR" if stored.experiments.frame["Catalyst"].iloc[5] == "High SAR" else "High SAR"
    edit_cell(stored, 5, "Catalyst", level)
    committed = store.commit(stored, columns=["Temperature", "Catalyst"])
    assert committed.number == 2
    assert same(SessionStore(store.root, ttl=DAY).get(stored.id), stored)
    assert store.history(stored.id)[-1].summary["cells"] == 2
    # A hint that cannot stand for the whole state (rows added) falls back to the whole session.
    add_rows(stored)
    store.commit(stored, columns=["Temperature"])
    assert same(SessionStore(store.root, ttl=DAY).get(stored.id), stored)


def test_a_stale_tab_cell_edit_with_columns_is_merged_onto_the_current_session(store, stored):
    opened = store.checkout(stored.id)
    other = store.get(stored.id)
    other.rename("renamed in the other tab")
    store.save(other)
    edit_cell(opened.session, 1, "Temperature", 399.0)
    store.commit(opened.session, base=opened.number, expected_version=opened.version, columns=["Temperature"])
    now = store.get(stored.id)
    assert now.name == "renamed in the other tab" and now.experiments.frame["Temperature"].iloc[1] == 399.0


def test_a_session_file_over_its_limit_drops_history_before_refusing(store, stored, monkeypatch):
    import copy

    from alchemist import limits

    for i in range(8):  # every other revision carries a whole model in its patch
        if i % 2 == 0:
            stored.train()
        else:
            stored.model = None
        store.save(stored)
    bare = len(store.export(stored, include_history=False))
    whole = len(store.export(stored, include_history=True))
    assert whole > 2 * bare, "the history is most of the file"
    limit = (bare + whole) // 2  # the session fits, its whole history does not
    small = copy.copy(limits.current())
    object.__setattr__(small, "session_bytes", limit)  # below what an operator may set: a small session stands in
    monkeypatch.setattr(limits, "current", lambda: small)
    monkeypatch.setattr(timeline, "CHECKPOINT_EVERY", 1)
    stored.rename("after the limit")
    store.save(stored)  # no LimitError: old revisions gave way
    assert store.get(stored.id).name == "after the limit"
    history = store.history(stored.id)
    assert history[-1].kind is RevisionKind.RENAME and history[0].number > 1
    assert store.path_of(stored.id).stat().st_size <= limit


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
