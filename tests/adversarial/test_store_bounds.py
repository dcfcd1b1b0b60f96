"""Hostile sizes and settings against the session store: budgets hold, and nothing already stored is lost."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from alchemist import limits
from alchemist.errors import LimitError, SessionFileError, StorageError
from alchemist.persistence import MAX_TTL, SessionStore
from alchemist.session import Session, new_session_id
from alchemist.variables import ContinuousVariable
from tests.adversarial.child import run_in_child

MIB = 1024 * 1024
DAY = timedelta(days=1)


@pytest.fixture
def small_limits():
    before = limits.current()
    limits.configure(limits.Limits(session_bytes=1 * MIB, cache_bytes=16 * MIB))
    yield limits.current()
    limits.configure(before)


def big_session(rows: int) -> Session:
    """A session whose file is large: random numbers compress badly."""
    session = Session.new("big")
    for name in ("a", "b", "c"):
        session.add_variable(ContinuousVariable(name, low=0.0, high=1.0))
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.random((rows, 4)), columns=["a", "b", "c", "y"])
    session.add_experiments(frame, target="y")
    return session


def test_a_session_over_its_budget_is_refused_on_the_bytes_to_write(tmp_path, small_limits):
    store = SessionStore(tmp_path / "cache", ttl=DAY)
    kept = store.create("kept")
    big = big_session(60_000)
    with pytest.raises(LimitError) as refused:
        store.save(big)
    assert refused.value.limit == "session_bytes" and "MiB" in refused.value.message
    assert not store.path_of(big.id).exists()
    assert store.get(kept.id).name == "kept"
    assert len(store.export(big)) > small_limits.session_bytes, "the user's own download still works"


def test_a_full_cache_refuses_new_sessions_until_expired_ones_make_room(tmp_path, small_limits):
    root = tmp_path / "cache"
    (root / "sessions").mkdir(parents=True)
    filler = root / "sessions" / f"{new_session_id()}.pkl"
    with open(filler, "wb") as handle:  # sparse: counts 16 MiB, costs no disk
        handle.truncate(small_limits.cache_bytes)
    store = SessionStore(root, ttl=DAY)
    with pytest.raises(StorageError, match="cache of this server is full"):
        store.create()
    then = time.time() - 2 * 86400
    os.utime(filler, (then, then))
    session = store.create()  # the save sweeps the expired filler first
    assert store.get(session.id) is not None and not filler.exists()


@pytest.mark.parametrize("days", [3_000_000, 3651])  # 1e10 days is no timedelta at all: refused by configured_ttl
def test_a_huge_time_to_live_is_refused_by_the_store_and_the_largest_allowed_saves(tmp_path, days):
    with pytest.raises(ValueError):
        SessionStore(tmp_path / "a", ttl=timedelta(days=days))
    store = SessionStore(tmp_path / "b", ttl=MAX_TTL)
    session = store.create()
    assert store.get(session.id) is not None and store.export(session, "json")


def test_an_export_carries_no_live_id_and_cannot_overwrite_the_live_session(tmp_path):
    store = SessionStore(tmp_path / "cache", ttl=DAY)
    live = store.create("live")
    for fmt in ("pkl", "json"):
        data = store.export_session(live.id, fmt)
        assert live.id.encode() not in data
        export_id = decode_id(data, fmt)
        assert export_id == decode_id(store.export_session(live.id, fmt), fmt), "stable: clean diffs"
        assert store.get(export_id) is None, "the export id opens nothing"
        imported = store.import_session(data, f"x.{fmt}")
        assert imported != live.id
        copy = store.get(imported)
        copy.rename(f"holder of the {fmt}")
        store.save(copy)
    assert store.get(live.id).name == "live"


def decode_id(data: bytes, fmt: str) -> str:
    from alchemist.files.container import decode_session_file
    from alchemist.files.strict_json import decode_session_json

    return (decode_session_json(data) if fmt == "json" else decode_session_file(data))["session"]["id"]


def test_paths_come_only_from_ids(tmp_path):
    store = SessionStore(tmp_path / "cache", ttl=DAY)
    for bad in ("../x", "a/b", "", "x" * 200):
        assert store.get(bad) is None
        with pytest.raises(ValueError):
            store.path_of(bad)
    with pytest.raises((ValueError, SessionFileError)):
        store.export_session("../../etc/passwd")


FULL_DISK = """
import json, resource, signal, sys
from datetime import timedelta
from pathlib import Path
import numpy as np, pandas as pd
from alchemist.errors import StorageError
from alchemist.persistence import SessionStore
from alchemist.session import Session
from alchemist.variables import ContinuousVariable

root = Path(sys.argv[1])
store = SessionStore(root, ttl=timedelta(days=1))
session = store.create("kept")
session.add_variable(ContinuousVariable("a", low=0.0, high=1.0))
store.save(session)

# From here the kernel refuses any write past 256 kB (EFBIG, with SIGXFSZ ignored as a server
# would): a real write failure from the file system, not a wrapped function.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, resource.RLIM_INFINITY))
rows = pd.DataFrame({"a": np.random.default_rng(0).random(40_000), "Output": 1.0})
session.add_experiments(rows, target="Output")
try:
    store.save(session)
    refused = None
except StorageError as error:
    refused = error.message
stored = store.get(session.id)
leftovers = sorted(p.name for p in (root / "sessions").iterdir() if p.name.endswith(".tmp"))

# Space comes back: the same session object, kept in memory, saves.
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
store.save(session)
print(json.dumps({"refused": refused, "stored_rows": len(stored.experiments), "stored_variables": len(stored.variables),
                  "leftovers": leftovers, "saved_rows": len(store.get(session.id).experiments)}))
"""


def test_a_disk_that_refuses_writes_keeps_the_stored_session_and_saves_once_it_can(tmp_path):
    facts = run_in_child("full_disk", FULL_DISK, str(tmp_path / "cache"))
    assert facts["refused"] and "Your work is kept" in facts["refused"]
    assert facts["stored_variables"] == 1 and facts["stored_rows"] == 0, "the last good save is intact"
    assert facts["leftovers"] == [], "no partial file is left behind"
    assert facts["saved_rows"] == 40_000, "nothing was lost: the save goes through once the disk can take it"


def test_an_upload_that_lzma_packs_well_stays_small_in_the_cache(tmp_path):
    # Issue 7: 1.2 MB of lzma became a 41.6 MB cache file for 7 days. The cache compresses too.
    session = Session.new("notes")
    session.add_variable(ContinuousVariable("a", low=0.0, high=1.0))
    rows = 50_000
    values = np.random.default_rng(0).random(rows).round(3)
    session.add_experiments(pd.DataFrame({"a": values, "Output": values, "Note": ["x" * 800] * rows}), target="Output")
    store = SessionStore(tmp_path / "cache", ttl=DAY)
    upload = store.export(session, "pkl", compression="lzma")
    opened = store.import_session(upload, "notes.pkl")
    cached = store.path_of(opened).stat().st_size
    # 40 MB of notes: about 0.1 MB as lzma, about 0.3 MB as the cache's zlib.
    assert len(upload) < 400_000 and cached < 1_000_000, (len(upload), cached)
    assert len(store.get(opened).experiments) == rows
