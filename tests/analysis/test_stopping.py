"""When to stop: figures on models whose answer is known, the margin, the history and the work."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alchemist.analysis.stopping import (
    DONE_EI_FRACTION,
    DONE_PROBABILITY,
    LIKELY_DONE_PROBABILITY,
    MAX_HISTORY_ROUNDS,
    Margin,
    CONFIRM_ROUNDS,
    Verdict,
    max_predictions,
    settled_verdict,
    stopping_history,
    stopping_report,
    verdict_for,
)
from alchemist.design import initial_design
from alchemist.errors import ModelError
from alchemist.model import GPModel, ModelSettings
from alchemist.model.incumbent import INCUMBENT_ROWS
from alchemist.variables import CategoricalVariable, ContinuousVariable

SQUARE = (ContinuousVariable("x1", low=0.0, high=1.0), ContinuousVariable("x2", low=0.0, high=1.0))
FIT = ModelSettings(n_restarts=1, warp_outputs=False)


def _fit(variables, X: pd.DataFrame, y: np.ndarray, noise=None) -> GPModel:
    return GPModel(variables, FIT).fit(X, y, noise)


def _peak(X: pd.DataFrame) -> np.ndarray:
    """A narrow peak of height 10 at (0.7, 0.3)."""
    d2 = (X["x1"].to_numpy(float) - 0.7) ** 2 + (X["x2"].to_numpy(float) - 0.3) ** 2
    return 10.0 * np.exp(-d2 / 0.02)


@pytest.fixture(scope="module")
def flat():
    X = initial_design(SQUARE, 15, "sobol", 0)
    y = 5.0 + 1e-3 * X["x1"].to_numpy(float)
    return X, y, _fit(SQUARE, X, y)


@pytest.fixture(scope="module")
def steep():
    X = pd.DataFrame({"x1": [0.1, 0.5, 0.9], "x2": [0.9, 0.5, 0.1]})
    y = _peak(X) + X["x1"].to_numpy(float)
    return X, y, _fit(SQUARE, X, y)


@pytest.fixture(scope="module")
def rounds():
    X = initial_design(SQUARE, 10, "lhs", 3)
    y = _peak(X) + 2.0 * X["x2"].to_numpy(float)
    return X, y, _fit(SQUARE, X, y)


def test_a_flat_function_leaves_nothing_to_gain(flat):
    X, y, model = flat
    report = stopping_report(model, X, y, goal="maximize", margin=Margin(1.0))
    assert report.probability < 1e-3
    assert report.expected_improvement < 1e-2
    assert report.verdict is Verdict.DONE


def test_few_points_on_a_steep_function_say_continue(steep):
    X, y, model = steep
    report = stopping_report(model, X, y, goal="maximize", margin=Margin(0.05, relative=True))
    assert report.probability > LIKELY_DONE_PROBABILITY
    assert report.expected_improvement > report.margin
    assert report.verdict is Verdict.CONTINUE


def test_minimize_mirrors_maximize(rounds):
    X, y, _ = rounds
    up = stopping_report(_fit(SQUARE, X, y), X, y, goal="maximize", margin=Margin(0.5))
    down = stopping_report(_fit(SQUARE, X, -y), X, -y, goal="minimize", margin=Margin(0.5))
    assert down.best_observed == -up.best_observed
    assert down.incumbent == pytest.approx(-up.incumbent, rel=1e-6)
    assert down.probability == pytest.approx(up.probability, rel=1e-4, abs=1e-9)
    assert down.expected_improvement == pytest.approx(up.expected_improvement, rel=1e-4)


def test_the_incumbent_is_the_best_posterior_mean_not_a_lucky_reading():
    X = initial_design(SQUARE, 16, "sobol", 1)
    y = X["x1"].to_numpy(float).copy()
    lucky = int(np.argmin(np.abs(X["x1"].to_numpy(float) - 0.5)))
    y[lucky] += 3.0  # one reading far above what its neighbours say, with a large noise variance
    noise = np.full(len(y), 1e-6)
    noise[lucky] = 4.0
    model = _fit(SQUARE, X, y, noise)
    report = stopping_report(model, X, y, goal="maximize", margin=Margin(0.1))
    mean, std = model.predict(X)
    assert report.best_observed == y[lucky]
    assert report.incumbent_row == int(np.argmax(mean)) != lucky
    assert report.incumbent == pytest.approx(mean.max())
    assert report.incumbent_std == pytest.approx(std[report.incumbent_row])
    assert report.incumbent < report.best_observed - 1.0


def test_the_best_candidate_is_searched_over_categorical_levels_too():
    variables = SQUARE + (CategoricalVariable("c", levels=("a", "b", "c")),)
    X = initial_design(variables, 18, "lhs", 2)
    y = _peak(X) * X["c"].map({"a": 0.2, "b": 1.0, "c": 0.5}).to_numpy(float)
    model = _fit(variables, X, y)
    report = stopping_report(model, X, y, goal="maximize", margin=Margin(0.01, relative=True))
    for where in (report.probability_at, report.expected_improvement_at):
        assert set(where) == {"x1", "x2", "c"}
        assert where["c"] in ("a", "b", "c")
        assert 0.0 <= where["x1"] <= 1.0 and 0.0 <= where["x2"] <= 1.0


def test_the_probability_is_the_one_at_the_point_it_names(steep):
    X, y, model = steep
    report = stopping_report(model, X, y, goal="maximize", margin=Margin(0.5))
    at = pd.DataFrame([report.probability_at])
    mean, std = model.predict(at)
    z = (mean[0] - report.incumbent - report.margin) / std[0]
    assert report.probability == pytest.approx(0.5 * math.erfc(-z / math.sqrt(2)), rel=1e-6)


def test_the_work_is_bounded(rounds):
    X, y, model = rounds
    report = stopping_report(model, X, y, goal="maximize", margin=Margin(0.1))
    assert 0 < report.predictions <= max_predictions(len(y))
    assert max_predictions(len(y)) < 5_000
    # However many experiments: the incumbent is sought among a bounded number of rows.
    assert max_predictions(100_000) == max_predictions(INCUMBENT_ROWS) < 5_000


@pytest.mark.parametrize("value, relative", [
    (0.0, False), (-1.0, False), (float("nan"), False), (float("inf"), False),
    ("1", False), (True, False), (None, False), (1.5, True),
])
def test_a_margin_must_be_a_positive_number_and_a_relative_one_at_most_the_range(value, relative):
    with pytest.raises(ModelError):
        Margin(value, relative=relative)


def test_a_relative_margin_is_a_fraction_of_the_observed_range():
    assert Margin(0.1, relative=True).absolute(np.array([2.0, 12.0, 7.0])) == pytest.approx(1.0)
    assert Margin(0.1).absolute(np.array([2.0, 12.0])) == 0.1
    with pytest.raises(ModelError):
        Margin(0.1, relative=True).absolute(np.array([3.0, 3.0]))


def test_report_refuses_bad_arguments(rounds):
    X, y, model = rounds
    with pytest.raises(ModelError):
        stopping_report(model, X, y, goal="maximize", margin=0.1)
    with pytest.raises(ModelError):
        stopping_report(model, X, y, goal="highest", margin=Margin(0.1))
    with pytest.raises(ModelError):
        stopping_report(model, X, y[:-1], goal="maximize", margin=Margin(0.1))
    with pytest.raises(ModelError):
        stopping_report(GPModel(SQUARE), X, y, goal="maximize", margin=Margin(0.1))


@pytest.mark.parametrize("probability, ei, expected", [
    (0.0, 0.0, Verdict.DONE),
    (DONE_PROBABILITY / 2, DONE_EI_FRACTION * 0.99, Verdict.DONE),
    (DONE_PROBABILITY / 2, DONE_EI_FRACTION * 1.01, Verdict.LIKELY_DONE),
    (DONE_PROBABILITY, 0.0, Verdict.LIKELY_DONE),
    (LIKELY_DONE_PROBABILITY * 0.99, 5.0, Verdict.LIKELY_DONE),
    (LIKELY_DONE_PROBABILITY, 0.0, Verdict.CONTINUE),
    (0.9, 5.0, Verdict.CONTINUE),
])
def test_verdict_thresholds(probability, ei, expected):
    assert verdict_for(probability, ei, margin=1.0) is expected


def test_history_by_row_order_ends_with_the_current_report(rounds):
    X, y, model = rounds
    margin = Margin(0.02, relative=True)
    history = stopping_history(model, X, y, goal="maximize", margin=margin, rounds=3)
    assert [r.n_experiments for r in history] == [8, 9, 10]
    now = stopping_report(model, X, y, goal="maximize", margin=margin)
    assert history[-1] == now
    # One threshold for every round: the margin is resolved on all rows.
    assert {r.margin for r in history} == {now.margin}
    # Earlier rounds know less: their best observed can only be worse or equal.
    best = [r.best_observed for r in history]
    assert best == sorted(best)


def test_history_by_iteration_uses_the_data_up_to_each_round(rounds):
    X, y, model = rounds
    iterations = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3]
    history = stopping_history(model, X, y, goal="maximize", margin=Margin(0.5), iterations=iterations, rounds=3)
    assert [r.n_experiments for r in history] == [6, 8, 10]
    # No refit: the round before last is the current model conditioned on the first 8 rows, so at
    # those rows it reproduces their (noise-free) results.
    assert history[1].best_observed == y[:8].max()
    assert history[1].incumbent == pytest.approx(y[:8].max(), abs=0.05)
    assert history[1].probability != history[2].probability


def test_history_skips_rounds_with_too_few_experiments(rounds):
    X, y, model = rounds
    iterations = [0, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    history = stopping_history(model, X, y, goal="maximize", margin=Margin(0.5), iterations=iterations, rounds=2)
    assert [r.n_experiments for r in history] == [10]


@pytest.mark.parametrize("rounds_asked", [0, MAX_HISTORY_ROUNDS + 1, True, 2.5])
def test_history_bounds_the_number_of_rounds(rounds, rounds_asked):
    X, y, model = rounds
    with pytest.raises(ModelError):
        stopping_history(model, X, y, goal="maximize", margin=Margin(0.5), rounds=rounds_asked)


def test_history_refuses_data_the_model_was_not_trained_on(rounds):
    X, y, model = rounds
    with pytest.raises(ModelError):
        stopping_history(model, X.iloc[::-1].reset_index(drop=True), y[::-1], goal="maximize", margin=Margin(0.5))
    with pytest.raises(ModelError):
        stopping_history(model, X, y, goal="maximize", margin=Margin(0.5), iterations=[0, 1, 2])
    with pytest.raises(ModelError):
        stopping_history(model, X, y, goal="maximize", margin=Margin(0.5), iterations=[0.5] * 10)


DONE, LIKELY, GO = Verdict.DONE, Verdict.LIKELY_DONE, Verdict.CONTINUE


@pytest.mark.parametrize("verdicts, expected", [
    ([DONE] * CONFIRM_ROUNDS, DONE),
    ([GO] + [DONE] * CONFIRM_ROUNDS, DONE),
    ([GO, DONE], LIKELY),
    ([DONE], LIKELY),
    ([DONE, LIKELY], LIKELY),
    ([DONE, DONE, GO], GO),
    (["done", "done"], DONE),
])
def test_a_done_must_hold_for_some_rounds(verdicts, expected):
    assert settled_verdict(verdicts) is expected


def test_a_settled_verdict_needs_a_round():
    with pytest.raises(ModelError):
        settled_verdict([])
