"""Where the acquisition search looks: candidate points and the local optimisation from the best of them.

1. Candidates: a scrambled Sobol set over the numeric variables, repeated for every combination
   of categorical levels (or random combinations when there are too many), plus points
   scattered at several radii around the best experiments so far, where the final digits of an
   optimum are won.
2. Multi-start L-BFGS-B from the best candidates (and the best one of each level combination)
   over the numeric columns, with the categorical levels of each start held fixed. All starts
   run as one batched problem (the objective is the sum of independent terms) so that a single
   vectorised prediction serves every start and the finite-difference gradient.

alchemist.optimize scores the points and picks among them.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable, Iterator

import numpy as np
from scipy.optimize import minimize
from scipy.stats import qmc

from alchemist.encoding import Encoder

ScoreFn = Callable[[np.ndarray], np.ndarray]

N_SOBOL = 2048  # quasi-random candidates per search (split across categorical combinations)
MAX_ENUMERATED_COMBINATIONS = 64
N_STARTS = 10  # L-BFGS-B starts
LOCAL_RADII = (0.2, 0.05, 0.01, 0.002)  # unit-cube sds of the local candidates
N_LOCAL_PER_RADIUS = 48
# Each scored point costs about n^2 operations against n training points (the triangular solve
# of its variance), so the fixed counts above cost seconds at 2,000 experiments (1.7 s CPU per
# suggestion, 6 variables). Above SEARCH_OPERATIONS / (N_SOBOL n^2), the candidates, local
# candidates and starts shrink in proportion, to no fewer than the minimums below; up to about
# 1,000 experiments nothing changes.
SEARCH_OPERATIONS = 2e9
MIN_SOBOL = 256
MIN_LOCAL_PER_RADIUS = 8
MIN_STARTS = 3
DUPLICATE_TOLERANCE = 1e-6  # unit-cube distance (max norm) under which two points are the same
FD_STEP = 1e-6


def random_combinations(encoder: Encoder, rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` rows of one-hot blocks for the categorical variables (width = their columns)."""
    blocks = encoder.categorical_blocks
    width = sum(b.width for b in blocks)
    rows = np.zeros((count, width))
    offset = 0
    for block in blocks:
        picks = rng.integers(0, block.width, size=count)
        rows[np.arange(count), offset + picks] = 1.0
        offset += block.width
    return rows


def all_combinations(encoder: Encoder) -> np.ndarray:
    blocks = encoder.categorical_blocks
    width = sum(b.width for b in blocks)
    combos = []
    for choice in itertools.product(*[range(b.width) for b in blocks]):
        row = np.zeros(width)
        offset = 0
        for block, pick in zip(blocks, choice):
            row[offset + pick] = 1.0
            offset += block.width
        combos.append(row)
    return np.array(combos).reshape(-1, width)


