"""Two app processes on one bucket (issue 13): each a separate OS process with its own SessionStore
on the same moto bucket, as two replicas of the app behind a load balancer.

A `Replica` is a child process (spawned, so nothing is shared but the bucket) that holds one store
and the sessions it has open, as a browser tab on that replica would: its copy, the version and
the revision it read. The test sends it actions and gets plain answers back. Between the replicas
and the server stands a proxy the test can cut, to take the storage away in the middle of the
work and bring it back with everything it held.
"""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from typing import Any, Iterator

import pytest

from alchemist.errors import ConflictError, StorageError
from alchemist.files.signing import KeyRing
from alchemist.persistence import SessionStore
from alchemist.session import new_session_id
from alchemist.store.object_blobs import ObjectBlobs
from tests.store.s3_server import CuttableProxy

TTL = timedelta(days=7)
KEYS = {"2026-11": "the replicas' shared signing key"}
ROWS = 40
WEEK_AND_A_DAY = 8 * 24 * 3600


# -- inside a replica -------------------------------------------------------------------------
class Tab:
    """What a browser tab keeps of one session: its copy, and the version and revision it is at."""

    def __init__(self, opened) -> None:
        self.session, self.version, self.number = opened.session, opened.version, opened.number
        self.unsaved = False


def _serve(conn, url: str, options: dict) -> None:
    store = SessionStore(ObjectBlobs(url, options, cooldown=0.0), TTL, keys=KeyRing.from_mapping(KEYS))
    tabs: dict[str, Tab] = {}
    while True:
        name, args = conn.recv()
        if name == "stop":
            conn.send(("ok", None))
            return
        try:
            conn.send(("ok", ACTIONS[name](store, tabs, *args)))
        except Exception as error:  # sent back whole: the test asserts on its type and words
            conn.send(("error", type(error).__name__, getattr(error, "message", str(error))))


def _new(store: SessionStore, tabs: dict, rows: int) -> str:
    from benchmarks.campaign import build_session

    session = build_session(rows)
    session.id = new_session_id()
    store.save(session)
    return session.id


def _open(store: SessionStore, tabs: dict, session_id: str) -> int:
    opened = store.checkout(session_id)
    tabs[session_id] = Tab(opened)
    return opened.number


def _commit(store: SessionStore, tab: Tab, column: str) -> str:
    """ui.state.commit, without Streamlit: 'saved', 'conflict: <words>', or 'unsaved: <words>'."""
    try:
        committed = store.commit(tab.session, base=tab.number, expected_version=tab.version, columns=[column])
    except ConflictError as error:
        return f"conflict: {error.message}"
    except StorageError as error:
        tab.unsaved = True  # kept in memory, saved at the next action
        return f"unsaved: {error.message}"
    tab.unsaved = False
    if committed.merged is not None:
        tab.session = committed.merged
    tab.version, tab.number = committed.version, committed.number
    return "saved"


def _edit(store: SessionStore, tabs: dict, session_id: str, column: str, cells: list[tuple[int, float]]) -> list[str]:
    """Set each cell and commit it, as a user editing one cell after another; the outcome of each."""
    tab = tabs[session_id]
    position = tab.session.experiments.frame.columns.get_loc(column)
    outcomes = []
    for row, value in cells:
        tab.session.experiments.frame.iat[row, position] = value
        outcomes.append(_commit(store, tab, column))
    return outcomes


def _save_again(store: SessionStore, tabs: dict, session_id: str, column: str) -> str:
    """The next action of a tab holding unsaved changes: try to store them again."""
    return _commit(store, tabs[session_id], column)


def _cells(store: SessionStore, tabs: dict, session_id: str, column: str) -> list[float] | None:
    """The column as stored now, read by a fresh store (nothing cached)."""
    fresh = SessionStore(store.storage, TTL, keys=store.keys).get(session_id)
    return None if fresh is None else [float(v) for v in fresh.experiments.frame[column]]


def _tab_cells(store: SessionStore, tabs: dict, session_id: str, column: str) -> list[float]:
    return [float(v) for v in tabs[session_id].session.experiments.frame[column]]


def _sweep(store: SessionStore, tabs: dict) -> list[str]:
    return store.sweep()


def _revisions(store: SessionStore, tabs: dict, session_id: str) -> int:
    return store.checkout(session_id).number


ACTIONS = {"new": _new, "open": _open, "edit": _edit, "save_again": _save_again, "cells": _cells,
           "tab_cells": _tab_cells, "sweep": _sweep, "revisions": _revisions}


# -- the test's side ------------------------------------------------------------------------------
class ReplicaFailed(Exception):
    pass


