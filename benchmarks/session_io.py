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
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta

import numpy as np
import pandas as pd

from alchemist.persistence import SessionStore, envelope_for
from alchemist.plain import utc_now
from alchemist.session import Session
from alchemist.userfiles import decode_session_file, encode_session_file
from alchemist.variables import CategoricalVariable, ContinuousVariable, IntegerVariable


def build_session(n_rows: int, seed: int = 0) -> Session:
    rng = np.random.default_rng(seed)
    session = Session.new(f"Benchmark: {n_rows} experiments x 10 variables")
    variables = [
        ContinuousVariable(f"x{i}", unit="a.u.", description=f"continuous factor {i}", low=0, high=100)
        for i in range(6)
    ]
    variables += [IntegerVariable(f"n{i}", unit="count", low=1, high=50) for i in range(3)]
    variables.append(CategoricalVariable("Catalyst", levels=("Pt", "Pd", "Rh", "Ru", "Ni")))
    for variable in variables:
        session.add_variable(variable)

    data: dict[str, object] = {}
    for i in range(6):
        data[f"x{i}"] = rng.uniform(0, 100, n_rows)
    for i in range(3):
        data[f"n{i}"] = rng.integers(1, 51, n_rows)
    data["Catalyst"] = rng.choice(["Pt", "Pd", "Rh", "Ru", "Ni"], n_rows)
    data["Yield"] = rng.normal(50, 10, n_rows)
    data["Iteration"] = np.repeat(np.arange(n_rows // 10 + 1), 10)[:n_rows]
    data["Note"] = np.where(rng.random(n_rows) < 0.2, "repeat of the previous run", "")
    frame = pd.DataFrame(data)
    # A few gaps and invalid cells, as a real campaign has.
    frame = frame.astype({"x0": object, "Yield": object})
    frame.loc[frame.index[::97], "Yield"] = None
    frame.loc[frame.index[::499], "x0"] = "n/a"
    session.add_experiments(frame, target="Yield")
    assert len(session.experiments) == n_rows
    return session


def median_seconds(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
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
        results["  part: encode (check + dill.dumps)"] = median_seconds(lambda: encode_session_file(envelope), args.repeats)
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