def candidates(encoder: Encoder, rng: np.random.Generator, anchors: np.ndarray, share: float = 1.0) -> np.ndarray:
    numeric = encoder.numeric_dims
    cat_columns = np.array(
        [c for b in encoder.categorical_blocks for c in range(b.start, b.stop)], dtype=int
    )
    n_combos = encoder.categorical_combinations()
    # A power of 2 keeps the Sobol set balanced (scipy warns otherwise).
    n_sobol = max(MIN_SOBOL, 2 ** round(math.log2(N_SOBOL * share)))
    n_local = max(MIN_LOCAL_PER_RADIUS, int(N_LOCAL_PER_RADIUS * share))
    if len(numeric):
        sobol = qmc.Sobol(len(numeric), scramble=True, rng=rng).random(n_sobol)
    else:
        sobol = np.empty((n_sobol, 0))
    if len(cat_columns) == 0:
        parts = [_assemble(encoder, sobol, numeric, np.empty((len(sobol), 0)), cat_columns)]
    elif n_combos <= MAX_ENUMERATED_COMBINATIONS:
        # Every level combination gets its own share of the Sobol set, so none is left unexplored.
        combos = all_combinations(encoder)
        per_combo = max(64, n_sobol // len(combos))
        parts = []
        for i, combo in enumerate(combos):
            rows = sobol[(i * per_combo) % n_sobol:][:per_combo] if len(numeric) else sobol[:1]
            parts.append(_assemble(encoder, rows, numeric, np.tile(combo, (len(rows), 1)), cat_columns))
    else:
        parts = [_assemble(encoder, sobol, numeric, random_combinations(encoder, rng, len(sobol)), cat_columns)]

    # Local candidates: the anchors' numeric parts moved by Gaussian steps of several sizes, with
    # the anchors' levels kept (mostly) or redrawn (sometimes), so that a promising region is
    # refined finely enough to reach the optimum to many digits.
    for anchor in anchors:
        for radius in LOCAL_RADII:
            local = np.tile(anchor, (n_local, 1))
            if len(numeric):
                local[:, numeric] += radius * rng.standard_normal((n_local, len(numeric)))
            if len(cat_columns):
                redraw = rng.random(n_local) < 0.25
                local[np.ix_(redraw, cat_columns)] = random_combinations(encoder, rng, int(redraw.sum()))
            parts.append(np.clip(local, 0.0, 1.0))
    return np.vstack(parts)


def _assemble(encoder: Encoder, numeric_rows: np.ndarray, numeric: np.ndarray, cat_rows: np.ndarray, cat_columns: np.ndarray) -> np.ndarray:
    U = np.zeros((len(numeric_rows), encoder.n_dims))
    if len(numeric):
        U[:, numeric] = numeric_rows
    if len(cat_columns):
        U[:, cat_columns] = cat_rows
    return U


def pick_starts(encoder: Encoder, candidates: np.ndarray, scores: np.ndarray, n_starts: int = N_STARTS) -> np.ndarray:
    """The best candidates, plus the best of each categorical combination (when few)."""
    order = np.argsort(-np.where(np.isfinite(scores), scores, -np.inf), kind="stable")
    picked: list[int] = []
    for index in order:
        if len(picked) >= n_starts:
            break
        if all(np.max(np.abs(candidates[index] - candidates[j])) > 1e-3 for j in picked):
            picked.append(int(index))
    if encoder.categorical_blocks and encoder.categorical_combinations() <= 16:
        cat_columns = [c for b in encoder.categorical_blocks for c in range(b.start, b.stop)]
        keys = [tuple(row) for row in candidates[:, cat_columns]]
        seen = {keys[i] for i in picked}
        for index in order:
            if keys[index] not in seen:
                seen.add(keys[index])
                picked.append(int(index))
    return candidates[picked]


def batched_lbfgsb(score: ScoreFn, starts: np.ndarray, numeric: np.ndarray, maxiter: int = 200) -> np.ndarray:
    """Maximise `score` from every start at once over the numeric columns (others held fixed).

    The objective is the sum over starts; its gradient is the stack of per-start gradients
    (finite differences, all evaluated in one call), so one L-BFGS-B run moves every start.
    """
    if len(numeric) == 0 or len(starts) == 0:
        return starts
    m, d = len(starts), len(numeric)
    base = starts.copy()

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        Z = flat.reshape(m, d)
        points = np.repeat(base[None, :, :], d + 1, axis=0)
        points[:, :, numeric] = Z[None, :, :]
        for j in range(d):
            points[j + 1, :, numeric[j]] += FD_STEP
        values = score(points.reshape(-1, base.shape[1])).reshape(d + 1, m)
        values = np.where(np.isfinite(values), values, -1e10)
        grad = (values[1:] - values[0]).T / FD_STEP
        return -float(values[0].sum()), -grad.ravel()

    x0 = base[:, numeric].ravel()
    result = minimize(
        objective, x0, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * (m * d),
        options={"maxiter": maxiter},
    )
    out = base.copy()
    out[:, numeric] = np.clip(result.x.reshape(m, d), 0.0, 1.0)
    return out


def free_points(encoder: Encoder, blocked: np.ndarray, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Random allowed points not yet blocked (for nearly exhausted discrete spaces)."""
    for _ in range(3):
        U = encoder.snap(rng.random((2048, encoder.n_dims)))
        free = np.ones(len(U), dtype=bool)
        for start in range(0, len(blocked), 256):
            chunk = blocked[start:start + 256]
            distance = np.max(np.abs(U[:, None, :] - chunk[None, :, :]), axis=2)
            free &= np.all(distance >= DUPLICATE_TOLERANCE, axis=1)
        yield from U[free]
