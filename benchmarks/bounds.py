"""Peak memory and time of each hostile case of issue 7, as they run now.

    .venv/bin/python -m benchmarks.bounds            # ~4-6 min on a busy 2-core machine

The cases are the tests of `tests/adversarial/`: each runs in a fresh child interpreter limited
to 1.5 GB of address space and 30 s of CPU (tests/adversarial/child.py), and the tests check the
answers and the limits. This script runs those tests once and prints the figures the kernel
measured for every case (peak resident memory, CPU and wall seconds, of the child and of the
children it waited for), beside what issue 7 measured before the change. One definition of each
case serves the check and the figures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.campaign import machine_line

REPO_ROOT = Path(__file__).resolve().parents[1]

# case name (as the tests report it) -> (what a visitor does, what issue 7 measured before)
ROWS: dict[str, tuple[str, str]] = {
    "train_suggest_50022x6": ("50,022-row CSV, Train, then a suggestion", "19 GB, OOM kill"),
    "train_suggest_8000x6": ("8,000-row CSV, Train, then a suggestion", "1.9 GB"),
    "load_saved_model_8000": ("loads a saved model of 8,000 points", "1.9 GB, 20-30 s"),
    "categorical_4x1000_default": ("4 categorical x 1,000 levels + 2,000 rows, Train", "2.9 GB, 107 s"),
    "categorical_4x1000_raised": ("  the same with max_encoded_dims raised to 4,000", "2.9 GB, 107 s"),
    "xlsx_corners": (".xlsx with cells at A1 and XFD1048576", "> 7 GB"),
    "xlsx_wide_rows": ("12 kB .xlsx of wide rows", "54 s of CPU"),
    "xlsx_tall": (".xlsx spanning 1,048,576 rows", ""),
    "nrel_stray_keys": ("NREL file, 20,000 records each with its own key", "6.1 GB, 23-41 s"),
    "nrel_item_limit": ("NREL file over the records x keys limit", ""),
    "csv_million_columns": ("1,000,000-column CSV (9.9 MB)", "3.2 GB, 114 s"),
    "csv_wide_second_line": ("CSV whose second line has 1,000,001 fields", "> 120 s"),
    "foreign_children": ("four 'Load anyway' of 40 kB lzma .pkl files at once", "4 x 2 GiB children"),
    "finite_floats": ("a result of 1e155 and other extreme floats, saved, both downloads", "downloads refused"),
    "variables_400_digits": ("variables JSON with a 400-digit integer", "a traceback"),
    "csv_utf-16": ("UTF-16 CSV", "silently misread"),
    "formula_injection": ("CSV download of =HYPERLINK / =cmd cells", "written verbatim"),
    "full_disk": ("the disk refuses a save (a real EFBIG from the kernel)", "uncaught OSError"),
}


def run_cases() -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "bounds.jsonl"
        env = {**os.environ, "ALCHEMIST_BOUNDS_REPORT": str(report)}
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/adversarial"],
                              cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:])
        if not report.exists():
            return []
        return [json.loads(line) for line in report.read_text().splitlines()]


def main() -> None:
    print(machine_line())
    figures = {row["case"]: row for row in run_cases()}
    print(f"{'what a visitor does':<66} {'before':<20} {'peak MB':>8} {'CPU s':>7} {'wall s':>7}  outcome")
    for case, (what, before) in ROWS.items():
        row = figures.get(case)
        if row is None:
            print(f"{what:<66} {before:<20} {'(not run)':>8}")
            continue
        outcome = row.get("limit") or row.get("refused") or row.get("method") or ""
        if outcome and not isinstance(outcome, str):
            outcome = str(outcome)
        print(f"{what:<66} {before:<20} {row['peak_mb']:>8.0f} {row['cpu_s']:>7.2f} {row['wall_s']:>7.2f}  {outcome[:60]}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
