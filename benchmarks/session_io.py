"""How long saving and loading a large session takes, and how big its file is.

    .venv/bin/python -m benchmarks.session_io [--rows 10000] [--repeats 5]

Builds a session of 10,000 experiments x 10 variables (6 continuous, 3 integer, 1 categorical,
with notes, iterations, a few gaps and a few invalid cells, no trained model), then times the
store's operations on a temporary folder and prints the median of a few runs of each:

  save     store.save(session)          state -> restricted pickle -> atomic write + fsync
  load     store.get(id)                read -> opcode scan -> restricted unpickle -> checks -> Session
  export   store.export_session(id)     load + encode: the bytes of the downloaded file
  import   store.import_session(bytes)  decode + checks + new id + save
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta

import pandas as pd

from alchemist.persistence import SessionStore, envelope_for
from alchemist.plain import utc_now
from alchemist.session import Session
from alchemist.files.container import decode_session_file, encode_session_file
from benchmarks.campaign import build_session, machine_line, median_seconds


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
        path = store.sessions_dir / f"{session.id}.pkl"

        results = {}
        results["save   store.save"] = median_seconds(lambda: store.save(session), args.repeats)
        loaded = []
        results["load   store.get (from disk)"] = median_seconds(lambda: loaded.append(store.get(session.id)), args.repeats)
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
        size = path.stat().st_size

        again = loaded[-1]
        assert again is not None and len(again.experiments) == args.rows
        pd.testing.assert_frame_equal(again.experiments.frame, session.experiments.frame)
        assert again.statuses() == session.statuses()

    print(f"Median of {args.repeats} runs:")
    for name, seconds in results.items():
        print(f"  {name:<42} {seconds:8.3f} s")
    print(f"  {'file size':<42} {size / 1e6:8.2f} MB ({size:,} bytes)")
    print(f"  {'exported file size':<42} {len(exported[-1]) / 1e6:8.2f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
