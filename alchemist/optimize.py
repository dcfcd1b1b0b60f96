"""Choose the next experiments: maximise an acquisition function over the allowed points.

The search, on the unit-cube encoding (see alchemist.encoding):

1. Candidates: a scrambled Sobol set over the numeric variables, repeated for every combination
   of categorical levels (or random combinations when there are too many), plus points
   scattered at several radii around the best experiments so far, where the final digits of an
   optimum are won. Every candidate is snapped to allowed values before it is scored.
2. Multi-start L-BFGS-B from the best candidates (and the best one of each level combination)
   over the numeric columns, with the categorical levels of each start held fixed. All starts
   run as one batched problem (the objective is the sum of independent terms) so that a single
   vectorised prediction serves every start and the finite-difference gradient.
3. The best snapped point that is not within NEAR_DUPLICATE of a measured point, nor within
   BATCH_SEPARATION of a pending or already chosen one, wins. The one exception: when the
   model's learned noise is large (REPLICATE_NOISE_RATIO), a point on top of a measured one is
   replaced by that measured point itself, an honest replicate, and marked Reason.REPLICATE.

Noise-aware defaults: EI and PI improve on the incumbent by the model's mean (its best mean at a
measured point), not the best observed value, which on noisy data is the luckiest reading and
makes EI chase noise. When the model's leave-one-out z-scores say it is overconfident, its
uncertainty is widened by that factor for the search (Reason.WIDENED), so that a confidently
wrong model explores instead of repeating itself.

A batch of q points uses the kriging believer: after each choice the model is conditioned on a
fantasy observation equal to its own prediction there (hyperparameters fixed), which collapses
the uncertainty at that point so that the next choice goes elsewhere. Pending experiments
(`exclude`) are fantasised in the same way before the first choice.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import qmc

from alchemist.acquisition import (
    BASIN_RADIUS,
    LITTLE_LEFT,
    Reason,
    acquisition_score,
    acquisition_value,
    basin_spent,
    room_to_explore,
    check_acquisition,
    check_beta,
    check_goal,
    scheduled_acquisition,
)
from alchemist.encoding import Encoder
from alchemist.errors import ModelError
from alchemist.model import GPModel, Posterior, as_outputs, blas_single_thread
from alchemist.model.likelihood import LOO_CHECK_MAX_POINTS, loo_residuals
from alchemist.validation import whole_number

MAX_BATCH = 50
MAX_BUDGET = 100_000  # the largest experiment budget a user may state
N_SOBOL = 2048  # quasi-random candidates per search (split across categorical combinations)
MAX_ENUMERATED_COMBINATIONS = 64
N_STARTS = 10  # L-BFGS-B starts
N_ANCHORS = 3  # best experiments to scatter local candidates around
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
# A suggestion closer than this (max norm, unit cube) to a measured point is a near-duplicate and
# refused: a stuck Branin campaign put 17 of 25 suggestions within 1e-3 of earlier experiments.
NEAR_DUPLICATE = 1e-3
# Learned noise variance / signal variance above which a replicate may be the most informative
# experiment (the noise sd is then over a fifth of the signal's).
REPLICATE_NOISE_RATIO = 0.05
# Leave-one-out z-scores with a root mean square above this mean the model is overconfident;
# the uncertainty is then widened by that factor, up to MAX_WIDENING.
WIDEN_ABOVE = 2.0
MAX_WIDENING = 4.0
# Members of one batch (and pending experiments) must differ by at least this much (max norm on
# the unit cube): the kriging believer keeps EI batches apart by itself, but for pure
# exploitation a fantasy at the predicted mean changes nothing, and the batch would otherwise be
# q copies of one point a rounding error apart. Measured points only need DUPLICATE_TOLERANCE,
# so that late refinement close to the best experiment stays possible.
BATCH_SEPARATION = 0.02
FD_STEP = 1e-6
# The incumbent (the best mean at a measured point) is sought among this many best readings.
INCUMBENT_POINTS = 1_000

ScoreFn = Callable[[np.ndarray], np.ndarray]


def suggest(
    model: GPModel,
    X_measured: pd.DataFrame,
    y_measured: np.ndarray,
    *,
    n: int = 1,
    acquisition: str = "ei",
    goal: str = "maximize",
    beta: float = 2.0,
    seed: int | None = 0,
    exclude: pd.DataFrame | None = None,
    budget: int | None = None,
    constraints: Sequence[object] = (),
    progress: Callable[[int, int], object] | None = None,
) -> pd.DataFrame:
    """The next `n` experiments to run, best first, with the model's prediction at each.

    Columns: one per variable (allowed values, natural types), then "Predicted mean",
    "Predicted std" (of the underlying function, target units), "Acquisition" (under the
    current model, see alchemist.acquisition.acquisition_value; for "auto", of the acquisition it
    chose), "Policy" (that acquisition's key) and "Reason" (an alchemist.acquisition.Reason value).
    `budget`, the total number of experiments planned, schedules the "auto" policy.
    `constraints` (alchemist.constraints) restrict the search to the points that meet them all.
    `progress(points found, n)` is called before each point's search; the caller stops it by raising.
    """
    with blas_single_thread():
        return _suggest(model, X_measured, y_measured, n, acquisition, goal, beta, seed, exclude, budget, tuple(constraints), progress)


def _incumbent(posterior: Posterior, U: np.ndarray, y: np.ndarray, goal: str) -> float:
    """The model's best mean (model units) at a measured point, taken among the INCUMBENT_POINTS
    best readings: the mean at 10,000 measured points against 2,000 training points cost more
    than the rest of a suggestion (0.8 of 1.3 s CPU), and with that many readings the best mean
    sits at or beside one of the best readings."""
    if len(y) > INCUMBENT_POINTS:
        order = np.argsort(-y if goal == "maximize" else y, kind="stable")
        U = U[order[:INCUMBENT_POINTS]]
    means = posterior.predict_mean(U)
    return float(np.max(means) if goal == "maximize" else np.min(means))


def widening_factor(posterior: Posterior) -> float:
    """How much wider the uncertainty must be for the model's leave-one-out errors to fit it
    (1.0 when they do, or when there are too many points to check cheaply)."""
    if len(posterior.ys) < 3 or len(posterior.ys) > LOO_CHECK_MAX_POINTS:
        return 1.0
    K = posterior.covariance.training(posterior.theta, posterior.U, posterior.diag)
    residual, variance = loo_residuals(K, posterior.ys)
    if residual is None:
        return 1.0
    rms = float(np.sqrt(np.mean(residual**2 / variance)))
    return min(rms, MAX_WIDENING) if rms > WIDEN_ABOVE else 1.0


def replicates_informative(posterior: Posterior) -> bool:
    hp = posterior.covariance.unpack(posterior.theta)
    return hp.noise >= REPLICATE_NOISE_RATIO * hp.signal


def _suggest(model, X_measured, y_measured, n, acquisition, goal, beta, seed, exclude, budget, constraints=(), progress=None) -> pd.DataFrame:
    check_acquisition(acquisition)
    if budget is not None:
        budget = whole_number(budget, 1, MAX_BUDGET, "experiment budget")
    check_goal(goal)
    n = whole_number(n, 1, MAX_BATCH, "number of suggestions")
    beta = check_beta(beta)
    posterior = model._check_fitted()
    encoder = model.encoder
    U_measured = encoder.snap(encoder.encode(X_measured)) if len(X_measured) else np.empty((0, encoder.n_dims))
    y = as_outputs(y_measured, len(U_measured))
    finite = np.isfinite(y)
    if not finite.any():
        raise ModelError("No experiment has an output yet.")
    # The incumbent: the model's best mean at a measured point (noise-aware; see module docstring).
    best_s = _incumbent(posterior, U_measured[finite], y[finite], goal)
    best_y = float(model.output.inverse(np.array([best_s]))[0])
    rng = np.random.default_rng(seed)
    widening = widening_factor(posterior)
    replicate_ok = replicates_informative(posterior)

    taken = [U_measured]
    n_done = int(finite.sum())
    if exclude is not None and len(exclude):
        U_pending = encoder.snap(encoder.encode(exclude))
        taken.append(U_pending)
        n_done += len(U_pending)
        posterior = posterior.condition(U_pending, posterior.predict(U_pending)[0])
    order = np.argsort(-y[finite] if goal == "maximize" else y[finite], kind="stable")
    anchors = U_measured[finite][order[:N_ANCHORS]]

    chosen: list[np.ndarray] = []
    policies: list[str] = []
    reasons: list[Reason] = []
    for _ in range(n):
        if progress is not None:
            progress(len(chosen), n)
        policy, reason = scheduled_acquisition(acquisition, n_done + len(chosen), budget)
        if widening > 1.0 and policy not in ("exploit", "explore"):
            reason = Reason.WIDENED
        blocked = np.vstack(taken[:1])
        near = np.vstack(taken[1:] + [np.array(chosen).reshape(-1, encoder.n_dims)])
        try:
            point, replicate = _maximize(_scorer(posterior, policy, widening, best_s, goal, beta), encoder, rng, anchors, blocked, near, replicate_ok, constraints)
            if reason is Reason.EXPLORE:
                # Without a budget the evidence decides: when even the best point is expected to
                # gain almost nothing, refining the best predicted conditions is worth more.
                gain = float(np.exp(_scorer(posterior, policy, widening, best_s, goal, beta)(point[None, :])[0]))
                # Unless that refining is what the recent experiments did, to no avail: then the
                # basin is spent, and only a gain worth having elsewhere is sought.
                if gain < LITTLE_LEFT and room_to_explore(n_done + len(chosen), budget) and basin_spent(U_measured[finite], model.output.forward(y[finite]), goal):
                    point, replicate = _away_from_spent_basin(posterior, encoder, rng, goal, blocked, near, constraints, anchors[0])
                    if point is None:
                        point, replicate = _maximize(_scorer(posterior, policy, widening, best_s, goal, beta, LITTLE_LEFT), encoder, rng, anchors, blocked, near, replicate_ok, constraints)
                elif gain < LITTLE_LEFT:
                    policy, reason = "exploit", Reason.LITTLE_LEFT
                    point, replicate = _maximize(_scorer(posterior, policy, widening, best_s, goal, beta), encoder, rng, anchors, blocked, near, replicate_ok, constraints)
        except ModelError:
            if not chosen:
                raise
            raise ModelError(
                f"Only {len(chosen)} new, distinct combination(s) of the variables remain; "
                "ask for fewer suggestions."
            ) from None
        chosen.append(point)
        policies.append(policy)
        reasons.append(Reason.REPLICATE if replicate else reason)
        if len(chosen) < n:  # the fantasy only serves the next member (at 2,000 points it copies a 32 MB factor)
            posterior = posterior.condition(point[None, :], posterior.predict(point[None, :])[0])

    U_chosen = np.array(chosen)
    table = encoder.decode(U_chosen)
    mean, std = model.predict_encoded(U_chosen)
    table["Predicted mean"] = mean
    table["Predicted std"] = std
    table["Acquisition"] = [
        float(acquisition_value(p, mean[i:i + 1], std[i:i + 1], best_y, goal, beta)[0]) for i, p in enumerate(policies)
    ]
    table["Policy"] = policies
    table["Reason"] = [r.value for r in reasons]
    return table


def _away_from_spent_basin(posterior, encoder, rng, goal, blocked, near, constraints, best):
    """The best point of a posterior draw (alchemist.thompson) outside the spent basin (farther
    than BASIN_RADIUS from the best experiment), or None under constraints."""
    if constraints:
        return None, False
    from alchemist.thompson import posterior_draw_order

    for point in posterior_draw_order(posterior, encoder, rng, goal):
        if np.max(np.abs(point - best)) < BASIN_RADIUS:
            continue
        if not _is_blocked(point, near, BATCH_SEPARATION) and not _is_blocked(point, blocked, NEAR_DUPLICATE):
            return point, False
    return None, False


class _Score:
    """The acquisition score of encoded points under a posterior; `share` is the part of the full
    search (candidates, starts) that the posterior's size affords (see SEARCH_OPERATIONS)."""

    def __init__(self, posterior: Posterior, policy: str, widening: float, best_s: float, goal: str, beta: float, xi: float = 0.0) -> None:
        self.posterior, self.policy, self.widening, self.best_s, self.goal, self.beta, self.xi = posterior, policy, widening, best_s, goal, beta, xi
        self.share = min(1.0, SEARCH_OPERATIONS / (N_SOBOL * float(len(posterior.ys)) ** 2))

    def __call__(self, U: np.ndarray) -> np.ndarray:
        mean, std = self.posterior.predict(U)
        return acquisition_score(self.policy, mean, self.widening * std, self.best_s, self.goal, self.beta, self.xi)


def _scorer(posterior: Posterior, policy: str, widening: float, best_s: float, goal: str, beta: float, xi: float = 0.0) -> ScoreFn:
    return _Score(posterior, policy, widening, best_s, goal, beta, xi)


def _maximize(
    score: ScoreFn, encoder: Encoder, rng: np.random.Generator, anchors: np.ndarray,
    blocked: np.ndarray, near: np.ndarray, replicate_ok: bool = False, constraints: Sequence[object] = (),
) -> tuple[np.ndarray, bool]:
    """The best allowed point (encoded, snapped) not within NEAR_DUPLICATE of a blocked (measured)
    point and not within BATCH_SEPARATION of a `near` one (pending or already in the batch), and
    whether it is a replicate of a measured point (only when `replicate_ok`)."""
    if constraints:
        return constrained_choice(score, encoder, constraints, rng, anchors, blocked, near), False
    share = getattr(score, "share", 1.0)
    candidates = encoder.snap(_candidates(encoder, rng, anchors, share))
    scores = score(candidates)
    starts = _pick_starts(encoder, candidates, scores, max(MIN_STARTS, round(N_STARTS * share)))
    optimised = encoder.snap(_batched_lbfgsb(score, starts, encoder.numeric_dims))
    pool = np.vstack([optimised, candidates])
    pool_scores = np.concatenate([score(optimised), scores])
    pool_scores = np.where(np.isfinite(pool_scores), pool_scores, -np.inf)
    for index in np.argsort(-pool_scores, kind="stable"):
        point = pool[index]
        if _is_blocked(point, near, BATCH_SEPARATION):
            continue
        if not _is_blocked(point, blocked, NEAR_DUPLICATE):
            return point, False
        if replicate_ok:
            nearest = blocked[np.argmin(np.max(np.abs(blocked - point), axis=1))]
            if not _is_blocked(nearest, near, BATCH_SEPARATION):
                return nearest.copy(), True
    # Every scored point is taken (a small, fully discrete space): fall back to any free point.
    for point in _enumerate_free(encoder, np.vstack([blocked, near]), rng):
        return point, False
    raise ModelError("Every allowed combination of the variables has already been measured or suggested.")


def constrained_choice(
    score: ScoreFn, encoder: Encoder, constraints: Sequence[object], rng: np.random.Generator,
    anchors: np.ndarray, blocked: np.ndarray, near: np.ndarray,
) -> np.ndarray:
    """The constrained search (alchemist.constraints.search): every point it returns meets the
    constraints, so no replicate of a measured point (which may not) and no unconstrained fallback."""
    from alchemist.constraints.search import maximize_constrained

    # The best experiments join the candidates (repaired onto the constraints when they break
    # one); the local refinement around them is the constrained climb's, not a cloud of
    # points, since every extra point costs a projection of its own.
    pool, _ = maximize_constrained(score, encoder, constraints, rng, extra=anchors if len(anchors) else None)
    for point in pool:
        if not _is_blocked(point, near, BATCH_SEPARATION) and not _is_blocked(point, blocked, NEAR_DUPLICATE):
            return point
    raise ModelError("Every allowed point that meets the constraints has already been measured or suggested.")


def _is_blocked(point: np.ndarray, blocked: np.ndarray, tolerance: float = DUPLICATE_TOLERANCE) -> bool:
    if len(blocked) == 0:
        return False
    return bool(np.any(np.max(np.abs(blocked - point), axis=1) < tolerance))


def _combinations(encoder: Encoder, rng: np.random.Generator, count: int) -> np.ndarray:
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


def _all_combinations(encoder: Encoder) -> np.ndarray:
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


def _candidates(encoder: Encoder, rng: np.random.Generator, anchors: np.ndarray, share: float = 1.0) -> np.ndarray:
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
        combos = _all_combinations(encoder)
        per_combo = max(64, n_sobol // len(combos))
        parts = []
        for i, combo in enumerate(combos):
            rows = sobol[(i * per_combo) % n_sobol:][:per_combo] if len(numeric) else sobol[:1]
            parts.append(_assemble(encoder, rows, numeric, np.tile(combo, (len(rows), 1)), cat_columns))
    else:
        parts = [_assemble(encoder, sobol, numeric, _combinations(encoder, rng, len(sobol)), cat_columns)]

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
                local[np.ix_(redraw, cat_columns)] = _combinations(encoder, rng, int(redraw.sum()))
            parts.append(np.clip(local, 0.0, 1.0))
    return np.vstack(parts)


def _assemble(encoder: Encoder, numeric_rows: np.ndarray, numeric: np.ndarray, cat_rows: np.ndarray, cat_columns: np.ndarray) -> np.ndarray:
    U = np.zeros((len(numeric_rows), encoder.n_dims))
    if len(numeric):
        U[:, numeric] = numeric_rows
    if len(cat_columns):
        U[:, cat_columns] = cat_rows
    return U


def _pick_starts(encoder: Encoder, candidates: np.ndarray, scores: np.ndarray, n_starts: int = N_STARTS) -> np.ndarray:
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


def _batched_lbfgsb(score: ScoreFn, starts: np.ndarray, numeric: np.ndarray, maxiter: int = 200) -> np.ndarray:
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


def _enumerate_free(encoder: Encoder, blocked: np.ndarray, rng: np.random.Generator):
    """Random allowed points not yet blocked (for nearly exhausted discrete spaces)."""
    for _ in range(3):
        U = encoder.snap(rng.random((2048, encoder.n_dims)))
        free = np.ones(len(U), dtype=bool)
        for start in range(0, len(blocked), 256):
            chunk = blocked[start:start + 256]
            distance = np.max(np.abs(U[:, None, :] - chunk[None, :, :]), axis=2)
            free &= np.all(distance >= DUPLICATE_TOLERANCE, axis=1)
        yield from U[free]
