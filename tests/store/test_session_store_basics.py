"""The session store on every storage backend (the `blobs` fixture): round trips, history, restarts,
and sessions cached in the layout from before issue 13."""

from __future__ import annotations

import pickle
import time
from datetime import timedelta

import pandas as pd
import pytest

from alchemist.files.container import decode_session_file
from alchemist.history.revisions import RevisionKind
from alchemist.persistence import SessionStore
from alchemist.plain import utc_now
from alchemist.store import timeline
from alchemist.store.heads import CLAIM
from alchemist.store.layout import checkpoint_key, legacy_key, prefix_of
from benchmarks.campaign import build_session
from tests.session_files_support import GOLDEN_DIR, GOLDEN_KEYS
from tests.store.store_support import FailingBlobs, Later, replica_keys

DAY = timedelta(days=1)


@pytest.fixture
def store(blobs) -> SessionStore:
    return SessionStore(blobs, ttl=DAY, keys=replica_keys())


def keys_under(blobs, prefix: str) -> list[str]:
    return sorted(info.key.removeprefix(prefix) for info in blobs.list(prefix))


def test_shared_storage_needs_the_replicas_keys(blobs):
    with pytest.raises(ValueError, match="keys"):
        SessionStore(FailingBlobs(blobs), ttl=DAY)  # any BlobStore that is not a plain local folder


def test_a_1000_by_10_session_round_trips_through_a_restart(blobs, store):
    session = build_session(1000)
    store.save(session)
    restarted = SessionStore(blobs, ttl=DAY, keys=replica_keys())
    again = restarted.get(session.id)
    pd.testing.assert_frame_equal(again.experiments.frame, session.experiments.frame)
    assert again.variables == session.variables and again.statuses() == session.statuses()
    assert restarted.version(session.id) == store.version(session.id)


def test_a_one_cell_edit_writes_one_small_object(blobs, store):
    session = build_session(1000)
    store.save(session)
    before = {info.key: info.version for info in blobs.list(prefix_of(session.id))}
    session.experiments.frame.iat[7, session.experiments.frame.columns.get_loc("x1")] = 0.123
    store.version(session.id)  # the app's check at the start of the run
    store.commit(session, columns=["x1"])
    after = {info.key: info for info in blobs.list(prefix_of(session.id))}
    changed = [key for key, info in after.items() if before.get(key) != info.version]
    assert len(changed) == 1 and "/rev-" in changed[0] and after[changed[0]].size < 2_000
    again = SessionStore(blobs, ttl=DAY, keys=replica_keys()).get(session.id)
    assert again.experiments.frame["x1"].iloc[7] == 0.123


def test_history_undo_redo_restore_and_snapshots_over_the_interface(blobs, store):
    session = store.create("first")
    for name in ("second", "third"):
        session.rename(name)
        store.save(session)
    saved = store.snapshot(session.id, "the third")
    assert store.undo(session.id).name == "second"
    assert store.redo(session.id).name == "third"
    assert store.restore(session.id, 1).name == "first"
    restarted = SessionStore(blobs, ttl=DAY, keys=replica_keys())
    kinds = [r.kind for r in restarted.history(session.id)]
    assert kinds == [RevisionKind.CREATE, RevisionKind.RENAME, RevisionKind.RENAME, RevisionKind.UNDO,
                     RevisionKind.REDO, RevisionKind.RESTORE]
    assert restarted.session_at(session.id, saved.number).name == "third"
    assert [s.label for s in restarted.snapshots(session.id)] == ["the third"]
    assert restarted.get(session.id).name == "first"


def test_checkpoints_fold_the_revisions_in(blobs, store, monkeypatch):
    monkeypatch.setattr(timeline, "CHECKPOINT_EVERY", 4)
    monkeypatch.setattr(timeline, "REV_GRACE", timedelta(0))
    session = store.create()
    for i in range(10):
        session.rename(f"v{i}")
        store.save(session)
    revs = [k for k in keys_under(blobs, prefix_of(session.id)) if k.startswith("rev-")]
    assert len(revs) <= 4, revs  # folded revisions are deleted (the newest always stays)
    restarted = SessionStore(blobs, ttl=DAY, keys=replica_keys())
    assert restarted.get(session.id).name == "v9"
    assert len(restarted.history(session.id)) == 11


def test_versions_change_with_every_save(store):
    session = store.create()
    versions = {store.version(session.id)}
    for i in range(5):
        session.rename(f"v{i}")
        versions.add(store.save(session))
    assert len(versions) == 6


def test_the_sweep_removes_expired_sessions_and_their_objects(blobs):
    store = SessionStore(blobs, ttl=timedelta(seconds=3), keys=replica_keys())
    expired = store.create("expired")
    time.sleep(2)
    kept = store.create("kept")
    time.sleep(1.5)
    assert store.sweep() == [expired.id]
    assert store.get(expired.id) is None and store.get(kept.id).name == "kept"
    left = [blobs.get(prefix_of(expired.id) + k).data for k in keys_under(blobs, prefix_of(expired.id))]
    assert left == [CLAIM], "only the sweep's claim is left, holding nothing"
    store.clock = Later(timeline.REV_GRACE.total_seconds() + 60)
    assert store.sweep() == [kept.id]
    left = blobs.list("sessions/")
    assert all(info.key.startswith(prefix_of(kept.id)) for info in left), "a later sweep removes the older claim"
    assert [blobs.get(info.key).data for info in left] == [CLAIM], "and this sweep left only its own"


