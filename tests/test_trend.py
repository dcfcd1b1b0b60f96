"""The quadratic trend under a fitted GP: honest (worse) predictions on the bounds where the data
say the function worsens toward them, unchanged predictions at the data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alchemist.model import GPModel, ModelSettings
from alchemist.objectives import Objective
from alchemist.objectives.suggest import suggest_objectives
from alchemist.model.trend import CONSTRAINED_TREND_PRIOR_SD, TREND_PRIOR_SD, TrendPosterior
from alchemist.variables import ContinuousVariable

FAST = ModelSettings(n_restarts=0)
X_VAR = [ContinuousVariable("x", low=0, high=1)]
# A bowl measured only in the middle of the box: it worsens (grows) toward both bounds.
X_MID = np.array([0.3, 0.4, 0.5, 0.6, 0.7])


def _bowl(x: np.ndarray) -> np.ndarray:
    return 4.0 * (x - 0.5) ** 2


def _bowl_model() -> GPModel:
    return GPModel(X_VAR, FAST).fit(pd.DataFrame({"x": X_MID}), _bowl(X_MID))


def test_the_trend_predicts_worse_values_on_the_bounds_and_keeps_the_data():
    model = _bowl_model()
    base = model._check_fitted()
    trend = TrendPosterior(base)
    edges = np.array([[0.0], [1.0]])
    base_mean, _ = base.predict(edges)
    trend_mean, trend_std = trend.predict(edges)
    # Without the trend the GP reverts toward the data's average; with it, it follows the curvature up.
    assert np.all(trend_mean > base_mean + 0.2), (trend_mean, base_mean)
    at_data, _ = trend.predict(X_MID[:, None])
    np.testing.assert_allclose(at_data, base.ys, atol=0.05)
    assert np.all(trend_std > 0)


def test_conditioning_the_trend_posterior_passes_through_the_new_point():
    trend = TrendPosterior(_bowl_model()._check_fitted())
    conditioned = trend.condition(np.array([[0.95]]), np.array([2.0]))
    mean, std = conditioned.predict(np.array([[0.95]]))
    assert abs(mean[0] - 2.0) < 0.05 and std[0] < 0.1


def _dtlz2(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Its front has x2..x4 = 1/2; every bound of x2..x4 adds 1/4 to g (worse in both objectives).
    g = ((X[:, 1:] - 0.5) ** 2).sum(axis=1)
    return (1 + g) * np.cos(X[:, 0] * np.pi / 2), (1 + g) * np.sin(X[:, 0] * np.pi / 2)


def test_two_objectives_worse_toward_the_bounds_get_suggestions_nearer_the_front():
    # As on the benchmark's DTLZ2 (benchmarks/constrained.py): 10 experiments inside the box,
    # then a batch of 2. Without the trend EHVI goes to the bounds (g about 0.58 on average here).
    variables = [ContinuousVariable(f"x{i}", low=0, high=1) for i in range(4)]
    objectives = [Objective("f1", "minimize"), Objective("f2", "minimize")]
    distance = {False: [], True: []}
    for seed in range(4):
        X = np.random.default_rng(seed).uniform(0.1, 0.9, (10, 4))
        f1, f2 = _dtlz2(X)
        frame = pd.DataFrame(X, columns=[v.name for v in variables])
        models = {"f1": GPModel(variables, FAST).fit(frame, f1), "f2": GPModel(variables, FAST).fit(frame, f2)}
        for trend in (False, True):
            batch = suggest_objectives(models, objectives, frame, n=2, seed=0, trend=trend)
            P = batch[[v.name for v in variables]].to_numpy(dtype=float)
            distance[trend] += list(((P[:, 1:] - 0.5) ** 2).sum(axis=1))
    assert np.mean(distance[True]) < np.mean(distance[False]) - 0.1, distance


def test_the_constrained_searchs_wider_prior_follows_a_steep_bowl_further_from_the_data():
    # Why the search under input constraints uses CONSTRAINED_TREND_PRIOR_SD: a steep bowl
    # needs trend coefficients (in standardised units) that a prior sd of 1.5 shrinks; measured
    # from the middle of the box, the wider prior predicts the corners closer to the truth.
    variables = [ContinuousVariable("x0", low=0, high=1), ContinuousVariable("x1", low=0, high=1)]
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)

    def steep(U: np.ndarray) -> np.ndarray:
        return 10 * (U[:, 0] - 0.4) ** 2 + 20 * (U[:, 1] - 0.6) ** 2

    assert CONSTRAINED_TREND_PRIOR_SD > TREND_PRIOR_SD
    for seed in range(4):
        U = np.random.default_rng(seed).uniform(0.2, 0.8, (7, 2))
        model = GPModel(variables, FAST).fit(pd.DataFrame(U, columns=["x0", "x1"]), steep(U))
        base = model._check_fitted()
        truth = model.output.forward(steep(corners))
        error = {
            sd: np.sqrt(np.mean((TrendPosterior(base, sd).predict(corners)[0] - truth) ** 2))
            for sd in (TREND_PRIOR_SD, CONSTRAINED_TREND_PRIOR_SD)
        }
        assert error[CONSTRAINED_TREND_PRIOR_SD] < error[TREND_PRIOR_SD] - 0.05, (seed, error)
