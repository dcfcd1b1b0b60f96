"""The covariance of the Gaussian process, defined once for the fit, its gradient and the posterior.

    cov(x, x') = signal variance * k(r2) + [x is x'] * (learned noise + per-point noise)
    r2 = sum_j ((x_j - x'_j) / l_j)^2          (one length scale per encoded column: ARD)

Each stationary kernel is a single function of r2 that returns k and, when asked, the slopes
the likelihood's gradient needs, so the value a fit optimises and the value the posterior
predicts with come from the same lines.

theta, the vector the optimiser moves, holds the logarithms of the hyperparameters in this
order: signal variance, [rational-quadratic shape alpha], the length scales, noise variance.
Saved models store theta in that order (it is the order scikit-learn's kernels used when the
file format was defined; their names are kept in `Covariance.names` to check a file against).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.spatial.distance import cdist

# Bounds of the hyperparameters, in the model's own units (unit-cube inputs, standardised outputs).
LENGTH_SCALE_BOUNDS = (0.01, 100.0)
SIGNAL_BOUNDS = (0.05, 20.0)
NOISE_BOUNDS = (1e-8, 1.0)
RQ_ALPHA_BOUNDS = (0.05, 50.0)

# k(r2, alpha, slopes) -> (k, g, dk/dlog alpha): g = -2 dk/dr2, so that the derivative of k with
# respect to log l_j is g * (x_j - x'_j)^2 / l_j^2; the last item is None for kernels without alpha.
# The slopes are computed only when asked for (predictions need only k).
Shape = Callable[[np.ndarray, float, bool], tuple]


# The Matérn shapes work in place on few arrays: on (candidates x 2,000) arrays, fresh temporaries
# for every step cost more in page faults than the arithmetic. Each keeps the order of operations
# of the plain formula, (1 + r + r^2/3) e^-r, so values are bit-identical to it (saved models
# promise identical predictions).
def _matern52(r2: np.ndarray, alpha: float, slopes: bool) -> tuple:
    r = np.sqrt(r2)
    r *= math.sqrt(5.0)
    e = np.negative(r)
    np.exp(e, out=e)
    k = r + 1.0
    g = None
    if slopes:
        g = k * (5.0 / 3.0)
        g *= e
    r *= r
    r /= 3.0
    k += r
    k *= e
    return k, g, None


def _matern32(r2: np.ndarray, alpha: float, slopes: bool) -> tuple:
    r = np.sqrt(r2)
    r *= math.sqrt(3.0)
    e = np.negative(r)
    np.exp(e, out=e)
    k = r
    k += 1.0
    k *= e
    if not slopes:
        return k, None, None
    e *= 3.0
    return k, e, None


def _rbf(r2: np.ndarray, alpha: float, slopes: bool) -> tuple:
    k = np.exp(-0.5 * r2)
    return (k, k, None) if slopes else (k, None, None)


def _rational_quadratic(r2: np.ndarray, alpha: float, slopes: bool) -> tuple:
    base = 1.0 + r2 / (2.0 * alpha)
    k = base ** (-alpha)
    if not slopes:
        return k, None, None
    return k, base ** (-alpha - 1.0), k * (-alpha * np.log(base) + r2 / (2.0 * base))


SHAPES: dict[str, Shape] = {
    "matern52": _matern52,
    "matern32": _matern32,
    "rbf": _rbf,
    "rq": _rational_quadratic,
}
WITH_ALPHA = ("rq",)


@dataclass(frozen=True)
class Hyperparameters:
    """theta unpacked into natural units (unit-cube lengths, standardised output units)."""

    signal: float
    scales: np.ndarray
    alpha: float  # the rational quadratic's shape; 1.0 (unused) for the other kernels
    noise: float


@dataclass(frozen=True)
class Covariance:
    """signal variance x one stationary kernel with ARD length scales + learned white noise."""

    key: str
    n_dims: int

    def __post_init__(self) -> None:
        if self.key not in SHAPES:  # the settings validate the key; this guards internal callers
            raise ValueError(f"unknown kernel {self.key!r}")

    # -- the layout of theta --------------------------------------------------------------
    @property
    def has_alpha(self) -> bool:
        return self.key in WITH_ALPHA

    @property
    def scale_slice(self) -> slice:
        first = 2 if self.has_alpha else 1
        return slice(first, first + self.n_dims)

    @property
    def n_theta(self) -> int:
        return self.scale_slice.stop + 1

    @property
    def names(self) -> list[str]:
        """One name per hyperparameter block, as saved files list them."""
        alpha = ["k1__k2__alpha"] if self.has_alpha else []
        return ["k1__k1__constant_value", *alpha, "k1__k2__length_scale", "k2__noise_level"]

    def natural_bounds(self) -> np.ndarray:
        """(n_theta, 2) bounds of each hyperparameter in natural units."""
        rows = [SIGNAL_BOUNDS] + ([RQ_ALPHA_BOUNDS] if self.has_alpha else [])
        rows += [LENGTH_SCALE_BOUNDS] * self.n_dims + [NOISE_BOUNDS]
        return np.array(rows, dtype=float)

    @property
    def bounds(self) -> np.ndarray:
        """(n_theta, 2) bounds of theta (logarithms)."""
        return np.log(self.natural_bounds())

    def unpack(self, theta: np.ndarray) -> Hyperparameters:
        theta = np.asarray(theta, dtype=float)
        return Hyperparameters(
            signal=math.exp(theta[0]),
            scales=np.exp(theta[self.scale_slice]),
            alpha=math.exp(theta[1]) if self.has_alpha else 1.0,
            noise=math.exp(theta[-1]),
        )

    # -- values -----------------------------------------------------------------------------
    def cross(self, theta: np.ndarray, U: np.ndarray, V: np.ndarray) -> np.ndarray:
        """signal * k between two sets of encoded points (no noise): the posterior's covariances."""
        hp = self.unpack(theta)
        r2 = scaled_distances(U / hp.scales, V / hp.scales)
        k, _, _ = SHAPES[self.key](r2, hp.alpha, False)
        return hp.signal * k

    def prior_variance(self, theta: np.ndarray, n: int) -> np.ndarray:
        """cov(x, x) without noise, for n points (stationary: the signal variance everywhere)."""
        return np.full(n, self.unpack(theta).signal)

    def training(self, theta: np.ndarray, U: np.ndarray, diag: np.ndarray) -> np.ndarray:
        """The covariance of the training outputs: cross(U, U) + learned noise + per-point noise."""
        return _add_noise(self.cross(theta, U, U), self.unpack(theta).noise, diag)

    def training_with_gradient(
        self, theta: np.ndarray, diff2: "SquaredDifferences", diag: np.ndarray
    ) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
        """The training covariance from the training rows' SquaredDifferences, and a function
        W -> sum_ij W_ij dK_ij / dtheta for symmetric W.

        The likelihood's gradient is 0.5 * that function of (w w' - K^-1); contracting against W
        inside avoids the (n, n, n_theta) tensor of derivatives, and SquaredDifferences avoids
        the (n, n, d) one: both would grow with the number of categorical levels (measured: 2.9 GB
        at 2,000 rows x 4,000 encoded columns), while everything here is O(n^2 + n d).
        """
        hp = self.unpack(theta)
        inv_scale2 = 1.0 / hp.scales**2
        r2 = diff2 @ inv_scale2
        k, g, dk_dlog_alpha = SHAPES[self.key](r2, hp.alpha, True)
        signal_part = hp.signal * k
        K = _add_noise(signal_part.copy(), hp.noise, diag)
        scales = self.scale_slice

        def contract(W: np.ndarray) -> np.ndarray:
            out = np.empty(self.n_theta)
            out[0] = float(np.sum(W * signal_part))
            out[scales] = hp.signal * inv_scale2 * diff2.contract(W * g)
            if self.has_alpha:
                out[1] = hp.signal * float(np.sum(W * dk_dlog_alpha))
            out[-1] = hp.noise * float(np.trace(W))
            return out

        return K, contract


