"""Run one hostile case in a fresh interpreter with an address-space and a CPU limit.

Going over either limit kills the child (MemoryError or SIGXCPU), so a case that ends with exit
code 0 stayed inside them; the parent also reads the child's peak resident memory and CPU time
from the kernel (os.wait4), so the figures cannot be flattered by the child itself.

The child uses the system allocator for Arrow (pandas 3 keeps strings in Arrow): Arrow's default
allocator reserves 1 GiB of address space up front, which RLIMIT_AS counts although it is never
touched. BLAS runs on one thread, as the app's models do: OpenBLAS, refused memory under the
limit, retries forever instead of failing.

With ALCHEMIST_BOUNDS_REPORT set to a file path, every case appends its figures to that file as
one JSON line: `benchmarks/bounds.py` runs these tests and prints them as a table.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ADDRESS_SPACE_BYTES = 1536 * 1024**2  # the bound: "well under 1.5 GB"
CPU_SECONDS = 30
REPORT_ENV = "ALCHEMIST_BOUNDS_REPORT"


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))
    # Soft limit first: SIGXCPU ends the child with a signal the failure message shows.
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5))


def run_in_child(case: str, code: str, *args: str, extra_env: dict[str, str] | None = None, timeout: float = 300) -> dict:
    """Run `code` (Python source; its last stdout line is JSON) and return that JSON with the
    child's kernel-measured `peak_mb`, `cpu_s` and `wall_s` added. Fails the test if the child
    did not end cleanly within the limits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALCHEMIST_LIMIT_")}  # the defaults
    env.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    env["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(extra_env or {})
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), *args], cwd=REPO_ROOT, env=env,
            stdout=out, stderr=err, preexec_fn=_limit_child,
        )
        # os.wait4 reaps the child with its own resource usage (and that of the children it waited
        # for, such as a decoder): a wall-clock bound kills it rather than polling.
        killer = threading.Timer(timeout, child.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            killer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    assert wall < timeout, f"{case}: the child ran over {timeout} s of wall time and was stopped"
    assert child.returncode == 0, f"{case}: the child ended with {child.returncode}:\n{stderr[-3000:]}"
    facts = json.loads(stdout.strip().splitlines()[-1])
    facts["peak_mb"] = usage.ru_maxrss / 1024
    facts["cpu_s"] = usage.ru_utime + usage.ru_stime
    facts["wall_s"] = wall
    print(f"\n{case}: peak RSS {facts['peak_mb']:.0f} MB, CPU {facts['cpu_s']:.2f} s, wall {wall:.2f} s")
    report = os.environ.get(REPORT_ENV)
    if report:
        with open(report, "a", encoding="utf-8") as handle:
            scalars = {k: v for k, v in facts.items() if isinstance(v, (str, int, float, bool)) or v is None}
            handle.write(json.dumps({"case": case, **scalars}) + "\n")
    assert facts["peak_mb"] * 1024**2 < ADDRESS_SPACE_BYTES and facts["cpu_s"] < CPU_SECONDS, facts
    return facts

