"""When to stop: could one more experiment still beat the best result by a margin that matters?

Integration guide (Suggestions page):

* Call `stopping_report(model, X, y, goal=..., margin=Margin(0.01, relative=True))` with the
  trained model and the data it was trained on (`Session.training_data()`), and show:
  - `probability`: the chance that the best single next experiment improves on the best result
    by more than the margin, e.g. "Chance that one more experiment improves the yield by more
    than 0.5 %: 3 %";
  - `expected_improvement`: the expected improvement left, in the result's units;
  - `incumbent` (best by the model's mean at a measured point, which discounts a lucky noisy
    reading) next to `best_observed`;
  - the `verdict` (a `Verdict`), worded by the app, e.g. DONE: "further experiments are unlikely
    to improve the yield by more than 0.5 %".
* Call `stopping_history(...)` with the same arguments (and the rows' iteration numbers, if the
  table has them) to plot how the probability and the expected improvement moved over the
  last rounds, and show `settled_verdict([r.verdict for r in history])` as the advice instead
  of the single report's verdict: it says DONE only when DONE has held for CONFIRM_ROUNDS rounds.

Both figures are read from the model as it is, with its uncertainty of the function (not of a
new measurement: a true improvement, not a lucky reading, is what counts), through its output
transform exactly (see alchemist.analysis.improvement).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr

from alchemist.acquisition import check_goal
from alchemist.analysis.improvement import expected_improvement, improvement_z, limits_for
from alchemist.analysis.model_access import (
    MIN_ROWS,
    check_trained_on,
    conditioned_on,
    output_transform,
    predict_in_chunks,
    single_thread,
)
from alchemist.analysis.search import SpaceSearch, encode_rows
from alchemist.errors import ModelError
from alchemist.model import GPModel
from alchemist.model.incumbent import INCUMBENT_ROWS, best_mean_row

# Verdict thresholds on the probability of improving by more than the margin.
DONE_PROBABILITY = 0.05  # below this (and little expected improvement left): DONE
LIKELY_DONE_PROBABILITY = 0.20  # below this: LIKELY_DONE
# DONE also needs the expected improvement left below this fraction of the margin: a small
# chance of a very large gain is still worth an experiment.
DONE_EI_FRACTION = 0.5
# With a history at hand, DONE must have held this many rounds in a row: one DONE can come from a
# model that is confidently wrong for a round (benchmarks/stopping.py, Hartmann-3: a lone DONE
# with 0.066 of regret left for a margin of 0.038, LIKELY_DONE again the round after).
CONFIRM_ROUNDS = 2
# A relative margin is a fraction of the observed range of the result; above 1 it would ask
# for an improvement larger than everything seen so far, which no one means.
MAX_RELATIVE_MARGIN = 1.0
# The best-observed rows added to the space search as candidates (the incumbent itself is
# alchemist.model.incumbent's, sought among more rows by its mean alone).
MAX_INCUMBENT_ROWS = 64
DEFAULT_HISTORY_ROUNDS = 5
MAX_HISTORY_ROUNDS = 20  # each round is one full search: bound the work of a history


class Verdict(str, enum.Enum):
    """The advice, from the thresholds above (the app words it)."""

    CONTINUE = "continue"
    LIKELY_DONE = "likely_done"
    DONE = "done"


@dataclass(frozen=True)
class Margin:
    """The smallest improvement that matters to the user.

    Absolute (`relative=False`): in the result's units, e.g. 0.5 (% yield).
    Relative (`relative=True`): a fraction of the observed range of the result, e.g. 0.01.
    """

    value: float
    relative: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float, np.integer, np.floating)):
            raise ModelError("The margin must be a number.")
        if not math.isfinite(float(self.value)) or float(self.value) <= 0:
            raise ModelError("The margin must be a number greater than 0.")
        if self.relative and float(self.value) > MAX_RELATIVE_MARGIN:
            raise ModelError(f"A relative margin must be at most {MAX_RELATIVE_MARGIN:g} (the whole observed range).")
        object.__setattr__(self, "value", float(self.value))
        object.__setattr__(self, "relative", bool(self.relative))

    def absolute(self, y: np.ndarray) -> float:
        """The margin in the result's units for these observed results."""
        if not self.relative:
            return self.value
        span = float(np.max(y) - np.min(y)) if len(y) else 0.0
        if not span > 0:
            raise ModelError("A relative margin needs results that differ; give the margin in the result's units.")
        return self.value * span


