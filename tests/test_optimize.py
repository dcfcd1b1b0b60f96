"""Suggestions: allowed values and types, distinct batches, no repeats, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alchemist.acquisition import ACQUISITIONS
from alchemist.design import initial_design
from alchemist.errors import ModelError
from alchemist.model import GPModel, ModelSettings
from alchemist.optimize import suggest
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable

VARIABLES = [
    ContinuousVariable("T", unit="°C", low=20.0, high=80.0),
    IntegerVariable("n", low=1, high=5),
    CategoricalVariable("solvent", levels=("water", "ethanol", "DMSO")),
    DiscreteVariable("p", values=(0.1, 0.5, 2.0)),
]
NAMES = [v.name for v in VARIABLES]


def response(X: pd.DataFrame) -> np.ndarray:
    level = X["solvent"].map({"water": 0.0, "ethanol": 1.0, "DMSO": -1.0}).to_numpy()
    T = X["T"].to_numpy()
    return -((T - 55.0) / 15.0) ** 2 + 0.2 * X["n"].to_numpy() + level - X["p"].to_numpy()


@pytest.fixture(scope="module")
def fitted():
    X = initial_design(VARIABLES, 12, method="lhs", seed=0)
    y = response(X)
    return GPModel(VARIABLES, ModelSettings(seed=0)).fit(X, y), X, y


def key(row) -> tuple:
    return tuple(round(float(v), 9) if not isinstance(v, str) else v for v in row)


@pytest.mark.parametrize("acquisition", list(ACQUISITIONS))
@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_batch_is_allowed_typed_distinct_and_new(fitted, acquisition, goal):
    model, X, y = fitted
    out = suggest(model, X, y, n=3, acquisition=acquisition, goal=goal, seed=1)
    assert list(out.columns) == NAMES + ["Predicted mean", "Predicted std", "Acquisition"]
    assert len(out) == 3
    for variable in VARIABLES:
        assert all(variable.check(value) is None for value in out[variable.name]), variable.name
    assert out["n"].dtype == np.int64 and out["T"].dtype == np.float64
    assert all(isinstance(v, str) for v in out["solvent"])
    rows = [key(r) for r in out[NAMES].itertuples(index=False)]
    measured = {key(r) for r in X[NAMES].itertuples(index=False)}
    assert len(set(rows)) == 3
    assert not set(rows) & measured
    assert np.all(np.isfinite(out[["Predicted mean", "Predicted std", "Acquisition"]].to_numpy()))


def test_same_seed_same_suggestions(fitted):
    model, X, y = fitted
    a = suggest(model, X, y, n=2, seed=5)
    b = suggest(model, X, y, n=2, seed=5)
    pd.testing.assert_frame_equal(a, b)


def test_pending_points_are_not_suggested_again(fitted):
    model, X, y = fitted
    first = suggest(model, X, y, n=2, acquisition="exploit", goal="maximize", seed=0)
    again = suggest(model, X, y, n=2, acquisition="exploit", goal="maximize", seed=0, exclude=first[NAMES])
    assert not {key(r) for r in first[NAMES].itertuples(index=False)} & {
        key(r) for r in again[NAMES].itertuples(index=False)
    }


def test_exploitation_beats_every_random_point_and_batches_spread(fitted):
    model, X, y = fitted
    out = suggest(model, X, y, n=3, acquisition="exploit", goal="maximize", seed=0)
    grid = initial_design(VARIABLES, 3000, method="random", seed=8)
    assert out["Predicted mean"][0] >= model.predict(grid)[0].max() - 1e-9
    U = model.encoder.encode(out[NAMES])
    gaps = [np.max(np.abs(U[i] - U[j])) for i in range(3) for j in range(i)]
    assert min(gaps) >= 0.02  # not three copies of one point


def test_expected_improvement_refines_a_smooth_1d_maximum():
    variables = [ContinuousVariable("x", low=0.0, high=1.0)]
    X = pd.DataFrame({"x": [0.05, 0.3, 0.5, 0.62, 0.9]})
    f = lambda x: -((x - 0.6) ** 2)  # noqa: E731
    y = f(X["x"].to_numpy())
    for step in range(6):
        model = GPModel(variables).fit(X, y)
        x_new = suggest(model, X, y, goal="maximize", seed=step)["x"].to_numpy()
        X = pd.concat([X, pd.DataFrame({"x": x_new})], ignore_index=True)
        y = np.append(y, f(x_new))
    assert abs(X["x"].to_numpy()[np.argmax(y)] - 0.6) < 0.01


def test_nearly_exhausted_discrete_space():
    variables = [IntegerVariable("n", low=1, high=3), CategoricalVariable("c", levels=("a", "b"))]
    every = pd.DataFrame([(n, c) for n in (1, 2, 3) for c in ("a", "b")], columns=["n", "c"])
    X, y = every.iloc[:5], np.arange(5.0)
    model = GPModel(variables).fit(X, y)
    out = suggest(model, X, y, n=1, goal="maximize")
    assert (int(out["n"][0]), out["c"][0]) == (3, "b")
    with pytest.raises(ModelError, match="Only 1 new"):
        suggest(model, X, y, n=2, goal="maximize")
    everything = np.arange(6.0)
    with pytest.raises(ModelError, match="already been measured"):
        suggest(GPModel(variables).fit(every, everything), every, everything, goal="maximize")


def test_bad_requests_are_user_errors(fitted):
    model, X, y = fitted
    with pytest.raises(ModelError):
        suggest(model, X, y, acquisition="thompson")
    with pytest.raises(ModelError):
        suggest(model, X, y, goal="best")
    with pytest.raises(ModelError):
        suggest(model, X, y, n=0)
    with pytest.raises(ModelError):
        suggest(model, X, y, beta=-1.0)
    with pytest.raises(ModelError):
        suggest(GPModel(VARIABLES), X, y)
