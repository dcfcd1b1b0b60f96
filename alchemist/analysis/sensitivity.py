"""Which variables matter: Sobol indices of the model's predicted mean, per variable.

Integration guide (Model page): call `sensitivity(model)` after training and show
`result.to_frame()` (one row per variable: name, first_order, total, low, high), e.g. as bars of
`total` with `low`-`high` whiskers, sorted by `total`, with a note that the whiskers show how
much the figures move with the data and the sampling.

* first_order: the share of the variation of the predicted result over the whole space that
  this variable causes on its own;
* total: the share it takes part in, on its own or together with others (interactions). A total
  near 0 means the result does not depend on the variable within its range; total well above
  first_order means its effect depends on other variables.

The space is taken as every variable independently and uniformly over its allowed values (a
continuous range, the integers, the discrete values or the levels), which is how the designs
spread points. The estimators are Saltelli's (2010) for the first-order index and Jansen's
(1999) for the total index, on a scrambled Sobol design in one coordinate per variable.

Uncertainty note (`low`, `high`, for the total index; `first_low`, `first_high` likewise): the
widest of (a) the 5-95 % range of a bootstrap of the estimator over the design's rows (sampling
error) and (b) the estimate moved by how much the indices change when the same model is
conditioned on N_SUBSETS random subsets of SUBSET_FRACTION of the experiments, hyperparameters
fixed (how firmly the data pin the shape down; see SUBSET_ROWS_DIVISOR). It is a range for
the eye, not a calibrated confidence interval.

Work: at most MAX_PREDICTIONS predictions of the mean, however many variables or experiments
(the design's size is chosen to fit), fewer above FULL_BUDGET_EXPERIMENTS experiments (see
`prediction_budget`); memory per call bounded by model_access.PREDICTION_CHUNK.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alchemist.analysis.improvement import Limits, limits_for
from alchemist.analysis.model_access import conditioned_on, predict_in_chunks, single_thread, training_outputs
from alchemist.design import from_unit, unit_sample
from alchemist.errors import ModelError
from alchemist.model import GPModel

MAX_PREDICTIONS = 20_000  # all predictions of one analysis, subsets included
# Above this many experiments the budget shrinks in proportion: each prediction's cost grows with
# the square of the experiments (measured: 12 s for the full budget at 2,000 experiments x 6
# variables; 256 design rows then still give indices within their shown range).
FULL_BUDGET_EXPERIMENTS = 500
MIN_BASE_ROWS = 32  # fewer design rows would give indices too noisy to show
N_SUBSETS = 4  # data subsets for the uncertainty note
# Each subset model is evaluated on the first N / SUBSET_ROWS_DIVISOR rows of the design only
# (still a balanced Sobol design) and compared with the full model on the same rows: the
# difference is the data's effect with the sampling error shared, so few rows suffice, and
# the main estimate keeps most of the work budget.
SUBSET_ROWS_DIVISOR = 4
SUBSET_FRACTION = 0.8  # share of the experiments each subset keeps
MIN_SUBSET_EXPERIMENTS = 5  # below this a subset model says more about the subset than the model
N_BOOTSTRAP = 200  # bootstrap resamples of the design's rows (no predictions: cheap)
INTERVAL = (0.05, 0.95)  # quantiles of the bootstrap shown as the range
# Relative variance of the predicted mean below which the model predicts the same everywhere
# and no variable can be said to matter more than another.
MIN_RELATIVE_VARIANCE = 1e-12


@dataclass(frozen=True)
class VariableSensitivity:
    """The indices of one variable (fractions of the variance of the predicted mean, 0 to 1)."""

    name: str
    first_order: float
    total: float
    low: float  # range of the total index (see the module's uncertainty note)
    high: float
    first_low: float  # range of the first-order index
    first_high: float


@dataclass(frozen=True)
class Sensitivity:
    """Sobol indices of the model's predicted mean for every variable, in the model's order."""

    variables: tuple[VariableSensitivity, ...]
    base_rows: int  # rows of each Sobol matrix (N): the estimate uses N x (variables + 2) points
    predictions: int  # predictions made, at most prediction_budget(experiments) <= MAX_PREDICTIONS
    subsets: int  # data subsets used for the uncertainty note (0 when too few experiments)

    def to_frame(self) -> pd.DataFrame:
        """One row per variable: name, first_order, total, low, high (the total index's range)."""
        return pd.DataFrame(
            [(v.name, v.first_order, v.total, v.low, v.high) for v in self.variables],
            columns=["name", "first_order", "total", "low", "high"],
        )


def prediction_budget(n_experiments: int) -> int:
    """MAX_PREDICTIONS, scaled down above FULL_BUDGET_EXPERIMENTS experiments."""
    return MAX_PREDICTIONS * min(FULL_BUDGET_EXPERIMENTS, max(n_experiments, 1)) // max(n_experiments, 1)


def base_rows_for(n_variables: int, n_subsets: int, budget: int = MAX_PREDICTIONS) -> int:
    """The largest power of two N (which keeps the Sobol design balanced) whose analysis fits in
    the budget: N x (n_variables + 2) x (1 + n_subsets / SUBSET_ROWS_DIVISOR) predictions.
    Raises ModelError below MIN_BASE_ROWS."""
    limit = budget * SUBSET_ROWS_DIVISOR // ((n_variables + 2) * (SUBSET_ROWS_DIVISOR + n_subsets))
    if limit < MIN_BASE_ROWS:
        raise ModelError("There are too many variables for a sensitivity analysis within its work limit.")
    return 1 << (int(limit).bit_length() - 1)


def sensitivity(model: GPModel, seed: int | None = 0) -> Sensitivity:
    """First-order and total Sobol indices of the model's predicted mean, per variable.

    Raises ModelError when the model is not trained or predicts the same value everywhere.
    """
    with single_thread():
        return _sensitivity(model, seed)


def _sensitivity(model: GPModel, seed: int | None) -> Sensitivity:
    variables = model.encoder.variables
    k = len(variables)
    n_experiments = model.n_train
    if n_experiments < 2:
        raise ModelError("The model has not been trained yet.")
    subset_size = int(SUBSET_FRACTION * n_experiments)
    n_subsets = N_SUBSETS if subset_size >= MIN_SUBSET_EXPERIMENTS else 0
    n = base_rows_for(k, n_subsets, prediction_budget(n_experiments))
    U = _design(model, n, seed)
    rng = np.random.default_rng(seed)

    limits = limits_for(training_outputs(model))
    f = _mean(model, U, limits)
    first, total = _indices(*_split(f, n, k))
    boot_first, boot_total = _bootstrap(f, n, k, rng)
    first_lo, first_hi = np.quantile(boot_first, INTERVAL, axis=0)
    total_lo, total_hi = np.quantile(boot_total, INTERVAL, axis=0)
    predictions = len(U)

    m = n // SUBSET_ROWS_DIVISOR
    head = (np.arange(k + 2)[:, None] * n + np.arange(m)[None, :]).ravel()  # first m rows of each block
    ref_first, ref_total = _indices(*_split(f[head], m, k))
    for _ in range(n_subsets):
        rows = np.sort(rng.choice(n_experiments, subset_size, replace=False))
        sub_first, sub_total = _indices(*_split(_mean(conditioned_on(model, rows), U[head], limits), m, k))
        shifted_first, shifted_total = first + sub_first - ref_first, total + sub_total - ref_total
        first_lo, first_hi = np.minimum(first_lo, shifted_first), np.maximum(first_hi, shifted_first)
        total_lo, total_hi = np.minimum(total_lo, shifted_total), np.maximum(total_hi, shifted_total)
        predictions += len(head)

    # Estimates a little below 0 or above 1 are sampling error: show them at the bound.
    def clip(a: np.ndarray) -> list[float]:
        return [float(v) for v in np.clip(a, 0.0, 1.0)]

    figures = zip(variables, clip(first), clip(total), clip(total_lo), clip(total_hi), clip(first_lo), clip(first_hi))
    return Sensitivity(
        variables=tuple(
            VariableSensitivity(v.name, s, st, lo, hi, flo, fhi)
            for v, s, st, lo, hi, flo, fhi in figures
        ),
        base_rows=n,
        predictions=predictions,
        subsets=n_subsets,
    )


def _design(model: GPModel, n: int, seed: int | None) -> np.ndarray:
    """Encoded points [A; B; AB_1; ...; AB_k]: AB_i is A with variable i's coordinate from B."""
    variables = model.encoder.variables
    k = len(variables)
    T = unit_sample(n, 2 * k, "sobol", seed)
    A, B = T[:, :k], T[:, k:]
    blocks = [A, B]
    for i in range(k):
        AB = A.copy()
        AB[:, i] = B[:, i]
        blocks.append(AB)
    return model.encoder.encode(from_unit(variables, np.vstack(blocks)))


def _mean(model: GPModel, U: np.ndarray, limits: Limits) -> np.ndarray:
    """The predicted mean, within the range of results believed: past the pole of a warped
    model's output transform a mean can reach 1e172 (seen on a 2,000-point Hartmann-6 model),
    and one such point would make up all of the variance."""
    mean, _ = predict_in_chunks(model, U)
    return np.clip(mean, *limits)


def _split(f: np.ndarray, n: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f(A) (n,), f(B) (n,), f(AB_i) (k, n) from the stacked predictions."""
    return f[:n], f[n:2 * n], f[2 * n:].reshape(k, n)


def _indices(fA: np.ndarray, fB: np.ndarray, fAB: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Saltelli first-order and Jansen total indices; leading axes of fA/fB (and of fAB before its
    variable axis) are independent replicates, the last axis is the design's rows."""
    variance = np.var(np.concatenate([fA, fB], axis=-1), axis=-1)
    scale = np.abs(np.mean(np.concatenate([fA, fB], axis=-1), axis=-1)) + 1.0
    if np.any(variance <= MIN_RELATIVE_VARIANCE * scale**2):
        raise ModelError("The model predicts the same result everywhere, so no variable stands out; add experiments.")
    fA, fB, variance = fA[..., None, :], fB[..., None, :], variance[..., None]
    first = np.mean(fB * (fAB - fA), axis=-1) / variance
    total = 0.5 * np.mean((fA - fAB) ** 2, axis=-1) / variance
    return first, total


def _bootstrap(f: np.ndarray, n: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The indices on N_BOOTSTRAP resamples of the design's rows: (N_BOOTSTRAP, k) each."""
    fA, fB, fAB = _split(f, n, k)
    picks = rng.integers(0, n, size=(N_BOOTSTRAP, n))
    return _indices(fA[picks], fB[picks], fAB[:, picks].transpose(1, 0, 2))