@dataclass(frozen=True)
class StoppingReport:
    """The stopping figures for one state of the campaign (all values in the result's units)."""

    goal: str
    margin: float  # absolute margin used
    n_experiments: int
    best_observed: float
    incumbent: float  # best posterior mean at a measured point (alchemist.model.incumbent)
    incumbent_std: float  # the model's std of the function there
    incumbent_row: int  # position of that point in the X given
    probability: float  # max over the space of P(f(x) beats the incumbent by more than the margin)
    probability_at: dict  # {variable: value} where that maximum is
    expected_improvement: float  # max over the space of the expected improvement on the incumbent
    expected_improvement_at: dict
    verdict: Verdict
    predictions: int  # model predictions used (bounded, see max_predictions)


def verdict_for(probability: float, expected_improvement: float, margin: float) -> Verdict:
    """CONTINUE / LIKELY_DONE / DONE from DONE_PROBABILITY, LIKELY_DONE_PROBABILITY and
    DONE_EI_FRACTION (see their comments)."""
    if probability < DONE_PROBABILITY and expected_improvement < DONE_EI_FRACTION * margin:
        return Verdict.DONE
    if probability < LIKELY_DONE_PROBABILITY:
        return Verdict.LIKELY_DONE
    return Verdict.CONTINUE


def settled_verdict(verdicts: Sequence[Verdict]) -> Verdict:
    """The advice over successive rounds, oldest first: DONE only when the last CONFIRM_ROUNDS
    rounds all said DONE; a DONE not yet confirmed reads LIKELY_DONE; otherwise the last verdict.
    With fewer rounds than CONFIRM_ROUNDS a DONE cannot be confirmed yet."""
    if not verdicts:
        raise ModelError("There is no round to judge yet.")
    last = Verdict(verdicts[-1])
    if last is not Verdict.DONE:
        return last
    recent = list(verdicts)[-CONFIRM_ROUNDS:]
    if len(recent) == CONFIRM_ROUNDS and all(Verdict(v) is Verdict.DONE for v in recent):
        return Verdict.DONE
    return Verdict.LIKELY_DONE


def max_predictions(n_experiments: int) -> int:
    """Upper bound of the model predictions one `stopping_report` makes (at most ~3,200)."""
    rows = min(n_experiments, MAX_INCUMBENT_ROWS)
    return min(n_experiments, INCUMBENT_ROWS) + 1 + SpaceSearch.max_predictions(rows, n_scores=2)


def stopping_report(
    model: GPModel,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    goal: str,
    margin: Margin,
    seed: int | None = 0,
) -> StoppingReport:
    """The stopping figures now. X, y: the measured experiments (variables' columns; results).

    Raises ModelError for an untrained model, mismatched or empty data, or a margin that is not
    a `Margin` (or cannot be resolved, see `Margin.absolute`).
    """
    with single_thread():
        return _report(model, X, y, goal, margin, seed)


def _report(model: GPModel, X: pd.DataFrame, y: np.ndarray, goal: str, margin: Margin, seed: int | None) -> StoppingReport:
    check_goal(goal)
    if not isinstance(margin, Margin):
        raise ModelError("The margin must be given as a Margin (absolute or relative).")
    y = np.asarray(y, dtype=float).ravel()
    if len(y) == 0 or len(X) != len(y):
        raise ModelError("Give one result per measured experiment, and at least one experiment.")
    if not np.all(np.isfinite(y)):
        raise ModelError("Every result must be a finite number.")
    U = encode_rows(model, X)
    absolute = margin.absolute(y)
    row, incumbent, incumbent_std = _incumbent(model, U, y, goal)
    rows = np.argsort(-y if goal == "maximize" else y, kind="stable")[:MAX_INCUMBENT_ROWS]

    transform = output_transform(model)
    limits = limits_for(y)
    search = SpaceSearch(model, seed, extra=U[rows])
    # ndtr is monotone, so the largest z is the largest probability; z keeps an order far below
    # the point where the probability itself underflows to 0.
    likely = search.maximize(lambda m, s: improvement_z(transform, m, s, incumbent, goal, absolute, limits))
    gain = search.maximize(lambda m, s: expected_improvement(transform, m, s, incumbent, goal, limits))
    probability = float(ndtr(likely.score))
    expected = max(gain.score, 0.0)
    return StoppingReport(
        goal=goal,
        margin=absolute,
        n_experiments=len(y),
        best_observed=float(np.max(y) if goal == "maximize" else np.min(y)),
        incumbent=incumbent,
        incumbent_std=incumbent_std,
        incumbent_row=row,
        probability=probability,
        probability_at=search.decode(likely.point),
        expected_improvement=expected,
        expected_improvement_at=search.decode(gain.point),
        verdict=verdict_for(probability, expected, absolute),
        predictions=min(len(y), INCUMBENT_ROWS) + 1 + search.predictions,
    )


