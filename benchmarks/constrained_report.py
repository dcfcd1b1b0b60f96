"""The table, targets and intervals of benchmarks.constrained, from its runs (live or saved)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.constrained_problems import PROBLEMS


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (problem, side), group in results.groupby(["problem", "side"], sort=False):
        final = group["final"].to_numpy(float)
        rows.append({
            "problem": problem,
            "side": side,
            "metric": group["metric"].iloc[0],
            "seeds": len(group),
            "median": float(np.median(final)),
            # The gap itself (not its log) for the hypervolume problems: see `targets`.
            "median gap": float(np.median(10.0 ** final)) if group["metric"].iloc[0] != "regret" else math.nan,
            "q75": float(np.quantile(final, 0.75)),
            "infeasible": int(group["infeasible"].sum()),
            "limit misses": int(group["limit_misses"].sum()),
            "reported probability": _mean(group, "reported_probability"),
            "met share": _mean(group, "limit_met_share"),
            "brier": _mean(group, "brier"),
            "s/call": float(np.median(group["median_s_per_call"])),
            "CPU s/call": float(np.median(group["median_cpu_s_per_call"])),
        })
    return pd.DataFrame(rows)


def _mean(group: pd.DataFrame, column: str) -> float:
    """Mean over the runs that have the figure (saved outputs from before it existed have not)."""
    values = group[column].to_numpy(float) if column in group else np.array([])
    values = values[np.isfinite(values)]
    return float(np.mean(values)) if len(values) else math.nan


def targets(table: pd.DataFrame) -> list[str]:
    """The issue's targets for ALchemist against BoTorch, one line per problem.

    Half of BoTorch's median: for a regret, ours <= 0.5 x theirs; for a log10 hypervolume gap,
    ours <= theirs + log10(0.5) (half the gap). That ratio, 10 ** (median log10 gap, ours -
    median log10 gap, theirs), is a ratio of gaps, not of their logs (a ratio of logs would be
    meaningless: they change sign at a gap of 1 and depend on the units). The log is monotone,
    so each median is the log of the median gap; with an even number of seeds the middle two
    are averaged in logs (their geometric mean), so the ratio of the plain median gaps (their
    arithmetic mean) is printed beside it."""
    lines = []
    for problem, group in table.groupby("problem", sort=False):
        rows = group.set_index("side")
        if not {"alchemist", "botorch"} <= set(rows.index):
            continue
        ours, theirs = rows.loc["alchemist"], rows.loc["botorch"]
        if ours["metric"] == "regret":
            ratio = ours["median"] / max(theirs["median"], 1e-300)
        else:
            ratio = 10 ** (ours["median"] - theirs["median"])
            plain = ours["median gap"] / max(theirs["median gap"], 1e-300)
        known = PROBLEMS[problem].kind == "inputs"
        met = [ratio <= 0.5, ours["s/call"] < theirs["s/call"]] + ([ours["infeasible"] == 0] if known else [])
        lines.append(
            f"  {problem:14s} {ours['metric']:13s} ours/BoTorch's median {ratio:7.3g} (target <= 0.5), "
            f"s/call {ours['s/call']:.2f} vs {theirs['s/call']:.2f}"
            + (f", infeasible {ours['infeasible']} (target 0)" if known else "")
            + (f", ratio of median gaps {plain:.3g}" if ours["metric"] != "regret" else "")
            + ("  MET" if all(met) else "  MISSED")
        )
    return lines


def print_table(table: pd.DataFrame) -> None:
    print(
        "\nFinal score over seeds (log10 hypervolume gap to the true front, or constrained regret; lower is better):"
        " median, upper quartile; suggestions breaking a known constraint; suggestions missing the outcome limit;"
        " median wall and CPU seconds per call of suggest"
    )
    print(f"  {'problem':14s} {'side':10s} {'metric':13s} {'median':>9s} {'q75':>9s} {'infeas':>6s} "
          f"{'misses':>6s} {'s/call':>7s} {'CPU s':>7s}")
    for _, row in table.iterrows():
        print(
            f"  {row['problem']:14s} {row['side']:10s} {row['metric']:13s} {row['median']:9.3g} {row['q75']:9.3g} "
            f"{row['infeasible']:6d} {row['limit misses']:6d} {row['s/call']:7.2f} {row['CPU s/call']:7.2f}"
            f"  ({row['seeds']} seeds)"
        )
    for _, row in table.iterrows():
        if math.isfinite(row["reported probability"]):
            print(
                f"  {row['problem']} ({row['side']}): reported probability of meeting the limit, mean "
                f"{row['reported probability']:.2f}; share of suggestions that met it {row['met share']:.2f}; "
                f"Brier score {row['brier']:.3f} (0 is perfect, 0.25 a coin toss)"
            )


def paired(results: pd.DataFrame) -> pd.DataFrame:
    """Per problem, only the seeds that every side finished (a run cut short leaves some)."""
    sides = results["side"].nunique()
    complete = results.groupby(["problem", "seed"])["side"].transform("nunique") == sides
    return results[complete]


def ratio_interval(results: pd.DataFrame, problem: str, draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """A 90% bootstrap interval (seeds resampled in pairs) of ours / BoTorch's median, on the
    scale of `targets`: with 10 seeds and results that fall into two basins, the median can move
    by a factor of 2-4 between seed sets (the outcome problem: 2.6 on seeds 0-9, 0.7 on 10-19),
    so a ratio alone does not say whether a gap is real."""
    group = paired(results)
    group = group[group["problem"] == problem]
    table = group.pivot_table(index="seed", columns="side", values="final")
    if not {"alchemist", "botorch"} <= set(table.columns) or len(table) < 2:
        return math.nan, math.nan
    ours, theirs = table["alchemist"].to_numpy(float), table["botorch"].to_numpy(float)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(table), size=(draws, len(table)))
    a, b = np.median(ours[pick], axis=1), np.median(theirs[pick], axis=1)
    regret = group["metric"].iloc[0] == "regret"
    ratios = a / np.maximum(b, 1e-300) if regret else 10 ** (a - b)
    return float(np.quantile(ratios, 0.05)), float(np.quantile(ratios, 0.95))


def report(results: pd.DataFrame) -> None:
    table = summarise(paired(results))
    order = {p: i for i, p in enumerate(PROBLEMS)}
    table = table.sort_values(["problem", "side"], key=lambda c: c.map(order) if c.name == "problem" else c)
    print_table(table)
    print("\nTargets for ALchemist against BoTorch:")
    print("\n".join(targets(table)) or "  (run both sides to compare)")
    for problem in table["problem"].unique():
        low, high = ratio_interval(results, problem)
        if math.isfinite(low):
            print(f"  {problem:14s} ratio, 90% bootstrap interval over seeds: {low:.3g} - {high:.3g}")


def report_lines(path: Path) -> None:
    """The table and targets from the RESULT lines of a (possibly interrupted) run's output."""
    records = [json.loads(line[len("RESULT "):]) for line in path.read_text().splitlines() if line.startswith("RESULT ")]
    print(f"{len(records)} runs read from {path}")
    report(pd.DataFrame(records))
