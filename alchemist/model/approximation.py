"""Which experiments the model is conditioned on: all of them, or a documented subset.

An exact Gaussian process costs O(n^2) memory and O(n^3) time, so above
`limits.current().exact_gp_points` experiments (m below) the model is an exact GP on a subset of
m experiments, the "subset of data" approximation (Rasmussen & Williams, 2006, section 8.3.1),
chosen as follows:

1. the best results at both ends (the m/20 highest and the m/20 lowest outputs): the model does
   not know whether the user maximises or minimises, and the suggestions are decided near the
   best experiments, so the model must know them exactly;
2. the rest greedily, each time the experiment farthest (Euclidean distance on the encoded unit
   cube) from every experiment chosen so far ("max-min" or farthest-point selection). This
   covers the explored region evenly, so that no part of it is left to the prior, and never
   spends the budget on near-repeats of one point.

Ties (repeated points, equal outputs) are broken by row order, so the choice is reproducible.
The cost is O(n m d) time and O(n d) memory. The hyperparameters are then fitted and the
posterior computed on those m experiments only; predictions are those of that exact GP.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial.distance import cdist

from alchemist import limits
from alchemist.errors import SessionFileError

# Share of the subset given to the best results at each end (the rest is space-filling).
EXTREMES_SHARE = 0.05
# Rows of the n x (chosen) distance matrix computed at once when the extremes are placed.
DISTANCE_CHUNK_ROWS = 4_096
# Bytes per (training row)^2 of the posterior: the covariance, its Cholesky factor and the
# distances they are built from are each one float64 (n, n) array.
BYTES_PER_TRAINING_PAIR = 3 * 8


class Approximation(enum.Enum):
    """How the posterior relates to the experiments it was given."""

    EXACT = "exact"  # conditioned on every experiment
    SUBSET = "subset"  # an exact GP on a selected subset (see the module's docstring)


@dataclass(frozen=True)
class ApproximationRecord:
    """What the model is: the method, how many experiments it was given and how many it uses.

    `reduced_on_load` is True when a stored model above the exact limit was reduced to the subset
    approximation while being loaded (with its saved hyperparameters, no refit).
    """

    method: Approximation = Approximation.EXACT
    points_total: int = 0
    points_used: int = 0
    reduced_on_load: bool = False

    def to_state(self) -> dict:
        return {
            "method": self.method.value, "points_total": self.points_total,
            "points_used": self.points_used, "reduced_on_load": self.reduced_on_load,
        }

    @classmethod
    def from_state(cls, state: Any, points_used: int) -> "ApproximationRecord":
        """A stored record; files written before it existed are exact models of their points."""
        if state is None:
            return cls(Approximation.EXACT, points_used, points_used)
        if not isinstance(state, dict) or set(state) != {"method", "points_total", "points_used", "reduced_on_load"}:
            raise SessionFileError("The saved model cannot be loaded: its approximation record is not valid.")
        try:
            method = Approximation(state["method"])
        except (ValueError, TypeError):
            raise SessionFileError("The saved model cannot be loaded: its approximation is unknown.") from None
        total, used, reduced = state["points_total"], state["points_used"], state["reduced_on_load"]
        counts_ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (total, used))
        if not counts_ok or not isinstance(reduced, bool) or used != points_used or total < used:
            raise SessionFileError("The saved model cannot be loaded: its approximation record does not match its data.")
        if (method is Approximation.EXACT) != (total == used):
            raise SessionFileError("The saved model cannot be loaded: its approximation record does not match its data.")
        return cls(method, total, used, reduced)


def max_exact_points() -> int:
    """Most experiments an exact posterior may use under the limits in force: `exact_gp_points`,
    lowered if its n x n matrices would not fit in `memory_per_operation_bytes`."""
    current = limits.current()
    by_memory = int(np.sqrt(current.memory_per_operation_bytes / BYTES_PER_TRAINING_PAIR))
    return max(2, min(current.exact_gp_points, by_memory))


def choose_subset(U: np.ndarray, ys: np.ndarray, m: int) -> np.ndarray:
    """Sorted row indices of the m experiments an approximate model keeps (all rows when n <= m)."""
    n = len(U)
    if n <= m:
        return np.arange(n)
    n_extreme = max(1, int(EXTREMES_SHARE * m))
    order = np.argsort(ys, kind="stable")
    chosen = np.zeros(n, dtype=bool)
    chosen[order[-n_extreme:]] = True
    chosen[order[:n_extreme]] = True
    # Distance of every row to its nearest chosen row, built chunk by chunk.
    picked = np.flatnonzero(chosen)
    nearest = np.empty(n)
    for start in range(0, n, DISTANCE_CHUNK_ROWS):
        block = U[start:start + DISTANCE_CHUNK_ROWS]
        nearest[start:start + len(block)] = cdist(block, U[picked], metric="sqeuclidean").min(axis=1)
    nearest[chosen] = -1.0
    # |u - v|^2 = |u|^2 + |v|^2 - 2 u.v: one matrix-vector product per pick, measured 6-10x
    # faster than distances by differences at 10,000-50,000 rows; on the unit cube the rounding
    # is far below any distance that decides a pick.
    U = np.ascontiguousarray(U, dtype=float)
    norms = np.einsum("ij,ij->i", U, U)
    for _ in range(m - int(chosen.sum())):
        best = int(np.argmax(nearest))  # the first of equals: deterministic
        chosen[best] = True
        distance = U @ U[best]
        distance *= -2.0
        distance += norms
        distance += norms[best]
        np.minimum(nearest, distance, out=nearest)
        nearest[best] = -1.0
    return np.flatnonzero(chosen)
