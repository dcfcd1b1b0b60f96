"""Expected hypervolume improvement (EHVI) and the probability of meeting outcome limits.

With independent normal predictions per objective (one model per objective), the improvement
of a point y is sum_k prod_j (min(y_j, u_kj) - l_kj)^+ over the disjoint boxes [l_k, u_k] of the
non-dominated region, and the expectation of each factor is
    E[(min(Y, u) - l)^+] = s * (h((mu - l)/s) - h((mu - u)/s)),  h(z) = phi(z) + z Phi(z),
so EHVI is exact, in numpy, for any number of objectives the box count allows.

Noise: pass as `front` the model's posterior means at the measured points rather than the
noisy measurements (a plug-in of the noisy EHVI). Pending points and batches: the kriging
believer, as in alchemist.optimize: the predicted means of pending or already chosen points
join the front, so that the next choice is rewarded only for what they do not already cover.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from scipy.special import log_ndtr, logsumexp, ndtr

from alchemist.acquisition import log_h

from alchemist.objectives.hypervolume import nondominated_boxes
from alchemist.objectives.objective import Objective, ObjectiveError, as_maximization, signs

CANDIDATE_CHUNK = 256  # candidates per vectorised pass (memory: chunk * boxes * m)
MIN_STD = 1e-12


def _h(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z**2) / np.sqrt(2.0 * np.pi) + z * ndtr(z)


def _prepare(mean, std, front, reference, directions, pending) -> tuple[np.ndarray, ...]:
    """Means and stds in maximisation form, and the boxes of what front and pending leave free."""
    mean = np.atleast_2d(np.asarray(mean, dtype=float))
    std = np.atleast_2d(np.asarray(std, dtype=float))
    if mean.shape != std.shape:
        raise ObjectiveError("Predicted means and standard deviations must have the same shape.")
    known = np.atleast_2d(np.asarray(front, dtype=float)).reshape(-1, mean.shape[1])
    if pending is not None and len(pending):
        known = np.vstack([known, np.atleast_2d(np.asarray(pending, dtype=float))])
    lower, upper = nondominated_boxes(known, reference, directions)
    # Flipping the sign of a normal keeps its std.
    return as_maximization(mean, directions), np.maximum(std, MIN_STD), lower, upper


def expected_hypervolume_improvement(
    mean: Any, std: Any, front: Any, reference: Any, directions: Sequence[str], pending: Any = None
) -> np.ndarray:
    """EHVI (n,) of candidates with predictive means and stds (n, m) in target units.

    `front`: values (k, m) already achieved (measured values, or posterior means when noisy);
    `pending`: predicted means (p, m) of points chosen but not yet measured; `reference`: the
    hypervolume reference (see objective.default_reference). Exact (no sampling).
    """
    mu, sd, lower, upper = _prepare(mean, std, front, reference, directions, pending)
    out = np.empty(len(mu))
    for start in range(0, len(mu), CANDIDATE_CHUNK):
        m_ = mu[start:start + CANDIDATE_CHUNK, None, :]
        s_ = sd[start:start + CANDIDATE_CHUNK, None, :]
        with np.errstate(invalid="ignore"):
            top = np.where(np.isinf(upper)[None], 0.0, _h((m_ - upper[None]) / s_))
        factor = s_ * (_h((m_ - lower[None]) / s_) - top)
        out[start:start + CANDIDATE_CHUNK] = np.prod(np.maximum(factor, 0.0), axis=2).sum(axis=1)
    return out


def log_expected_hypervolume_improvement(
    mean: Any, std: Any, front: Any, reference: Any, directions: Sequence[str], pending: Any = None
) -> np.ndarray:
    """log EHVI, finite where EHVI itself underflows to 0 (far from the front), so that a
    gradient optimiser is not left on a flat plateau (as log EI in alchemist.acquisition).

    Per box and objective the factor s (h(z_l) - h(z_u)) is taken in logs as
    log s + log h(z_l) + log(1 - exp(log h(z_u) - log h(z_l))); boxes are summed by logsumexp.
    """
    mu, sd, lower, upper = _prepare(mean, std, front, reference, directions, pending)
    out = np.empty(len(mu))
    for start in range(0, len(mu), CANDIDATE_CHUNK):
        m_ = mu[start:start + CANDIDATE_CHUNK, None, :]
        s_ = sd[start:start + CANDIDATE_CHUNK, None, :]
        log_low = log_h((m_ - lower[None]) / s_)
        with np.errstate(invalid="ignore", divide="ignore"):
            log_up = np.where(np.isinf(upper)[None], -np.inf, log_h(np.broadcast_to((m_ - upper[None]) / s_, log_low.shape)))
            gap = np.minimum(log_up - log_low, 0.0)
            # log(1 - e^gap): accurate on both sides of -log 2.
            log_rest = np.where(gap > -np.log(2.0), np.log(-np.expm1(gap)), np.log1p(-np.exp(gap)))
        factors = np.log(s_) + log_low + log_rest
        out[start:start + CANDIDATE_CHUNK] = logsumexp(factors.sum(axis=2), axis=1)
    return out


def probability_of_feasibility(mean: Any, std: Any, objectives: Sequence[Objective]) -> np.ndarray:
    """P(every limit is met) (n,) for predictions (n, len(objectives)), independent normals.

    Columns follow `objectives`; objectives without limits contribute 1. This is the number to
    report with each suggestion and to multiply into the acquisition for outcome constraints.
    """
    return np.exp(log_probability_of_feasibility(mean, std, objectives))


def log_probability_of_feasibility(mean: Any, std: Any, objectives: Sequence[Objective]) -> np.ndarray:
    """log of `probability_of_feasibility`, accurate far into the infeasible region (for an
    optimiser, where the probability underflows)."""
    mean = np.atleast_2d(np.asarray(mean, dtype=float))
    std = np.maximum(np.atleast_2d(np.asarray(std, dtype=float)), MIN_STD)
    if mean.shape[1] != len(objectives) or std.shape != mean.shape:
        raise ObjectiveError(f"Give predictions for all {len(objectives)} objectives.")
    total = np.zeros(len(mean))
    for j, objective in enumerate(objectives):
        if objective.at_least is not None and objective.at_most is not None:
            a = (objective.at_least - mean[:, j]) / std[:, j]
            b = (objective.at_most - mean[:, j]) / std[:, j]
            # P(a < Z < b) from whichever tail is accurate.
            p = np.where(a > 0, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))
            total += np.log(np.maximum(p, 1e-300))
        elif objective.at_least is not None:
            total += log_ndtr((mean[:, j] - objective.at_least) / std[:, j])
        elif objective.at_most is not None:
            total += log_ndtr((objective.at_most - mean[:, j]) / std[:, j])
    return total


def greedy_batch(
    mean: Any, std: Any, front: Any, reference: Any, directions: Sequence[str], q: int,
    *, pending: Any = None, feasibility: Any = None,
) -> list[int]:
    """Indices of q candidates (rows of mean/std) chosen one by one by EHVI (times the
    probability of feasibility when given), each choice's predicted mean joining the front
    before the next (kriging believer). Stops early when no candidate adds anything.

    A finite-candidate version for the pages and tests; the optimiser instead conditions the
    model on each choice (as alchemist.optimize does) and calls
    `expected_hypervolume_improvement` with the chosen means as `pending`.
    """
    mean = np.atleast_2d(np.asarray(mean, dtype=float))
    if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or q < 1:
        raise ObjectiveError("The batch size must be a whole number of at least 1.")
    signs(directions)
    chosen: list[int] = []
    believed = [] if pending is None else list(np.atleast_2d(np.asarray(pending, dtype=float)))
    weight = np.ones(len(mean)) if feasibility is None else np.asarray(feasibility, dtype=float)
    for _ in range(int(q)):
        value = expected_hypervolume_improvement(mean, std, front, reference, directions, np.array(believed).reshape(-1, mean.shape[1])) * weight
        value[chosen] = -np.inf
        best = int(np.argmax(value))
        if not value[best] > 0:
            break
        chosen.append(best)
        believed.append(mean[best])
    return chosen
