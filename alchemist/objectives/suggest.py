"""Suggestions for several objectives and for outcome limits, one model per result column.

Score of an encoded point, in logs so that the optimiser is never left on a flat plateau:
- two or more optimised objectives: log EHVI (alchemist.objectives.ehvi) over the models'
  posterior means at the measured points (a plug-in of the noisy EHVI: noise in the readings
  does not move the front), with the reference from the objectives' thresholds or the data;
- one optimised objective: log EI on its model, improving on its best posterior mean;
- plus, for every result column with a limit, log of the probability of meeting it.
With a stated budget, the last experiments exploit, as the automatic policy of
alchemist.optimize does (alchemist.acquisition.scheduled_acquisition): the models' means
rather than their uncertainty decide. A last experiment spent where the model is merely unsure
is not refined by any later one, and on the benchmark's early budgets that is where
EI x P(limits) sent it: seeds 3 and 5 of the outcome problem (benchmarks/constrained.py) spent
their last call on the corner (0, 0), Cost 308 predicted as 38 +- 28. Told the budget, its
median regret over 20 seeds went 1.94 -> 1.89 (12 seeds better, 5 worse); the two-objective
problems' log10 hypervolume gaps, 30 seeds, moved by -0.03 (BraninCurrin) and -0.007 (DTLZ2)
on average.
Every model gets a quadratic trend under its GP (alchemist.model.trend; `trend=False`
leaves it out): with a constant prior mean the bounds, far from the data, looked merely average
with a wide std, and EHVI spent most suggestions there even where the data say the function
worsens toward them.
Batches and pending experiments: the kriging believer, as in alchemist.optimize; each model is
conditioned on its own predicted mean at a pending or chosen point, and for EHVI the chosen
means join the front as `pending`. The search itself is alchemist.optimize's (with input
constraints, alchemist.constraints.search): every returned point meets the input constraints.

Where it still loses (benchmarks/constrained.py, 2026-11-30; figures and scripts in the
benchmark notes, bench-keep/mo8): the models, not the search over them. On BraninCurrin 83 of
100 suggestions (seeds 0-9) lie on a bound, where the front is, and the first call's pair
improves the hypervolume in 6 of 10 seeds (no initial point lies inside the reference box); the
Branin model is confidently wrong next to x1 = 0 (seed 3, 8 points: 15 +- 10 predicted where it
is 66, its fitted x1 length scale 0.58). On the outcome problem 26 of 160 suggestions (seeds 0-19)
lie on a bound and none improved (Purity predicted too high there, median z -0.5); the median
is set by which of the two basins a run finds (8 of 40 seeds end below regret 1.2, BoTorch 8
of 20). A log or unwarped Cost model is no better calibrated on the 6-point designs (median z
on the bounds +0.4 as fitted, +0.8 to +1.1 in logs; the tail warp is inactive there).
Measured and not kept (ours only, seeds 0-29 of BraninCurrin and DTLZ2, 0-39 of the outcome
problem, seeds better / worse than this code): the limits alone while nothing is inside the
reference box (BraninCurrin 6 / 15); pending and chosen points joining the front one std worse
than their means (11 / 18, DTLZ2 10 / 20) or half a std better (16 / 13, DTLZ2 14 / 16);
exploiting with 0.3 of the stds instead of EXPLOIT_STD_SHARE (16 / 14, medians unchanged) or
only the last experiment of the budget (16 / 14) or the last 4 (14 / 15, DTLZ2 18 / 12); log P(limits) counted twice in the score
(BraninCurrin 11 / 18; outcome 25 / 15, median 1.96 -> 1.89, Wilcoxon p 0.27, seeds 0-9 worse);
the outcome problem with trend prior sd 0.5 (18 / 22), without a trend under the limit's model
(18 / 22, mean regret +0.7), exploiting its last 2 experiments (20 / 19, mean +0.6); P(limits)
in model units and the leave-one-out widening of alchemist.optimize changed no suggestion
checked (the limits sit where the output transform is linear; the widening never triggered).
The search's local candidates around the measured points on the front (up to 8, spread along
it) instead of the three best by the first objective: BraninCurrin 11 / 11, DTLZ2 13 / 17
(seeds 0-29): in two to four dimensions the quasi-random candidates already find EHVI's peaks.
The outcome problem over 50 seeds: its runs find the basin of the optimum (regret below 1.2)
in 20% of seeds, BoTorch's in 38%; without the trend 22%, median 2.03 -> 2.01 (21 / 29); EI
asking for a least gain of 0.1 / 0.3 (model units) 18% / 8%, median 2.25 / 2.96 (12 / 38, 6 /
44). Other kernels: see alchemist.model.settings. With no experiment yet expected to meet the
limits, EI on the worst measured mean times P(limits) (as BoTorch's constrained noisy EI does)
instead of P(limits) alone changed 4 of 50 seeds (2 / 2). Constrained Thompson sampling (one
joint draw per model over 1,024 Sobol points; the best drawn objective where the drawn limits
hold) instead of EI x P(limits): basin share 10%, median 2.03 -> 2.19 (16 / 34, p 0.003).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from alchemist.acquisition import AUTO, acquisition_score, scheduled_acquisition
from alchemist.errors import ModelError
from alchemist.model import GPModel, Posterior, blas_single_thread
from alchemist.objectives.ehvi import log_expected_hypervolume_improvement, log_probability_of_feasibility
from alchemist.objectives.objective import Objective, default_reference
from alchemist.model.trend import TrendPosterior
from alchemist.optimize import MAX_BUDGET, N_ANCHORS, _maximize, constrained_choice
from alchemist.validation import whole_number

MAX_BATCH = 50
FEASIBILITY = "Probability of meeting limits"
SCORE = "Acquisition"
POLICY = "Policy"
EHVI_POLICY = "ehvi"
EI_POLICY = "ei"
EXPLOIT_POLICY = "exploit"
# Exploiting with several objectives: EHVI with the models' stds shrunk by this factor, close to
# the hypervolume improvement of the means yet graded (not flat) where the means add nothing.
EXPLOIT_STD_SHARE = 0.05


def predicted_column(name: str) -> str:
    return f"Predicted {name}"


def std_column(name: str) -> str:
    return f"Std {name}"


@dataclass
class _Model:
    objective: Objective
    model: GPModel
    posterior: Posterior | TrendPosterior

    def __post_init__(self) -> None:
        self.unconditioned = self.posterior

    def predict(self, U: np.ndarray, posterior: Posterior | TrendPosterior | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std in target units (std by the transform's local slope)."""
        mean, std = (posterior or self.posterior).predict(U)
        return self.model.output.inverse(mean), std * self.model.output.inverse_derivative(mean)

    def believe(self, U: np.ndarray) -> None:
        self.posterior = self.posterior.condition(U, self.posterior.predict(U)[0])


