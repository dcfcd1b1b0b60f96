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

Its prior sd under input constraints (wip/mix2, 2026-11-30): CONSTRAINED_TREND_PRIOR_SD = 2
since. Against sd 1.5, ours only, seeds 0-49, seeds better / worse, Wilcoxon signed-rank p:
the mixture median regret 2.20 -> 0.95 (32 / 18, p 0.005, mean 1.79 -> 1.38); Branin x1 + x2
<= 8, 0.97 -> 0.97 (27 / 23, p 0.89, mean 0.90 -> 1.00). On seeds 0-9 the mixture goes 2.49 ->
2.10, against BoTorch's 3.05 (ratio 0.69). Sd 3 does more for the mixture, 0.77 (32 / 18, p
0.007; seeds 0-9 0.72, ratio 0.235), but costs Branin (0.96, 26 / 24, p 0.03 the wrong way:
10 runs that had reached a minimum, regret below 0.2, end above 1; mean 1.21); sd 5, 0.88
(27 / 23), Branin mean 1.63 (p 0.007 the wrong way); sd 1, 2.31 (20 / 30); sd 0.5, 2.46 (16 /
34), Branin 1.00 (7 / 42) (its 2.18 on seeds 0-9 was luck). Why: the mixture's loss is a
steep bowl in the shares whose centre moves with T; in standardised units its curvature needs
coefficients above 1.5, which that prior shrank away, so the mean kept pointing to T = 80
(the first suggestion in all of seeds 0-9, 25 of their 60 suggestions, two runs ending there
with the shares nearly right) and to the polytope's vertices.
Tried and not kept, with sd 1.5 (same comparison): products of encoded columns as in a Scheffé
mixture model - all pairs at sd 1.5, mixture 3.44 (9 / 41), Branin mean 0.90 -> 1.27 (20 /
29); pairs at sd 3, 3.51 (6 / 44); at sd 0.5, 2.19 (22 / 28); only share x temperature, 3.12
(16 / 34); only share x share, 2.45 (15 / 35); the Scheffé form (raw shares and their products,
no squares), 3.96 (2 / 48). Each product adds prior variance that peaks at the vertices, and EI
went there (seeds 0-3, 20 EI suggestions: 7 at a vertex with sd 1.5 and no products, 17 with
all pairs at sd 3). The trend's mean with the GP's own std (its uncertainty left out): 2.18
(19 / 31), Branin 0.94 (23 / 27). Figures and scripts: /work/bench-keep/mo7.

The prior on each term's effect over the allowed region instead of on its coefficient (wip/
scale, 2026-11-30; not kept): each coefficient's sd times (the term's sd over the unit box) /
(its sd over 256 allowed points), widening only, at most 10 times. It widens the wrong problem:
the mixture's shares, bounded 0-0.6 and encoded on that range, spread over the simplex almost
as over the box (linear terms' sd 0.26-0.27 against 0.29, squares 0.069-0.075 against 0.075),
so their coefficients went only 2 -> 2.1-2.2, while Branin's triangle x1 + x2 <= 8 narrows x1
and x2 (0.20, 0.21) and widened theirs to 2.9 and 2.7. Against sd 2, ours only, seeds 0-49:
base sd 2, mixture 0.95 -> 1.03 (33 / 17, p 0.15, mean 1.38 -> 1.44), Branin 0.97 -> 0.97 but
mean 1.00 -> 1.22 (13 / 36, p 0.06); base sd 3, mixture 0.58 (25 / 25, p 0.5, mean 1.20), Branin
0.96, mean 1.23, 16 runs above 1 against 12 (against plain sd 3: mixture 0.77 -> 0.58, 32 / 18,
p 0.13; Branin 15 / 35, p 0.06). The spread left after the other terms (partial) would be
worse: the shares' linear terms sum to a constant on the simplex (spread 0), while Branin's x1
and x2 fall to 0.10 (a 2.8 times wider prior). Sd 3 on the squares only, 2 on the rest: mixture
1.19 (27 / 23, p 0.87), Branin 0.95 (33 / 17, p 0.83) but mean 1.20 and 15 runs above 1: wider
squares alone cost Branin's bad runs and do not help the mixture. Figures and scripts:
/work/bench-keep/mo9. Sd 3 on the linear terms only, 2 on the rest (2026-11-30, seeds 0-49,
against sd 2): mixture 0.95 -> 1.05 (20 / 30, p 0.49), Branin mean 1.00 -> 1.19 (17 / 32); so
neither kind of term alone carries sd 3's mixture gain, and over 50 seeds that gain itself
(0.95 -> 0.77, 28 / 22, p 0.39) is not distinguishable from chance. Scripts: bench-keep/mo10.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_solve, solve_triangular

from alchemist.model.gp import Posterior

TREND_PRIOR_SD = 1.5  # of each trend coefficient, in standardised output units (outputs have sd 1)
CONSTRAINED_TREND_PRIOR_SD = 2.0  # the same, for the single-objective search under input constraints


def trend_basis(U: np.ndarray) -> np.ndarray:
    """(n, 1 + 2 d): constant, centred linear and centred squared terms of encoded points."""
    C = np.atleast_2d(U) - 0.5
    return np.hstack([np.ones((len(C), 1)), C, C**2])


class TrendPosterior:
    """`base` (a fitted GP posterior) with a quadratic trend; the same predict / condition
    interface as alchemist.model.Posterior, in the same (standardised) units."""

    def __init__(self, base: Posterior, prior_sd: float = TREND_PRIOR_SD) -> None:
        self.base = base
        self.prior_sd = float(prior_sd)
        H = trend_basis(base.U)
        self._KinvH = cho_solve((base.L, True), H, check_finite=False)
        A = H.T @ self._KinvH + np.eye(H.shape[1]) / self.prior_sd**2
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
        Hq = trend_basis(Uq)
        mean = Hq @ self.beta + Kq @ self._weights
        # The trend's own uncertainty: r' A^-1 r, r = h(u) - H' K^-1 k(u).
        R = Hq - Kq @ self._KinvH
        W = solve_triangular(self._A_chol, R.T, lower=True, check_finite=False)
        return mean, np.sqrt(std**2 + np.einsum("ij,ij->j", W, W))

    def condition(self, U_new: np.ndarray, ys_new: np.ndarray) -> "TrendPosterior":
        return TrendPosterior(self.base.condition(U_new, ys_new), self.prior_sd)
