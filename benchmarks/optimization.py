"""Benchmark: how close to the optimum each optimiser gets within a fixed budget of experiments.

    .venv/bin/python -m benchmarks.optimization                      # everything, 5 seeds
    .venv/bin/python -m benchmarks.optimization --seeds 20           # the full run (long)
    .venv/bin/python -m benchmarks.optimization --seeds 3 --problems branin hartmann3 --optimizers alchemist
    .venv/bin/python -m benchmarks.optimization --seeds 20 --stop-after 40   # bounded: no run starts after 40 min
    .venv/bin/python -m benchmarks.optimization --seeds 20 --optimizers alchemist --merge skopt.csv   # skopt's rows from an earlier run

Optimisers: ALchemist's loop driven through the public Python API (alchemist.Session, as a lab
script would) - "alchemist" is the default a new session gets ("auto") with the budget stated;
"alchemist_auto" the same default without a stated budget; "alchemist_ei" expected improvement
throughout - random search, and scikit-optimize's gp_minimize with EI. For each seed all
optimisers start from the same Latin-hypercube points and, on noisy problems, read the same
noise sequence.

Scoring, by the TRUE (noise-free) value at the point a user would pick: the best observed
("regret"), and on noisy problems also the best by the posterior mean of an ALchemist GP fitted
to all of that run's data ("regret by mean", the same picker for every optimiser), and the
"expected" regret of the best reading over 4,000 fresh noise draws on the run's points (which
reading comes out best is mostly luck; the points are what the optimiser chose). Prints, per
problem and optimiser, the median and upper quartile of the final regret, the seeds stuck
(regret > 10x that problem's median over all optimisers), the near-duplicate suggestions (within
1e-3 of an earlier experiment, max norm on the unit cube) and the median seconds per suggestion;
then times one suggestion with 1,000 experiments x 6 variables. Writes a CSV to benchmarks/results/,
a row as each run ends, so that an interrupted run keeps what it measured.

Runs are ordered seed by seed, so that a run bounded by --stop-after (no run starts after that
many minutes; the table then counts the seeds each pair finished) compares every optimiser on
the same seeds as far as it got.
"""

from __future__ import annotations

import argparse
import os

# One BLAS thread per worker: the benchmark runs workers in parallel, one per core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from alchemist.design import initial_design  # noqa: E402
from benchmarks.problems import PROBLEMS, Problem  # noqa: E402
from benchmarks.scoring import expected_regret, near_duplicates, pick_by_mean  # noqa: E402

OPTIMIZERS = ("alchemist", "alchemist_auto", "alchemist_ei", "random", "skopt")
STUCK_FACTOR = 10.0
DEFAULT_SEEDS = 5
RESULTS = Path(__file__).resolve().parent / "results"
OUTPUT = "Output"


def initial_points(problem: Problem, seed: int) -> pd.DataFrame:
    return initial_design(problem.variables, problem.n_initial, method="lhs", seed=seed)


def noise_stream(seed: int) -> np.random.Generator:
    return np.random.default_rng(50_000 + seed)