@dataclass(frozen=True)
class ModelBest:
    """The best result by the model's mean at a measured experiment, next to the best reading."""

    best_observed: float
    best_by_model: float  # the posterior mean there (a lucky noisy reading is discounted)
    std: float  # the model's std of the function there
    row: int  # position of that experiment in the X given


def model_best(model: GPModel, X: pd.DataFrame, y: np.ndarray, *, goal: str) -> ModelBest:
    """The best measured experiment by the model's posterior mean (alchemist.model.incumbent:
    the same value the suggestion search improves on)."""
    check_goal(goal)
    y = np.asarray(y, dtype=float).ravel()
    if len(y) == 0 or len(X) != len(y) or not np.all(np.isfinite(y)):
        raise ModelError("Give one finite result per measured experiment, and at least one experiment.")
    with single_thread():
        row, mean, std = _incumbent(model, encode_rows(model, X), y, goal)
    return ModelBest(float(np.max(y) if goal == "maximize" else np.min(y)), mean, std, row)


def _incumbent(model: GPModel, U: np.ndarray, y: np.ndarray, goal: str) -> tuple[int, float, float]:
    """The row, mean and std (the result's units) of the best posterior mean at a measured point.

    The mean alone picks it (cheap: O(n) per row); the std, O(n^2), only at the one row.
    """
    row, _ = best_mean_row(model._check_fitted(), U, y, goal)
    mean, std = predict_in_chunks(model, U[row:row + 1])
    return row, float(mean[0]), float(std[0])


def stopping_history(
    model: GPModel,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    goal: str,
    margin: Margin,
    iterations: Sequence[int] | None = None,
    rounds: int = DEFAULT_HISTORY_ROUNDS,
    seed: int | None = 0,
) -> tuple[StoppingReport, ...]:
    """The stopping figures over the last `rounds` rounds, oldest first (the last is now).

    X, y must be exactly the rows the model was trained on, in order (`Session.training_data()`).
    A round is the data up to an iteration number when `iterations` (one whole number per row,
    e.g. the table's Iteration column for the training rows) is given, else up to each of the
    last rows in table order (one row per round). No refit: each round's model is the current
    model conditioned on that round's rows only, with today's hyperparameters, so the figures
    move only because the data did. A relative margin is resolved once on all rows, so every
    round is judged against the same threshold. Rounds with fewer than 2 experiments are left out.
    """
    check_goal(goal)
    if not isinstance(margin, Margin):
        raise ModelError("The margin must be given as a Margin (absolute or relative).")
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or not 1 <= rounds <= MAX_HISTORY_ROUNDS:
        raise ModelError(f"The number of rounds must be a whole number from 1 to {MAX_HISTORY_ROUNDS}.")
    y = np.asarray(y, dtype=float).ravel()
    if len(X) != len(y):
        raise ModelError("Give one result per measured experiment.")
    check_trained_on(model, encode_rows(model, X))
    fixed = Margin(margin.absolute(y))
    reports = []
    for rows in _round_rows(len(y), iterations, int(rounds)):
        round_model = model if len(rows) == len(y) else conditioned_on(model, rows)
        reports.append(stopping_report(
            round_model, X.iloc[rows].reset_index(drop=True), y[rows], goal=goal, margin=fixed, seed=seed,
        ))
    return tuple(reports)


def _round_rows(n: int, iterations: Sequence[int] | None, rounds: int) -> list[np.ndarray]:
    """Row indices of each round's data, oldest first."""
    if iterations is None:
        sizes = range(max(MIN_ROWS, n - rounds + 1), n + 1)
        return [np.arange(size) for size in sizes]
    labels = np.asarray(iterations, dtype=float).ravel()
    if len(labels) != n or not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
        raise ModelError("Give one whole iteration number per experiment.")
    chosen = []
    for value in np.unique(labels)[-rounds:]:
        rows = np.flatnonzero(labels <= value)
        if len(rows) >= MIN_ROWS:
            chosen.append(rows)
    return chosen
