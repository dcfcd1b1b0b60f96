"""A quadratic trend under a fitted GP, for the searches that need it: the objective search
(several objectives, outcome limits) and the single-objective search under input constraints
(alchemist.optimize.suggest(trend=True)); the unconstrained single-objective search does without.

Why: a GP with a constant prior mean reverts to the data's average away from the data, so on
the box's bounds, where few experiments are, an objective that worsens toward them is
predicted as merely average with a wide std. EHVI rewards exactly that: on the benchmark's
DTLZ2 (benchmarks/constrained.py) 57 of 100 suggestions sat on a bound, predicted too well
(median z = (true - predicted) / std of +1.5), and only 18% of them improved the hypervolume.

The trend is the Bayesian linear model h(u)' beta, h(u) = (1, u - 1/2, (u - 1/2)^2) per encoded
column, beta ~ N(0, TREND_PRIOR_SD^2 I) in the model's standardised units, added to the fitted
GP (universal kriging with the GP's hyperparameters kept): the kernel becomes k + h' B h. Near
the data nothing changes much; away from it the mean follows the data's curvature (worse where
the data say the function worsens) and the std grows by the trend's own uncertainty.

Measured (benchmarks/constrained.py, against the search without the trend, 2026-11-30):
prior sd 1.5 (kept): DTLZ2 median log10 hypervolume gap -0.791 -> -0.963 over seeds 0-29 (28
seeds better, 2 worse); BraninCurrin, whose front lies on the bounds, 0.983 -> 0.984 (14 / 16,
mean +0.02); the outcome problem's median regret 1.89 -> 1.93 (seeds 0-19, 12 / 8, mean -0.14).
Prior sd 1: DTLZ2 -0.889 (27 / 3), BraninCurrin 0.966 (16 / 14), outcome 1.89 (11 / 9); with
it, suggestions on a bound 57 -> 37 of 100 (DTLZ2, seeds 0-9), their median z +1.5 -> +0.6 /
+1.1, and 32% of those calls improved the hypervolume instead of 18%. Prior sd 3: DTLZ2 -1.136
(30 / 0) but BraninCurrin 1.078 (8 / 22). Choosing the sd by marginal likelihood, or using the
trend only where it is more pessimistic than the GP, lost DTLZ2's gain (the trend also points
to the bottom of a bowl, not only away from its rim).

Under input constraints (benchmarks/constrained.py, 50 seeds, against no trend): Branin with
x1 + x2 <= 8, median regret 1.03 -> 0.97 and upper quartile 5.22 -> 0.98 (43 seeds better, 6
worse: the runs stuck near regret 7-10 are rescued); the mixture problem 2.43 -> 2.20 (30 / 20).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Sequence

import numpy as np
from scipy.linalg import cho_solve, solve_triangular

from alchemist.model.gp import Posterior

TREND_PRIOR_SD = 1.5  # of each trend coefficient, in standardised output units (outputs have sd 1)


def trend_basis(U: np.ndarray) -> np.ndarray:
    """(n, 1 + 2 d): constant, centred linear and centred squared terms of encoded points."""
    C = np.atleast_2d(U) - 0.5
    return np.hstack([np.ones((len(C), 1)), C, C**2])


@dataclass(frozen=True)
class TrendBasis:
    """The trend's terms and their prior: trend_basis's constant, linear and squared terms, then
    one centred product per pair of encoded columns in `pairs`, each coefficient with prior sd
    `prior_sd` (the products' `pair_sd`, default the same)."""

    pairs: tuple[tuple[int, int], ...] = ()
    prior_sd: float = TREND_PRIOR_SD
    pair_sd: float | None = None

    def __call__(self, U: np.ndarray) -> np.ndarray:
        H = trend_basis(U)
        if not self.pairs:
            return H
        C = np.atleast_2d(U) - 0.5
        i, j = np.array(self.pairs, dtype=int).T
        return np.hstack([H, C[:, i] * C[:, j]])

    def prior_variances(self, n_dims: int) -> np.ndarray:
        pair_sd = self.prior_sd if self.pair_sd is None else self.pair_sd
        return np.r_[np.full(1 + 2 * n_dims, self.prior_sd**2), np.full(len(self.pairs), pair_sd**2)]


def all_pairs(columns: Sequence[int]) -> tuple[tuple[int, int], ...]:
    return tuple(combinations(sorted(int(c) for c in columns), 2))


class TrendPosterior:
    """`base` (a fitted GP posterior) with a quadratic trend; the same predict / condition
    interface as alchemist.model.Posterior, in the same (standardised) units. `basis` (default:
    no cross terms, prior sd `prior_sd`) chooses the terms."""

    def __init__(self, base: Posterior, prior_sd: float = TREND_PRIOR_SD, basis: TrendBasis | None = None) -> None:
        self.base = base
        self.basis = TrendBasis(prior_sd=float(prior_sd)) if basis is None else basis
        self.prior_sd = self.basis.prior_sd
        H = self.basis(base.U)
        self._KinvH = cho_solve((base.L, True), H, check_finite=False)
        A = H.T @ self._KinvH + np.diag(1.0 / self.basis.prior_variances(base.U.shape[1]))
        self._A_chol = np.linalg.cholesky(A)
        # beta-hat = A^-1 H' K^-1 y; the GP then explains y - H beta-hat.
        self.beta = cho_solve((self._A_chol, True), H.T @ base.weights, check_finite=False)
        self._weights = base.weights - self._KinvH @ self.beta

    @property
    def U(self) -> np.ndarray:
        return self.base.U

    def predict(self, Uq: np.ndarray, include_noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
        Uq = np.atleast_2d(Uq)
        _, std = self.base.predict(Uq, include_noise=include_noise)
        Kq = self.base.covariance.cross(self.base.theta, Uq, self.base.U)
        Hq = self.basis(Uq)
        mean = Hq @ self.beta + Kq @ self._weights
        # The trend's own uncertainty: r' A^-1 r, r = h(u) - H' K^-1 k(u).
        R = Hq - Kq @ self._KinvH
        W = solve_triangular(self._A_chol, R.T, lower=True, check_finite=False)
        return mean, np.sqrt(std**2 + np.einsum("ij,ij->j", W, W))

    def condition(self, U_new: np.ndarray, ys_new: np.ndarray) -> "TrendPosterior":
        return TrendPosterior(self.base.condition(U_new, ys_new), basis=self.basis)
