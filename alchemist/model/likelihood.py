"""Fitting the hyperparameters: the log marginal likelihood, its gradient and the MAP search.

Hyperparameters are fitted by maximising the log marginal likelihood plus weak log-normal
priors (a MAP estimate). The priors are what keep a fit on 5-10 points from collapsing onto
the bounds: without them the likelihood is often flat or maximal at tiny length scales, and
the model then predicts the mean everywhere with a useless uncertainty.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
from scipy.linalg import cho_solve
from scipy.linalg.lapack import dpotri
from scipy.optimize import minimize

from alchemist.model.kernels import LENGTH_SCALE_BOUNDS, Covariance, SquaredDifferences, squared_differences

# log-normal priors (mean, sd of the log) of signal variance, noise variance and the rational
# quadratic's shape; the length scales' prior depends on the dimension (length_scale_prior).
SIGNAL_PRIOR = (0.0, 1.0)
# The noise variance in model units (outputs standardised). On 25 spread-out points the
# likelihood is nearly flat in the noise below a few hundredths (measured on Branin and
# Hartmann-3 with and without 2%-of-range noise: within 0.5 nats from 1e-6 to 1e-2), so the prior
# decides there. A median of 1e-4 (sd 2) called that noise a tenth of its size and the model
# interpolated it; a median of 1e-3 with sd 2.5 learns it within a factor of two, while the
# likelihood of a noise-free smooth function still pulls the noise far below the median.
NOISE_PRIOR = (math.log(1e-3), 2.5)
RQ_ALPHA_PRIOR = (0.0, 1.0)

# The guarded fit (see fit_theta): a start with short length scales (unit cube), so that a rough
# explanation of the data is always tried next to the smooth one the prior median favours.
SHORT_LENGTH_SCALE = 0.08
# Local optima whose penalised likelihood is within this many nats of the best are compared by
# their leave-one-out predictive density; farther ones are not credible alternatives.
LOO_COMPARISON_NATS = 4.0
# Above this many points the leave-one-out comparison is skipped (it needs K^-1: O(n^3)).
LOO_CHECK_MAX_POINTS = 500

# The noise variance (model units) of the noisy start (see noisy_theta): a smooth model that calls
# about a third of the spread noise. A warm start alone stays in the optimum it came from, and on
# noisy data that is the rough one that interpolates the early readings: on noisy Branin (seed
# 14, 25 points) the campaign's fits kept noise 0.0011 with length scales 0.03 while the fit from
# this start reached noise 0.24 at a penalised likelihood 30 nats better.
NOISY_START = 0.1

# A warm fit (see fit_theta) whose leave-one-out z-scores have a root mean square up to this
# explains its own data: the short-length-scale guard is then skipped. Above it the model
# predicts its own points worse than it claims, the case the guard is for.
CONSISTENT_LOO_RMS = 2.0

# What the optimiser sees instead of the likelihood where the covariance is not positive definite.
FAILED_VALUE = 1e25
MAX_ITERATIONS = 200


def length_scale_prior(n_dims: int) -> tuple[float, float]:
    """Mean and sd of log(length scale) on the unit cube.

    The median grows with the square root of the dimension (as in Hvarfner et al., 2024, "Vanilla
    Bayesian optimization performs great in high dimensions"): distances between points grow like
    sqrt(d), so a fixed prior would make the model ever rougher as variables are added.
    Its median against twice and half of it on benchmarks/constrained.py (2026-11-30, seeds 0-49,
    every model, seeds better / worse): twice, Branin with x1 + x2 <= 8 14 / 36 (median regret
    0.97 -> 1.21), mixture 22 / 27 (0.95 -> 1.88), outcome 29 / 21, BraninCurrin 24 / 26; half,
    Branin 28 / 22 (0.93), mixture 19 / 30 (2.10), outcome 20 / 30, BraninCurrin 19 / 30.
    """
    return math.log(0.25) + 0.5 * math.log(n_dims), 1.0


def log_prior(covariance: Covariance) -> tuple[np.ndarray, np.ndarray]:
    """Means and sds of independent normal priors on theta (log hyperparameters)."""
    rows = [SIGNAL_PRIOR] + ([RQ_ALPHA_PRIOR] if covariance.has_alpha else [])
    rows += [length_scale_prior(covariance.n_dims)] * covariance.n_dims + [NOISE_PRIOR]
    table = np.array(rows, dtype=float)
    return table[:, 0], table[:, 1]


def initial_theta(covariance: Covariance) -> np.ndarray:
    """The first start of the search: the prior medians (the length scales within their bounds)."""
    scale = float(np.clip(math.exp(length_scale_prior(covariance.n_dims)[0]), *LENGTH_SCALE_BOUNDS))
    alpha = [1.0] if covariance.has_alpha else []
    return np.log([1.0, *alpha, *([scale] * covariance.n_dims), math.exp(NOISE_PRIOR[0])])


class LogMarginalLikelihood:
    """Minus log p(ys | theta) and minus its gradient, for one data set.

    The pairwise squared differences are prepared once: rebuilding kernel objects on every call,
    as scikit-learn does, costs more than the linear algebra below a few hundred points and made
    a fit take most of the time budget of a suggestion.
    """

    def __init__(self, covariance: Covariance, U: np.ndarray, ys: np.ndarray, diag: np.ndarray) -> None:
        self.covariance = covariance
        self.ys = ys
        self.diag = diag
        self.diff2 = squared_differences(U)

    def __call__(self, theta: np.ndarray, eval_gradient: bool = True):
        n = len(self.ys)
        K, contract = self.covariance.training_with_gradient(theta, self.diff2, self.diag)
        try:
            L = np.linalg.cholesky(K)
        except np.linalg.LinAlgError:
            return (FAILED_VALUE, np.zeros_like(theta)) if eval_gradient else FAILED_VALUE
        weights = cho_solve((L, True), self.ys, check_finite=False)
        lml = -0.5 * float(self.ys @ weights) - float(np.log(np.diag(L)).sum()) - 0.5 * n * math.log(2 * math.pi)
        if not eval_gradient:
            return -lml
        K_inv, info = dpotri(L, lower=1)  # inverse from the Cholesky factor (lower triangle only)
        if info != 0:
            return FAILED_VALUE, np.zeros_like(theta)
        K_inv = _symmetric(K_inv)
        W = np.outer(weights, weights) - K_inv
        return -lml, -0.5 * contract(W)


def _symmetric(lower: np.ndarray) -> np.ndarray:
    """The full matrix from dpotri's lower triangle. Its upper triangle is that of the factor it
    was given, which numpy's cholesky leaves at zero, so one masked copy suffices (one of the
    two the obvious form makes; this runs once per likelihood evaluation)."""
    return lower + np.tril(lower, -1).T


def short_scale_theta(covariance: Covariance) -> np.ndarray:
    """A start with short length scales and little noise: the rough explanation of the data."""
    theta = initial_theta(covariance)
    theta[covariance.scale_slice] = math.log(SHORT_LENGTH_SCALE)
    return theta


def noisy_theta(covariance: Covariance) -> np.ndarray:
    """A start with the prior's length scales and NOISY_START noise: the noisy explanation."""
    theta = initial_theta(covariance)
    theta[-1] = math.log(NOISY_START)
    return theta