# -- ALchemist ---------------------------------------------------------------------------------
def run_alchemist(problem: Problem, seed: int, acquisition: str = "auto", state_budget: bool = True) -> dict:
    from alchemist.model import ModelSettings
    from alchemist.session import Session

    noise = noise_stream(seed)
    X = initial_points(problem, seed)
    y = problem.measure(X, noise)
    settings = ModelSettings(seed=seed)
    session = Session.new(name=f"{problem.name}-{seed}")
    for variable in problem.variables:
        session.add_variable(variable)
    session.add_experiments(X.assign(**{OUTPUT: y}))
    times, cpu_times = [], []
    n_steps = problem.budget - problem.n_initial
    budget = problem.budget if state_budget else None
    for iteration in range(n_steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        session.train(settings)
        proposal = session.suggest(
            n=1, acquisition=acquisition, goal="minimize", seed=seed * 1000 + iteration, budget=budget
        )
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        x_new = proposal[[v.name for v in problem.variables]].reset_index(drop=True)
        y_new = problem.measure(x_new, noise)
        session.add_experiments(x_new.assign(**{OUTPUT: y_new}))
        X = pd.concat([X, x_new], ignore_index=True)
        y = np.concatenate([y, y_new])
    return {"X": X, "y": y, "times": times, "cpu_times": cpu_times}


# -- random search -------------------------------------------------------------------------------
def run_random(problem: Problem, seed: int) -> dict:
    X = initial_points(problem, seed)
    extra = initial_design(problem.variables, problem.budget - problem.n_initial, method="random", seed=10_000 + seed)
    X = pd.concat([X, extra], ignore_index=True)
    return {"X": X, "y": problem.measure(X, noise_stream(seed)), "times": [0.0], "cpu_times": [0.0]}


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
    noise = noise_stream(seed)
    X0 = initial_points(problem, seed)
    y0 = problem.measure(X0, noise)

    def f(x):
        return float(problem.measure(pd.DataFrame([x], columns=names), noise)[0])

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
    X = pd.DataFrame(result.x_iters, columns=names)
    return {"X": X, "y": np.asarray(y, dtype=float), "times": list(times), "cpu_times": list(cpu_times)}


def run_alchemist_auto(problem: Problem, seed: int) -> dict:
    """The default policy without a stated budget (it cannot know when to refine)."""
    return run_alchemist(problem, seed, state_budget=False)


def run_alchemist_ei(problem: Problem, seed: int) -> dict:
    """Expected improvement to the end (the default before "auto")."""
    return run_alchemist(problem, seed, acquisition="ei", state_budget=False)


RUNNERS = {
    "alchemist": run_alchemist, "alchemist_auto": run_alchemist_auto, "alchemist_ei": run_alchemist_ei,
    "random": run_random, "skopt": run_skopt,
}


def run_one(task: tuple[str, str, int]) -> dict:
    problem_name, optimizer, seed = task
    problem = PROBLEMS[problem_name]
    started = time.perf_counter()
    out = RUNNERS[optimizer](problem, seed)
    y = np.asarray(out["y"], dtype=float)
    X = out["X"].reset_index(drop=True)
    truth = problem.function(X)
    # The true value at the best reading so far, round by round (for a noise-free problem: the best value).
    picks = [int(np.argmin(y[:i + 1])) for i in range(len(y))]
    best = truth[picks]
    by_mean = truth[pick_by_mean(problem, X, y, seed)] - problem.optimum if problem.noise_sd > 0 else np.nan
    return {
        "problem": problem_name,
        "optimizer": optimizer,
        "seed": seed,
        "final_regret": float(best[-1] - problem.optimum),
        "final_regret_by_mean": float(by_mean),
        "final_regret_expected": expected_regret(problem, np.asarray(truth, dtype=float), seed),
        "regret_after_initial": float(best[problem.n_initial - 1] - problem.optimum),
        "near_duplicates": near_duplicates(problem, X),
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
    problem_median = results.groupby("problem")["final_regret"].median()
    for (problem, optimizer), group in results.groupby(["problem", "optimizer"], sort=False):
        regret = group["final_regret"].to_numpy()
        by_mean = group["final_regret_by_mean"].to_numpy()
        expected = group["final_regret_expected"].to_numpy() if "final_regret_expected" in group else np.full(len(group), np.nan)
        rows.append({
            "problem": problem,
            "optimizer": optimizer,
            "seeds": len(group),
            "median regret": np.median(regret),
            "q75": np.quantile(regret, 0.75),
            "median by mean": np.median(by_mean) if np.isfinite(by_mean).all() else np.nan,
            "q75 by mean": np.quantile(by_mean, 0.75) if np.isfinite(by_mean).all() else np.nan,
            "median expected": np.median(expected) if np.isfinite(expected).all() else np.nan,
            "stuck": int(np.sum(regret > STUCK_FACTOR * max(problem_median[problem], 1e-12))),
            "near-duplicates": int(group["near_duplicates"].sum()),
            "median s/suggestion": np.median(group["median_s_per_suggestion"]),
            "median CPU s/suggestion": np.median(group["median_cpu_s_per_suggestion"]),
        })
    return pd.DataFrame(rows)


def targets(results: pd.DataFrame) -> list[str]:
    """The issue's targets for the default ("alchemist") against scikit-optimize, as lines, on
    the seeds both finished (a bounded or merged run may hold more seeds of one than the other)."""
    lines = []
    for problem, group in results.groupby("problem", sort=False):
        ours = group[group["optimizer"] == "alchemist"].set_index("seed")["final_regret"]
        theirs = group[group["optimizer"] == "skopt"].set_index("seed")["final_regret"]
        common = ours.index.intersection(theirs.index)
        if len(common) == 0:
            continue
        ours, theirs = ours.loc[common].to_numpy(), theirs.loc[common].to_numpy()
        dups = int(group[(group["optimizer"] == "alchemist") & group["seed"].isin(common)]["near_duplicates"].sum())
        lines.append(
            f"  {problem:16s} median {np.median(ours) / max(np.median(theirs), 1e-300):.2f}x skopt's "
            f"(target <= 0.5), upper quartile {np.quantile(ours, 0.75) / max(np.quantile(theirs, 0.75), 1e-300):.2f}x "
            f"(target <= 1), near-duplicates {dups}  ({len(common)} common seeds)"
        )
        expected = _paired(group, "final_regret_expected")
        if expected is not None and PROBLEMS[problem].noise_sd > 0:
            ours, theirs = expected
            lines.append(
                f"  {'':16s} expected regret over fresh noise: median {np.median(ours) / max(np.median(theirs), 1e-300):.2f}x, "
                f"upper quartile {np.quantile(ours, 0.75) / max(np.quantile(theirs, 0.75), 1e-300):.2f}x"
            )
    return lines


def _paired(group: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray] | None:
    """`column` of ours and of scikit-optimize's on the seeds where both have a value."""
    if column not in group:
        return None
    ours = group[group["optimizer"] == "alchemist"].set_index("seed")[column].dropna()
    theirs = group[group["optimizer"] == "skopt"].set_index("seed")[column].dropna()
    common = ours.index.intersection(theirs.index)
    return (ours.loc[common].to_numpy(), theirs.loc[common].to_numpy()) if len(common) else None


def merge_earlier(results: pd.DataFrame, paths: list[Path]) -> pd.DataFrame:
    """Rows of earlier runs of this benchmark for (problem, optimizer) pairs not run now, for
    instance scikit-optimize's: nothing of ALchemist changes them, and they take the longest."""
    run_now = set(zip(results["problem"], results["optimizer"])) if len(results) else set()
    earlier = [pd.read_csv(path) for path in paths]
    earlier = [e[[(p, o) not in run_now for p, o in zip(e["problem"], e["optimizer"])]] for e in earlier]
    merged = pd.concat([results, *earlier], ignore_index=True)
    return merged.drop_duplicates(subset=["problem", "optimizer", "seed"], keep="first")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS), choices=list(OPTIMIZERS))
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="number of seeds (0, 1, ...); 20 for the full run")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-large", action="store_true", help="skip the 1,000 x 6 timing")
    parser.add_argument("--out", type=Path, default=None, help="CSV path (default: benchmarks/results/...)")
    parser.add_argument("--stop-after", type=float, default=None, help="minutes after which no run starts")
    parser.add_argument(
        "--merge", nargs="+", type=Path, default=[],
        help="CSVs of earlier runs whose rows join the table for pairs not run now (e.g. skopt's)",
    )
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.out or RESULTS / f"optimization-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.csv"

    # Seed by seed; within a seed, longest first, so that the pool is not left waiting on one slow task.
    weight = {"random": 0, "alchemist": 2, "alchemist_auto": 2, "alchemist_ei": 2, "skopt": 3}
    tasks = sorted(
        ((p, o, s) for p in args.problems for o in args.optimizers for s in range(args.first_seed, args.first_seed + args.seeds)),
        key=lambda t: (t[2], -PROBLEMS[t[0]].budget * weight[t[1]]),
    )
    started = time.perf_counter()
    deadline = None if args.stop_after is None else started + 60.0 * args.stop_after
    records = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        queue = list(reversed(tasks))
        running = set()
        while queue or running:
            while queue and len(running) < args.jobs and (deadline is None or time.perf_counter() < deadline):
                running.add(pool.submit(run_one, queue.pop()))
            if not running:
                break
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                record = future.result()
                records.append(record)
                pd.DataFrame([record]).to_csv(out, mode="a", header=len(records) == 1, index=False)
                print(
                    f"  {record['problem']:13s} {record['optimizer']:12s} seed {record['seed']:2d}: "
                    f"regret {record['final_regret']:.3g}, {record['median_s_per_suggestion']:.3f} s/suggestion",
                    flush=True,
                )
    results = pd.DataFrame(records)
    print(f"\n{len(records)} of {len(tasks)} runs in {time.perf_counter() - started:.0f} s")
    if args.merge:
        results = merge_earlier(results, args.merge)
        print(f"with rows of {', '.join(str(p) for p in args.merge)} for the pairs not run now")
    table = summarise(results)
    order = {p: i for i, p in enumerate(PROBLEMS)}
    table = table.sort_values(["problem", "optimizer"], key=lambda c: c.map(order) if c.name == "problem" else c)
    print(
        "\nFinal regret (true value at the best reading): median, upper quartile; on noisy problems also by"
        " the posterior mean and the expected regret over fresh noise (median); seeds stuck; near-duplicate suggestions; median wall and CPU seconds per suggestion"
    )
    print(f"  {'problem':16s} {'optimizer':14s} {'median':>9s} {'q75':>9s} {'med(mean)':>9s} {'q75(mean)':>9s} "
          f"{'expected':>9s} {'stuck':>5s} {'dups':>5s} {'s/sugg':>7s} {'CPU s':>7s}")
    for _, row in table.iterrows():
        print(
            f"  {row['problem']:16s} {row['optimizer']:14s} {row['median regret']:9.3g} {row['q75']:9.3g} "
            f"{row['median by mean']:9.3g} {row['q75 by mean']:9.3g} {row['median expected']:9.3g} {row['stuck']:5d} {row['near-duplicates']:5d} "
            f"{row['median s/suggestion']:7.3f} {row['median CPU s/suggestion']:7.3f}  ({row['seeds']} seeds)"
        )
    print("\nTargets for the default against scikit-optimize:")
    print("\n".join(targets(results)) or "  (run both 'alchemist' and 'skopt' to compare)")
    if not args.no_large:
        large = time_large()
        print(
            f"\n1,000 experiments x 6 variables: train {large['train_s']:.2f} s + suggest "
            f"{large['suggest_s']:.2f} s = {large['total_s']:.2f} s (CPU {large['cpu_s']:.2f} s)"
        )
    print(f"Wrote {out}")


if __name__ == "__main__":
    main()
