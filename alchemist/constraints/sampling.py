"""Points that meet every constraint: initial designs and candidate sets for the optimiser.

How the numeric part of each level combination is filled:

1. Proposal. Mixture components get a quasi-random sequence mapped onto their simplex by
   sorted spacings: d - 1 coordinates of a Sobol/LHS point, sorted, cut [0, 1] into d gaps
   that sum to 1 and are uniform on the simplex; scaled by what the lower bounds leave of the
   total and shifted by those bounds, this is exact for lower bounds. Other numeric variables
   get the sequence directly. Upper bounds and linear inequalities are then met by rejection.
2. Where rejection keeps too few (tight upper bounds, narrow polytopes) or a linear equality
   applies, hit-and-run inside the polytope tops up the pool: uniform, and never outside it.
3. Integers are rounded; a rounded point that leaves the polytope is dropped.
4. Spread: greedy maximin (farthest-point) selection of n points out of a pool several times
   larger, to which the polytope's extreme points (by linear programming) are added. This
   makes the design space-filling whatever the proposal was, and it reaches the corners and
   edges of the simplex that a plain sequence only approaches.

Cardinality ("at most k non-zero"): every point gets one active subset of components, the
subsets taken in turn, and the others are fixed at 0. Forbidden combinations and conditional
rules: the allowed level combinations are enumerated and shared out evenly over the points.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from alchemist.constraints.polytope import Polytope
from alchemist.constraints.space import ConstrainedSpace
from alchemist.design import DESIGNS, MAX_POINTS, from_unit, unit_sample
from alchemist.errors import ModelError
from alchemist.variables import Variable

POOL_FACTOR = 4  # pool size per point for the maximin selection
MIN_POOL = 256  # small designs choose from at least this many points
MAX_POOL = 16_384
MIN_ACCEPTED_SHARE = 0.5  # below this share of the pool from rejection, hit-and-run tops up


def feasible_candidates(
    variables: Sequence[Variable],
    constraints: Sequence[object],
    n: int,
    rng: np.random.Generator | int | None = None,
    *,
    method: str = "sobol",
    spread: bool = True,
) -> pd.DataFrame:
    """n points (rows) that meet every constraint, in the variables' own units and natural types.

    `method` is the base sequence (a key of alchemist.design.DESIGNS). `spread=True` picks the
    points by maximin from a larger pool (space-filling; costs about n * pool distance rows);
    for a large candidate set of the acquisition optimiser `spread=False` is enough and faster.
    Raises VariableError when the constraints do not fit the variables or exclude every point,
    ModelError for a bad n or method.

    Integration: the session's design step calls `constrained_design` when there are
    constraints; the optimiser's candidate set is this with spread=False, encoded (which
    `maximize_constrained` already does).
    """
    if method not in DESIGNS:
        raise ModelError(f"Unknown design '{method}'. Use one of: {', '.join(DESIGNS)}.")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_POINTS:
        raise ModelError(f"The number of points must be a whole number from 1 to {MAX_POINTS}.")
    if not variables:
        raise ModelError("Define at least one variable before generating points.")
    return sample_space(ConstrainedSpace(variables, constraints), int(n), np.random.default_rng(rng), method, spread)


def sample_space(space: ConstrainedSpace, n: int, rng: np.random.Generator, method: str, spread: bool) -> pd.DataFrame:
    """`feasible_candidates` on a space already built (callers that also repair share one)."""
    space.check_feasible()
    variables = space.variables
    combos = space.combinations()
    free_levelled = [v for v in variables if v.kind in ("categorical", "discrete") and v not in space.levelled]
    # Level combinations and active subsets are dealt out in shuffled turns (exactly even
    # shares); the free levelled variables get a Latin hypercube column each.
    combo_index = _even_shares(n, len(combos), rng)
    combo_of_row = [combos[i] for i in combo_index]
    T = unit_sample(n, len(free_levelled), "lhs", _seed(rng)) if free_levelled else np.zeros((n, 0))
    groups: dict[tuple, list[int]] = {}
    group_polytope: dict[tuple, Polytope] = {}
    for c in np.unique(combo_index):
        rows = np.flatnonzero(combo_index == c)
        sets = space.active_sets(combos[c], rng)
        for row, s in zip(rows, _even_shares(len(rows), len(sets), rng)):
            key = space.regime(combos[c], sets[s])
            groups.setdefault(key, []).append(int(row))
            group_polytope[key] = space.polytope(combos[c], sets[s])
    U = np.zeros((n, len(space.numeric)))
    for key, rows in groups.items():
        U[rows] = _fill(space, group_polytope[key], len(rows), rng, method, spread)
    return _assemble(variables, space, U, combo_of_row, free_levelled, T)


def constrained_design(
    variables: Sequence[Variable], constraints: Sequence[object], n: int, method: str = "lhs", seed: int | None = 0
) -> pd.DataFrame:
    """The constrained counterpart of alchemist.design.initial_design: same arguments plus the
    constraints, space-filling on the allowed set (and on the simplex of a mixture)."""
    return feasible_candidates(variables, constraints, n, np.random.default_rng(seed), method=method, spread=True)


def simplex_points(T: np.ndarray) -> np.ndarray:
    """Points of [0, 1)^(d-1) -> points of the standard d-simplex by sorted spacings.

    Uniform points map to uniform points (the spacings of sorted uniforms are Dirichlet(1, ..., 1)),
    and a low-discrepancy set stays evenly spread.
    """
    T = np.atleast_2d(np.asarray(T, dtype=float))
    cuts = np.sort(T, axis=1)
    edges = np.hstack([np.zeros((len(T), 1)), cuts, np.ones((len(T), 1))])
    return np.diff(edges, axis=1)


def maximin_subset(points: np.ndarray, n: int) -> np.ndarray:
    """Indices of n rows chosen greedily so that each is the farthest from those chosen before
    (starting with the row farthest from the mean): a space-filling subset in O(n * len(points))."""
    points = np.asarray(points, dtype=float)
    if n >= len(points):
        return np.arange(len(points))
    first = int(np.argmax(np.sum((points - points.mean(axis=0)) ** 2, axis=1)))
    chosen = [first]
    nearest = np.sum((points - points[first]) ** 2, axis=1)
    for _ in range(n - 1):
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        nearest = np.minimum(nearest, np.sum((points - points[pick]) ** 2, axis=1))
    return np.array(chosen)


def _even_shares(n: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """For n rows, an index below `count` each, every index used n // count or one more times."""
    index = np.empty(n, dtype=int)
    index[rng.permutation(n)] = np.arange(n) * count // n if n >= count else rng.permutation(count)[:n]
    return index


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**32))