def suggest_objectives(
    models: Mapping[str, GPModel],
    objectives: Sequence[Objective],
    X_measured: pd.DataFrame,
    *,
    n: int = 1,
    seed: int | None = 0,
    pending: pd.DataFrame | None = None,
    constraints: Sequence[object] = (),
    budget: int | None = None,
    trend: bool = True,
) -> pd.DataFrame:
    """The next `n` experiments, best first. `models` holds a trained model per objective's
    column; `X_measured` the usable experiments (their settings; they are never suggested again,
    nor are `pending` ones). Columns: the variables, then per objective its predicted mean and
    std, "Acquisition" (EHVI for several objectives, EI for one), "Policy", and the probability
    of meeting the outcome limits when there are any. `budget`, the total number of experiments
    planned, if stated: the last of them exploit (Policy "exploit"; see the module docstring).
    `trend`: the models get a quadratic trend under their GP (alchemist.model.trend);
    False uses the models as fitted."""
    n = whole_number(n, 1, MAX_BATCH, "number of suggestions")
    if budget is not None:
        budget = whole_number(budget, 1, MAX_BUDGET, "experiment budget")
    with blas_single_thread():
        return _suggest(models, list(objectives), X_measured, n, seed, pending, tuple(constraints), budget, trend)


def _suggest(models, objectives, X_measured, n, seed, pending, constraints, budget=None, trend=True) -> pd.DataFrame:
    missing = [o.name for o in objectives if o.name not in models]
    if missing:
        raise ModelError(f"There is no model for: {', '.join(missing)}.")
    fitted = [_Model(o, models[o.name], _posterior(models[o.name], trend)) for o in objectives]
    encoder = fitted[0].model.encoder
    optimized = [m for m in fitted if m.objective.is_optimized]
    limited = [m.objective for m in fitted if m.objective.is_limited]
    rng = np.random.default_rng(seed)
    U_measured = encoder.snap(encoder.encode(X_measured)) if len(X_measured) else np.empty((0, encoder.n_dims))
    if not len(U_measured):
        raise ModelError("No experiment has a result yet.")
    # The front and the incumbent from the models' means at the measured points (noise-aware).
    front = np.column_stack([m.predict(U_measured)[0] for m in optimized])
    directions = [m.objective.direction for m in optimized]
    reference = default_reference(front, [m.objective for m in optimized]) if len(optimized) > 1 else None
    # Only experiments the models expect to meet the limits count as achieved (constrained EI
    # and EHVI); with none yet, the search looks for the limits alone.
    feasible = np.ones(len(U_measured), dtype=bool)
    log_pof = np.zeros(len(U_measured))
    if limited:
        mean, std = zip(*(m.predict(U_measured) for m in fitted))
        log_pof = log_probability_of_feasibility(np.column_stack(mean), np.column_stack(std), [m.objective for m in fitted])
        feasible = log_pof >= np.log(0.5)
    front = front[feasible]
    first = optimized[0]
    measured_s = first.posterior.predict(U_measured[feasible])[0] if feasible.any() else np.array([])
    best_s = None
    if len(measured_s):
        best_s = float(np.max(measured_s) if first.objective.direction == "maximize" else np.min(measured_s))
    near_rows = [np.empty((0, encoder.n_dims))]
    believed: list[np.ndarray] = []
    n_done = len(U_measured) + (len(pending) if pending is not None else 0)
    if pending is not None and len(pending):
        U_pending = encoder.snap(encoder.encode(pending))
        near_rows.append(U_pending)
        believed += list(np.column_stack([m.predict(U_pending)[0] for m in optimized]))
        for m in fitted:
            m.believe(U_pending)
    anchors = _anchors(U_measured, feasible, log_pof, front, first.objective.direction)

    exploit = False

    def score(U: np.ndarray) -> np.ndarray:
        if len(optimized) > 1:
            mean, std = zip(*(m.predict(U) for m in optimized))
            value = log_expected_hypervolume_improvement(
                np.column_stack(mean), np.column_stack(std) * (EXPLOIT_STD_SHARE if exploit else 1.0), front, reference,
                directions, np.array(believed).reshape(-1, len(optimized)),
            )
        elif best_s is None:
            value = np.zeros(len(U))
        elif exploit:
            # The best mean (model units, signed so that larger is better); with limits, plus the
            # log probability of meeting them below: a barrier that keeps the point inside.
            mean_s = first.posterior.predict(U)[0]
            value = mean_s if first.objective.direction == "maximize" else -mean_s
        else:
            mean_s, std_s = first.posterior.predict(U)
            value = acquisition_score("ei", mean_s, std_s, best_s, first.objective.direction)
        if limited:
            mean, std = zip(*(m.predict(U) for m in fitted))
            value = value + log_probability_of_feasibility(np.column_stack(mean), np.column_stack(std), [m.objective for m in fitted])
        return value

    chosen: list[np.ndarray] = []
    exploited: list[bool] = []
    for _ in range(n):
        exploit = scheduled_acquisition(AUTO, n_done + len(chosen), budget)[0] == EXPLOIT_POLICY
        near = np.vstack(near_rows + [np.array(chosen).reshape(-1, encoder.n_dims)])
        try:
            if constraints:
                point = constrained_choice(score, encoder, constraints, rng, anchors, U_measured, near)
            else:
                point, _ = _maximize(score, encoder, rng, anchors, U_measured, near)
        except ModelError:
            if not chosen:
                raise
            raise ModelError(f"New, distinct experiments run out after {len(chosen)}; ask for fewer.") from None
        chosen.append(point)
        exploited.append(exploit)
        believed.append(np.array([m.predict(point[None, :])[0][0] for m in optimized]))
        for m in fitted:
            m.believe(point[None, :])
    table = _table(encoder, fitted, optimized, limited, np.array(chosen), front, reference, directions, best_s)
    table.loc[np.array(exploited), POLICY] = EXPLOIT_POLICY
    return table


