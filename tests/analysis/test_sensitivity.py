"""Sobol indices of the model's mean on functions whose indices are known."""

from __future__ import annotations

import numpy as np
import pytest

from alchemist.analysis import sensitivity as sensitivity_module
from alchemist.analysis.sensitivity import (
    MAX_PREDICTIONS,
    MIN_BASE_ROWS,
    N_SUBSETS,
    base_rows_for,
    prediction_budget,
    sensitivity,
)
from alchemist.design import initial_design
from alchemist.errors import ModelError
from alchemist.model import GPModel, ModelSettings
from alchemist.variables import CategoricalVariable, ContinuousVariable, IntegerVariable

FIT = ModelSettings(n_restarts=1)
CUBE = tuple(ContinuousVariable(f"x{i}", low=0.0, high=1.0) for i in (1, 2, 3))


@pytest.fixture(scope="module")
def additive():
    """f = 4 x1 + x2, x3 inert: S1 = 16/17, S2 = 1/17, S3 = 0, no interactions."""
    X = initial_design(CUBE, 40, "sobol", 1)
    x = X.to_numpy(float)
    model = GPModel(CUBE, FIT).fit(X, 4 * x[:, 0] + x[:, 1])
    return sensitivity(model)


def test_additive_function_indices(additive):
    x1, x2, x3 = additive.variables
    assert x3.total < 0.01 and x3.first_order < 0.01
    assert x1.total > 0.9 and x1.first_order > x2.first_order
    assert x1.first_order / x2.first_order == pytest.approx(16.0, rel=0.15)
    for v in (x1, x2):  # no interactions: total = first order
        assert v.total == pytest.approx(v.first_order, abs=0.02)


def test_ranges_contain_the_estimates(additive):
    for v in additive.variables:
        assert 0.0 <= v.low <= v.total <= v.high <= 1.0
        assert 0.0 <= v.first_low <= v.first_order <= v.first_high <= 1.0
    assert additive.subsets == N_SUBSETS
    frame = additive.to_frame()
    assert list(frame.columns) == ["name", "first_order", "total", "low", "high"]
    assert list(frame["name"]) == ["x1", "x2", "x3"]


def test_ishigami_indices_roughly():
    """Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: S = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244)."""
    variables = tuple(ContinuousVariable(f"x{i}", low=-np.pi, high=np.pi) for i in (1, 2, 3))
    X = initial_design(variables, 200, "sobol", 1)
    x = X.to_numpy(float)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    result = sensitivity(GPModel(variables, FIT).fit(X, y))
    first = [v.first_order for v in result.variables]
    total = [v.total for v in result.variables]
    np.testing.assert_allclose(first, [0.314, 0.442, 0.0], atol=0.06)
    np.testing.assert_allclose(total, [0.558, 0.442, 0.244], atol=0.06)


def test_categorical_and_integer_variables_are_sampled_over_their_values():
    variables = (
        ContinuousVariable("x", low=0.0, high=1.0),
        CategoricalVariable("c", levels=("a", "b", "c")),
        IntegerVariable("n", low=1, high=4),
    )
    X = initial_design(variables, 40, "lhs", 1)
    y = X["x"].to_numpy(float) + X["c"].map({"a": 0.0, "b": 2.0, "c": 4.0}).to_numpy(float)
    result = sensitivity(GPModel(variables, FIT).fit(X, y))
    x, c, n = result.variables
    # Variances: x uniform on [0, 1] gives 1/12, c uniform on {0, 2, 4} gives 8/3.
    assert c.first_order == pytest.approx((8 / 3) / (8 / 3 + 1 / 12), abs=0.03)
    assert n.total < 0.01


def test_few_experiments_widen_the_range_through_subsets():
    X = initial_design(CUBE, 30, "sobol", 4)
    x = X.to_numpy(float)
    y = np.sin(5 * x[:, 0]) + x[:, 1] * x[:, 2]
    model = GPModel(CUBE, FIT).fit(X, y)
    with_subsets = sensitivity(model)
    width = [v.high - v.low for v in with_subsets.variables]
    original = sensitivity_module.N_SUBSETS
    try:
        sensitivity_module.N_SUBSETS = 0
        without = sensitivity(model)
    finally:
        sensitivity_module.N_SUBSETS = original
    assert without.subsets == 0
    assert sum(width) > sum(v.high - v.low for v in without.variables)


def test_too_few_experiments_for_subsets_still_give_indices():
    X = initial_design(CUBE, 5, "sobol", 0)
    model = GPModel(CUBE, FIT).fit(X, X["x1"].to_numpy(float) + 0.5 * X["x2"].to_numpy(float))
    result = sensitivity(model)
    assert result.subsets == 0
    assert result.variables[0].total > result.variables[2].total


@pytest.mark.parametrize("n_variables", [1, 3, 12, 40])
def test_the_work_is_bounded(n_variables):
    rows = base_rows_for(n_variables, N_SUBSETS)
    assert rows >= MIN_BASE_ROWS and rows & (rows - 1) == 0
    subset_rows = rows // sensitivity_module.SUBSET_ROWS_DIVISOR
    assert (rows + N_SUBSETS * subset_rows) * (n_variables + 2) <= MAX_PREDICTIONS


def test_the_counted_work_is_within_the_limit(additive):
    assert additive.predictions <= MAX_PREDICTIONS
    assert additive.predictions == additive.base_rows * 5 * (1 + N_SUBSETS / sensitivity_module.SUBSET_ROWS_DIVISOR)


def test_the_budget_shrinks_with_many_experiments():
    assert prediction_budget(5) == prediction_budget(500) == MAX_PREDICTIONS
    assert prediction_budget(2_000) == MAX_PREDICTIONS // 4
    assert base_rows_for(6, N_SUBSETS, prediction_budget(2_000)) < base_rows_for(6, N_SUBSETS)


def test_too_many_variables_are_refused():
    with pytest.raises(ModelError):
        base_rows_for(2_000, N_SUBSETS)


def test_an_untrained_model_is_refused():
    with pytest.raises(ModelError):
        sensitivity(GPModel(CUBE))


def test_a_mean_past_the_transforms_pole_does_not_take_all_the_variance(monkeypatch):
    """A warped model can predict 1e172 in a corner (seen at 2,000 experiments): the indices must
    stay finite and that corner must not make x3 the variable that matters."""
    X = initial_design(CUBE, 40, "sobol", 1)
    x = X.to_numpy(float)
    model = GPModel(CUBE, FIT).fit(X, 4 * x[:, 0] + x[:, 1])
    honest = model.predict_encoded

    def with_a_pole(U, include_noise=False):
        mean, std = honest(U, include_noise)
        return np.where(U[:, 2] > 0.999, 1e172, mean), std

    monkeypatch.setattr(model, "predict_encoded", with_a_pole)
    x1, _, x3 = sensitivity(model).variables
    assert np.isfinite([x1.total, x3.total]).all()
    assert x3.total < 0.2 < x1.total
