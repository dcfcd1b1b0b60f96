"""What the plots show: the prediction grid over two variables and the best-so-far curve."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alchemist.errors import ModelError
from alchemist.examples import catalyst_example
from alchemist.landscape import best_so_far, default_fixed_values, prediction_grid


@pytest.fixture(scope="module")
def trained():
    session = catalyst_example()
    session.train()
    return session


def test_grid_matches_the_model_at_every_point(trained) -> None:
    fixed = default_fixed_values(trained.variables)
    grid = prediction_grid(trained.model, "Temperature", "Metal Loading", fixed, goal="maximize", best=0.5, resolution=7)
    assert len(grid) == 49
    assert grid["Temperature"].min() == 350 and grid["Temperature"].max() == 450
    assert grid["Metal Loading"].min() == 0 and grid["Metal Loading"].max() == 5
    full = grid[["Temperature", "Metal Loading"]].assign(
        Catalyst=fixed["Catalyst"], **{"Zinc Fraction": fixed["Zinc Fraction"]}
    )[[v.name for v in trained.variables]]
    mean, std = trained.model.predict(full)
    assert np.array_equal(grid["Predicted mean"].to_numpy(), mean)
    assert np.array_equal(grid["Predicted std"].to_numpy(), std)
    assert (grid["Acquisition"] >= 0).all()  # expected improvement is never negative


def test_grid_refuses_bad_axes_and_fixed_values(trained) -> None:
    fixed = default_fixed_values(trained.variables)
    with pytest.raises(ModelError, match="categorical"):
        prediction_grid(trained.model, "Catalyst", "Temperature", fixed)
    with pytest.raises(ModelError, match="two different"):
        prediction_grid(trained.model, "Temperature", "Temperature", fixed)
    with pytest.raises(ModelError, match="not a valid setting of .Catalyst."):
        prediction_grid(trained.model, "Temperature", "Metal Loading", {**fixed, "Catalyst": "Medium SAR"})
    with pytest.raises(ModelError, match="not a valid setting of .Zinc Fraction."):
        prediction_grid(trained.model, "Temperature", "Metal Loading", {**fixed, "Zinc Fraction": 2.0})


def test_default_fixed_values_prefer_a_valid_anchor(trained) -> None:
    plain = default_fixed_values(trained.variables)
    assert plain == {"Temperature": 400.0, "Catalyst": "High SAR", "Metal Loading": 2.5, "Zinc Fraction": 0.5}
    anchored = default_fixed_values(trained.variables, {"Temperature": 420.0, "Catalyst": "Low SAR", "Zinc Fraction": 7.0})
    assert anchored["Temperature"] == 420.0 and anchored["Catalyst"] == "Low SAR"
    assert anchored["Zinc Fraction"] == 0.5  # out of bounds: not used


def test_best_so_far_for_both_goals_skips_gaps() -> None:
    up = best_so_far([0.2, math.nan, 0.5, 0.1, 0.7], "maximize")
    assert up["Best so far"].tolist()[1:] == [0.2, 0.5, 0.5, 0.7] and up["Best so far"].iloc[0] == 0.2
    down = best_so_far(pd.Series([math.nan, 3.0, 4.0, 1.0]), "minimize")
    assert math.isnan(down["Best so far"].iloc[0]) and down["Best so far"].tolist()[1:] == [3.0, 3.0, 1.0]
    assert down["Experiment"].tolist() == [1, 2, 3, 4]
    with pytest.raises(ModelError):
        best_so_far([1.0], "sideways")


def test_slice_follows_the_newest_suggestion_else_the_best_experiment() -> None:
    from alchemist.landscape import SliceSource, slice_anchor

    suggestions = pd.DataFrame({"T": [410.0, 320.0], "Catalyst": ["High SAR", "Low SAR"]})
    assert slice_anchor(suggestions, {"T": 350.0, "Catalyst": "Low SAR"}) == (
        {"T": 410.0, "Catalyst": "High SAR"}, SliceSource.SUGGESTION)
    assert slice_anchor(None, {"T": 350.0}) == ({"T": 350.0}, SliceSource.BEST)
    assert slice_anchor(suggestions.iloc[0:0], None) == (None, SliceSource.MIDDLE)


def test_the_map_of_ei_on_noisy_data_carries_the_searchs_noise_discount() -> None:
    from alchemist.acquisition import acquisition_value
    from alchemist.model import GPModel, ModelSettings
    from alchemist.optimize import discount_noise
    from alchemist.variables import ContinuousVariable

    variables = [ContinuousVariable("a", low=0.0, high=1.0), ContinuousVariable("b", low=0.0, high=1.0)]
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(size=(30, 2)), columns=["a", "b"])
    y = np.sin(3 * X["a"].to_numpy()) + X["b"].to_numpy() + 0.3 * rng.standard_normal(30)
    model = GPModel(variables, ModelSettings(seed=0)).fit(X, y)
    assert discount_noise(model.posterior) > 0  # the noise is learned, so the search discounts EI

    grid = prediction_grid(model, "a", "b", {}, acquisition="ei", best=float(y.max()), resolution=12)
    plain = acquisition_value("ei", grid["Predicted mean"], grid["Predicted std"], float(y.max()), "maximize")
    ratio = grid["Acquisition"].to_numpy() / np.maximum(plain, 1e-300)
    assert np.all(ratio <= 1.0 + 1e-9) and np.all(ratio > 0.0)
    assert ratio.min() < 0.9  # near the data the model knows the function to within the noise


def test_the_maps_incumbent_is_the_one_the_search_improves_on() -> None:
    """The page passes model_best's mean as the landscape's incumbent: on noisy data the table's EI
    of a suggestion must be the EI on that incumbent, or the map and the table disagree."""
    from alchemist.acquisition import acquisition_value
    from alchemist.analysis.stopping import model_best
    from alchemist.model import GPModel, ModelSettings
    from alchemist.optimize import ei_noise_discount, suggest, widening_factor
    from alchemist.variables import ContinuousVariable

    variables = [ContinuousVariable("a", low=0.0, high=1.0), ContinuousVariable("b", low=0.0, high=1.0)]
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.uniform(size=(30, 2)), columns=["a", "b"])
    y = np.sin(3 * X["a"].to_numpy()) + X["b"].to_numpy() + 0.3 * rng.standard_normal(30)
    model = GPModel(variables, ModelSettings(seed=0)).fit(X, y)
    assert widening_factor(model.posterior) == 1.0  # the map draws EI without widening

    best = model_best(model, X, y, goal="maximize")
    assert best.best_by_model < y.max()  # the luckiest reading is not the incumbent
    table = suggest(model, X, y, n=1, acquisition="ei", goal="maximize")
    mean, std = table["Predicted mean"].to_numpy(), table["Predicted std"].to_numpy()
    on_best_mean = acquisition_value("ei", mean, std, best.best_by_model, "maximize")
    discount = ei_noise_discount(model, model.encoder.encode(table[["a", "b"]]))
    assert table["Acquisition"].iloc[0] == pytest.approx(float(on_best_mean[0] * discount[0]), rel=1e-6)
    on_reading = acquisition_value("ei", mean, std, float(y.max()), "maximize")
    assert float(on_reading[0]) < float(on_best_mean[0])  # the old map's incumbent would understate EI
