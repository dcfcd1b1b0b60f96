"""Benchmark: how close to the optimum each optimiser gets within a fixed budget of experiments.

    .venv/bin/python -m benchmarks.optimization                      # everything, 10 seeds
    .venv/bin/python -m benchmarks.optimization --seeds 3 --problems branin hartmann3 --optimizers alchemist

Optimisers: ALchemist's loop driven through the public Python API (alchemist.Session, as a lab
script would) - "alchemist" uses expected improvement and, for the last 10% of the budget, the
"exploit" acquisition; "alchemist_ei" uses expected improvement throughout - random search, and
scikit-optimize's gp_minimize with EI. For
each seed all optimisers start from the same Latin-hypercube points. Prints, per problem and
optimiser, the median [interquartile range] of the final simple regret (best value found minus
the known optimum) and the median seconds per suggestion (model training + suggestion), then
times one suggestion with 1,000 experiments x 6 variables. Writes a CSV to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os

# One BLAS thread per worker: the benchmark runs workers in parallel, one per core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from alchemist.design import initial_design  # noqa: E402
from benchmarks.problems import PROBLEMS, Problem  # noqa: E402

OPTIMIZERS = ("alchemist", "alchemist_ei", "random", "skopt")
RESULTS = Path(__file__).resolve().parent / "results"
OUTPUT = "Output"


def initial_points(problem: Problem, seed: int) -> pd.DataFrame:
    return initial_design(problem.variables, problem.n_initial, method="lhs", seed=seed)


# -- ALchemist ---------------------------------------------------------------------------------
# The loop's policy, as a scientist with a fixed budget would run it: expected improvement, and
# for the last few experiments the best predicted point (the "exploit" acquisition), because
# once the budget is nearly spent a refined incumbent is worth more than more exploration.
EXPLOIT_FRACTION = 0.1


def n_exploit(problem: Problem) -> int:
    return int(round(EXPLOIT_FRACTION * problem.budget))


def run_alchemist(problem: Problem, seed: int, exploit: bool = True) -> dict:
    from alchemist.model import ModelSettings
    from alchemist.session import Session

    X = initial_points(problem, seed)
    y = problem.function(X)
    settings = ModelSettings(seed=seed)
    session = Session.new(name=f"{problem.name}-{seed}")
    for variable in problem.variables:
        session.add_variable(variable)
    session.add_experiments(X.assign(**{OUTPUT: y}))
    times, cpu_times = [], []
    n_steps = problem.budget - problem.n_initial
    for iteration in range(n_steps):
        acquisition = "exploit" if exploit and iteration >= n_steps - n_exploit(problem) else "ei"
        start, cpu_start = time.perf_counter(), time.process_time()
        session.train(settings)
        proposal = session.suggest(n=1, acquisition=acquisition, goal="minimize", seed=seed * 1000 + iteration)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        x_new = proposal[[v.name for v in problem.variables]].reset_index(drop=True)
        y_new = problem.function(x_new)
        session.add_experiments(x_new.assign(**{OUTPUT: y_new}))
        y = np.concatenate([y, y_new])
    return {"y": y, "times": times, "cpu_times": cpu_times}


# -- random search -------------------------------------------------------------------------------
def run_random(problem: Problem, seed: int) -> dict:
    X = initial_points(problem, seed)
    extra = initial_design(problem.variables, problem.budget - problem.n_initial, method="random", seed=10_000 + seed)
    X = pd.concat([X, extra], ignore_index=True)
    return {"y": problem.function(X), "times": [0.0], "cpu_times": [0.0]}


# -- scikit-optimize -----------------------------------------------------------------------------
def run_skopt(problem: Problem, seed: int) -> dict:
    from skopt import gp_minimize
    from skopt.space import Categorical, Real

    dims = []
    for v in problem.variables:
        if v.kind == "categorical":
            dims.append(Categorical(list(v.levels), name=v.name))
        else:
            dims.append(Real(v.low, v.high, name=v.name))
    names = [v.name for v in problem.variables]
    X0 = initial_points(problem, seed)
    y0 = problem.function(X0)

    def f(x):
        return float(problem.function(pd.DataFrame([x], columns=names))[0])

    stamps, cpu_stamps = [], []

    def callback(_result):
        stamps.append(time.perf_counter())
        cpu_stamps.append(time.process_time())

    x0 = [[row[n] if isinstance(row[n], str) else float(row[n]) for n in names] for _, row in X0.iterrows()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start, cpu_start = time.perf_counter(), time.process_time()
        result = gp_minimize(
            f, dims, n_calls=problem.budget - problem.n_initial, n_initial_points=0,
            x0=x0, y0=[float(v) for v in y0], acq_func="EI", random_state=seed, callback=[callback],
        )
    times = np.diff([start] + stamps)
    cpu_times = np.diff([cpu_start] + cpu_stamps)
    y = np.concatenate([y0, result.func_vals[len(y0):]])
    return {"y": np.asarray(y, dtype=float), "times": list(times), "cpu_times": list(cpu_times)}


def run_alchemist_ei(problem: Problem, seed: int) -> dict:
    """The same loop with expected improvement to the end (no exploitation phase)."""
    return run_alchemist(problem, seed, exploit=False)


RUNNERS = {"alchemist": run_alchemist, "alchemist_ei": run_alchemist_ei, "random": run_random, "skopt": run_skopt}


def run_one(task: tuple[str, str, int]) -> dict:
    problem_name, optimizer, seed = task
    problem = PROBLEMS[problem_name]
    started = time.perf_counter()
    out = RUNNERS[optimizer](problem, seed)
    y = np.asarray(out["y"], dtype=float)
    best = np.minimum.accumulate(y)
    return {
        "problem": problem_name,
        "optimizer": optimizer,
        "seed": seed,
        "final_regret": float(best[-1] - problem.optimum),
        "regret_after_initial": float(best[problem.n_initial - 1] - problem.optimum),
        "evaluations": len(y),
        "median_s_per_suggestion": float(np.median(out["times"])),
        "max_s_per_suggestion": float(np.max(out["times"])),
        "median_cpu_s_per_suggestion": float(np.median(out["cpu_times"])),
        "wall_s": time.perf_counter() - started,
        "regret_trace": " ".join(f"{v - problem.optimum:.6g}" for v in best),
    }


def time_large(n: int = 1000, d: int = 6, seed: int = 0) -> dict:
    """Seconds to train and suggest once with n experiments of d continuous variables."""
    from alchemist.model import GPModel, ModelSettings
    from alchemist.optimize import suggest

    problem = PROBLEMS["hartmann6"]
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.random((n, d)), columns=[v.name for v in problem.variables])
    y = problem.function(X) + 0.01 * rng.standard_normal(n)
    start, cpu_start = time.perf_counter(), time.process_time()
    model = GPModel(problem.variables, ModelSettings(seed=seed)).fit(X, y)
    trained = time.perf_counter()
    suggest(model, X, y, n=1, acquisition="ei", goal="minimize", seed=seed)
    done = time.perf_counter()
    return {
        "train_s": trained - start, "suggest_s": done - trained, "total_s": done - start,
        "cpu_s": time.process_time() - cpu_start,
    }


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (problem, optimizer), group in results.groupby(["problem", "optimizer"], sort=False):
        regret = group["final_regret"].to_numpy()
        rows.append({
            "problem": problem,
            "optimizer": optimizer,
            "seeds": len(group),
            "median regret": np.median(regret),
            "q25": np.quantile(regret, 0.25),
            "q75": np.quantile(regret, 0.75),
            "median s/suggestion": np.median(group["median_s_per_suggestion"]),
            "median CPU s/suggestion": np.median(group["median_cpu_s_per_suggestion"]),
        })
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS), choices=list(OPTIMIZERS))
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds (0, 1, ...)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-large", action="store_true", help="skip the 1,000 x 6 timing")
    parser.add_argument("--out", type=Path, default=None, help="CSV path (default: benchmarks/results/...)")
    args = parser.parse_args(argv)

    tasks = [
        (p, o, s)
        for p in args.problems
        for o in args.optimizers
        for s in range(args.first_seed, args.first_seed + args.seeds)
    ]
    # Longest first, so that the pool is not left waiting on one slow task at the end.
    weight = {"random": 0, "alchemist": 2, "alchemist_ei": 2, "skopt": 3}
    tasks.sort(key=lambda t: -PROBLEMS[t[0]].budget * weight[t[1]])
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        records = []
        for record in pool.map(run_one, tasks):
            records.append(record)
            print(
                f"  {record['problem']:13s} {record['optimizer']:12s} seed {record['seed']:2d}: "
                f"regret {record['final_regret']:.3g}, {record['median_s_per_suggestion']:.3f} s/suggestion",
                flush=True,
            )
    results = pd.DataFrame(records)
    print(f"\n{len(tasks)} runs in {time.perf_counter() - started:.0f} s")
    table = summarise(results)
    order = {p: i for i, p in enumerate(PROBLEMS)}
    table = table.sort_values(["problem", "optimizer"], key=lambda c: c.map(order) if c.name == "problem" else c)
    print(
        "\nFinal simple regret: median [IQR]; median wall seconds per suggestion (train + suggest),"
        " and CPU seconds (less sensitive to other load on the machine)"
    )
    for _, row in table.iterrows():
        print(
            f"  {row['problem']:13s} {row['optimizer']:12s} {row['median regret']:.3g} "
            f"[{row['q25']:.3g}, {row['q75']:.3g}]  {row['median s/suggestion']:.3f} s, "
            f"CPU {row['median CPU s/suggestion']:.3f} s  ({row['seeds']} seeds)"
        )
    if not args.no_large:
        large = time_large()
        print(
            f"\n1,000 experiments x 6 variables: train {large['train_s']:.2f} s + suggest "
            f"{large['suggest_s']:.2f} s = {large['total_s']:.2f} s (CPU {large['cpu_s']:.2f} s)"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.out or RESULTS / f"optimization-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.csv"
    results.to_csv(out, index=False)
    print(f"Wrote {out}")


if __name__ == "__main__":
    main()
