"""The contract of a BlobStore (alchemist.store.blobs), for every backend the store can run on."""

from __future__ import annotations

import threading
from datetime import timezone

import pytest

from alchemist.store.blobs import ABSENT, BlobStore, ChangedMeanwhile


def test_is_a_blob_store(blobs):
    assert isinstance(blobs, BlobStore)
    assert blobs.describe()


def test_get_of_nothing_is_none(blobs):
    assert blobs.get("sessions/nothing") is None


def test_create_only_once(blobs):
    version = blobs.put("sessions/a/rev-1", b"one", expected=ABSENT)
    with pytest.raises(ChangedMeanwhile):
        blobs.put("sessions/a/rev-1", b"two", expected=ABSENT)
    found = blobs.get("sessions/a/rev-1")
    assert (found.data, found.version) == (b"one", version)


def test_compare_and_swap(blobs):
    first = blobs.put("k", b"1")
    second = blobs.put("k", b"2", expected=first)
    assert second != first
    with pytest.raises(ChangedMeanwhile):
        blobs.put("k", b"stale", expected=first)
    assert blobs.get("k").data == b"2"
    with pytest.raises(ChangedMeanwhile):
        blobs.put("never-written", b"x", expected=second)
    assert blobs.get("never-written") is None


def test_every_write_has_a_new_version_even_with_the_same_bytes(blobs):
    versions = [blobs.put("k", b"same") for _ in range(5)]
    assert len(set(versions)) == 5
    assert blobs.get("k").version == versions[-1]


def test_list_by_prefix(blobs):
    blobs.put("sessions/a/checkpoint", b"12345")
    blobs.put("sessions/a/rev-1", b"1")
    blobs.put("sessions/b/checkpoint", b"xy")
    blobs.put("quarantine/a.1", b"bad")
    listed = {info.key: info for info in blobs.list("sessions/")}
    assert set(listed) == {"sessions/a/checkpoint", "sessions/a/rev-1", "sessions/b/checkpoint"}
    assert listed["sessions/a/checkpoint"].size == 5
    assert listed["sessions/a/checkpoint"].version == blobs.get("sessions/a/checkpoint").version
    assert listed["sessions/a/checkpoint"].modified.tzinfo is not None
    assert listed["sessions/a/checkpoint"].modified.utcoffset() == timezone.utc.utcoffset(None)
    assert {info.key for info in blobs.list("sessions/a/")} == {"sessions/a/checkpoint", "sessions/a/rev-1"}
    assert blobs.list("nothing/") == []
    assert len(blobs.list("")) == 4


def test_delete_if_unchanged(blobs):
    assert blobs.delete("k") is False
    first = blobs.put("k", b"1")
    second = blobs.put("k", b"2", expected=first)
    with pytest.raises(ChangedMeanwhile):
        blobs.delete("k", expected=first)
    assert blobs.get("k").data == b"2"
    assert blobs.delete("k", expected=second) is True
    assert blobs.get("k") is None
    assert blobs.delete("k", expected=second) is False


def test_a_deleted_session_leaves_nothing_listed(blobs):
    blobs.put("sessions/a/checkpoint", b"1")
    blobs.delete("sessions/a/checkpoint")
    assert blobs.list("sessions/") == []
    blobs.put("sessions/a/checkpoint", b"2", expected=ABSENT)  # and can be made again
    assert blobs.get("sessions/a/checkpoint").data == b"2"


@pytest.mark.parametrize("key", ["", "/abs", "../escape", "a/../b", "a//b", ".hidden", "a/.tmp", "a b", "a\\b",
                                 "x" * 129, "a/b/c/d/e"])
def test_keys_outside_the_rules_are_refused(blobs, key):
    with pytest.raises(ValueError):
        blobs.put(key, b"x")
    with pytest.raises(ValueError):
        blobs.get(key)


@pytest.mark.parametrize("prefix", ["sessions", "/", "../", "a//"])
def test_prefixes_outside_the_rules_are_refused(blobs, prefix):
    with pytest.raises(ValueError):
        blobs.list(prefix)


def add_by_compare_and_swap(blobs, times: int) -> None:
    """Add 1 to the object "counter" `times` times, re-reading and retrying whenever another writer came first."""
    for _ in range(times):
        while True:
            found = blobs.get("counter")
            try:
                blobs.put("counter", str(int(found.data) + 1).encode(), expected=found.version)
                break
            except ChangedMeanwhile:
                continue


def test_no_lost_update_between_threads(blobs):
    """Writers that re-read and retry on ChangedMeanwhile never lose an increment."""
    blobs.put("counter", b"0")
    threads = [threading.Thread(target=add_by_compare_and_swap, args=(blobs, 15)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert blobs.get("counter").data == b"60"
