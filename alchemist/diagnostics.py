"""How well does the model predict experiments it has not seen? Cross-validation.

Each fold refits the model from scratch (hyperparameters included) on the other experiments,
so the scores include the uncertainty of fitting, as they would for a new experiment. The
prediction interval is that of a new *measurement* (the learned noise included), which is what
an observed value should fall into.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from alchemist.errors import ModelError
from alchemist.model import GPModel, ModelSettings, as_outputs, blas_single_thread
from alchemist.validation import whole_number
from alchemist.variables import Variable

LOO_MAX_POINTS = 30  # up to this many experiments, leave-one-out; beyond, k-fold
DEFAULT_FOLDS = 10
Z95 = 1.959963984540054


@dataclass(frozen=True)
class CVResult:
    method: str  # "leave-one-out" or "k-fold"
    n_folds: int
    rmse: float
    mae: float
    r2: float
    coverage95: float  # share of observed values inside their 95% prediction interval
    # One row per experiment, in input order: Observed, Predicted, Std, Lower 95%, Upper 95%, Fold.
    table: pd.DataFrame


def cross_validate(
    variables: Sequence[Variable],
    settings: ModelSettings,
    X: pd.DataFrame,
    y: np.ndarray,
    noise: np.ndarray | None = None,
    folds: int | None = None,
) -> CVResult:
    """Leave-one-out (n <= 30, or folds == n) or k-fold cross-validation of the GP model.

    Predicted/Std are in the target's units (Std by the transform's local slope when outputs are
    power-transformed); Lower/Upper 95% are exact quantiles mapped back from the model's scale,
    and coverage uses them.
    """
    with blas_single_thread():
        return _cross_validate(variables, settings, X, y, noise, folds)


def _cross_validate(variables, settings, X, y, noise, folds) -> CVResult:
    y = as_outputs(y, len(X))
    n = len(y)
    if n < 3:
        raise ModelError("Cross-validation needs at least 3 experiments with a result.")
    if noise is not None:
        noise = np.asarray(noise, dtype=float).ravel()
    if folds is None:
        folds = n if n <= LOO_MAX_POINTS else DEFAULT_FOLDS
    folds = whole_number(folds, 2, n, "number of folds")
    rng = np.random.default_rng(settings.seed)
    assignment = np.empty(n, dtype=int)
    assignment[rng.permutation(n)] = np.arange(n) % folds

    predicted = np.empty(n)
    std = np.empty(n)
    lower = np.empty(n)
    upper = np.empty(n)
    inside = np.zeros(n, dtype=bool)
    X = X.reset_index(drop=True)
    for fold in range(folds):
        test = np.flatnonzero(assignment == fold)
        train = np.flatnonzero(assignment != fold)
        model = GPModel(variables, settings)
        try:
            model.fit(X.iloc[train], y[train], None if noise is None else noise[train])
        except ModelError as error:
            raise ModelError(f"Cross-validation fold {fold + 1} of {folds} could not be fitted: {error}") from None
        U = model.encoder.encode(X.iloc[test])
        mean_s, std_s = model.posterior.predict(U, include_noise=True)
        if noise is not None:
            # The test experiments' own measurement noise widens their interval too.
            extra = noise[test] * model.output.derivative(y[test]) ** 2
            std_s = np.sqrt(std_s**2 + extra)
        predicted[test] = model.output.inverse(mean_s)
        std[test] = std_s * model.output.inverse_derivative(mean_s)
        lower[test] = model.output.inverse(mean_s - Z95 * std_s)
        upper[test] = model.output.inverse(mean_s + Z95 * std_s)
        inside[test] = np.abs(model.output.forward(y[test]) - mean_s) <= Z95 * std_s

    error = predicted - y
    total = float(np.sum((y - y.mean()) ** 2))
    table = pd.DataFrame({
        "Observed": y,
        "Predicted": predicted,
        "Std": std,
        "Lower 95%": lower,
        "Upper 95%": upper,
        "Fold": assignment + 1,
    })
    return CVResult(
        method="leave-one-out" if folds == n else "k-fold",
        n_folds=folds,
        rmse=float(np.sqrt(np.mean(error**2))),
        mae=float(np.mean(np.abs(error))),
        r2=float(1.0 - np.sum(error**2) / total) if total > 0 else float("nan"),
        coverage95=float(np.mean(inside)),
        table=table,
    )
