"""Choose the next experiments: maximise an acquisition function over the allowed points.

The search, on the unit-cube encoding (see alchemist.encoding):

1.-2. Candidates and a multi-start L-BFGS-B from the best of them (alchemist.search_points).
3. The best snapped point that is not within NEAR_DUPLICATE of a measured point, nor within
   BATCH_SEPARATION of a pending or already chosen one, wins. The one exception: when the
   model's learned noise is large (REPLICATE_NOISE_RATIO), a point on top of a measured one is
   replaced by that measured point itself, an honest replicate, and marked Reason.REPLICATE.

Noise-aware defaults: EI and PI improve on the incumbent by the model's mean (its best mean at a
measured point), not the best observed value, which on noisy data is the luckiest reading and
makes EI chase noise. When the model has learned noise (NOISY_DATA_RATIO), EI is discounted where
a reading can reveal little beyond the noise (augmented EI, alchemist.acquisition), which
otherwise measures one promising spot over and over. When the model's leave-one-out z-scores say it is overconfident, its
uncertainty is widened by that factor for the search (Reason.WIDENED), so that a confidently
wrong model explores instead of repeating itself.

No noisy endgame: concentrating the last experiments on the model's best (so that the luckiest
reading, the user's pick, more likely comes from a good point) lost to plain EI + 10% refining.
Noisy Branin, seeds 0-19, expected regret of the best reading over fresh noise, median (better /
worse seeds) against 1.46: repeating the measured point with the best mean + 1 sd, last 30% 1.80
(6/9), last 10% 1.46 (4/8); the best mean + 1 sd anywhere, last 30% 1.74 (9/7), last 10% 1.46
(5/8); EI inside +-0.1 of the best mean, last 30% 1.65 (7/9); the best mean, last 20% 1.40 (8/7;
seeds 0-39 1.81 vs 1.80, 19/14); aEI's incumbent (best mean + 1 sd) 1.71 (6/7); a quadratic trend
on noisy data 1.61 (6/11). Why: at the end the model's best point itself has a true regret of
about 1 (median of the last three), and the campaigns that stopped exploring at 70% lost the basins
EI found late (seeds 1, 2, 19: 1.6, 0.6, 1.1 -> 2.5 to 2.9). Noisy Hartmann-3 learns a noise
variance of 0.1-0.5% of the signal's, under NOISY_DATA_RATIO, and ends within 0.02 of the optimum.
Its tail is stuck basins, not noise: seeds 20-39 (2026-11-30) hold 7 runs above 0.05 (skopt
none), such as seed 23, which refines a minimum on the bound x1 = 0 (regret 0.86) for its last
18 experiments, 3 of them on corners. A constant mean estimated by generalised least squares
(kriging's, so that experiments clustered near a minimum weigh less) instead of the outputs'
average changed nothing: seeds 0-39, expected regret 0.0200 -> 0.0190 (20 / 20), Branin
1.81 -> 1.91 (15 / 25); the same seeds stay stuck.
Refining at an optimistic bound instead of the mean (mean + 1 std, on noisy results only), so
that the refining steps stop stacking on one spot (a noisy Hartmann-3 run put its last 12 within
0.005 of a point 0.04 above the optimum): at 40 seeds it looked like a gain (upper quartiles of
the best reading 3.70 -> 2.67 and 0.0455 -> 0.0312), at 80 seeds (0-79, 2026-11-30) it was a
trade: Branin by the posterior mean 1.57 -> 1.55 (45 / 33, p 0.03), Hartmann-3's expected regret
0.0189 -> 0.0219 (25 / 52, p 0.04), the best readings level (21 / 15, 26 / 28). With 0.5 std
nothing changed; with 2 std Branin's expected regret went 1.81 -> 2.29 (seeds 0-39, 9 / 31). A
knowledge-gradient step (the reading that most raises the best posterior mean; seeds 0-39) made
Hartmann-3's mean regret by the posterior mean 0.069 -> 0.019 (24 / 16) but spread the readings,
and the best reading lost (median 0.015 -> 0.029, expected 10 / 30 seeds worse on both).
On noise-free results the optimistic bound cost Branin a factor of 5 (10 seeds). The quadratic
trend (alchemist.model.trend) under every search, not only under input constraints, so that the
unexplored corners stop looking average: noisy Hartmann-3's runs in another basin 8 -> 6 of 80,
but its median best reading 0.0146 -> 0.0202 (32 / 47 seeds better / worse), Branin level.

A batch of q points uses the kriging believer: after each choice the model is conditioned on a
fantasy observation equal to its own prediction there (hyperparameters fixed), which collapses
the uncertainty at that point so that the next choice goes elsewhere. Pending experiments
(`exclude`) are fantasised in the same way before the first choice.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

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
    log_noise_discount,
    scheduled_acquisition,
)
from alchemist.encoding import Encoder
from alchemist.search_points import (
    DUPLICATE_TOLERANCE, MIN_STARTS, N_SOBOL, N_STARTS, SEARCH_OPERATIONS, ScoreFn, batched_lbfgsb, free_points, pick_starts,
)
from alchemist.search_points import candidates as candidate_points
from alchemist.errors import ModelError
from alchemist.model import GPModel, Posterior, as_outputs, blas_single_thread
from alchemist.model.incumbent import best_mean_row
from alchemist.model.trend import CONSTRAINED_TREND_PRIOR_SD, TrendPosterior
from alchemist.model.likelihood import LOO_CHECK_MAX_POINTS, loo_residuals
from alchemist.validation import whole_number

MAX_BATCH = 50
MAX_BUDGET = 100_000  # the largest experiment budget a user may state
N_ANCHORS = 3  # best experiments to scatter local candidates around
# A suggestion closer than this (max norm, unit cube) to a measured point is a near-duplicate and
# refused: a stuck Branin campaign put 17 of 25 suggestions within 1e-3 of earlier experiments.
NEAR_DUPLICATE = 1e-3
# Learned noise variance / signal variance above which a replicate may be the most informative
# experiment (the noise sd is then over a fifth of the signal's).
REPLICATE_NOISE_RATIO = 0.05
# Learned noise variance / signal variance from which EI is discounted for the noise (augmented
# EI, see the module docstring): ten times the noise prior's median, which a fit returns when the
# data say nothing about the noise, so that the discount comes from the data and not from the
# prior. Noisy Branin (sd 2% of the range) reaches 1e-2 to 2e-1 from about 15 experiments; a
# noise-free Branin campaign touched 6e-3 at 12 (seed 4), and 5e-3 let two discounted steps
# send it elsewhere (final regret 1.2e-4 -> 2.2e-3). On noisy Branin (20 seeds) the campaigns
# had put up to 15 of 25 suggestions on one spot 1.6 above the minimum; the expected regret of
# the best reading (over fresh noise) went from median 1.58 / mean 1.80 to 1.43 / 1.59.
# Lower, so that noisy Hartmann-3 (which learns 5e-4 to 3e-3) is discounted too and its spent
# basins count as spent (8 of 80 runs end in another basin, scikit-optimize's none): 1e-3 and
# 3e-3 left mostly the same runs stuck (9 and 7 of 80; 6 and 7 of the 8 stuck before) and
# moved no median or paired count beyond chance (seeds 0-79, 2026-11-30; Hartmann-3 expected
# regret 0.0189 -> 0.0180 / 0.0184).
NOISY_DATA_RATIO = 1e-2
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
    trend: bool = False,
) -> pd.DataFrame:
    """The next `n` experiments to run, best first, with the model's prediction at each.

    Columns: one per variable (allowed values, natural types), then "Predicted mean",
    "Predicted std" (of the underlying function, target units), "Acquisition" (under the
    current model, see alchemist.acquisition.acquisition_value; for "auto", of the acquisition it
    chose), "Policy" (that acquisition's key) and "Reason" (an alchemist.acquisition.Reason value).
    `budget`, the total number of experiments planned, schedules the "auto" policy.
    `constraints` (alchemist.constraints) restrict the search to the points that meet them all.
    `progress(points found, n)` is called before each point's search; the caller stops it by raising.
    `trend`: score with the model plus a quadratic trend (alchemist.model.trend, prior sd
    CONSTRAINED_TREND_PRIOR_SD), so that far from the data its mean follows the data's curvature
    instead of their average; Session.suggest asks for it when the session has input constraints.
    """
    with blas_single_thread():
        return _suggest(model, X_measured, y_measured, n, acquisition, goal, beta, seed, exclude, budget, tuple(constraints), progress, trend)


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


def discount_noise(posterior: Posterior) -> float:
    """The noise variance (model units) by which EI is discounted: the learned one on noisy
    data (NOISY_DATA_RATIO), else 0."""
    hp = posterior.covariance.unpack(posterior.theta)
    return float(hp.noise) if hp.noise >= NOISY_DATA_RATIO * hp.signal else 0.0


def ei_noise_discount(model: GPModel, U: np.ndarray, widening: float = 1.0) -> np.ndarray:
    """The factor by which EI is discounted at encoded points U (1 on noise-free data): the
    suggestion table and the landscape show EI as the search weighed it."""
    return np.exp(log_noise_discount(widening * model.posterior.predict(U)[1], discount_noise(model.posterior)))


def replicates_informative(posterior: Posterior) -> bool:
    hp = posterior.covariance.unpack(posterior.theta)
    return hp.noise >= REPLICATE_NOISE_RATIO * hp.signal


def _suggest(model, X_measured, y_measured, n, acquisition, goal, beta, seed, exclude, budget, constraints=(), progress=None, trend=False) -> pd.DataFrame:
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
    best_s = best_mean_row(posterior, U_measured[finite], y[finite], goal)[1]
    best_y = float(model.output.inverse(np.array([best_s]))[0])
    rng = np.random.default_rng(seed)
    widening = widening_factor(posterior)
    replicate_ok = replicates_informative(posterior)
    noise_var = discount_noise(posterior)
    if trend:
        posterior = TrendPosterior(posterior, CONSTRAINED_TREND_PRIOR_SD)

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

        def search(policy: str, xi: float = 0.0) -> tuple[np.ndarray, bool]:
            score = _scorer(posterior, policy, widening, best_s, goal, beta, xi, noise_var)
            return _maximize(score, encoder, rng, anchors, blocked, near, replicate_ok, constraints)

        try:
            point, replicate = search(policy)
            if reason is Reason.EXPLORE:
                # Without a budget the evidence decides: when even the best point is expected to
                # gain almost nothing, refining the best predicted conditions is worth more.
                score = _scorer(posterior, policy, widening, best_s, goal, beta, noise_var=noise_var)
                gain = float(np.exp(score(point[None, :])[0]))
                # Unless that refining is what the recent experiments did, to no avail: then the
                # basin is spent, and only a gain worth having elsewhere is sought.
                if (gain < LITTLE_LEFT and room_to_explore(n_done + len(chosen), budget)
                        and basin_spent(U_measured[finite], model.output.forward(y[finite]), goal)):
                    point, replicate = _away_from_spent_basin(getattr(posterior, "base", posterior), encoder, rng, goal, blocked, near, constraints, anchors[0])
                    if point is None:
                        point, replicate = search(policy, LITTLE_LEFT)
                elif gain < LITTLE_LEFT:
                    policy, reason = "exploit", Reason.LITTLE_LEFT
                    point, replicate = search(policy)
        except ModelError:
            if not chosen:
                raise
            raise ModelError(
                f"New, distinct combinations of the variables run out after {len(chosen)}; "
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
    # EI as the search weighed it: with its discount for noise, computed in model units.
    discount = ei_noise_discount(model, U_chosen, widening)
    table["Acquisition"] = [
        float(acquisition_value(p, mean[i:i + 1], std[i:i + 1], best_y, goal, beta)[0]) * (discount[i] if p == "ei" else 1.0)
        for i, p in enumerate(policies)
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

    def __init__(
        self, posterior: Posterior, policy: str, widening: float, best_s: float, goal: str, beta: float, xi: float = 0.0,
        noise_var: float = 0.0,
    ) -> None:
        self.posterior, self.policy, self.widening, self.best_s, self.goal, self.beta, self.xi = posterior, policy, widening, best_s, goal, beta, xi
        self.noise_var = noise_var
        self.share = min(1.0, SEARCH_OPERATIONS / (N_SOBOL * float(len(posterior.U)) ** 2))

    def __call__(self, U: np.ndarray) -> np.ndarray:
        mean, std = self.posterior.predict(U)
        return acquisition_score(self.policy, mean, self.widening * std, self.best_s, self.goal, self.beta, self.xi, self.noise_var)


def _scorer(
    posterior: Posterior, policy: str, widening: float, best_s: float, goal: str, beta: float, xi: float = 0.0, noise_var: float = 0.0,
) -> ScoreFn:
    return _Score(posterior, policy, widening, best_s, goal, beta, xi, noise_var)


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
    candidates = encoder.snap(candidate_points(encoder, rng, anchors, share))
    scores = score(candidates)
    starts = pick_starts(encoder, candidates, scores, max(MIN_STARTS, round(N_STARTS * share)))
    optimised = encoder.snap(batched_lbfgsb(score, starts, encoder.numeric_dims))
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
    for point in free_points(encoder, np.vstack([blocked, near]), rng):
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