# -- the layout from before issue 13 -------------------------------------------------------------------
def plant_old_layout(blobs, store: SessionStore, edits: int = 2) -> str:
    """A session as the store before issue 13 cached it: `<id>.pkl` (a checkpoint) and `<id>.log`
    (its later revision records, appended), made by saving with this store and moving the objects."""
    session = store.create("old layout")
    checkpoint = blobs.get(checkpoint_key(session.id)).data
    records = b""
    for i in range(edits):
        session.rename(f"old layout, edit {i}")
        store.save(session)
    for info in sorted(blobs.list(prefix_of(session.id)), key=lambda i: i.key):
        data = blobs.get(info.key).data
        if "/rev-" in info.key and data.startswith(b"ALRV"):
            records += data
        blobs.delete(info.key)
    blobs.put(legacy_key(session.id, ".pkl"), checkpoint)
    blobs.put(legacy_key(session.id, ".log"), records)
    blobs.put(legacy_key(session.id, ".seen"), b"")
    store._forget(session.id)
    return session.id


def test_an_old_layout_session_opens_is_converted_and_keeps_its_history(blobs, store):
    session_id = plant_old_layout(blobs, store)
    fresh = SessionStore(blobs, ttl=DAY, keys=replica_keys())
    assert fresh.version(session_id) is not None
    assert fresh.get(session_id).name == "old layout, edit 1"
    assert [r.number for r in fresh.history(session_id)] == [1, 2, 3]
    assert blobs.get(legacy_key(session_id, ".pkl")) is None and blobs.get(legacy_key(session_id, ".log")) is None
    assert blobs.get(checkpoint_key(session_id)) is not None
    session = fresh.get(session_id)
    session.rename("edited after the upgrade")
    fresh.save(session)
    assert SessionStore(blobs, ttl=DAY, keys=replica_keys()).get(session_id).name == "edited after the upgrade"


@pytest.mark.parametrize("version", [1, 2, 3])
def test_golden_old_layout_files_keep_opening(blobs, version):
    data = (GOLDEN_DIR / f"session_v{version}.pkl").read_bytes()
    if version == 1:  # an unsigned version-1 cache file, as the app wrote it then, with a fresh envelope
        envelope = decode_session_file(data)
        envelope.update(last_accessed=utc_now().isoformat(), expires_at=(utc_now() + DAY).isoformat())
        data = pickle.dumps(envelope, protocol=5)
    session_id = "0123456789abcdef0123456789abcdef"
    blobs.put(legacy_key(session_id, ".pkl"), data)
    store = SessionStore(blobs, ttl=DAY, keys=GOLDEN_KEYS)
    opened = store.get(session_id)
    assert opened is not None and opened.name.startswith("Golden")
    assert blobs.get(legacy_key(session_id, ".pkl")) is None, "converted on first open"
    assert SessionStore(blobs, ttl=DAY, keys=GOLDEN_KEYS).get(session_id).name == opened.name


def test_old_layout_sessions_are_listed_and_swept_like_the_rest(blobs, store):
    from alchemist.store.recent import recent_sessions

    session_id = plant_old_layout(blobs, store, edits=1)
    assert [r.id for r in recent_sessions(store)] == [session_id]
    assert blobs.get(legacy_key(session_id, ".pkl")) is not None, "listing converts nothing"
    assert store.sweep() == []
    store.clock = Later(2 * 86400)
    assert store.sweep() == [session_id]
    assert [info.key for info in blobs.list("sessions/")] == []


class CountingBlobs(FailingBlobs):
    """Counts the calls that wait on storage."""

    def __init__(self, inner) -> None:
        super().__init__(inner)
        self.calls: list[str] = []

    def get(self, key):
        self.calls.append("get")
        return super().get(key)

    def put(self, key, data, expected=None):
        self.calls.append("put")
        return super().put(key, data, expected)

    def list(self, prefix):
        self.calls.append("list")
        return super().list(prefix)

    def delete(self, key, expected=None):
        self.calls.append("delete")
        return super().delete(key, expected)


def test_an_action_waits_on_storage_once_for_the_check_and_once_for_the_write(blobs):
    counting = CountingBlobs(blobs)
    store = SessionStore(counting, ttl=DAY, keys=replica_keys())
    session = build_session(100)
    store.save(session)
    store.checkout(session.id)
    for i in range(3):  # as the app runs an action: the version check, then the commit
        session.experiments.frame.iat[i, 1] = 0.5 + i
        counting.calls.clear()
        store.version(session.id)
        store.commit(session, columns=[str(session.experiments.frame.columns[1])])
        assert counting.calls == ["list", "put"]
    counting.calls.clear()
    assert store.checkout(session.id) is not None
    assert counting.calls == ["list"], "a session this process holds is opened with one listing"
