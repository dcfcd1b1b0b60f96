"""Benchmark: is the stopping advice right? And what do the analyses cost?

    .venv/bin/python -m benchmarks.stopping                     # ~4 min: 3 problems x 3 seeds
    .venv/bin/python -m benchmarks.stopping --seeds 10 --problems branin hartmann3 hartmann6 mixed_branin
    .venv/bin/python -m benchmarks.stopping --margins 0.01 0.001 --extra 20 --jobs 2 --large

Each campaign is ALchemist's loop with expected improvement (GPModel + suggest, as in
benchmarks.optimization) from the same Latin-hypercube start, run to the problem's budget (plus
--extra experiments). After every training the advice is computed as the Suggestions page would
(alchemist.analysis.stopping.stopping_report, margin relative to the observed range), and
compared with the truth the user cannot see: the remaining regret (best value found minus the
known optimum). For each problem and margin it prints

* precision: of the rounds advised DONE, the share where the remaining regret was already below
  the margin (DONE was right), and the same for the first DONE of each campaign;
* late: among campaigns whose regret fell below the margin, how many experiments after that the
  first DONE came (median), and in how many it never came within the budget ("never");
* settled: the same for the advice confirmed over rounds (settled_verdict, DONE held for
  CONFIRM_ROUNDS rounds), which is what a page with the history shows;
* the same precision for LIKELY_DONE.

Then it times one stopping report, a 5-round history and a sensitivity analysis at 100
experiments x 6 variables (and at 2,000 with --large, ~1 min more). Writes a CSV of every round to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os

# One BLAS thread per worker: workers run in parallel, one per core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from alchemist.analysis.sensitivity import sensitivity  # noqa: E402
from alchemist.analysis.stopping import (  # noqa: E402
    Margin,
    Verdict,
    settled_verdict,
    stopping_history,
    stopping_report,
)
from alchemist.model import GPModel, ModelSettings  # noqa: E402
from alchemist.optimize import suggest  # noqa: E402
from benchmarks.campaign import median_seconds  # noqa: E402
from benchmarks.optimization import initial_points  # noqa: E402
from benchmarks.problems import PROBLEMS  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_PROBLEMS = ("branin", "hartmann3", "mixed_branin")
DEFAULT_MARGINS = (0.01, 0.002)  # fractions of the observed range


def run_campaign(task: tuple[str, int, tuple[float, ...], int]) -> list[dict]:
    """One EI campaign; a record per round and margin with the advice and the true regret."""
    problem_name, seed, margins, extra = task
    problem = PROBLEMS[problem_name]
    X = initial_points(problem, seed)
    y = problem.function(X)
    settings = ModelSettings(seed=seed)
    records = []
    for step in range(problem.budget - problem.n_initial + extra):
        model = GPModel(problem.variables, settings).fit(X, y)
        regret = float(np.min(y) - problem.optimum)
        for margin in margins:
            started = time.perf_counter()
            report = stopping_report(model, X, y, goal="minimize", margin=Margin(margin, relative=True), seed=step)
            records.append({
                "problem": problem_name, "seed": seed, "margin_fraction": margin, "n": len(y),
                "margin": report.margin, "regret": regret, "below_margin": regret <= report.margin,
                "incumbent_regret": float(y[report.incumbent_row] - problem.optimum),
                "probability": report.probability, "expected_improvement": report.expected_improvement,
                "verdict": report.verdict.value, "report_s": time.perf_counter() - started,
            })
        proposal = suggest(model, X, y, n=1, acquisition="ei", goal="minimize", seed=seed * 1000 + step)
        x_new = proposal[[v.name for v in problem.variables]].reset_index(drop=True)
        X = pd.concat([X, x_new], ignore_index=True)
        y = np.concatenate([y, problem.function(x_new)])
    return records


def _first(campaign: pd.DataFrame, mask: pd.Series) -> float:
    """The experiment count of the first round where mask holds (NaN if none)."""
    hits = campaign.loc[mask, "n"]
    return float(hits.iloc[0]) if len(hits) else np.nan


def _score_first(group: pd.DataFrame, column: str) -> dict:
    """First advice right / campaigns advised; median delay; campaigns below the margin never advised."""
    right, advised, delays, never = 0, 0, [], 0
    for _, campaign in group.groupby("seed"):
        campaign = campaign.sort_values("n")
        first = _first(campaign, campaign[column] == Verdict.DONE.value)
        reached = _first(campaign, campaign["below_margin"])
        if not np.isnan(first):
            advised += 1
            right += bool(campaign.loc[campaign["n"] == first, "below_margin"].iloc[0])
        if not np.isnan(reached):
            if np.isnan(first):
                never += 1
            else:
                delays.append(first - reached)
    return {
        "right": f"{right}/{advised}",
        "delay": float(np.median(delays)) if delays else np.nan,
        "never": f"{never}/{never + len(delays)}",
    }


def summarise(rounds: pd.DataFrame) -> pd.DataFrame:
    rounds = rounds.sort_values(["problem", "margin_fraction", "seed", "n"]).copy()
    # The settled advice a page with the history would show (see settled_verdict).
    rounds["settled"] = [
        settled_verdict([Verdict(v) for v in campaign["verdict"].iloc[:i + 1]]).value
        for _, campaign in rounds.groupby(["problem", "margin_fraction", "seed"], sort=False)
        for i in range(len(campaign))
    ]
    rows = []
    for (problem, margin), group in rounds.groupby(["problem", "margin_fraction"], sort=False):
        done = group["verdict"] == Verdict.DONE.value
        likely = group["verdict"] != Verdict.CONTINUE.value
        single, settled = _score_first(group, "verdict"), _score_first(group, "settled")
        rows.append({
            "problem": problem, "margin": margin, "campaigns": group["seed"].nunique(),
            "rounds": len(group), "done rounds": int(done.sum()),
            "precision": group.loc[done, "below_margin"].mean() if done.any() else np.nan,
            "first done right": single["right"], "median delay": single["delay"], "never": single["never"],
            "settled right": settled["right"], "settled delay": settled["delay"],
            "likely precision": group.loc[likely, "below_margin"].mean() if likely.any() else np.nan,
            "median report s": group["report_s"].median(),
        })
    return pd.DataFrame(rows)


def time_analyses(n: int, d: int = 6, seed: int = 0) -> dict:
    """Seconds for a stopping report, a 5-round history and a sensitivity analysis at n x d."""
    problem = PROBLEMS["hartmann6"]
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.random((n, d)), columns=[v.name for v in problem.variables])
    y = problem.function(X) + 0.01 * rng.standard_normal(n)
    model = GPModel(problem.variables, ModelSettings(seed=seed, n_restarts=1)).fit(X, y)
    margin = Margin(0.01, relative=True)
    return {
        "report_s": median_seconds(lambda: stopping_report(model, X, y, goal="minimize", margin=margin), 3),
        "history_s": median_seconds(lambda: stopping_history(model, X, y, goal="minimize", margin=margin), 1),
        "sensitivity_s": median_seconds(lambda: sensitivity(model), 3),
    }


def write_rounds(rounds: pd.DataFrame, path: Path | None) -> Path:
    """Every round's record as CSV (default: a time-stamped file in benchmarks/results/)."""
    if path is None:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"stopping-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.csv"
    rounds.to_csv(path, index=False)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="+", default=list(DEFAULT_PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (0, 1, ...)")
    parser.add_argument("--margins", nargs="+", type=float, default=list(DEFAULT_MARGINS),
                        help="margins as fractions of the observed range")
    parser.add_argument("--extra", type=int, default=0, help="experiments beyond each problem's budget")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--no-timing", action="store_true", help="skip the timings of the analyses")
    parser.add_argument("--large", action="store_true", help="time the analyses at 2,000 experiments too")
    parser.add_argument("--out", type=Path, default=None, help="CSV path (default: benchmarks/results/...)")
    args = parser.parse_args(argv)

    tasks = [(p, s, tuple(args.margins), args.extra) for p in args.problems for s in range(args.seeds)]
    tasks.sort(key=lambda t: -PROBLEMS[t[0]].budget)  # longest first
    started = time.perf_counter()
    records: list[dict] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for campaign in pool.map(run_campaign, tasks):
            records.extend(campaign)
            last = campaign[-1]
            print(f"  {last['problem']:13s} seed {last['seed']:2d}: final regret {last['regret']:.3g}", flush=True)
    rounds = pd.DataFrame(records)
    print(f"\n{len(tasks)} campaigns in {time.perf_counter() - started:.0f} s")
    print(
        "\nStopping advice against the true remaining regret (margin = fraction of the observed range).\n"
        "precision: share of DONE rounds whose regret was already below the margin; first done right:\n"
        "campaigns whose first DONE was right / campaigns with a DONE; median delay: experiments from\n"
        "regret below the margin to the first DONE; never: campaigns below the margin without a DONE;\n"
        "settled: the same for DONE confirmed over consecutive rounds (settled_verdict)."
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 3):
        print(summarise(rounds).to_string(index=False))
    if not args.no_timing:
        for n in (100, 2000) if args.large else (100,):
            t = time_analyses(n)
            print(
                f"\n{n:,} experiments x 6 variables: stopping report {t['report_s']:.2f} s, "
                f"5-round history {t['history_s']:.2f} s, sensitivity {t['sensitivity_s']:.2f} s",
                end="",
            )
        print()
    print(f"Wrote {write_rounds(rounds, args.out)}")


if __name__ == "__main__":
    main()