def _posterior(model: GPModel, trend: bool) -> Posterior | TrendPosterior:
    posterior = model._check_fitted()
    return TrendPosterior(posterior) if trend else posterior


def _anchors(U_measured: np.ndarray, feasible: np.ndarray, log_pof: np.ndarray, front: np.ndarray, direction: str) -> np.ndarray:
    """The measured points the search refines around: the best of those expected to meet the
    limits (by the first optimised objective; `front` holds their means, in the order of
    U_measured[feasible]), or with none expected to, those nearest to meeting them."""
    if not feasible.any():
        return U_measured[np.argsort(-log_pof, kind="stable")[:N_ANCHORS]]
    sign = 1.0 if direction == "maximize" else -1.0
    return U_measured[feasible][np.argsort(-sign * front[:, 0], kind="stable")[:N_ANCHORS]]


def _table(encoder, fitted, optimized, limited, U, front, reference, directions, best_s) -> pd.DataFrame:
    """The chosen points with predictions of the unconditioned models (what a chemist expects)."""
    table = encoder.decode(U)
    means, stds = [], []
    for m in fitted:
        mean, std = m.predict(U, m.unconditioned)
        table[predicted_column(m.objective.name)] = mean
        table[std_column(m.objective.name)] = std
        means.append(mean)
        stds.append(std)
    if len(optimized) > 1:
        columns = [fitted.index(m) for m in optimized]
        # Each point's own EHVI against the measured front (not the batch's), in target units.
        table[SCORE] = np.exp(log_expected_hypervolume_improvement(
            np.column_stack([means[j] for j in columns]), np.column_stack([stds[j] for j in columns]),
            front, reference, directions,
        ))
        table[POLICY] = EHVI_POLICY
    else:
        from alchemist.acquisition import acquisition_value

        m = optimized[0]
        j = fitted.index(m)
        if best_s is None:
            table[SCORE] = np.nan  # no experiment meets the limits yet: nothing to improve on
        else:
            best_y = float(m.model.output.inverse(np.array([best_s]))[0])
            table[SCORE] = acquisition_value("ei", means[j], stds[j], best_y, m.objective.direction)
        table[POLICY] = EI_POLICY
    if limited:
        table[FEASIBILITY] = np.exp(log_probability_of_feasibility(
            np.column_stack(means), np.column_stack(stds), [m.objective for m in fitted]
        ))
    return table

