"""Hypervolume: the volume a set of points dominates above a reference point.

Exact for 2 and 3 objectives (a sweep in 2-D, slices along the last objective in 3-D), Monte
Carlo with a fixed seed beyond. For improvements, the region no point dominates is split into
disjoint boxes (`nondominated_boxes`); the improvement of a new point is then a sum of box
overlaps, exact in any number of objectives, and its expectation under independent normal
predictions has a closed form per box (see alchemist.objectives.ehvi).
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

import numpy as np

from alchemist.objectives.objective import ObjectiveError, as_maximization
from alchemist.objectives.pareto import pareto_front

MAX_EXACT_OBJECTIVES = 3
MC_SAMPLES = 2**16
MC_CHUNK = 4096
MAX_BOXES = 200_000
POINT_CHUNK_ELEMENTS = 2**22  # points x boxes x objectives handled at once  # beyond this, the front is too large for the box decomposition


def hypervolume(
    Y: Any, reference: Any, directions: Sequence[str], *, samples: int = MC_SAMPLES, seed: int = 0
) -> float:
    """Volume dominated by the rows of Y (n, m) and bounded by `reference` (m,), target units.

    Rows that do not beat the reference in every objective add nothing. Exact for m <= 3;
    beyond, a Monte Carlo estimate from `samples` uniform points of the bounding box (seeded,
    so repeatable; relative standard error about sqrt((1 - f) / (f * samples)) for a covered
    share f of the box).
    """
    Z, r = _maximization(Y, reference, directions)
    if not len(Z):
        return 0.0
    if Z.shape[1] <= MAX_EXACT_OBJECTIVES:
        return _exact(Z, r)
    return _monte_carlo(Z, r, samples, seed)


def _maximization(Y: Any, reference: Any, directions: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Front rows strictly better than the reference, both turned to maximisation."""
    Z = as_maximization(Y, directions)
    r = as_maximization(np.asarray(reference, dtype=float).reshape(1, -1), directions)[0]
    if Z.shape[1] < 2:
        raise ObjectiveError("A hypervolume needs at least two objectives.")
    if not np.all(np.isfinite(r)):
        raise ObjectiveError("The reference point must be finite.")
    Z = Z[np.all(np.isfinite(Z), axis=1)]
    Z = Z[np.all(Z > r, axis=1)]
    Z = Z[pareto_front(Z, ["maximize"] * Z.shape[1])] if len(Z) else Z
    return np.unique(Z, axis=0), r


def _exact(Z: np.ndarray, r: np.ndarray) -> float:
    if Z.shape[1] == 1:
        return float(np.max(Z[:, 0]) - r[0]) if len(Z) else 0.0
    if Z.shape[1] == 2:
        order = np.argsort(-Z[:, 0], kind="stable")
        volume, height = 0.0, r[1]
        for x, y in Z[order]:
            if y > height:
                volume += (x - r[0]) * (y - height)
                height = y
        return float(volume)
    # Slices along the last objective: between consecutive levels the cross-section is the
    # (m-1)-dimensional hypervolume of the points at or above the upper level.
    levels = np.unique(Z[:, -1])[::-1]
    volume = 0.0
    for k, level in enumerate(levels):
        below = levels[k + 1] if k + 1 < len(levels) else r[-1]
        volume += _exact(Z[Z[:, -1] >= level, :-1], r[:-1]) * (level - below)
    return float(volume)


def _monte_carlo(Z: np.ndarray, r: np.ndarray, samples: int, seed: int) -> float:
    upper = Z.max(axis=0)
    rng = np.random.default_rng(seed)
    covered = 0
    for start in range(0, samples, MC_CHUNK):
        S = r + rng.random((min(MC_CHUNK, samples - start), len(r))) * (upper - r)
        covered += int(np.sum(np.any(np.all(Z[None, :, :] >= S[:, None, :], axis=2), axis=1)))
    return float(np.prod(upper - r) * covered / samples)


def nondominated_boxes(Y: Any, reference: Any, directions: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint boxes (lower, upper), each (k, m) in maximisation form, whose union is the part
    of {z > reference} that no row of Y dominates. Upper corners may be +inf.

    A grid over the first m - 1 objectives (cut at the points' values); within each cell the
    points that dominate it are the same, so the cell's free part is everything above the
    highest last-objective value among them: one box per cell, (n + 1)^(m - 1) boxes.
    """
    Z, r = _maximization(Y, reference, directions)
    m = len(r)
    edges = [np.concatenate([[r[j]], np.unique(Z[:, j]), [np.inf]]) for j in range(m - 1)]
    count = int(np.prod([len(e) - 1 for e in edges]))
    if count > MAX_BOXES:
        raise ObjectiveError(
            f"The Pareto front is too large for an exact expected improvement ({count} boxes); "
            "use fewer objectives or fewer points."
        )
    cells = np.array(list(itertools.product(*[range(len(e) - 1) for e in edges]))).reshape(-1, m - 1)
    lower = np.column_stack([edges[j][cells[:, j]] for j in range(m - 1)] + [np.full(len(cells), r[-1])])
    upper = np.column_stack([edges[j][cells[:, j] + 1] for j in range(m - 1)] + [np.full(len(cells), np.inf)])
    if len(Z):
        dominating = np.all(Z[None, :, : m - 1] >= upper[:, None, : m - 1], axis=2)
        tops = np.where(dominating, Z[None, :, -1], -np.inf).max(axis=1)
        lower[:, -1] = np.maximum(r[-1], tops)
    return lower, upper


def hypervolume_improvement(points: Any, Y: Any, reference: Any, directions: Sequence[str]) -> np.ndarray:
    """Per row of `points` (k, m): the hypervolume it would add to Y's, exact, target units."""
    lower, upper = nondominated_boxes(Y, reference, directions)
    P = as_maximization(points, directions)
    out = np.empty(len(P))
    step = max(1, POINT_CHUNK_ELEMENTS // (len(lower) * len(reference)))  # bounded memory
    for start in range(0, len(P), step):
        part = P[start:start + step, None, :]
        overlap = np.clip(np.minimum(part, upper[None, :, :]) - lower[None, :, :], 0.0, None)
        out[start:start + step] = np.prod(overlap, axis=2).sum(axis=1)
    return out
