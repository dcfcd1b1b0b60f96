"""Benchmark: train, suggest and cross-validate at campaign sizes from 100 to 50,000 experiments.

    .venv/bin/python -m benchmarks.scale                  # every case, ~2-3 min on a busy 2-core machine
    .venv/bin/python -m benchmarks.scale --cases 2000x6 10000x6
    .venv/bin/python -m benchmarks.scale --no-cv
    ALCHEMIST_LIMIT_EXACT_GP_POINTS=1000 .venv/bin/python -m benchmarks.scale   # other limits, as the app

Each case runs in a fresh child process (so one case's memory cannot inflate the next one's
figure) and prints the wall seconds of one training (GPModel.fit with the default settings), one
suggestion (alchemist.optimize.suggest, n=1), one cross-validation (alchemist.diagnostics), the
CPU seconds of the three together and of each (time.process_time), and the child's peak resident
memory; then, apart from those, the CPU seconds of a refit warm-started from the first model (a
later round's training, as Session.train does). A case the limits refuse prints which limit
refused it and how long the refusal took. The data are a smooth function of the variables plus
2% noise.
"""

from __future__ import annotations

import argparse
import os

# One BLAS thread, as the app runs its models (alchemist.model.blas_single_thread).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import multiprocessing  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# name -> (rows, numeric variables, categorical variables, levels per categorical variable)
CASES: dict[str, tuple[int, int, int, int]] = {
    "100x6": (100, 6, 0, 0),
    "2000x6": (2_000, 6, 0, 0),
    "10000x6": (10_000, 6, 0, 0),
    "50000x10": (50_000, 10, 0, 0),
    "4cat1000+2000": (2_000, 0, 4, 1_000),
}


def make_campaign(rows: int, numeric: int, categorical: int, levels: int, seed: int = 0):
    """Variables, inputs and outputs of a synthetic campaign (shared with the bounds tests)."""
    from alchemist.variables import make_variable

    rng = np.random.default_rng(seed)
    variables = [make_variable("continuous", f"x{i}", low=0.0, high=1.0) for i in range(numeric)]
    variables += [
        make_variable("categorical", f"c{i}", levels=[f"L{j}" for j in range(levels)]) for i in range(categorical)
    ]
    columns = {f"x{i}": rng.random(rows) for i in range(numeric)}
    columns.update({f"c{i}": rng.choice([f"L{j}" for j in range(levels)], rows) for i in range(categorical)})
    X = pd.DataFrame(columns)
    signal = np.zeros(rows)
    for i in range(numeric):
        signal += np.sin(3.0 * X[f"x{i}"].to_numpy() + i) / (1 + i)
    for i in range(categorical):
        signal += (X[f"c{i}"].str.len().to_numpy() % 3) * 0.3
    y = signal + 0.02 * rng.standard_normal(rows)
    return variables, X, y


def _run_case(name: str, with_cv: bool, queue) -> None:
    from alchemist import limits
    from alchemist.diagnostics import cross_validate
    from alchemist.errors import LimitError
    from alchemist.model import GPModel, ModelSettings
    from alchemist.optimize import suggest

    limits.configure(limits.Limits.from_settings())  # ALCHEMIST_LIMIT_* as the app reads them
    figures: dict[str, object] = {"case": name}
    variables, X, y = make_campaign(*CASES[name])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures["cpu_before"] = usage.ru_utime + usage.ru_stime
    try:
        start, cpu = time.perf_counter(), time.process_time()
        model = GPModel(variables, ModelSettings()).fit(X, y)
        figures["train_s"], figures["train_cpu"] = time.perf_counter() - start, time.process_time() - cpu
        figures["model"] = f"{model.approximation.method.value} on {model.approximation.points_used}"
        start, cpu = time.perf_counter(), time.process_time()
        suggest(model, X, y, n=1)
        figures["suggest_s"], figures["suggest_cpu"] = time.perf_counter() - start, time.process_time() - cpu
        if with_cv:
            start, cpu = time.perf_counter(), time.process_time()
            cross_validate(variables, ModelSettings(), X, y, model=model)
            figures["cv_s"], figures["cv_cpu"] = time.perf_counter() - start, time.process_time() - cpu
    except LimitError as error:
        figures["refused"] = f"{error.limit} after {time.perf_counter() - start:.3f} s"
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures["peak_mb"] = usage.ru_maxrss / 1024
    figures["cpu_s"] = usage.ru_utime + usage.ru_stime - figures["cpu_before"]
    if "refused" not in figures:
        # A campaign's later rounds refit with the previous model's hyperparameters as a start
        # (Session.train): timed apart, after the figures above, so that they stay comparable.
        cpu = time.process_time()
        GPModel(variables, ModelSettings()).fit(X, y, warm_start=model)
        figures["warm_cpu"] = time.process_time() - cpu
    queue.put(figures)


def run(name: str, with_cv: bool) -> dict:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing inherited
    queue = context.Queue()
    child = context.Process(target=_run_case, args=(name, with_cv, queue))
    child.start()
    figures = queue.get()
    child.join()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--no-cv", action="store_true", help="skip cross-validation")
    args = parser.parse_args()
    # Wall seconds per step; "cpu s" is the CPU time of all steps together: on a busy machine the
    # wall figures grow with the load, the CPU figure much less.
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    header = (
        f"{'case':<16}{'train s':>9}{'suggest s':>11}{'cv s':>8}{'cpu s':>8}"
        f"{'train cpu':>10}{'sugg cpu':>9}{'cv cpu':>8}{'warm cpu':>9}{'peak MB':>9}  model / refusal"
    )
    print(header)
    for name in args.cases:
        f = run(name, not args.no_cv)

        def cell(key: str, width: int) -> str:
            return f"{f[key]:>{width}.2f}" if key in f else f"{'-':>{width}}"

        tail = f.get("model", "") if "refused" not in f else f"refused by {f['refused']}"
        print(f"{name:<16}{cell('train_s', 9)}{cell('suggest_s', 11)}{cell('cv_s', 8)}{cell('cpu_s', 8)}{cell('train_cpu', 10)}{cell('suggest_cpu', 9)}{cell('cv_cpu', 8)}{cell('warm_cpu', 9)}{f['peak_mb']:>9.0f}  {tail}")


if __name__ == "__main__":
    main()
