"""Reading a model through its public API: chunked predictions and refit-free subset models."""

from __future__ import annotations

import numpy as np
import pytest

from alchemist.analysis import model_access
from alchemist.analysis.model_access import check_trained_on, conditioned_on, predict_in_chunks, training_inputs
from alchemist.design import initial_design
from alchemist.errors import ModelError
from alchemist.model import GPModel, ModelSettings
from alchemist.variables import ContinuousVariable

VARIABLES = (ContinuousVariable("a", low=-1.0, high=1.0), ContinuousVariable("b", low=0.0, high=10.0))


@pytest.fixture(scope="module")
def trained():
    X = initial_design(VARIABLES, 12, "sobol", 0)
    y = np.cos(3 * X["a"].to_numpy(float)) + 0.2 * X["b"].to_numpy(float)
    return X, y, GPModel(VARIABLES, ModelSettings(n_restarts=1)).fit(X, y, noise=np.full(12, 1e-4))


def test_chunks_give_the_model_predictions(trained, monkeypatch):
    X, _, model = trained
    U = model.encoder.encode(initial_design(VARIABLES, 50, "random", 1))
    monkeypatch.setattr(model_access, "PREDICTION_CHUNK", 7)
    mean, std = predict_in_chunks(model, U)
    expected_mean, expected_std = model.predict_encoded(U)
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(std, expected_std, rtol=1e-12)


def test_a_subset_model_keeps_the_hyperparameters_and_uses_only_its_rows(trained):
    X, y, model = trained
    rows = [0, 2, 3, 5, 8, 9]
    sub = conditioned_on(model, rows)
    assert sub.n_train == len(rows)
    np.testing.assert_array_equal(sub.to_state()["theta"]["data"], model.to_state()["theta"]["data"])
    np.testing.assert_allclose(training_inputs(sub), training_inputs(model)[rows])
    # It reproduces its own (nearly noise-free) rows, and not the full model elsewhere.
    mean, _ = sub.predict(X.iloc[rows])
    np.testing.assert_allclose(mean, y[rows], atol=0.02)
    left_out = X.iloc[[1, 4, 6, 7, 10, 11]]
    assert not np.allclose(sub.predict(left_out)[1], model.predict(left_out)[1])


def test_a_subset_of_every_row_is_the_same_model(trained):
    X, _, model = trained
    same = conditioned_on(model, range(model.n_train))
    np.testing.assert_allclose(same.predict(X)[0], model.predict(X)[0], rtol=1e-10)


@pytest.mark.parametrize("rows", [[0], [], [0, 12], [-1, 3]])
def test_a_subset_needs_two_existing_rows(trained, rows):
    _, _, model = trained
    with pytest.raises(ModelError):
        conditioned_on(model, rows)


def test_trained_on_checks_rows_and_order(trained):
    X, _, model = trained
    check_trained_on(model, model.encoder.encode(X))
    with pytest.raises(ModelError):
        check_trained_on(model, model.encoder.encode(X.iloc[1:]))
    with pytest.raises(ModelError):
        check_trained_on(model, model.encoder.encode(X.iloc[::-1]))
