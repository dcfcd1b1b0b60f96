"""Storage that fails: every failure reaches the caller as StorageError (the app then keeps the
session in memory and saves it at the next action), nothing is retried in the store, and once
storage is back nothing is lost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alchemist.errors import StorageError
from alchemist.persistence import SessionStore
from benchmarks.campaign import build_session
from tests.store.store_support import FailingBlobs, replica_keys

DAY = timedelta(days=1)


@pytest.fixture
def failing(blobs) -> FailingBlobs:
    return FailingBlobs(blobs)


def store_on(storage) -> SessionStore:
    return SessionStore(storage, ttl=DAY, keys=replica_keys())


@pytest.mark.parametrize("nth", [1, 2])
def test_a_save_failing_at_its_nth_write_keeps_the_stored_session_whole(failing, nth):
    store = store_on(failing)
    session = build_session(200)
    store.save(session)
    session.rename("renamed while storage fails")
    session.experiments.frame.iat[0, 1] = 0.5
    failing.fail_puts_from = failing.puts + nth
    if nth == 1:
        with pytest.raises(StorageError):
            store.save(session)
        assert store_on(failing.inner).get(session.id).name != session.name, "the stored session is the old one, whole"
    else:
        store.save(session)  # one write is all a commit needs: the second would have failed
    failing.heal()
    store.version(session.id)
    store.save(session)  # the next action saves what the tab kept in memory
    again = store_on(failing.inner).get(session.id)
    assert again.name == "renamed while storage fails" and again.experiments.frame.iat[0, 1] == 0.5


def test_a_checkpoint_failing_after_its_revision_is_stored_loses_nothing(failing, monkeypatch):
    from alchemist.store import timeline

    monkeypatch.setattr(timeline, "CHECKPOINT_EVERY", 1)  # every save writes the revision, then the checkpoint
    store = store_on(failing)
    session = store.create("first")
    session.rename("second")
    failing.fail_puts_from = failing.puts + 2  # the revision object is stored, the checkpoint is not
    with pytest.raises(StorageError):
        store.save(session)
    failing.heal()
    assert store_on(failing.inner).get(session.id).name == "second", "the revision object holds the change"
    store.save(session)  # saving again after the failure adds nothing twice
    assert [r.number for r in store_on(failing.inner).history(session.id)] == [1, 2]


def test_storage_gone_away_is_a_storage_error_everywhere_and_comes_back(failing):
    store = store_on(failing)
    session = store.create("kept")
    failing.down = True
    with pytest.raises(StorageError):
        store.version(session.id)
    with pytest.raises(StorageError):
        store.get(session.id)
    session.rename("changed while storage is away")
    with pytest.raises(StorageError):
        store.save(session)
    with pytest.raises(StorageError):
        store_on(failing)  # a replica starting now says so at once
    with pytest.raises(StorageError):
        store.sweep()
    failing.heal()
    store.save(session)
    assert store_on(failing.inner).get(session.id).name == "changed while storage is away"


def test_the_store_never_retries_a_failed_call(failing):
    store = store_on(failing)
    session = store.create()
    session.rename("once")
    failing.fail_puts_from = failing.puts + 1
    before = failing.puts
    with pytest.raises(StorageError):
        store.save(session)
    assert failing.puts - before == 1, "one attempt, no retry storm"


def test_opening_works_when_storage_cannot_be_written(failing):
    store = store_on(failing)
    session = store.create("read-only now")
    failing.fail_puts_from = failing.puts + 1
    store.clock.now = lambda: 10**12  # long after the last save: opening would write `seen`
    assert store.get(session.id).name == "read-only now"