def loo_log_density(covariance: Covariance, theta: np.ndarray, diff2: SquaredDifferences, ys: np.ndarray, diag: np.ndarray) -> float:
    """Mean leave-one-out log predictive density of the outputs under theta (closed form).

    With K^-1 from one factorisation, the prediction of y_i from the others has mean
    y_i - [K^-1 y]_i / [K^-1]_ii and variance 1 / [K^-1]_ii (Rasmussen & Williams, sec. 5.4.2),
    so no refit is needed. A model that is confidently wrong scores far lower here than its
    marginal likelihood suggests: each point it fails to predict costs the square of its z-score.
    """
    K, _ = covariance.training_with_gradient(theta, diff2, diag)
    residual, variance = loo_residuals(K, ys)
    if residual is None:
        return -math.inf
    return float(np.mean(-0.5 * residual**2 / variance - 0.5 * np.log(2 * math.pi * variance)))


def loo_residuals(K: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Leave-one-out residuals y_i - mean_i and predictive variances, from the training covariance K."""
    try:
        L = np.linalg.cholesky(K)
    except np.linalg.LinAlgError:
        return None, None
    K_inv, info = dpotri(L, lower=1)
    if info != 0:
        return None, None
    K_inv = _symmetric(K_inv)
    inv_diag = np.maximum(np.diag(K_inv), 1e-300)
    return (K_inv @ ys) / inv_diag, 1.0 / inv_diag


def fit_theta(
    objective: LogMarginalLikelihood, n_restarts: int, rng: np.random.Generator, warm_start: np.ndarray | None = None,
) -> np.ndarray:
    """Guarded MAP theta: L-BFGS-B from the prior medians, from short length scales and from
    `n_restarts` draws of the prior; the optima are then compared.

    `warm_start`, the previous fit's theta on (mostly) the same data, replaces the draws of the
    prior and the prior-median start: one experiment more moves the optimum little, so the
    previous optimum is the best start there is, and it converges in a few steps. The
    short-length-scale start stays (the guard). Measured: a warm fit takes about 50 likelihood
    evaluations instead of 75-80 with the prior median as a third start (6 variables, 31-101
    points). Up to LOO_CHECK_MAX_POINTS a noisy start (noisy_theta) runs beside the warm one and
    the better MAP of the two goes on: a warm start alone never leaves the optimum it came from.
    Final regret on the benchmark campaigns (4 seeds each): the same to 3 digits on
    Branin, Hartmann-3, mixed Branin and noisy Hartmann-3; Hartmann-6 (9 seeds) differs only in
    the refinement digits (median 5e-5 before, 2.7e-4 after; the same 3 seeds stuck).

    Starts come from the prior rather than uniformly from the (wide) bounds, so that each one
    begins at a plausible model instead of at, say, length scale 80 and noise 0.9. On a few points
    the likelihood often has two optima: a smooth model that calls most of the data noise or a
    trend, and a rough one that fits them. The smooth one can win on likelihood and yet predict
    its own data badly (a stuck campaign: 2.97 +- 0.12 predicted where f = 0.40); so the optima
    within LOO_COMPARISON_NATS of the best are ranked by leave-one-out predictive density.
    """
    covariance = objective.covariance
    prior_mean, prior_sd = log_prior(covariance)
    bounds = covariance.bounds

    def penalised(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = objective(theta, eval_gradient=True)
        if not np.isfinite(value):
            return FAILED_VALUE, np.zeros_like(theta)
        z = (theta - prior_mean) / prior_sd
        return value + 0.5 * float(z @ z), grad + z / prior_sd

    def optimum(start: np.ndarray) -> tuple[float, np.ndarray] | None:
        with np.errstate(all="ignore"):
            result = minimize(
                penalised, np.clip(start, bounds[:, 0], bounds[:, 1]), jac=True, method="L-BFGS-B",
                bounds=bounds, options={"maxiter": MAX_ITERATIONS},
            )
        if np.isfinite(result.fun) and result.fun < FAILED_VALUE:
            return float(result.fun), np.array(result.x, dtype=float)
        return None

    starts = [initial_theta(covariance), short_scale_theta(covariance)]
    optima: list[tuple[float, np.ndarray]] = []
    if warm_start is not None and warm_start.shape == starts[0].shape and np.all(np.isfinite(warm_start)):
        # The warm start replaces the prior median too: next to the previous optimum it only
        # re-finds the smooth explanation (a third of the likelihood evaluations of a fit).
        # The short-length-scale start stays as the guard against a wrong smooth fit, but only
        # where the warm optimum shows the symptom of one: leave-one-out errors larger than it
        # claims. Skipping it otherwise halves the CPU of a warm fit (6 variables, 45 points).
        warm = optimum(np.array(warm_start, dtype=float))
        if len(objective.ys) <= LOO_CHECK_MAX_POINTS:
            # ... and the noisy explanation is tried beside it; the better MAP wins (with
            # hundreds of points the likelihood settles the noise and the warm optimum holds it).
            noisy = optimum(noisy_theta(covariance))
            if noisy is not None and (warm is None or noisy[0] < warm[0]):
                warm = noisy
        if warm is not None and loo_consistent(covariance, warm[1], objective):
            return warm[1]
        optima = [warm] if warm is not None else []
        starts = [starts[1]]
        n_restarts = 0
    for _ in range(n_restarts):
        starts.append(prior_mean + prior_sd * rng.standard_normal(len(prior_mean)))
    for start in starts:
        found = optimum(start)
        if found is not None:
            optima.append(found)
    if not optima:
        return np.clip(initial_theta(covariance), bounds[:, 0], bounds[:, 1])
    if len(objective.ys) > LOO_CHECK_MAX_POINTS:
        return min(optima, key=lambda item: item[0])[1]
    return choose_optimum(
        optima, lambda theta: loo_log_density(covariance, theta, objective.diff2, objective.ys, objective.diag)
    )


def loo_consistent(covariance: Covariance, theta: np.ndarray, objective: LogMarginalLikelihood) -> bool:
    """Whether theta's leave-one-out z-scores have a root mean square within CONSISTENT_LOO_RMS
    (True above LOO_CHECK_MAX_POINTS, where the check is not affordable)."""
    if len(objective.ys) > LOO_CHECK_MAX_POINTS:
        return True
    K, _ = covariance.training_with_gradient(theta, objective.diff2, objective.diag)
    with np.errstate(all="ignore"):
        residual, variance = loo_residuals(K, objective.ys)
    if residual is None:
        return False
    return bool(np.sqrt(np.mean(residual**2 / variance)) <= CONSISTENT_LOO_RMS)


def choose_optimum(optima: list[tuple[float, np.ndarray]], loo: Callable[[np.ndarray], float]) -> np.ndarray:
    """Of (minus penalised log likelihood, theta) pairs, the distinct optima within
    LOO_COMPARISON_NATS of the best ranked by `loo` (leave-one-out density, larger is better)."""
    ranked = sorted(optima, key=lambda item: item[0])
    best_value = ranked[0][0]
    contenders: list[np.ndarray] = []
    for value, theta in ranked:
        if value <= best_value + LOO_COMPARISON_NATS and all(np.max(np.abs(theta - t)) > 1e-3 for t in contenders):
            contenders.append(theta)
    if len(contenders) == 1:
        return contenders[0]
    with np.errstate(all="ignore"):
        scores = [loo(theta) for theta in contenders]
    return contenders[int(np.argmax(scores))]
