"""Save and load times and file sizes of a large session in every file form.

    .venv/bin/python -m benchmarks.session_files [--rows 100000] [--variables 20] [--repeats 3]

Builds a session of 100,000 experiments x 20 variables (16 continuous, 3 integer, 1
categorical; result, noise, iteration and a note per row; a few gaps and invalid cells; no
trained model), then for each form prints the median of a few runs:

  save   store.export(session, fmt, compression) and writing the bytes to a file (with fsync)
  load   reading the file and store.read_file(bytes): header, signature, unpacking, the
         restricted decoder, migration and Session.from_state (our own file: in process)
  size   of the file
  of which file: the part of the load that reads the file itself (up to checked plain data)

and, for a foreign file, the load through the limited child process; and how long the child
takes over three million small numbers, against a CPU limit of one second (the limit stops
it on a machine that needs longer: the tests check the limit itself, not this speed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd

from alchemist.errors import SessionFileError
from alchemist.files.child import decode_session_file_in_child
from alchemist.files.container import decode_session_file, encode_session_file
from alchemist.files.strict_json import decode_session_json
from alchemist.persistence import SessionStore, envelope_for
from alchemist.plain import utc_now
from alchemist.session import Session
from benchmarks.campaign import build_session, machine_line, median_seconds


def write(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--variables", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    print(machine_line())
    start = time.perf_counter()
    session = build_session(args.rows, args.variables)
    print(f"Built a session of {args.rows:,} experiments x {len(session.variables)} variables in {time.perf_counter() - start:.1f} s")

    forms = [("pkl", "none", ".pkl uncompressed"), ("pkl", "zlib", ".pkl zlib (auto)"), ("pkl", "lzma", ".pkl lzma"), ("json", None, ".json")]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        store = SessionStore(Path(folder) / "cache", ttl=timedelta(days=7))
        for fmt, compression, label in forms:
            path = Path(folder) / f"session.{fmt}"
            holder: list[bytes] = []

            def save() -> None:
                data = store.export(session, fmt, compression) if compression else store.export(session, fmt)
                write(path, data)
                holder.append(data)

            save_s = median_seconds(save, args.repeats)
            loaded: list[Session] = []
            load_s = median_seconds(lambda: loaded.append(store.load_file(path.read_bytes(), path.name)), args.repeats)
            again = loaded[-1]
            pd.testing.assert_frame_equal(again.experiments.frame, session.experiments.frame)
            data = path.read_bytes()
            decode = decode_session_json if fmt == "json" else decode_session_file
            decode_s = median_seconds(lambda: decode(data), args.repeats)
            rows.append((label, save_s, load_s, decode_s, path.stat().st_size))
        # A file from another installation: decoded in the limited child process, checked again here.
        other = SessionStore(Path(folder) / "other", ttl=timedelta(days=7))
        foreign = other.export(session)
        foreign_s = median_seconds(lambda: store.load_file(foreign, allow_foreign=True), args.repeats)
        # The cache: store.save (signed, auto compression, atomic write + fsync) and store.get.
        cache_save = median_seconds(lambda: store.save(session), args.repeats)
        cache_get = median_seconds(lambda: store.get(session.id), args.repeats)
        cache_size = store.path_of(session.id).stat().st_size
    cpu_line = child_cpu_limit()

    print(f"\nMedian of {args.repeats} runs, {args.rows:,} rows x {args.variables} variables:")
    print(f"  {'form':<22} {'save s':>8} {'load s':>8} {'of which file':>14} {'size MB':>9}")
    for label, save_s, load_s, decode_s, size in rows:
        print(f"  {label:<22} {save_s:8.2f} {load_s:8.2f} {decode_s:14.2f} {size / 1e6:9.2f}")
    print(f"  {'.pkl foreign (child)':<22} {'':>8} {foreign_s:8.2f} {'':>14} {len(foreign) / 1e6:9.2f}")
    print(f"  {'cache save / get':<22} {cache_save:8.2f} {cache_get:8.2f} {'':>14} {cache_size / 1e6:9.2f}")
    print("  (load = file -> Session; 'of which file' = header, signature, unpacking and the restricted decoder or")
    print("   strict JSON parse, up to the checked plain data; the rest is Session.from_state rebuilding the table)")
    print(cpu_line)


def child_cpu_limit() -> str:
    """Three million small numbers: seconds of decoding on a slow machine, more than one CPU second."""
    envelope = envelope_for(Session.new("padding"), utc_now(), timedelta(days=1))
    envelope["session"]["padding"] = list(range(3_000_000))
    data = encode_session_file(envelope, compression="none")
    start = time.perf_counter()
    decode_session_file(data)
    in_process = time.perf_counter() - start
    start = time.perf_counter()
    try:
        decode_session_file_in_child(data, cpu_seconds=1)
        outcome = "decoded within the limit"
    except SessionFileError as error:
        outcome = "stopped" if "computing time" in error.message else f"refused: {error.message}"
    return (f"\n3,000,000 numbers ({len(data) / 1e6:.0f} MB): {in_process:.2f} s to decode in process; "
            f"in the child with 1 CPU second: {outcome} after {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
