"""How long one sweep of a cache of many sessions takes (none expired: the usual hourly case).

    .venv/bin/python -m benchmarks.sweep [--sessions 10000] [--rows 20] [--repeats 3]

Saves one small session (`--rows` experiments), copies its objects (a checkpoint and the claim of
its revision number, alchemist.store.layout) under `--sessions` ids, then prints the median time
of `store.sweep()` over a few runs. The sweep judges expiry from one listing and reads no session;
the sweep before issue 7 read and decoded every file (5-7 s for 10,000 sessions).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pandas as pd

from alchemist.persistence import SessionStore
from alchemist.session import Session, new_session_id
from alchemist.variables import ContinuousVariable
from benchmarks.campaign import machine_line, median_seconds


def filled_store(root: Path, sessions: int, rows: int) -> SessionStore:
    store = SessionStore(root, ttl=timedelta(days=7))
    session = Session.new("sweep benchmark")
    for name in ("a", "b", "c"):
        session.add_variable(ContinuousVariable(name, low=0.0, high=1.0))
    values = [i / max(rows, 1) for i in range(rows)]
    session.add_experiments(pd.DataFrame({"a": values, "b": values, "c": values, "y": values}), target="y")
    store.save(session)
    source = store.sessions_dir / session.id
    for _ in range(sessions - 1):
        shutil.copytree(source, store.sessions_dir / new_session_id())
    return SessionStore(root, ttl=timedelta(days=7))  # a fresh store, as after a restart


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(machine_line())
    with tempfile.TemporaryDirectory() as folder:
        store = filled_store(Path(folder) / "cache", args.sessions, args.rows)
        size = sum(p.stat().st_size for p in store.sessions_dir.rglob("*") if p.is_file())
        print(f"{args.sessions} sessions, {size / 1e6:.1f} MB in the cache")
        print(f"sweep: median {median_seconds(store.sweep, args.repeats):.3f} s over {args.repeats} runs")
        print(f"{len(store.sweep())} removed (none expected)")


if __name__ == "__main__":
    main()
