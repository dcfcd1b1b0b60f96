"""How well does the model predict experiments it has not seen? Cross-validation.

The hyperparameters are fitted once, on every experiment (or taken from the trained model when
it is given), and held fixed; each fold's predictions are then those of that GP conditioned on
the other experiments, in closed form from the inverse of the training covariance K
(Rasmussen & Williams, 2006, section 5.4.2, generalised from one point to a block): with
A = K^-1 and a = A y, the held-out block I has

    mean_I = y_I - (A_II)^-1 a_I,        covariance_I = (A_II)^-1,

which is exactly the GP posterior given the other experiments, without a refit per fold: O(n^3)
once instead of a fit per fold (measured before this change: 11-12 s at 2,000 experiments).
The scores therefore leave out the uncertainty of the hyperparameter fit itself, a small share
once there are more than a handful of experiments, and the usual choice for GP model checking.

covariance_I contains the noise (learned and per-experiment), so the prediction interval is
that of a new *measurement*, which is what an observed value should fall into.

Above the exact limit the model uses a subset of the experiments (alchemist.model.approximation):
the closed form then applies to the experiments in the subset, and of the others, which the model
never saw, a random sample of at most MAX_HELD_OUT_ROWS is predicted by the model directly (they
are held out in every fold). The table then has one row per experiment scored, indexed by its
row in the input; predicting all of 50,000 rows would cost minutes for no better estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from scipy.linalg import cho_solve, solve
from scipy.linalg.lapack import dpotri

from alchemist.errors import ModelError, SessionFileError
from alchemist.model import GPModel, ModelSettings, as_outputs, blas_single_thread
from alchemist.model.approximation import choose_subset
from alchemist.plain import frame_from_state, frame_to_state
from alchemist.validation import whole_number
from alchemist.variables import Variable

LOO_MAX_POINTS = 30  # up to this many experiments, leave-one-out; beyond, k-fold
DEFAULT_FOLDS = 10
Z95 = 1.959963984540054
# Experiments outside an approximate model's subset that are scored, at most (see above).
MAX_HELD_OUT_ROWS = 1_000


@dataclass(frozen=True)
class CVResult:
    method: str  # "leave-one-out" or "k-fold"
    n_folds: int
    rmse: float
    mae: float
    r2: float
    coverage95: float  # share of observed values inside their 95% prediction interval
    # One row per experiment scored (every one, unless the model is approximate), in input order,
    # indexed by row: Observed, Predicted, Std, Lower 95%, Upper 95%, Fold.
    table: pd.DataFrame


def cross_validate(
    variables: Sequence[Variable],
    settings: ModelSettings,
    X: pd.DataFrame,
    y: np.ndarray,
    noise: np.ndarray | None = None,
    folds: int | None = None,
    model: GPModel | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> CVResult:
    """Leave-one-out (n <= 30, or folds == n) or k-fold cross-validation of the GP model.

    `model`, if given, must be the model trained on exactly these experiments (its
    hyperparameters are reused; ModelError otherwise); without it one model is trained first.
    Predicted/Std are in the target's units (Std by the transform's local slope when outputs are
    power-transformed); Lower/Upper 95% are exact quantiles mapped back from the model's scale,
    and coverage uses them. `progress(folds done, folds)` is called before each fold; the caller
    stops the work by raising from it (nothing is kept of a stopped cross-validation).
    """
    with blas_single_thread():
        return _cross_validate(variables, settings, X, y, noise, folds, model, progress)


def _trained_model(variables, settings, X, y, noise, model: GPModel | None) -> GPModel:
    if model is None:
        model = GPModel(variables, settings)
        try:
            return model.fit(X, y, noise)
        except ModelError as error:
            raise ModelError(f"Cross-validation could not fit the model: {error}") from None
    model._check_fitted()
    if model.approximation.points_total != len(y):
        raise ModelError("The model was not trained on these experiments; train it again first.")
    return model


def _used_rows(model: GPModel, U: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The rows of U the model is conditioned on (all, or its deterministic subset), checked."""
    used = model.used_rows
    if used is None or len(used) != model.n_train or np.any(used >= len(U)):
        used = choose_subset(U, ys, model.n_train)  # a loaded model: the same deterministic choice
    posterior = model.posterior
    if len(used) != len(posterior.U) or not (
        np.allclose(posterior.U, U[used], rtol=0.0, atol=1e-12) and np.allclose(posterior.ys, ys[used], atol=1e-9)
    ):
        raise ModelError("The model was not trained on these experiments; train it again first.")
    return used


