"""The search for the best point of the space: candidates, refinement, bounded work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alchemist.analysis.search import SpaceSearch
from alchemist.design import initial_design
from alchemist.model import GPModel, ModelSettings
from alchemist.variables import CategoricalVariable, ContinuousVariable, IntegerVariable

VARIABLES = (
    ContinuousVariable("x", low=0.0, high=1.0),
    IntegerVariable("n", low=1, high=5),
    CategoricalVariable("c", levels=("a", "b")),
)


@pytest.fixture(scope="module")
def model() -> GPModel:
    X = initial_design(VARIABLES, 14, "lhs", 0)
    y = np.sin(6 * X["x"].to_numpy(float)) + 0.3 * X["n"].to_numpy(float) + (X["c"] == "b").to_numpy(float)
    return GPModel(VARIABLES, ModelSettings(n_restarts=1)).fit(X, y)


def test_refinement_beats_every_candidate(model):
    search = SpaceSearch(model, seed=0)

    def score(mean, std):
        return mean

    best = search.maximize(score)
    # The highest mean lies between the Sobol points (or on a bound they do not reach).
    assert best.score > score(search.mean, search.std).max() + 1e-6
    assert best.score == best.mean


def test_points_found_are_allowed_values(model):
    search = SpaceSearch(model, seed=1)
    best = search.maximize(lambda mean, std: std)
    where = search.decode(best.point)
    assert set(where) == {"x", "n", "c"}
    assert isinstance(where["n"], int) and 1 <= where["n"] <= 5
    assert where["c"] in ("a", "b")
    mean, std = model.predict(pd.DataFrame([where]))
    assert std[0] == pytest.approx(best.std)


def test_work_is_bounded(model):
    extra = model.encoder.encode(initial_design(VARIABLES, 7, "random", 3))
    search = SpaceSearch(model, seed=2, extra=extra)
    search.maximize(lambda mean, std: mean)
    search.maximize(lambda mean, std: std)
    assert search.predictions <= SpaceSearch.max_predictions(7, n_scores=2)
    assert search.predictions > SpaceSearch.max_predictions(7, n_scores=1)