def _add_noise(K: np.ndarray, noise: float, diag: np.ndarray) -> np.ndarray:
    index = np.diag_indices(len(K))
    K[index] += noise
    K[index] += diag
    return K


# Above this many encoded columns, squared distances come from one matrix product instead of
# cdist's loop over columns: with many categorical levels (4 x 1,000) cdist took 36 of 53 s.
# Below it, cdist (exact for equal points, and what saved models were checked with) is kept.
GEMM_DISTANCE_DIMS = 64


def scaled_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """(len(A), len(B)) squared Euclidean distances between rows of already-scaled inputs."""
    if A.shape[1] <= GEMM_DISTANCE_DIMS:
        return cdist(A, B, metric="sqeuclidean")
    # |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, clipped at 0 against rounding of near-equal rows.
    r2 = A @ B.T
    r2 *= -2.0
    r2 += np.einsum("ij,ij->i", A, A)[:, None]
    r2 += np.einsum("ij,ij->i", B, B)[None, :]
    return np.maximum(r2, 0.0, out=r2)


class SquaredDifferences:
    """The squared differences (u_ik - u_jk)^2 of every pair of rows of U, used without ever
    storing them as an (n, n, d) array: the likelihood needs only two things from them, a
    weighted sum over k (the scaled distances) and, for a symmetric (n, n) matrix A, the sums
    over pairs per column k, and both have O(n^2 + n d)-memory forms.
    """

    def __init__(self, U: np.ndarray) -> None:
        self.U = np.asarray(U, dtype=float)
        self.U2 = self.U**2

    def __len__(self) -> int:
        return len(self.U)

    def __matmul__(self, weights: np.ndarray) -> np.ndarray:
        """(n, n): sum_k weights_k (u_ik - u_jk)^2, for weights >= 0 (inverse squared length scales)."""
        scaled = self.U * np.sqrt(weights)
        return scaled_distances(scaled, scaled)

    def contract(self, A: np.ndarray) -> np.ndarray:
        """(d,): sum_ij A_ij (u_ik - u_jk)^2 for a symmetric A.

        Expanding the square, sum_ij A_ij (u_ik^2 + u_jk^2 - 2 u_ik u_jk)
        = 2 sum_i (A 1)_i u_ik^2 - 2 (u_k' A u_k): one matrix product, no (n, n, d) temporary.
        The inputs lie in the unit cube, so the cancellation costs at most a few digits of a
        gradient that L-BFGS-B needs only approximately.
        """
        AU = A @ self.U
        return 2.0 * (A.sum(axis=1) @ self.U2) - 2.0 * np.einsum("ik,ik->k", self.U, AU)


def squared_differences(U: np.ndarray) -> SquaredDifferences:
    """The pairwise squared differences of U's rows, for `training_with_gradient` (kept under this
    name because the likelihood prepares them with it)."""
    return SquaredDifferences(U)
