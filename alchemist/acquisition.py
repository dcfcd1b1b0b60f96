"""Acquisition functions: pure functions of the posterior mean and std at candidate points.

Each takes (mean, std, best, goal, ...) as arrays in the same units and returns an array.
Two views of each function:

* `acquisition_value` - what the user sees: EI and PI as an improvement / probability, the
  confidence bound as a bound in the target's units, the std or the mean.
* `acquisition_score` - what the optimiser maximises: larger is always better, and EI and PI are
  taken in log space. Far from the incumbent EI underflows to exactly 0 in floating point, which
  leaves a gradient optimiser on a flat plateau; log EI stays informative there (Ament et al.,
  2023, "Unexpected improvements to expected improvement for Bayesian optimization").

On noisy results EI takes `noise_var`, the variance of one measurement (in the units of std
squared), and is discounted by 1 - noise sd / sqrt(std^2 + noise variance), the augmented EI of
Huang et al. (2006, "Global optimization of stochastic black-box systems via sequential kriging
meta-models"): where the model already knows the function to well within the noise, one more
reading there can reveal little, however promising the mean.
"""

from __future__ import annotations

import math
from enum import Enum

import numpy as np
from scipy.special import erfcx, log_ndtr, ndtr

from alchemist.errors import ModelError
from alchemist.validation import one_of

ACQUISITIONS = {
    "auto": "Automatic: explore, then refine the best (recommended)",
    "ei": "Expected improvement",
    "pi": "Probability of improvement",
    "ucb": "Upper/lower confidence bound",
    "explore": "Pure exploration (largest uncertainty)",
    "exploit": "Pure exploitation (best predicted mean)",
}
GOALS = ("maximize", "minimize")
AUTO = "auto"
# With a stated budget, the automatic policy spends its last EXPLOIT_SHARE (at least one
# experiment) on the best predicted conditions: once the budget is nearly spent a refined best
# is worth more than what exploring could still reveal (Branin, 10 seeds: median regret 0.00102
# with EI to the end, lower with the last 10% exploiting; benchmarks/optimization.py).
# A larger share does nothing for noisy results (2026-11-30, branin_noisy and hartmann3_noisy,
# seeds 0-39, expected regret of the best reading, better / worse seeds against 0.1): 0.2,
# branin 1.81 -> 1.79 (24 / 16, Wilcoxon p 0.33), hartmann3 0.0200 -> 0.0191 (20 / 20); 0.3,
# 1.88 (22 / 18) and 0.0196 (20 / 20), with mean regret worse on both.
EXPLOIT_SHARE = 0.1
# Without a stated budget, the automatic policy refines the best predicted conditions once the
# largest expected improvement anywhere is below this, in the model's units (standard
# deviations of the results seen): too little left to be worth exploring for. Branin, 5 seeds,
# no budget: median regret 0.00665 with 1e-3 (it rarely fired), 0.00029 with 1e-2. With 3e-2,
# so that a basin refined on noisy readings (where EI stays near 0.015) counts as spent sooner:
# noisy Hartmann-3, seeds 0-39, expected regret 0.0200 -> 0.0192 (22 / 18 seeds better / worse),
# noisy Branin 1.81 -> 1.84 (21 / 17), its stuck seeds still stuck (2026-11-30).
LITTLE_LEFT = 1e-2
# A spent basin: the last BASIN_RECENT experiments improved on the best before them by no more
# than LITTLE_LEFT (model units) per experiment, the gain for which the automatic policy stops
# exploring, and at least half of them lie within BASIN_RADIUS (max norm, unit cube) of the best
# experiment. (Any gain over LITTLE_LEFT in all six kept a Hartmann-6 seed refining one local
# minimum for 19 experiments at 0.003 a step, until too little budget was left to leave.) Refining there further is then worth nothing, so the
# automatic policy explores outside it instead (alchemist.optimize: the best point of a posterior
# draw; under constraints, expected improvement asking for a gain of at least LITTLE_LEFT).
# Hartmann-6 seeds that ended in a local minimum spent their last 30 experiments within 0.01 of
# one point.
BASIN_RECENT = 6
BASIN_RADIUS = 0.05
# ... but only while over this share of a stated budget remains: a spent basin may be the best
# one, and then every experiment spent elsewhere is a refinement step lost (Branin, 30
# experiments: median regret 9e-5 -> 2.5e-4 on 6 seeds with the rule to the end).
EXPLORE_AWAY_SHARE = 0.3


