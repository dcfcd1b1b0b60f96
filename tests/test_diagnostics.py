"""Cross-validation metrics on functions whose behaviour we know."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alchemist.diagnostics import cross_validate
from alchemist.errors import ModelError
from alchemist.model import ModelSettings
from alchemist.variables import ContinuousVariable

VARIABLES = [ContinuousVariable("x", low=0.0, high=1.0)]


def data(n: int, noise: float = 0.0, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.random(n))
    y = np.sin(6.0 * x) + noise * rng.standard_normal(n)
    return pd.DataFrame({"x": x}), y


def test_leave_one_out_on_a_smooth_function():
    X, y = data(15)
    result = cross_validate(VARIABLES, ModelSettings(n_restarts=1), X, y)
    assert result.method == "leave-one-out" and result.n_folds == 15
    assert result.r2 > 0.95
    assert result.rmse < 0.15 and result.mae <= result.rmse
    assert result.coverage95 >= 0.8
    table = result.table
    assert list(table.columns) == ["Observed", "Predicted", "Std", "Lower 95%", "Upper 95%", "Fold"]
    np.testing.assert_array_equal(table["Observed"], y)
    assert np.all(table["Lower 95%"] < table["Predicted"]) and np.all(table["Predicted"] < table["Upper 95%"])
    # The metrics are those of the table.
    error = table["Predicted"] - table["Observed"]
    assert result.rmse == pytest.approx(float(np.sqrt(np.mean(error**2))))


def test_noise_is_not_mistaken_for_signal():
    X, y = data(24, noise=0.3, seed=1)
    result = cross_validate(VARIABLES, ModelSettings(n_restarts=1, warp_outputs=False), X, y, folds=6)
    assert result.method == "k-fold" and result.n_folds == 6
    assert sorted(result.table["Fold"].value_counts().tolist()) == [4] * 6
    # Noise sd 0.3: a good model's error is about that, and its intervals cover about 95%.
    assert 0.2 < result.rmse < 0.5
    assert result.coverage95 >= 0.75


def test_bad_requests_are_user_errors():
    X, y = data(5)
    with pytest.raises(ModelError):
        cross_validate(VARIABLES, ModelSettings(), X.iloc[:2], y[:2])
    with pytest.raises(ModelError):
        cross_validate(VARIABLES, ModelSettings(), X, y, folds=1)
    with pytest.raises(ModelError):
        cross_validate(VARIABLES, ModelSettings(), X, y, folds=9)


def test_each_fold_is_the_model_conditioned_on_the_other_folds_without_a_refit():
    from alchemist.model import GPModel, Posterior

    X, y = data(40, noise=0.05, seed=3)
    settings = ModelSettings(n_restarts=1)
    model = GPModel(VARIABLES, settings).fit(X, y)
    result = cross_validate(VARIABLES, settings, X, y, folds=5, model=model)
    post = model.posterior
    for fold in range(1, 6):
        test = np.flatnonzero(result.table["Fold"] == fold)
        train = np.setdiff1d(np.arange(40), test)
        held_out = Posterior(post.covariance, post.theta, post.U[train], post.ys[train], post.diag[train])
        mean_s, std_s = held_out.predict(post.U[test], include_noise=True)
        np.testing.assert_allclose(result.table["Predicted"].to_numpy()[test], model.output.inverse(mean_s), atol=1e-8)
    # Without a model, one is trained with the same settings: the same figures.
    again = cross_validate(VARIABLES, settings, X, y, folds=5)
    np.testing.assert_allclose(again.table["Predicted"], result.table["Predicted"], atol=1e-10)
    with pytest.raises(ModelError):  # a model of other data is refused
        cross_validate(VARIABLES, settings, X, y[::-1].copy(), folds=5, model=model)


def test_above_the_exact_limit_a_sample_of_the_experiments_outside_the_subset_is_scored_too(monkeypatch):
    from alchemist import diagnostics, limits

    monkeypatch.setattr(diagnostics, "MAX_HELD_OUT_ROWS", 20)
    before = limits.current()
    limits.configure(limits.Limits(**{**before.__dict__, "exact_gp_points": 30}))
    try:
        X, y = data(90, noise=0.05, seed=4)
        result = cross_validate(VARIABLES, ModelSettings(n_restarts=1), X, y)
    finally:
        limits.configure(before)
    table = result.table
    assert len(table) == 50 and np.all(np.isfinite(table["Predicted"]))
    assert table.index.is_unique and table.index.is_monotonic_increasing
    np.testing.assert_array_equal(table["Observed"], y[table.index])  # indexed by input row
    assert result.r2 > 0.9
