"""The incumbent: the model's best posterior mean at a measured experiment, one definition for the
search, the landscape, "Best by the model" and the stopping advice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alchemist.analysis.stopping import model_best
from alchemist.model import GPModel, ModelSettings
from alchemist.model import incumbent as incumbent_module
from alchemist.model.incumbent import best_mean_row
from alchemist.variables import ContinuousVariable


@pytest.fixture(scope="module")
def noisy_bowl():
    variables = [ContinuousVariable("x0", low=0.0, high=1.0), ContinuousVariable("x1", low=0.0, high=1.0)]
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.random((120, 2)), columns=["x0", "x1"])
    y = (X["x0"].to_numpy() - 0.3) ** 2 + X["x1"].to_numpy() + 0.01 * rng.standard_normal(120)
    model = GPModel(variables, ModelSettings(seed=0, n_restarts=0)).fit(X, y)
    return X, y, model


def test_the_incumbent_is_the_best_mean_over_the_measured_points(noisy_bowl):
    X, y, model = noisy_bowl
    U = model.encoder.encode(X)
    means = model.posterior.predict(U)[0]
    row, mean = best_mean_row(model.posterior, U, y, "minimize")
    assert (row, mean) == (int(np.argmin(means)), pytest.approx(float(np.min(means))))
    row, mean = best_mean_row(model.posterior, U, y, "maximize")
    assert (row, mean) == (int(np.argmax(means)), pytest.approx(float(np.max(means))))


def test_a_large_campaigns_incumbent_is_sought_among_its_best_readings(noisy_bowl, monkeypatch):
    X, y, model = noisy_bowl
    U = model.encoder.encode(X)
    everywhere = best_mean_row(model.posterior, U, y, "minimize")
    monkeypatch.setattr(incumbent_module, "INCUMBENT_ROWS", 15)
    # With a little noise the best mean sits beside one of the best readings.
    assert best_mean_row(model.posterior, U, y, "minimize") == everywhere
    # Among the 15 worst readings only, it could not be found: the rows searched are the best ones.
    assert best_mean_row(model.posterior, U, -y, "maximize")[0] in set(np.argsort(y)[:15])


def test_best_by_the_model_shows_the_incumbent_in_the_results_units(noisy_bowl):
    X, y, model = noisy_bowl
    best = model_best(model, X, y, goal="minimize")
    row, mean = best_mean_row(model.posterior, model.encoder.encode(X), y, "minimize")
    assert best.row == row
    assert best.best_by_model == pytest.approx(float(model.output.inverse(np.array([mean]))[0]))
    assert best.best_observed == float(np.min(y))