def _fill(space: ConstrainedSpace, polytope: Polytope, n: int, rng: np.random.Generator, method: str, spread: bool) -> np.ndarray:
    """n points of one polytope (unit coordinates), integers rounded, all inside it."""
    pool_size = min(max(POOL_FACTOR * n, MIN_POOL), MAX_POOL) if spread else n
    # The extreme points (corners of a simplex, ends of ranges) go into the pool: a uniform pool
    # almost never comes near a corner, and maximin selection takes them first.
    pool = polytope.extremes() if spread else np.empty((0, len(space.numeric)))
    for _ in range(4):
        pool = np.vstack([pool, _draw(space, polytope, max(pool_size, n), rng, method)])
        pool = _restore_equalities(space, polytope, _round_integers(space, pool))
        pool = pool[polytope.contains(pool)]
        if len(pool) >= n:
            break
    if len(pool) < n:
        raise ModelError("Could not find enough points that meet the constraints; relax a constraint or ask for fewer.")
    pool = np.clip(pool, polytope.lo, polytope.hi)
    if spread:
        free = polytope.hi - polytope.lo > 0
        return pool[maximin_subset(pool[:, free], n)]
    return pool[rng.permutation(len(pool))[:n]]


def _draw(space: ConstrainedSpace, polytope: Polytope, size: int, rng: np.random.Generator, method: str) -> np.ndarray:
    """The proposal, filtered by the polytope, topped up by hit-and-run."""
    linear_equalities = len(space.system.b_eq) > len(space.mixtures)
    accepted = np.empty((0, len(space.numeric)))
    if not linear_equalities:
        proposal = _proposal(space, polytope, size, rng, method)
        accepted = proposal[polytope.contains(proposal)]
    if len(accepted) >= MIN_ACCEPTED_SHARE * size:
        return accepted
    return np.vstack([accepted, polytope.hit_and_run(size - len(accepted), rng)])


