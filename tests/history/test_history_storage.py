"""The history on disk and in files: export and import in both formats, format 2 -> 3, the golden
version 3 file, torn records, deletion, the file-size limit."""

from __future__ import annotations

from pathlib import Path

from alchemist.files.container import decode_session_file
from alchemist.history.revisions import RevisionKind
from alchemist.persistence import SessionStore
from alchemist.store import timeline
from tests.session_files_support import GOLDEN_KEYS
from tests.session_store_support import DAY

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"


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