def _cross_validate(variables, settings, X, y, noise, folds, model, progress=None) -> CVResult:
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

    model = _trained_model(variables, settings, X.reset_index(drop=True), y, noise, model)
    output = model.output
    U = model.encoder.encode(X.reset_index(drop=True))
    used = _used_rows(model, U, output.forward(y))
    mean_s = np.empty(n)
    std_s = np.empty(n)

    # The experiments outside the model's subset: plain predictions, plus their own noise.
    unused = np.setdiff1d(np.arange(n), used)
    if len(unused) > MAX_HELD_OUT_ROWS:
        unused = np.sort(rng.choice(unused, MAX_HELD_OUT_ROWS, replace=False))
    scored = np.union1d(used, unused)
    if len(unused):
        mean_s[unused], std_s[unused] = model.posterior.predict(U[unused], include_noise=True)
        if noise is not None:
            extra = noise[unused] * output.derivative(y[unused]) ** 2
            std_s[unused] = np.sqrt(std_s[unused] ** 2 + extra)

    # The experiments in it: the closed form above, fold by fold.
    posterior = model.posterior
    A, info = dpotri(posterior.L, lower=1)
    if info != 0:
        raise ModelError("Cross-validation failed: the model's covariance matrix is singular.")
    A = np.tril(A) + np.tril(A, -1).T
    a = cho_solve((posterior.L, True), posterior.ys, check_finite=False)
    position = np.full(n, -1)
    position[used] = np.arange(len(used))
    for fold in range(folds):
        if progress is not None:
            progress(fold, folds)
        rows = np.flatnonzero((assignment == fold) & (position >= 0))
        if not len(rows):
            continue
        block = position[rows]
        A_II = A[np.ix_(block, block)]
        mean_s[rows] = posterior.ys[block] - solve(A_II, a[block], assume_a="pos")
        variance = np.diag(solve(A_II, np.eye(len(block)), assume_a="pos"))
        std_s[rows] = np.sqrt(np.maximum(variance, 1e-20))

    mean_s, std_s, y = mean_s[scored], std_s[scored], y[scored]
    predicted = output.inverse(mean_s)
    std = std_s * output.inverse_derivative(mean_s)
    lower = output.inverse(mean_s - Z95 * std_s)
    upper = output.inverse(mean_s + Z95 * std_s)
    inside = np.abs(output.forward(y) - mean_s) <= Z95 * std_s

    error = predicted - y
    total = float(np.sum((y - y.mean()) ** 2))
    table = pd.DataFrame({
        "Observed": y,
        "Predicted": predicted,
        "Std": std,
        "Lower 95%": lower,
        "Upper 95%": upper,
        "Fold": assignment[scored] + 1,
    }, index=scored)
    return CVResult(
        method="leave-one-out" if folds == n else "k-fold",
        n_folds=folds,
        rmse=float(np.sqrt(np.mean(error**2))),
        mae=float(np.mean(np.abs(error))),
        r2=float(1.0 - np.sum(error**2) / total) if total > 0 else float("nan"),
        coverage95=float(np.mean(inside)),
        table=table,
    )


# A cross-validation result as plain data, in the session's state.
def validation_to_state(result: CVResult | None) -> dict | None:
    if result is None:
        return None
    return {
        "method": result.method,
        "n_folds": result.n_folds,
        "metrics": [result.rmse, result.mae, result.r2, result.coverage95],
        "table": frame_to_state(result.table),
    }


def validation_from_state(state: Any) -> CVResult | None:
    if state is None:
        return None
    metrics = state.get("metrics") if isinstance(state, dict) else None
    if (
        not isinstance(metrics, list)
        or len(metrics) != 4
        or not all(isinstance(m, float) for m in metrics)
        or not isinstance(state.get("method"), str)
        or not isinstance(state.get("n_folds"), int)
    ):
        raise SessionFileError("The cross-validation results in the file are not in the expected form.")
    rmse, mae, r2, coverage = metrics
    table = frame_from_state(state.get("table"), "cross-validation results")
    return CVResult(state["method"], state["n_folds"], rmse, mae, r2, coverage, table)