class Replica:
    """An app process: a spawned child with its own store on the bucket."""

    def __init__(self, url: str, options: dict) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, url, options), daemon=True)
        self.process.start()
        child.close()

    def send(self, name: str, *args: Any) -> None:
        self.conn.send((name, args))

    def receive(self, timeout: float = 120) -> Any:
        if not self.conn.poll(timeout):
            raise ReplicaFailed("the replica did not answer")
        answer = self.conn.recv()
        if answer[0] == "error":
            raise ReplicaFailed(f"{answer[1]}: {answer[2]}")
        return answer[1]

    def call(self, name: str, *args: Any) -> Any:
        self.send(name, *args)
        return self.receive()

    def stop(self) -> None:
        if self.process.is_alive():
            try:
                self.call("stop")
            except (ReplicaFailed, OSError):
                pass
            self.process.join(30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(30)

    def kill(self) -> None:
        """The process dies at once, as in a crash or a Cloud reboot: nothing is flushed."""
        self.process.kill()
        self.process.join(30)


def both(first: Replica, second: Replica, name: str, *args_of_each: tuple) -> tuple[Any, Any]:
    """The same action on both replicas at once: both sent before either answer is read."""
    first.send(name, *args_of_each[0])
    second.send(name, *args_of_each[1])
    return first.receive(), second.receive()


@pytest.fixture
def proxy(s3_server) -> Iterator[CuttableProxy]:
    cut = CuttableProxy(s3_server.port).start()
    yield cut
    cut.cut()


@pytest.fixture
def replicas(s3_server, s3_url, proxy) -> Iterator[tuple[Replica, Replica]]:
    options = s3_server.options(proxy.endpoint)
    pair = Replica(s3_url, options), Replica(s3_url, options)
    yield pair
    for replica in pair:
        replica.stop()


def test_concurrent_edits_lose_nothing(replicas):
    first, second = replicas
    session_id = first.call("new", ROWS)
    both(first, second, "open", (session_id,), (session_id,))
    # Both edit the same session at the same time, each from its own copy: different cells.
    ones = [(row, 1000.0 + row) for row in range(10)]
    twos = [(row, 2000.0 + row) for row in range(10, 20)]
    outcomes = both(first, second, "edit", (session_id, "x1", ones), (session_id, "x1", twos))
    assert outcomes == (["saved"] * 10, ["saved"] * 10), "each change applied on top of the other's"
    stored = first.call("cells", session_id, "x1")
    assert stored[:20] == [value for _, value in ones + twos]
    assert second.call("cells", session_id, "x1") == stored
    assert first.call("revisions", session_id) == 1 + 20


def test_the_same_cell_from_both_is_a_named_conflict(replicas):
    first, second = replicas
    session_id = first.call("new", ROWS)
    both(first, second, "open", (session_id,), (session_id,))
    assert first.call("edit", session_id, "x2", [(3, 111.0)]) == ["saved"]
    [outcome] = second.call("edit", session_id, "x2", [(3, 222.0)])
    assert outcome.startswith("conflict: ") and "not applied" in outcome and "Nothing was overwritten" in outcome
    assert "column 'x2'" in outcome, "the conflict names where both changes meet"
    assert second.call("cells", session_id, "x2")[3] == 111.0, "the first change stands"


def test_a_sweep_from_both_at_once(replicas, s3_server, s3_url):
    first, second = replicas
    old = [first.call("new", 5) for _ in range(4)]
    reopened = first.call("new", 5)
    fresh = second.call("new", 5)
    bucket, prefix = s3_url.removeprefix("s3://").split("/", 1)
    for session_id in old + [reopened]:
        assert s3_server.age(bucket, f"{prefix}/sessions/{session_id}/", WEEK_AND_A_DAY) > 0
    second.call("open", reopened)  # a visitor opens it after a week: alive again
    swept = both(first, second, "sweep", (), ())
    assert set(swept[0]) | set(swept[1]) == set(old)
    for session_id in old:
        assert first.call("cells", session_id, "x1") is None
    for session_id in (reopened, fresh):
        assert len(second.call("cells", session_id, "x1")) == 5


def test_a_restart_of_both_loses_nothing(s3_server, s3_url, proxy):
    options = s3_server.options(proxy.endpoint)
    first, second = Replica(s3_url, options), Replica(s3_url, options)
    session_id = first.call("new", ROWS)
    both(first, second, "open", (session_id,), (session_id,))
    both(first, second, "edit", (session_id, "x3", [(0, 1.5), (1, 2.5)]), (session_id, "x4", [(0, 3.5)]))
    first.kill()
    second.kill()
    first, second = Replica(s3_url, options), Replica(s3_url, options)
    try:
        assert first.call("cells", session_id, "x3")[:2] == [1.5, 2.5]
        assert second.call("cells", session_id, "x4")[0] == 3.5
        assert second.call("revisions", session_id) == 1 + 3
    finally:
        first.stop()
        second.stop()


def test_storage_going_away_mid_save_and_coming_back(replicas, proxy):
    first, second = replicas
    session_id = first.call("new", ROWS)
    both(first, second, "open", (session_id,), (session_id,))
    proxy.cut()
    [outcome] = first.call("edit", session_id, "x1", [(5, 555.0)])
    assert outcome.startswith("unsaved: ") and "cannot be reached" in outcome
    assert first.call("tab_cells", session_id, "x1")[5] == 555.0, "the change is kept in memory"
    with pytest.raises(ReplicaFailed, match="StorageError|ObjectStoreError"):
        second.call("cells", session_id, "x1")  # the other replica cannot read either: an error, not a hang
    proxy.restore()
    assert first.call("save_again", session_id, "x1") == "saved", "saved when storage is back"
    assert second.call("cells", session_id, "x1")[5] == 555.0, "and the other replica sees it"