def _proposal(space: ConstrainedSpace, polytope: Polytope, size: int, rng: np.random.Generator, method: str) -> np.ndarray:
    lo, hi = polytope.lo, polytope.hi
    in_mixture = {c for info in space.mixtures for c in info.columns}
    others = [j for j in range(len(lo)) if j not in in_mixture and hi[j] > lo[j]]
    mixture_free = [[c for c in info.columns if hi[c] > lo[c]] for info in space.mixtures]
    dims = len(others) + sum(max(len(free) - 1, 0) for free in mixture_free)
    T = unit_sample(size, dims, method, _seed(rng)) if dims else np.zeros((size, 0))
    U = np.tile(lo, (size, 1))
    U[:, others] = lo[others] + T[:, : len(others)] * (hi[others] - lo[others])
    offset = len(others)
    for info, free in zip(space.mixtures, mixture_free):
        spans = np.array([space.numeric[c].high - space.numeric[c].low for c in info.columns])
        lows = np.array([space.numeric[c].low for c in info.columns]) + lo[list(info.columns)] * spans
        remaining = info.constraint.total - lows.sum()
        if not free:
            continue
        shares = simplex_points(T[:, offset: offset + len(free) - 1]) if len(free) > 1 else np.ones((size, 1))
        offset += len(free) - 1
        for k, column in enumerate(free):
            position = info.columns.index(column)
            x = lows[position] + remaining * shares[:, k]
            U[:, column] = (x - space.numeric[column].low) / spans[position]
    return U


def _round_integers(space: ConstrainedSpace, U: np.ndarray) -> np.ndarray:
    U = U.copy()
    for j, variable in enumerate(space.numeric):
        if variable.kind == "integer":
            span = variable.high - variable.low
            U[:, j] = np.round(U[:, j] * span) / span
    return U


def _restore_equalities(space: ConstrainedSpace, polytope: Polytope, U: np.ndarray) -> np.ndarray:
    """After rounding integers, move the free continuous coordinates by the least-squares
    correction that restores every equality (t + n == 10 with n rounded); one linear solve
    for all points. A point the correction pushes out of the box is dropped by the caller."""
    A = polytope.system.A_eq
    continuous = [j for j, v in enumerate(space.numeric)
                  if v.kind == "continuous" and polytope.hi[j] > polytope.lo[j]]
    if not len(A) or not continuous or len(continuous) == len(space.numeric):
        return U
    residual = polytope.system.b_eq[None, :] - U @ A.T
    U = U.copy()
    U[:, continuous] += residual @ np.linalg.pinv(A[:, continuous]).T
    return U


def _assemble(variables, space: ConstrainedSpace, U, combo_of_row, free_levelled, T_free) -> pd.DataFrame:
    columns: dict[str, pd.Series] = {}
    free_values = from_unit(free_levelled, T_free) if free_levelled else pd.DataFrame()
    for variable in variables:
        if variable.name in space.columns:
            u = U[:, space.columns[variable.name]]
            x = np.clip(variable.low + u * (variable.high - variable.low), variable.low, variable.high)
            if variable.kind == "integer":
                columns[variable.name] = pd.Series(np.round(x).astype(np.int64), dtype=np.int64)
            else:
                columns[variable.name] = pd.Series(x, dtype=float)
        elif variable in space.levelled:
            position = space.levelled.index(variable)
            values = [combo[position] for combo in combo_of_row]
            dtype = object if variable.kind == "categorical" else float
            columns[variable.name] = pd.Series(values, dtype=dtype)
        else:
            columns[variable.name] = free_values[variable.name].reset_index(drop=True)
    return pd.DataFrame(columns)
