"""Fitting the hyperparameters: the log marginal likelihood, its gradient and the MAP search.

Hyperparameters are fitted by maximising the log marginal likelihood plus weak log-normal
priors (a MAP estimate). The priors are what keep a fit on 5-10 points from collapsing onto
the bounds: without them the likelihood is often flat or maximal at tiny length scales, and
the model then predicts the mean everywhere with a useless uncertainty.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import cho_solve
from scipy.linalg.lapack import dpotri
from scipy.optimize import minimize

from alchemist.model.kernels import LENGTH_SCALE_BOUNDS, Covariance, squared_differences

# log-normal priors (mean, sd of the log) of signal variance, noise variance and the rational
# quadratic's shape; the length scales' prior depends on the dimension (length_scale_prior).
SIGNAL_PRIOR = (0.0, 1.0)
NOISE_PRIOR = (math.log(1e-4), 2.0)
RQ_ALPHA_PRIOR = (0.0, 1.0)

# What the optimiser sees instead of the likelihood where the covariance is not positive definite.
FAILED_VALUE = 1e25
MAX_ITERATIONS = 200


def length_scale_prior(n_dims: int) -> tuple[float, float]:
    """Mean and sd of log(length scale) on the unit cube.

    The median grows with the square root of the dimension (as in Hvarfner et al., 2024, "Vanilla
    Bayesian optimization performs great in high dimensions"): distances between points grow like
    sqrt(d), so a fixed prior would make the model ever rougher as variables are added.
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
        K_inv = np.tril(K_inv) + np.tril(K_inv, -1).T
        W = np.outer(weights, weights) - K_inv
        return -lml, -0.5 * contract(W)


def fit_theta(objective: LogMarginalLikelihood, n_restarts: int, rng: np.random.Generator) -> np.ndarray:
    """MAP theta: L-BFGS-B from the prior medians and from `n_restarts` draws of the prior.

    Starts come from the prior rather than uniformly from the (wide) bounds, so that each one
    begins at a plausible model instead of at, say, length scale 80 and noise 0.9.
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

    starts = [np.clip(initial_theta(covariance), bounds[:, 0], bounds[:, 1])]
    for _ in range(n_restarts):
        draw = prior_mean + prior_sd * rng.standard_normal(len(prior_mean))
        starts.append(np.clip(draw, bounds[:, 0], bounds[:, 1]))
    best_theta, best_value = starts[0], np.inf
    with np.errstate(all="ignore"):
        for start in starts:
            result = minimize(
                penalised, start, jac=True, method="L-BFGS-B", bounds=bounds,
                options={"maxiter": MAX_ITERATIONS},
            )
            if result.fun < best_value:
                best_theta, best_value = result.x, float(result.fun)
    return np.array(best_theta, dtype=float)
