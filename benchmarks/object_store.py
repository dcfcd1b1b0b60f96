"""Session store latency on a loopback S3 server against the local folder (issue 13).

    .venv/bin/python -m benchmarks.object_store [--rows 1000] [--repeats 5]

Starts moto's S3 server in its own process on loopback (tests/store/s3_server.py), builds a
session of 1,000 experiments x 10 variables, and prints, for the local folder and for a bucket,
the median of a few runs of:

  put/get 1 KB   one small object through the BlobStore: the cost of one round trip
  save           store.save of a new session: the whole session written
  load           a new store's get(id): nothing cached, everything read
  edit           store.commit after one changed cell: a small delta written

Target: the object store within 2x of the folder for save, load and edit.
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


def store_latency(make_storage, session: Session, repeats: int) -> dict[str, float]:
    keys = KeyRing.from_mapping(KEYS)
    store = SessionStore(make_storage(), TTL, keys=keys)
    store.save(session)  # warm up: imports, connections, first write
    results = {"save (new session)": median_seconds(lambda: store.save(fresh_copy(session)), repeats)}
    results["load (new store, cold)"] = median_seconds(
        lambda: SessionStore(make_storage(), TTL, keys=keys).get(session.id), repeats)
    column = "x1"
    position = session.experiments.frame.columns.get_loc(column)
    edits = iter(range(10**6))

    def edit() -> None:
        session.experiments.frame.iat[next(edits) % len(session.experiments), position] = 2.0 + next(edits) % 89
        store.commit(session, columns=[column])

    results["edit (one cell)"] = median_seconds(edit, repeats)
    again = SessionStore(make_storage(), TTL, keys=keys).get(session.id)
    assert again is not None and again.experiments.frame.equals(session.experiments.frame), "every edit kept"
    return results


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
        backends = {
            "folder": lambda: FolderBlobs(Path(folder) / "store"),
            "s3 (loopback)": lambda: ObjectBlobs(url, server.options()),
        }
        table: dict[str, dict[str, float]] = {}
        for name, make in backends.items():
            table[name] = blob_latency(make(), args.repeats)
            table[name].update(store_latency(make, session, args.repeats))
    rows = list(next(iter(table.values())))
    print(f"  {'':<30}{'folder':>12}{'s3 (loopback)':>16}{'ratio':>8}")
    for row in rows:
        local, remote = table["folder"][row], table["s3 (loopback)"][row]
        print(f"  {row:<30}{local * 1000:>10.1f} ms{remote * 1000:>13.1f} ms{remote / local:>7.1f}x")


if __name__ == "__main__":
    start = time.perf_counter()
    main(sys.argv[1:])
    print(f"({time.perf_counter() - start:.0f} s in all)")
