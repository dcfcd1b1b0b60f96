"""Session store latency on a loopback S3 server against the local folder (issue 13).

    .venv/bin/python -m benchmarks.object_store [--rows 1000] [--repeats 5]

Starts moto's S3 server in its own process on loopback (tests/store/s3_server.py), builds a
session of 1,000 experiments x 10 variables, and prints, for the local folder and for a bucket,
the median of a few runs of:

  put/get 1 KB   one small object through the BlobStore: the cost of one round trip
  save           store.save of a new session: the whole session written
  load           a new SessionStore's get(id) on the process's storage: nothing cached in the
                 store, the connection kept (as in the app, where the storage lives as long as
                 the process)
  edit           store.commit after one changed cell: a small delta written

and how many storage calls (round trips) each made. Target: the object store within 2x of the
folder for save, load and edit. moto answers in a few ms of Python per request; MinIO or S3 in the
same data centre answer in about a millisecond, so these figures are an upper bound.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from alchemist.files.signing import KeyRing
from alchemist.persistence import SessionStore
from alchemist.session import Session, new_session_id
from alchemist.store.blobs import BlobStore
from alchemist.store.folder_blobs import FolderBlobs
from alchemist.store.object_blobs import ObjectBlobs
from benchmarks.campaign import build_session, machine_line, median_seconds
from tests.store.s3_server import S3Server

TTL = timedelta(days=7)
KEYS = {"bench-1": "a benchmark signing key of enough length"}


def fresh_copy(session: Session) -> Session:
    copy = Session.from_state(session.to_state())
    copy.id = new_session_id()
    return copy


def blob_latency(blobs: BlobStore, repeats: int) -> dict[str, float]:
    data = b"x" * 1024
    version = blobs.put("bench/small", data)
    versions = [version]

    def put() -> None:
        versions.append(blobs.put("bench/small", data, expected=versions[-1]))

    return {"put 1 KB (compare-and-swap)": median_seconds(put, repeats * 4),
            "get 1 KB": median_seconds(lambda: blobs.get("bench/small"), repeats * 4)}


class Counted:
    """A BlobStore that counts the calls made through it: each is one round trip to the storage."""

    def __init__(self, inner: BlobStore) -> None:
        self.inner, self.calls = inner, 0

    def describe(self) -> str:
        return self.inner.describe()

    def get(self, key):
        self.calls += 1
        return self.inner.get(key)

    def put(self, key, data, expected=None):
        self.calls += 1
        return self.inner.put(key, data, expected)

    def list(self, prefix):
        self.calls += 1
        return self.inner.list(prefix)

    def delete(self, key, expected=None):
        self.calls += 1
        return self.inner.delete(key, expected)


def calls_of(storage: Counted, action) -> int:
    before = storage.calls
    action()
    return storage.calls - before


def store_latency(storage: Counted, session: Session, repeats: int) -> tuple[dict[str, float], dict[str, int]]:
    keys = KeyRing.from_mapping(KEYS)
    store = SessionStore(storage, TTL, keys=keys)
    store.save(session)  # warm up: imports, connections, first write
    calls = {"save (new session)": calls_of(storage, lambda: store.save(fresh_copy(session)))}
    results = {"save (new session)": median_seconds(lambda: store.save(fresh_copy(session)), repeats)}
    cold = SessionStore(storage, TTL, keys=keys)  # its own start-up listing is not part of a load
    calls["load (new store, cold)"] = calls_of(storage, lambda: cold.get(session.id))

    colds = iter([SessionStore(storage, TTL, keys=keys) for _ in range(repeats)])
    results["load (new store, cold)"] = median_seconds(lambda: next(colds).get(session.id), repeats)
    column = "x1"
    position = session.experiments.frame.columns.get_loc(column)
    edits = iter(range(10**6))

    def edit() -> None:
        session.experiments.frame.iat[next(edits) % len(session.experiments), position] = 2.0 + next(edits) % 89
        store.commit(session, columns=[column])

    calls["edit (one cell)"] = calls_of(storage, edit)
    results["edit (one cell)"] = median_seconds(edit, repeats)
    again = SessionStore(storage, TTL, keys=keys).get(session.id)
    assert again is not None and again.experiments.frame.equals(session.experiments.frame), "every edit kept"
    return results, calls


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(machine_line())
    session = build_session(args.rows)
    print(f"A session of {args.rows:,} experiments x {len(session.variables)} variables; "
          f"median of {args.repeats} runs (blob calls: {args.repeats * 4})")
    with tempfile.TemporaryDirectory() as folder, S3Server(Path(folder) / "s3.log") as server:
        url = f"s3://{server.new_bucket()}/alchemist"
        backends = {"folder": FolderBlobs(Path(folder) / "store"), "s3 (loopback)": ObjectBlobs(url, server.options())}
        table: dict[str, dict[str, float]] = {}
        calls: dict[str, dict[str, int]] = {}
        for name, storage in backends.items():
            table[name] = blob_latency(storage, args.repeats)
            times, calls[name] = store_latency(Counted(storage), session, args.repeats)
            table[name].update(times)
    print(f"  {'':<30}{'folder':>12}{'s3 (loopback)':>16}{'ratio':>8}{'calls':>8}")
    for row in table["folder"]:
        local, remote = table["folder"][row], table["s3 (loopback)"][row]
        count = calls["s3 (loopback)"].get(row, 1)
        print(f"  {row:<30}{local * 1000:>10.1f} ms{remote * 1000:>13.1f} ms{remote / local:>7.1f}x{count:>8}")


if __name__ == "__main__":
    start = time.perf_counter()
    main(sys.argv[1:])
    print(f"({time.perf_counter() - start:.0f} s in all)")
