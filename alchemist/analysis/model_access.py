"""How the analyses read a trained model: only through GPModel's public entry points.

`GPModel`'s internals are free to change (they are being rewritten), so every analysis goes
through this module: predictions in bounded chunks (`predict_encoded`), what the model was
trained on and its output transform (read from `to_state`), and the same model conditioned on a
subset of its own experiments. The last needs the posterior with the current hyperparameters on
fewer rows; the public way to build a model from given hyperparameters and data is `from_state`,
so a subset model is the model's own saved state with its per-row arrays cut down. Keeping all
of that here means a change of the saved-model format touches this module only (its tests say
so at once).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from alchemist.model.output_transform import OutputTransform
from alchemist.errors import ModelError, SessionFileError
from alchemist.model import GPModel
from alchemist.plain import array_from_state, array_to_state

# Rows per call to the model: a prediction builds an (rows x experiments) kernel matrix, so at
# 2,000 experiments a chunk of 2,048 rows holds ~32 MB; larger single calls would grow without bound.
PREDICTION_CHUNK = 2048
# Saved-model entries with one value per training row (see GPModel.to_state).
_ROW_ARRAYS = ("X_encoded", "y", "y_standardised", "diagonal", "alpha", "noise")
MIN_ROWS = 2  # a model needs at least two experiments


def single_thread():
    """Run BLAS on one thread for the many small predictions an analysis makes: with matrices
    of tens of rows OpenBLAS's threads cost more in synchronisation than they save (measured
    here: 6 ms instead of 0.1 ms per call on a busy 2-core machine). The model does the same
    inside fit and suggest; it is repeated here so as not to depend on its internals."""
    return threadpool_limits(limits=1, user_api="blas")


def predict_in_chunks(model: GPModel, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and std of the function (not of a new measurement) at encoded points, in
    the result's units, with memory bounded by PREDICTION_CHUNK rows per call."""
    U = np.atleast_2d(np.asarray(U, dtype=float))
    if len(U) == 0:
        return np.empty(0), np.empty(0)
    means, stds = [], []
    for start in range(0, len(U), PREDICTION_CHUNK):
        mean, std = model.predict_encoded(U[start:start + PREDICTION_CHUNK])
        means.append(np.asarray(mean, dtype=float))
        stds.append(np.asarray(std, dtype=float))
    return np.concatenate(means), np.concatenate(stds)


def training_inputs(model: GPModel) -> np.ndarray:
    """The encoded inputs the model was trained on, in training order."""
    return array_from_state(model.to_state()["X_encoded"])


def training_outputs(model: GPModel) -> np.ndarray:
    """The results the model was trained on, in the result's units and training order."""
    return array_from_state(model.to_state()["y"])


def output_transform(model: GPModel) -> OutputTransform:
    """How the model maps results to its own units (see alchemist.analysis.improvement)."""
    return OutputTransform.from_state(model.to_state()["output_transform"])


def check_trained_on(model: GPModel, U: np.ndarray) -> None:
    """Refuse data that is not, row for row, what the model was trained on: a subset model
    built from the wrong rows would show figures for experiments that were never run."""
    trained = training_inputs(model)
    if trained.shape != U.shape or not np.allclose(trained, U, rtol=0.0, atol=1e-9):
        raise ModelError("The model was not trained on these experiments; train it again first.")


def conditioned_on(model: GPModel, rows: Sequence[int]) -> GPModel:
    """The same model (same hyperparameters and output scaling) conditioned on a subset of its
    training rows: what the model would have said with only those experiments, without a refit.

    Raises ModelError when fewer than MIN_ROWS rows are given or the rows do not exist.
    """
    index = np.asarray(rows, dtype=int)
    if len(index) < MIN_ROWS:
        raise ModelError(f"A model needs at least {MIN_ROWS} experiments.")
    state = dict(model.to_state())
    n = model.n_train
    if np.any(index < 0) or np.any(index >= n):
        raise ModelError("The model has no experiment with that row number.")
    for key in _ROW_ARRAYS:
        if state.get(key) is not None:
            state[key] = array_to_state(array_from_state(state[key])[index])
    try:
        return GPModel.from_state(state)
    except SessionFileError as error:
        # from_state speaks of files; here the cause is the data (e.g. a singular subset).
        raise ModelError(str(error)) from None
