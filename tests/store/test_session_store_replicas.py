"""Several SessionStore objects on the same storage, as replicas of the app behind a load balancer
are: concurrent commits lose nothing and name their conflicts, sweeps from all of them at once
never delete a session just saved, and a restart of all of them loses nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from alchemist.errors import ConflictError
from alchemist.persistence import SessionStore
from alchemist.session import Session
from alchemist.store.blobs import ChangedMeanwhile
from alchemist.store.layout import checkpoint_key, rev_key
from benchmarks.campaign import build_session
from tests.store.store_support import Later, replica_keys

DAY = timedelta(days=1)


def replicas(blobs, n: int = 2, ttl: timedelta = DAY) -> list[SessionStore]:
    return [SessionStore(blobs, ttl=ttl, keys=replica_keys()) for _ in range(n)]


def set_cell(session: Session, row: int, column: str, value: float) -> None:
    session.experiments.frame.iat[row, session.experiments.frame.columns.get_loc(column)] = value


def test_two_tabs_on_two_replicas_edit_different_cells_and_both_are_kept(blobs):
    a, b = replicas(blobs)
    session = build_session(50)
    a.save(session)
    tab_a, tab_b = a.checkout(session.id), b.checkout(session.id)
    set_cell(tab_a.session, 1, "x1", 0.5)
    first = a.commit(tab_a.session, base=tab_a.number, expected_version=tab_a.version, columns=["x1"])
    set_cell(tab_b.session, 2, "x2", 0.25)
    b.version(session.id)  # tab B's run starts with the version check, as in the app...
    second = b.commit(tab_b.session, base=tab_b.number, expected_version=tab_b.version, columns=["x2"])
    assert second.merged is not None, "...and its change is applied on top of tab A's"
    for store in (a, b, *replicas(blobs)):
        stored = store.get(session.id)
        assert stored.experiments.frame["x1"].iloc[1] == 0.5 and stored.experiments.frame["x2"].iloc[2] == 0.25
    assert first.number + 1 == second.number


def test_the_same_cell_edited_on_two_replicas_is_refused_by_name(blobs):
    a, b = replicas(blobs)
    session = build_session(20)
    a.save(session)
    tab_a, tab_b = a.checkout(session.id), b.checkout(session.id)
    set_cell(tab_a.session, 3, "x1", 0.5)
    a.commit(tab_a.session, base=tab_a.number, expected_version=tab_a.version, columns=["x1"])
    set_cell(tab_b.session, 3, "x1", 0.75)
    b.version(session.id)
    with pytest.raises(ConflictError, match="x1"):
        b.commit(tab_b.session, base=tab_b.number, expected_version=tab_b.version, columns=["x1"])
    assert b.get(session.id).experiments.frame["x1"].iloc[3] == 0.5, "nothing was overwritten"


def test_a_replica_holding_a_stale_head_never_overwrites_a_newer_save(blobs):
    a, b = replicas(blobs)
    session = a.create("start")
    b.get(session.id)
    b.version(session.id)  # B's head is confirmed now; A then saves before B does
    copy_a = a.get(session.id)
    copy_a.rename("saved on A")
    a.save(copy_a)
    copy_b = Session.from_state(session.to_state())
    copy_b.rename("saved on B")
    b.save(copy_b)  # B's trusted head is stale: its write meets A's revision object, B reads again
    history = [r.summary for r in replicas(blobs, 1)[0].history(session.id)]
    assert len(history) == 3, history
    assert a.get(session.id).name == "saved on B"


def test_concurrent_saves_from_two_replicas_lose_nothing(blobs):
    stores = replicas(blobs)
    session = Session.new("start")
    stores[0].save(session)
    errors: list[BaseException] = []

    def writer(store: SessionStore, label: str) -> None:
        try:
            for i in range(12):
                copy = Session.from_state(session.to_state())
                copy.rename(f"{label} {i}")
                store.version(session.id)
                store.save(copy)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(s, label)) for s, label in zip(stores, "AB")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    fresh = replicas(blobs, 1)[0]  # a restart of both
    assert len(fresh.history(session.id)) == 25, "every save of both replicas is a revision, none lost"
    assert fresh.get(session.id).name in {"A 11", "B 11"}


def test_a_replica_that_always_loses_the_race_gives_up_in_bounded_time_and_overwrites_nothing(blobs, monkeypatch):
    a, b = replicas(blobs)
    session = a.create("kept")
    b.commit_patience_s = 0.2
    real_put = blobs.put
    tries: list[str] = []

    def another_replica_always_first(key, data, expected=None):
        if key.startswith(rev_key(session.id, 2).rsplit("-", 1)[0]):
            tries.append(key)
            raise ChangedMeanwhile(key)
        return real_put(key, data, expected)

    monkeypatch.setattr(blobs, "put", another_replica_always_first)
    copy = b.get(session.id)
    copy.rename("never stored")
    with pytest.raises(ConflictError):
        b.save(copy)
    assert 2 <= len(tries) < 40, "it retried, with pauses, and stopped"
    monkeypatch.setattr(blobs, "put", real_put)
    assert replicas(blobs, 1)[0].get(session.id).name == "kept"


def test_sweeps_from_two_replicas_at_once_delete_each_expired_session_once(blobs):
    a, b = replicas(blobs)
    expired = [a.create(f"old {i}") for i in range(6)]
    for store in (a, b):
        store.clock = Later(2 * 86400)
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda s=s: results.append(s.sweep())) for s in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results[0] + results[1]) == sorted(s.id for s in expired), "each deleted once, by one of them"
    assert all(a.get(s.id) is None for s in expired)


def test_a_save_racing_a_sweep_on_another_replica_is_kept(blobs, monkeypatch):
    a, b = replicas(blobs)
    session = a.create("about to expire")
    b.clock = Later(2 * 86400)
    real_list = blobs.list

    def list_then_save(prefix):  # B's sweep has judged the session expired, and A saves before it deletes
        listing = real_list(prefix)
        if prefix == "sessions/":
            monkeypatch.setattr(blobs, "list", real_list)
            session.rename("saved just in time")
            a.version(session.id)
            a.save(session)
        return listing

    monkeypatch.setattr(blobs, "list", list_then_save)
    assert b.sweep() == []
    assert replicas(blobs, 1)[0].get(session.id).name == "saved just in time"


def test_a_save_after_a_sweep_won_writes_the_whole_session_again(blobs):
    a, b = replicas(blobs)
    session = a.create("swept under its holder")
    session.rename("edited once")
    a.save(session)
    a.version(session.id)  # A's head is confirmed: its next commit writes at once, without a listing
    b.clock = Later(2 * 86400)
    assert b.sweep() == [session.id]
    assert blobs.get(checkpoint_key(session.id)) is None
    session.rename("saved after the sweep")
    a.save(session)  # meets the sweep's claim, finds the session gone, stores it whole
    fresh = replicas(blobs, 1)[0]
    assert fresh.get(session.id).name == "saved after the sweep"
    numbers = [r.number for r in fresh.history(session.id)]
    assert [fresh.session_at(session.id, n).name for n in numbers] == [
        "swept under its holder", "edited once", "saved after the sweep"], "its history too"


def test_an_open_racing_a_sweep_keeps_the_session(blobs, monkeypatch):
    a, b = replicas(blobs)
    session = a.create()
    b.clock = Later(2 * 86400)
    a.clock = Later(120)  # A's open is a minute after the last save: it writes `seen`
    real_list = blobs.list

    def list_then_open(prefix):
        listing = real_list(prefix)
        if prefix == "sessions/":
            monkeypatch.setattr(blobs, "list", real_list)
            assert a.get(session.id) is not None
        return listing

    monkeypatch.setattr(blobs, "list", list_then_open)
    assert b.sweep() == []
    assert replicas(blobs, 1)[0].get(session.id) is not None
    assert blobs.get(rev_key(session.id, 2)) is None, "the sweep took its claim back"


def test_a_restart_of_every_replica_loses_nothing(blobs):
    a, b = replicas(blobs)
    sessions = [a.create(f"on A {i}") for i in range(3)] + [b.create(f"on B {i}") for i in range(3)]
    for i, session in enumerate(sessions):
        session.rename(f"{session.name}, edited")
        (a if i % 2 else b).save(session)
    snapshot_of = a.snapshot(sessions[0].id, "before the restart")
    del a, b
    c, d = replicas(blobs)
    for session in sessions:
        assert c.get(session.id).name == session.name and d.get(session.id).name == session.name
    assert c.snapshots(sessions[0].id) == [snapshot_of]
