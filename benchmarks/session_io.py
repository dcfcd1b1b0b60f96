"""How long saving and loading a large session takes, and how big its file is.

    .venv/bin/python -m benchmarks.session_io [--rows 10000] [--repeats 5]

Builds a session of 10,000 experiments x 10 variables (6 continuous, 3 integer, 1 categorical,
with notes, iterations, a few gaps and a few invalid cells, no trained model), then times the
store's operations on a temporary folder and prints the median of a few runs of each:

  save     store.save(copy)             a new session stored whole: state -> signed file -> storage
  load     new store, store.get(id)     nothing cached: read -> verify -> restricted unpickle -> Session
  edit     version + commit(columns)    one cell changed, as the app does it (the version check at the
                                        start of the run, then the commit): a small signed record
  export   store.export_session(id)     load + encode: the bytes of the downloaded file
  import   store.import_session(bytes)  decode + checks + new id + save
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd

from alchemist.persistence import SessionStore, envelope_for
from alchemist.plain import utc_now
from alchemist.session import Session, new_session_id
from alchemist.files.container import decode_session_file, encode_session_file
from benchmarks.campaign import build_session, machine_line, median_seconds


def fresh_copy(session: Session) -> Session:
    copy = Session.from_state(session.to_state())
    copy.id = new_session_id()
    return copy


def stored_bytes(folder: str) -> int:
    """Every byte the store holds for its sessions (one file, or a checkpoint and revisions)."""
    return sum(p.stat().st_size for p in Path(folder, "sessions").rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    print(machine_line())
    start = time.perf_counter()
    session = build_session(args.rows)
    print(f"Built a session of {args.rows:,} experiments x {len(session.variables)} variables "
          f"in {time.perf_counter() - start:.1f} s")

    with tempfile.TemporaryDirectory() as folder:
        store = SessionStore(folder, ttl=timedelta(days=7))
        store.save(session)  # warm up (imports, first fsync)
        size = stored_bytes(folder)

        results = {}
        results["save   store.save (a new session)"] = median_seconds(lambda: store.save(fresh_copy(session)), args.repeats)
        loaded = []
        results["load   store.get (new store, cold)"] = median_seconds(
            lambda: loaded.append(SessionStore(folder, ttl=timedelta(days=7)).get(session.id)), args.repeats
        )
        column = "x1"
        position = session.experiments.frame.columns.get_loc(column)
        edits = iter(range(10**6))

        def edit() -> None:
            # As the app does it: the version check at the start of the run, then the commit.
            session.experiments.frame.iat[next(edits) % args.rows, position] = 2.0 + next(edits) % 89
            store.version(session.id)
            store.commit(session, columns=[column])

        results["edit   version + commit (one cell)"] = median_seconds(edit, args.repeats)
        exported = []
        results["export store.export_session"] = median_seconds(
            lambda: exported.append(store.export_session(session.id)), args.repeats
        )
        results["import store.import_session"] = median_seconds(
            lambda: store.import_session(exported[-1]), args.repeats
        )
        # The parts of a save and a load, to see where the time goes.
        envelope = envelope_for(session, utc_now(), store.ttl)
        data = encode_session_file(envelope)
        results["  part: session.to_state"] = median_seconds(session.to_state, args.repeats)
        results["  part: encode (check + pickle.dumps)"] = median_seconds(lambda: encode_session_file(envelope), args.repeats)
        results["  part: decode (scan + unpickle + check)"] = median_seconds(lambda: decode_session_file(data), args.repeats)
        results["  part: Session.from_state"] = median_seconds(
            lambda: Session.from_state(envelope["session"]), args.repeats
        )
        again = SessionStore(folder, ttl=timedelta(days=7)).get(session.id)  # every edit kept
        assert again is not None and len(again.experiments) == args.rows
        pd.testing.assert_frame_equal(again.experiments.frame, session.experiments.frame)
        assert again.statuses() == session.statuses()

    print(f"Median of {args.repeats} runs:")
    for name, seconds in results.items():
        print(f"  {name:<42} {seconds:8.3f} s")
    print(f"  {'stored size':<42} {size / 1e6:8.2f} MB ({size:,} bytes)")
    print(f"  {'exported file size':<42} {len(exported[-1]) / 1e6:8.2f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