class Reason(str, Enum):
    """Why a suggestion was chosen the way it was: data for the app to word."""

    CHOSEN = "chosen"  # the acquisition the user picked
    EXPLORE = "explore"  # automatic: expected improvement over the model's best prediction
    REFINE = "refine"  # automatic: the stated budget is nearly spent, so the best predicted point
    LITTLE_LEFT = "little_left"  # automatic: almost no improvement expected anywhere, so refine the best
    WIDENED = "widened"  # the model predicted its own data poorly, so its uncertainty was widened
    REPLICATE = "replicate"  # the noise is large enough that repeating a measured point informs most
# Beyond this the confidence bound is the std times a constant: pure exploration by another name.
MAX_BETA = 100.0

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_SQRT_PI_OVER_2 = 0.5 * math.log(math.pi / 2.0)
_INV_SQRT_EPS = 1.0 / math.sqrt(np.finfo(float).eps)


def check_goal(goal: object) -> str:
    if not isinstance(goal, str) or goal not in GOALS:
        raise ModelError(f"The goal must be 'maximize' or 'minimize', not '{str(goal)[:40]}'.")
    return goal


def check_acquisition(name: object) -> str:
    return one_of(name, ACQUISITIONS, "acquisition")


def check_beta(beta: object) -> float:
    """The confidence-bound factor as a float from 0 to MAX_BETA."""
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.integer, np.floating)) or not 0 <= beta <= MAX_BETA:
        raise ModelError(f"The confidence-bound factor beta must be a number from 0 to {MAX_BETA:g}.")
    return float(beta)


def scheduled_acquisition(name: str, n_done: int, budget: int | None) -> tuple[str, Reason]:
    """The acquisition to use for the next experiment, and why.

    `n_done` counts the experiments measured or already planned (pending, earlier members of a
    batch); `budget` is the total the user means to run, if stated. Only AUTO is scheduled.
    """
    check_acquisition(name)
    if name != AUTO:
        return name, Reason.CHOSEN
    if budget is not None and budget - n_done <= max(1, round(EXPLOIT_SHARE * budget)):
        return "exploit", Reason.REFINE
    return "ei", Reason.EXPLORE


def basin_spent(U: np.ndarray, ys: np.ndarray, goal: str) -> bool:
    """Whether the experiments `U` (encoded, in the order measured) with outputs `ys` (model
    units) have spent the basin of the best one (see BASIN_RECENT)."""
    check_goal(goal)
    ys = np.asarray(ys, dtype=float)
    if len(ys) <= BASIN_RECENT:
        return False
    signed = ys if goal == "maximize" else -ys
    if signed[-BASIN_RECENT:].max() - signed[:-BASIN_RECENT].max() > LITTLE_LEFT * BASIN_RECENT:
        return False
    best = U[int(np.argmax(signed))]
    near = np.max(np.abs(U[-BASIN_RECENT:] - best), axis=1) < BASIN_RADIUS
    return 2 * int(near.sum()) >= BASIN_RECENT


def room_to_explore(n_done: int, budget: int | None) -> bool:
    """Whether enough of the budget (if stated) remains to leave a spent basin (EXPLORE_AWAY_SHARE)."""
    return budget is None or budget - n_done > EXPLORE_AWAY_SHARE * budget


def improvement_z(mean: np.ndarray, std: np.ndarray, best: float, goal: str, xi: float = 0.0) -> np.ndarray:
    """Standardised improvement over the best value so far, signed so that positive is better."""
    check_goal(goal)
    mean = np.asarray(mean, dtype=float)
    std = np.maximum(np.asarray(std, dtype=float), 1e-300)
    gain = mean - best - xi if goal == "maximize" else best - mean - xi
    return gain / std


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """log(1 - exp(x)) for x < 0, accurate on both sides of -log 2 (Maechler, 2012)."""
    return np.where(x > -math.log(2.0), np.log(-np.expm1(np.minimum(x, -1e-300))), np.log1p(-np.exp(x)))


