"""What the history costs: bytes written and time per one-cell edit, disk per 1,000 edits, listing
the history, restoring, and the file size with and without history.

    .venv/bin/python -m benchmarks.history [--edits 1000] [--sizes 1000x10,100000x20]

For each size a session is built (benchmarks.campaign.build_session), stored, and then edited one
cell at a time the way the experiments editor commits: the cell is set in the table and
`store.commit(session, columns=[column])` stores the change (one small signed revision object,
alchemist.store.layout; every CHECKPOINT_EVERY edits the checkpoint is written whole). Bytes
written are counted where bytes reach the disk (alchemist.store.disk._write_all), so they include
the checkpoints. A whole-session save (`store.save`, which compares the whole state) is timed too.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta

from alchemist.persistence import SessionStore
from alchemist.store import disk, timeline
from benchmarks.campaign import build_session, machine_line

_written = [0]
_real_write_all = disk._write_all


def _counting_write_all(handle, data) -> None:
    _written[0] += len(data)
    _real_write_all(handle, data)


def run(rows: int, variables: int, edits: int) -> None:
    start = time.perf_counter()
    session = build_session(rows, variables)
    print(f"\n{rows:,} experiments x {variables} variables (built in {time.perf_counter() - start:.1f} s)")
    column = "x1"  # a numeric column (stored as raw float64 bytes)
    position = session.experiments.frame.columns.get_loc(column)
    with tempfile.TemporaryDirectory() as folder:
        store = SessionStore(folder, ttl=timedelta(days=7))
        store.save(session)
        times, sizes = [], []
        total_start = _written[0]
        for i in range(edits):
            session.experiments.frame.iat[i % rows, position] = 1.0 + (i % 97)
            before = _written[0]
            t = time.perf_counter()
            store.commit(session, columns=[column])
            times.append(time.perf_counter() - t)
            sizes.append(_written[0] - before)
        total = _written[0] - total_start
        checkpoints = sum(1 for s in sizes if s > 64 * 1024)
        small = [s for s, in zip(sizes) if s <= 64 * 1024]
        small_times = [t for t, s in zip(times, sizes) if s <= 64 * 1024]
        print(f"  one-cell edit (commit with columns), {edits} edits, checkpoint every {timeline.CHECKPOINT_EVERY}:")
        print(f"    revision object: median {statistics.median(small):,.0f} bytes, "
              f"median {statistics.median(small_times) * 1e3:.1f} ms, max {max(small_times) * 1e3:.1f} ms")
        if checkpoints:
            cp_times = [t for t, s in zip(times, sizes) if s > 64 * 1024]
            print(f"    checkpoint edits: {checkpoints}, median {statistics.median(cp_times) * 1e3:.0f} ms, "
                  f"{statistics.median([s for s in sizes if s > 64 * 1024]) / 1e6:.2f} MB each")
        print(f"    disk written for {edits} edits: {total / 1e6:.2f} MB ({total / edits / 1e3:.1f} kB per edit on average)")

        whole = []
        for i in range(3):
            session.experiments.frame.iat[i, position] = 5.0 + i
            t = time.perf_counter()
            store.save(session)
            whole.append(time.perf_counter() - t)
        print(f"  one-cell edit through store.save (whole state compared): median {statistics.median(whole) * 1e3:.0f} ms")

        fresh = SessionStore(folder, ttl=timedelta(days=7))
        t = time.perf_counter()
        history = fresh.history(session.id)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        fresh.history(session.id)
        warm = time.perf_counter() - t
        print(f"  list history ({len(history)} revisions): {cold * 1e3:.0f} ms from disk, {warm * 1e3:.2f} ms cached")
        target = history[max(0, len(history) - 100)].number
        t = time.perf_counter()
        fresh.session_at(session.id, target)
        view = time.perf_counter() - t
        t = time.perf_counter()
        fresh.restore(session.id, target)
        restore = time.perf_counter() - t
        print(f"  view revision {target} (100 back): {view * 1e3:.0f} ms; restore it: {restore * 1e3:.0f} ms")
        current = fresh.get(session.id)
        with_history = len(fresh.export(current))
        without = len(fresh.export(current, include_history=False))
        print(f"  downloaded .pkl: {with_history / 1e6:.2f} MB with history, {without / 1e6:.2f} MB without")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=1000)
    parser.add_argument("--sizes", default="1000x10,100000x20")
    args = parser.parse_args(argv)
    print(machine_line())
    disk._write_all = _counting_write_all
    try:
        for size in args.sizes.split(","):
            rows, variables = (int(n) for n in size.split("x"))
            run(rows, variables, args.edits)
    finally:
        disk._write_all = _real_write_all


if __name__ == "__main__":
    main(sys.argv[1:])
