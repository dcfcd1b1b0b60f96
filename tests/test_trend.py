"""The quadratic trend under a fitted GP: honest (worse) predictions on the bounds where the data
say the function worsens toward them, unchanged predictions at the data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alchemist.model import GPModel, ModelSettings
from alchemist.objectives import Objective
from alchemist.objectives.suggest import suggest_objectives
from alchemist.model.trend import TrendBasis, TrendPosterior, all_pairs, trend_basis
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


def test_the_basis_adds_one_centred_product_per_pair_after_the_quadratic_terms():
    U = np.array([[0.0, 0.2, 1.0], [0.5, 0.9, 0.3]])
    basis = TrendBasis(pairs=all_pairs([2, 0, 1]))
    assert basis.pairs == ((0, 1), (0, 2), (1, 2))
    H = basis(U)
    assert H.shape == (2, 1 + 2 * 3 + 3)
    np.testing.assert_array_equal(H[:, :7], trend_basis(U))
    C = U - 0.5
    np.testing.assert_allclose(H[:, 7:], np.c_[C[:, 0] * C[:, 1], C[:, 0] * C[:, 2], C[:, 1] * C[:, 2]])
    np.testing.assert_array_equal(TrendBasis()(U), trend_basis(U))
    np.testing.assert_allclose(TrendBasis(pairs=((0, 1),), prior_sd=2.0, pair_sd=0.5).prior_variances(3), [4.0] * 7 + [0.25])


def test_the_default_basis_gives_exactly_the_trend_without_cross_terms():
    # The objective search builds TrendPosterior(base): its predictions must not move.
    base = _bowl_model()._check_fitted()
    Uq = np.linspace(0, 1, 7)[:, None]
    old = TrendPosterior(base, prior_sd=1.5).predict(Uq)
    new = TrendPosterior(base, basis=TrendBasis(prior_sd=1.5)).predict(Uq)
    np.testing.assert_array_equal(old[0], new[0])
    np.testing.assert_array_equal(old[1], new[1])


def _interacting(U: np.ndarray) -> np.ndarray:
    # A quadratic with interactions only: a plane plus two products of the columns.
    C = U - 0.5
    return C[:, 0] - 0.5 * C[:, 1] + C[:, 0] * C[:, 1] + 0.5 * C[:, 1] * C[:, 2]


def _fit(U: np.ndarray) -> GPModel:
    variables = [ContinuousVariable(f"x{i}", low=0, high=1) for i in range(U.shape[1])]
    frame = pd.DataFrame(U, columns=[v.name for v in variables])
    return GPModel(variables, FAST).fit(frame, _interacting(U))


def test_cross_terms_predict_a_quadratic_with_interactions_better_away_from_the_data():
    # 12 points in 3 dimensions (10 trend terms with the products); judged at the box's corners,
    # where a trend without the products can only bend each axis on its own. Measured when
    # written: RMS error 0.50 with the products against 0.71 without (5 seeds, every one better).
    corners = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)], dtype=float)
    errors: dict[bool, list[float]] = {False: [], True: []}
    for seed in range(3):
        U = np.random.default_rng(seed).uniform(0, 1, (12, 3))
        model = _fit(U)
        base = model._check_fitted()
        truth = model.output.forward(_interacting(corners))
        for cross in (False, True):
            basis = TrendBasis(pairs=all_pairs(range(3)) if cross else ())
            mean, _ = TrendPosterior(base, basis=basis).predict(corners)
            errors[cross].append(float(np.sqrt(np.mean((mean - truth) ** 2))))
    assert all(w < wo for w, wo in zip(errors[True], errors[False])), errors
    assert np.mean(errors[True]) < 0.85 * np.mean(errors[False]), errors


def test_a_trend_with_more_terms_than_points_stays_sane():
    # 5 dimensions, all pairs: 21 terms from 6 points. The prior keeps it finite and modest:
    # it still passes through the data, and nowhere in the box predicts far beyond the data's range.
    U = np.random.default_rng(4).uniform(0, 1, (6, 5))
    model = _fit(U)
    base = model._check_fitted()
    trend = TrendPosterior(base, basis=TrendBasis(pairs=all_pairs(range(5))))
    assert len(trend.beta) == 21
    at_data, _ = trend.predict(U)
    np.testing.assert_allclose(at_data, base.ys, atol=0.1)
    Uq = np.random.default_rng(5).uniform(0, 1, (2000, 5))
    mean, std = trend.predict(Uq)
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)
    # Standardised outputs have sd 1; the trend's coefficients have prior sd 1.5 on terms of at
    # most 1/2 or 1/4 in size, so a prediction beyond 10 sd would be the prior failing.
    assert np.max(np.abs(mean)) < 10.0
    conditioned = trend.condition(Uq[:1], mean[:1])
    assert conditioned.basis == trend.basis