def log_h(z: np.ndarray) -> np.ndarray:
    """log(phi(z) + z Phi(z)), the expected improvement of a standard normal, without underflow."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu**2 - _LOG_SQRT_2PI) + zu * ndtr(zu))
    mid = (~upper) & (z > -_INV_SQRT_EPS)
    zm = z[mid]
    # phi(z) + z Phi(z) = phi(z) (1 - |z| Phi(z)/phi(z)) and Phi(z)/phi(z) = erfcx(-z/sqrt2) sqrt(pi/2).
    out[mid] = -0.5 * zm**2 - _LOG_SQRT_2PI + _log1mexp(np.log(erfcx(-zm / math.sqrt(2.0)) * -zm) + _LOG_SQRT_PI_OVER_2)
    low = ~(upper | mid)
    zl = z[low]
    # Asymptotically h(z) ~ phi(z) / z^2.
    out[low] = -0.5 * zl**2 - _LOG_SQRT_2PI - 2.0 * np.log(-zl)
    return out


def log_expected_improvement(mean, std, best: float, goal: str, xi: float = 0.0) -> np.ndarray:
    z = improvement_z(mean, std, best, goal, xi)
    return np.log(np.maximum(np.asarray(std, dtype=float), 1e-300)) + log_h(z)


def expected_improvement(mean, std, best: float, goal: str, xi: float = 0.0) -> np.ndarray:
    """E[max(0, improvement)] under the posterior, in the target's units."""
    return np.exp(log_expected_improvement(mean, std, best, goal, xi))


def log_probability_of_improvement(mean, std, best: float, goal: str, xi: float = 0.0) -> np.ndarray:
    return log_ndtr(improvement_z(mean, std, best, goal, xi))


def probability_of_improvement(mean, std, best: float, goal: str, xi: float = 0.0) -> np.ndarray:
    return ndtr(improvement_z(mean, std, best, goal, xi))


def confidence_bound(mean, std, goal: str, beta: float = 2.0) -> np.ndarray:
    """mean + beta*std when maximising (upper bound), mean - beta*std when minimising (lower)."""
    check_goal(goal)
    mean = np.asarray(mean, dtype=float)
    std = np.asarray(std, dtype=float)
    return mean + beta * std if goal == "maximize" else mean - beta * std


def log_noise_discount(std, noise_var: float) -> np.ndarray:
    """log(1 - noise sd / sqrt(std^2 + noise_var)): augmented EI's discount (module docstring);
    0 without noise."""
    std = np.asarray(std, dtype=float)
    if noise_var <= 0:
        return np.zeros_like(std)
    return np.log1p(-np.sqrt(noise_var / (std**2 + noise_var)))


def acquisition_value(name: str, mean, std, best: float, goal: str, beta: float = 2.0) -> np.ndarray:
    """The acquisition as shown to the user (see module docstring); `best` is the incumbent, for
    noise-aware use the model's best mean at a measured point (see alchemist.optimize). The
    discount for noise (log_noise_discount) is the caller's: it needs the std and the noise in
    one unit, which under an output transform are the model's and not the target's."""
    check_acquisition(name)
    if name == AUTO:
        raise ModelError("The automatic policy must be resolved first (scheduled_acquisition).")
    if name == "ei":
        return expected_improvement(mean, std, best, goal)
    if name == "pi":
        return probability_of_improvement(mean, std, best, goal)
    if name == "ucb":
        return confidence_bound(mean, std, goal, beta)
    check_goal(goal)
    if name == "explore":
        return np.asarray(std, dtype=float).copy()
    return np.asarray(mean, dtype=float).copy()  # "exploit", the last of ACQUISITIONS


def acquisition_score(
    name: str, mean, std, best: float, goal: str, beta: float = 2.0, xi: float = 0.0, noise_var: float = 0.0,
) -> np.ndarray:
    """A monotone transform of the acquisition where larger is better, for the optimiser; `xi`,
    the least gain EI counts (see BASIN_RECENT); `noise_var` as in acquisition_value."""
    if name == "ei":
        return log_expected_improvement(mean, std, best, goal, xi) + log_noise_discount(std, noise_var)
    if name == "pi":
        return log_probability_of_improvement(mean, std, best, goal)
    value = acquisition_value(name, mean, std, best, goal, beta)
    if goal == "minimize" and name in ("ucb", "exploit"):
        return -value
    return value
