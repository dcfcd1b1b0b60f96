"""Maximise a score over the allowed points: the constrained counterpart of the acquisition
search in alchemist.optimize, on the same unit-cube encoding.

1. Candidates that meet every constraint (feasible_candidates, encoded), plus any extra points
   the caller proposes (local candidates around the best experiments), repaired onto the set.
2. From the best few, SLSQP over the continuous and integer columns inside the polytope of the
   start's level combination (levels, discrete values and, for a mixture with a cardinality
   limit, its zero components held fixed); the gradient by forward differences, evaluated in
   one call of the score per iteration.
3. Results are rounded, repaired and checked: only points with no violation are returned.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from scipy.optimize import minimize

from alchemist.constraints.feasibility import is_feasible
from alchemist.constraints.polytope import Polytope
from alchemist.constraints.repair import project_encoded_in_space
from alchemist.constraints.sampling import sample_space
from alchemist.constraints.space import ConstrainedSpace
from alchemist.errors import ModelError
from alchemist.variables import level_text

N_CANDIDATES = 2048
N_STARTS = 8
FD_STEP = 1e-6
MAX_ITER = 100

ScoreFn = Callable[[np.ndarray], np.ndarray]


def maximize_constrained(
    score: ScoreFn,
    encoder,
    constraints: Sequence[object],
    rng: np.random.Generator | int | None = None,
    *,
    extra: np.ndarray | None = None,
    n_candidates: int = N_CANDIDATES,
    n_starts: int = N_STARTS,
) -> tuple[np.ndarray, np.ndarray]:
    """Encoded points that meet every constraint, best score first, and their scores.

    `score` maps encoded points (k, encoder.n_dims) to values where larger is better (for
    example alchemist.acquisition.acquisition_score on the model's prediction). The caller
    takes the first point that is not a measured, pending or already chosen one, as
    optimize._maximize (with alchemist.search_points) does today; batches condition the model and call again.
    Raises VariableError when the constraints do not fit the encoder's variables.
    """
    rng = np.random.default_rng(rng)
    variables = encoder.variables
    space = ConstrainedSpace(variables, constraints)
    pool = [encoder.encode(sample_space(space, n_candidates, rng, "sobol", spread=False))]
    if extra is not None and len(extra):
        pool.append(project_encoded_in_space(encoder.snap(extra), encoder, space))
    candidates = np.vstack(pool)
    values = _finite(score(candidates))
    starts = candidates[np.argsort(-values, kind="stable")[:n_starts]]
    moved = [_climb(score, encoder, space, start) for start in starts]
    if moved:
        moved_points = project_encoded_in_space(encoder.snap(np.array(moved)), encoder, space)
        candidates = np.vstack([moved_points, candidates])
    keep = is_feasible(encoder.decode(candidates), variables, constraints)
    candidates = candidates[keep]
    if not len(candidates):
        raise ModelError("No point that meets the constraints could be found.")
    values = _finite(score(candidates))
    order = np.argsort(-values, kind="stable")
    return candidates[order], values[order]


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.where(np.isfinite(values), values, -np.inf)


def _climb(score: ScoreFn, encoder, space: ConstrainedSpace, start: np.ndarray) -> np.ndarray:
    """SLSQP from one start over the numeric columns of the space, the rest held fixed."""
    if not space.numeric:
        return start
    columns = np.array([_column(encoder, v.name) for v in space.numeric])
    polytope = _start_polytope(encoder, space, start, columns)
    if polytope is None:
        return start
    free = np.flatnonzero(polytope.hi > polytope.lo)
    if not len(free):
        return start
    x0 = np.clip(start[columns], polytope.lo, polytope.hi)

    def point_of(z: np.ndarray) -> np.ndarray:
        u = x0.copy()
        u[free] = z
        full = start.copy()
        full[columns] = u
        return full

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        base = point_of(z)
        points = np.repeat(base[None, :], len(free) + 1, axis=0)
        for k, j in enumerate(free):
            points[k + 1, columns[j]] += FD_STEP
        values = np.where(np.isfinite(v := score(points)), v, -1e10)
        return -float(values[0]), -(values[1:] - values[0]) / FD_STEP

    system = polytope.system.restricted(free, x0)
    result = minimize(
        objective, x0[free], jac=True, method="SLSQP", bounds=list(zip(polytope.lo[free], polytope.hi[free])),
        constraints=system.scipy_constraints(), options={"maxiter": MAX_ITER},
    )
    return point_of(np.clip(result.x, polytope.lo[free], polytope.hi[free]))


def _column(encoder, name: str) -> int:
    return next(b.start for b in encoder.blocks if b.variable.name == name)


def _start_polytope(encoder, space: ConstrainedSpace, start: np.ndarray, columns: np.ndarray) -> Polytope | None:
    """The start's level combination fixes the box; zero mixture components under a
    cardinality limit stay zero, so the start's active set is kept."""
    decoded = encoder.decode(start[None, :])
    combo = tuple(
        level_text(decoded.at[0, v.name]) if v.kind == "categorical" else float(decoded.at[0, v.name])
        for v in space.levelled
    )
    lo, hi = space.box(combo)
    u = start[columns]
    for info in space.mixtures:
        if info.constraint.max_active is not None:
            for c in info.columns:
                if u[c] <= 0.0:
                    hi[c] = lo[c] = 0.0
    return Polytope(lo, hi, space.system)
