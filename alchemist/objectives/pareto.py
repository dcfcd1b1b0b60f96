"""Pareto fronts: which points no other point beats in every objective."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from alchemist.objectives.objective import as_maximization

CHUNK = 512  # rows compared at once (memory: CHUNK * n * m booleans)


def pareto_front(Y: Any, directions: Sequence[str]) -> np.ndarray:
    """Boolean mask (n,): True where no other row is at least as good in every objective and
    better in one. Rows with a missing value are never on the front; equal rows are all on it.

    Y is (n, m) in target units; directions are "maximize" / "minimize" per column.
    """
    Z = as_maximization(Y, directions)
    valid = np.all(np.isfinite(Z), axis=1)
    mask = np.zeros(len(Z), dtype=bool)
    P = Z[valid]
    if not len(P):
        return mask
    keep = np.ones(len(P), dtype=bool)
    for start in range(0, len(P), CHUNK):
        block = P[start:start + CHUNK]
        # dominated[i] if some row q has q >= p everywhere and q > p somewhere.
        ge = np.all(P[None, :, :] >= block[:, None, :], axis=2)
        gt = np.any(P[None, :, :] > block[:, None, :], axis=2)
        keep[start:start + CHUNK] = ~np.any(ge & gt, axis=1)
    mask[np.flatnonzero(valid)] = keep
    return mask
