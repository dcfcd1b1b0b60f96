"""The surrogate model: a Gaussian process on unit-cube inputs and standardised outputs.

Kernel: signal variance x stationary kernel with one length scale per encoded column (ARD),
plus a learned white-noise term; the user's per-point noise (a variance, in the target's units
squared) is added to the diagonal on top (see alchemist.model.kernels). The hyperparameters are
a MAP estimate (alchemist.model.likelihood); the posterior is then computed from the fitted
theta with the same covariance code, and `from_state` takes exactly the same path, which is
why a restored model gives bit-identical predictions on the same machine.

Bounded work (issue 7): the encoded dimension is checked against `max_encoded_dims` before
anything is built; above `exact_gp_points` experiments the model is an exact GP on a documented
subset (alchemist.model.approximation), recorded in `GPModel.approximation`; predictions are
computed in chunks so that (query rows x training rows) stays within `memory_per_operation_bytes`;
the hyperparameter fit runs under `fit_seconds`, reports progress and can be cancelled
(alchemist.model.progress).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy.linalg import cho_solve, cholesky, solve_triangular
from threadpoolctl import ThreadpoolController

from alchemist import limits
from alchemist.encoding import Encoder, check_encoded_dims
from alchemist.model.output_transform import OutputTransform
from alchemist.errors import ModelError
from alchemist.model.approximation import Approximation, ApproximationRecord, choose_subset, max_exact_points
from alchemist.model.hyperparameters import FittedHyperparameter, fitted_hyperparameters
from alchemist.model.kernels import Covariance
from alchemist.model.likelihood import LogMarginalLikelihood, fit_theta
from alchemist.model.progress import BudgetedObjective, OutOfTime, ProgressCallback
from alchemist.model.settings import ModelSettings
from alchemist.model.state import model_from_state, model_to_state
from alchemist.variables import Variable

# Added to the diagonal always: keeps the Cholesky factorisation stable with repeated points.
JITTER = 1e-10

# Above this many points the hyperparameters are fitted on a random subset (the posterior still
# uses every point it is given): the likelihood costs O(n^3) per evaluation and is needed dozens of times,
# while hyperparameters change little once there are a few hundred points.
MAX_FIT_POINTS = 300
# Above LARGE_CAMPAIGN experiments the subset is smaller still: the fit on 300 points cost 1.5 s
# CPU of a 2,000-experiment training (6 variables), 200 points cost a third of that, and with
# thousands of experiments the posterior (on every point) is what the predictions rest on.
LARGE_CAMPAIGN = 1_000
LARGE_CAMPAIGN_FIT_POINTS = 200

# Bytes per (query row x training row) while predicting: the distances, the kernel values, the
# cross-covariance and its triangular solve are each one float64 (n_query, n_train) array.
BYTES_PER_QUERY_PAIR = 4 * 8
# Query rows predicted at once, at most, whatever the budget: larger blocks gain no speed (the
# kernel's arrays stop fitting in cache), and the budget is for the whole operation, not one step.
MAX_QUERY_CHUNK_ROWS = 2_048


def query_chunk_rows(n_train: int) -> int:
    """Query rows predicted at once against n_train training rows within the memory budget."""
    budget = limits.current().memory_per_operation_bytes
    return max(1, min(MAX_QUERY_CHUNK_ROWS, budget // (BYTES_PER_QUERY_PAIR * max(1, n_train))))


def blas_single_thread():
    """Run BLAS on one thread. Our matrices are small (tens to a few thousand rows): there,
    OpenBLAS's threads cost far more in synchronisation than they save, especially when the
    app or another process keeps the other cores busy (measured: 10x slower fits).

    The libraries are found once (the BLAS is loaded with numpy and scipy, before any model):
    threadpool_limits looks for them on every call, by reading the process's memory map, which
    cost 8-10 ms CPU per suggestion, a tenth of the time budget of one (issue 10)."""
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:
        _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")


_BLAS_CONTROLLER: ThreadpoolController | None = None


def as_outputs(y: np.ndarray, n_rows: int) -> np.ndarray:
    """The outputs as a flat float array with one value per experiment (row of X)."""
    y = np.asarray(y, dtype=float).ravel()
    if len(y) != n_rows:
        raise ModelError("The number of outputs does not match the number of experiments.")
    return y


class Posterior:
    """Posterior of a GP with fixed hyperparameters, on encoded inputs and standardised outputs.

    Predictions give the latent function's std (without the white-noise term) unless asked for
    the noise too, and are vectorised for many candidates at once.
    """

    def __init__(
        self, covariance: Covariance, theta: np.ndarray, U: np.ndarray, ys: np.ndarray, diag: np.ndarray,
        L: np.ndarray | None = None,
    ) -> None:
        """`L`, the Cholesky factor of the training covariance, when the caller already has it."""
        if L is None:
            L = _cholesky(covariance.training(theta, U, diag))
        self.covariance = covariance
        self.theta = theta
        self.noise_level = covariance.unpack(theta).noise
        self.U = U
        self.ys = ys
        self.diag = diag
        self.L = L
        self.weights = cho_solve((L, True), ys, check_finite=False)

    def predict(self, Uq: np.ndarray, include_noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std at the rows of Uq, computed in chunks of rows so that the (rows x
        training points) arrays stay within the memory budget however many rows are asked for."""
        Uq = np.atleast_2d(Uq)
        step = query_chunk_rows(len(self.U))
        if len(Uq) <= step:
            return self._predict_chunk(Uq, include_noise)
        parts = [self._predict_chunk(Uq[i:i + step], include_noise) for i in range(0, len(Uq), step)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def predict_mean(self, Uq: np.ndarray) -> np.ndarray:
        """The mean alone, in chunks like `predict`: O(rows x n) where the std costs O(rows x n^2)
        (for the incumbent at 2,000 measured points, 8e9 operations)."""
        Uq = np.atleast_2d(Uq)
        step = query_chunk_rows(len(self.U))
        return np.concatenate(
            [self.covariance.cross(self.theta, Uq[i:i + step], self.U) @ self.weights for i in range(0, len(Uq), step)]
        ) if len(Uq) else np.empty(0)

    def _predict_chunk(self, Uq: np.ndarray, include_noise: bool) -> tuple[np.ndarray, np.ndarray]:
        Kq = self.covariance.cross(self.theta, Uq, self.U)
        mean = Kq @ self.weights
        v = solve_triangular(self.L, Kq.T, lower=True, check_finite=False)
        var = self.covariance.prior_variance(self.theta, len(Uq)) - np.einsum("ij,ij->j", v, v)
        if include_noise:
            var = var + self.noise_level
        return mean, np.sqrt(np.maximum(var, 1e-20))

    def condition(self, U_new: np.ndarray, ys_new: np.ndarray) -> "Posterior":
        """The same GP with extra (fantasy) observations; used for batches (kriging believer).

        The Cholesky factor is extended by the new rows (block update, O(n^2 k)) instead of being
        recomputed (O(n^3)): at 2,000 experiments, a refactorisation per batch member and per
        pending experiment cost more than the whole search for the point.
        """
        U_new = np.atleast_2d(U_new)
        n, k = len(self.U), len(U_new)
        diag_new = np.full(k, JITTER)
        B = solve_triangular(
            self.L, self.covariance.cross(self.theta, self.U, U_new), lower=True, check_finite=False
        )
        C = _cholesky(self.covariance.training(self.theta, U_new, diag_new) - B.T @ B)
        L = np.zeros((n + k, n + k))
        L[:n, :n] = self.L
        L[n:, :n] = B.T
        L[n:, n:] = C
        return Posterior(
            self.covariance, self.theta, np.vstack([self.U, U_new]), np.concatenate([self.ys, ys_new]),
            np.concatenate([self.diag, diag_new]), L,
        )


def _cholesky(K: np.ndarray) -> np.ndarray:
    try:
        return cholesky(K, lower=True, check_finite=False)
    except (np.linalg.LinAlgError, ValueError) as error:
        raise ModelError(
            "The model could not be fitted to these data (the covariance matrix is not "
            f"positive definite: {error}). Remove repeated experiments or add a noise column."
        ) from None


class GPModel:
    """A Gaussian-process surrogate over the user's variables (scikit-learn-like: fit / predict)."""

    def __init__(self, variables: Sequence[Variable], settings: ModelSettings = ModelSettings()) -> None:
        check_encoded_dims(variables)  # raises LimitError before any array is built
        self.variables: tuple[Variable, ...] = tuple(variables)
        self.settings = settings
        self.encoder = Encoder(self.variables)
        self.covariance = Covariance(settings.kernel, self.encoder.n_dims)
        self.n_train: int = 0
        self.posterior: Posterior | None = None
        self.theta: np.ndarray | None = None
        self.output = OutputTransform()
        self.y_train: np.ndarray | None = None
        self.noise_train: np.ndarray | None = None
        # Exact, or a subset of the experiments given (see alchemist.model.approximation); the
        # training arrays (n_train, y_train, ...) are those of the experiments used.
        self.approximation = ApproximationRecord()
        # Rows of the data given to the last fit that the model uses (None after loading a file).
        self.used_rows: np.ndarray | None = None
        # True when the last fit used up `fit_seconds` and kept the best hyperparameters found by then.
        self.fit_stopped_early: bool = False

    # -- fitting --------------------------------------------------------------------------
    def fit(
        self, X: pd.DataFrame, y: np.ndarray, noise: np.ndarray | None = None,
        progress: ProgressCallback | None = None, warm_start: "GPModel | None" = None,
    ) -> "GPModel":
        """Fit hyperparameters (MAP) and condition on the data; returns self.

        `progress` receives a FitProgress after each likelihood evaluation and may return False
        to cancel: FitCancelled is raised and the model keeps its previous state (trained or not).
        `warm_start`, the campaign's previous model, lends its hyperparameters as the first start
        of the search (see alchemist.model.likelihood.fit_theta) when it has the same variables,
        kernel and output warping; otherwise it is ignored.
        """
        with blas_single_thread():
            return self._fit(X, y, noise, progress, self._warm_theta(warm_start))

    def _warm_theta(self, previous: "GPModel | None") -> np.ndarray | None:
        if previous is None or previous.theta is None or previous.variables != self.variables:
            return None
        same = previous.settings.kernel == self.settings.kernel and previous.settings.warp_outputs == self.settings.warp_outputs
        return previous.theta.copy() if same else None

    def _fit(
        self, X: pd.DataFrame, y: np.ndarray, noise: np.ndarray | None, progress, warm_theta: np.ndarray | None = None,
    ) -> "GPModel":
        U = self.encoder.encode(X)
        y = as_outputs(y, len(U))
        n = len(y)
        if n < 2:
            raise ModelError("At least 2 experiments with an output are needed to train a model.")
        if not np.all(np.isfinite(y)):
            raise ModelError("Every output used for training must be a finite number.")
        if not np.std(y) > 1e-12 * max(1.0, abs(float(np.mean(y)))):
            raise ModelError("All outputs are equal, so there is nothing to learn yet; vary the experiments.")
        output = OutputTransform.fit(y, warp=self.settings.warp_outputs)
        ys = output.forward(y)
        diag = np.full(n, JITTER)
        if noise is not None:
            noise = np.asarray(noise, dtype=float).ravel()
            if len(noise) != n:
                raise ModelError("The noise column does not have one value per experiment.")
            if not np.all(np.isfinite(noise)) or np.any(noise < 0):
                raise ModelError("Every noise value must be a finite number of at least 0.")
            # A variance in target units becomes one in model units by the local slope.
            diag = diag + noise * output.derivative(y) ** 2

        # Above the exact limit: an exact GP on a documented subset (the output scaling is still
        # that of every experiment, so the model's units do not depend on the selection).
        used = choose_subset(U, ys, max_exact_points())
        approximation = ApproximationRecord(
            Approximation.EXACT if len(used) == n else Approximation.SUBSET, n, len(used)
        )
        U, ys, diag, y = U[used], ys[used], diag[used], y[used]
        noise = None if noise is None else noise[used]
        m = len(used)

        rng = np.random.default_rng(self.settings.seed)
        fit_index = np.arange(m)
        if m > MAX_FIT_POINTS:
            fit_points = LARGE_CAMPAIGN_FIT_POINTS if m > LARGE_CAMPAIGN else MAX_FIT_POINTS
            fit_index = np.sort(rng.choice(m, fit_points, replace=False))
        restarts = self.settings.n_restarts if m <= MAX_FIT_POINTS else min(self.settings.n_restarts, 1)
        if m > LARGE_CAMPAIGN:
            # With thousands of experiments the likelihood is sharply peaked: the prior-median
            # and short-length-scale starts (alchemist.model.likelihood.fit_theta) find it, and a
            # draw of the prior as a third start cost a third of a 2,000-experiment training.
            restarts = 0
        objective = BudgetedObjective(
            LogMarginalLikelihood(self.covariance, U[fit_index], ys[fit_index], diag[fit_index]),
            limits.current().fit_seconds, progress,
        )
        stopped_early = False
        try:
            theta = fit_theta(objective, restarts, rng, warm_theta)
        except OutOfTime:
            stopped_early = True
            theta = objective.best_theta
        # Nothing of self changes before this line: a cancelled or failed fit keeps the old model.
        self._set_posterior(theta, U, ys, diag)
        self.output = output
        self.y_train = y.copy()
        self.noise_train = None if noise is None else noise.copy()
        self.approximation = approximation
        self.used_rows = used
        self.fit_stopped_early = stopped_early
        return self

    def _set_posterior(self, theta: np.ndarray, U: np.ndarray, ys: np.ndarray, diag: np.ndarray) -> None:
        posterior = Posterior(self.covariance, theta, U, ys, diag)
        self.posterior = posterior
        self.theta = theta
        self.n_train = len(ys)

    # -- prediction -----------------------------------------------------------------------
    def _check_fitted(self) -> Posterior:
        if self.posterior is None:
            raise ModelError("The model has not been trained yet.")
        return self.posterior

    def predict(self, X: pd.DataFrame, include_noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std in the target's units. The std is of the underlying function unless
        include_noise, which adds the learned noise (the spread of a new measurement)."""
        return self.predict_encoded(self.encoder.encode(X), include_noise=include_noise)

    def predict_encoded(self, U: np.ndarray, include_noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
        posterior = self._check_fitted()
        mean, std = posterior.predict(U, include_noise=include_noise)
        # The mean maps back exactly (it is the median of the back-transformed prediction); the
        # std by the local slope of the transform (delta method).
        return self.output.inverse(mean), std * self.output.inverse_derivative(mean)

    # -- display --------------------------------------------------------------------------
    def length_scales(self) -> np.ndarray:
        """Fitted length scale per encoded column, on the unit cube."""
        self._check_fitted()
        return self.covariance.unpack(self.theta).scales.copy()

    def hyperparameters(self) -> tuple[FittedHyperparameter, ...]:
        """The fitted hyperparameters as records, length scales in each variable's own units."""
        self._check_fitted()
        return fitted_hyperparameters(self.encoder, self.covariance, self.theta, self.output)

    # -- persistence ----------------------------------------------------------------------
    def to_state(self) -> dict:
        return model_to_state(self)

    @classmethod
    def from_state(cls, state: dict) -> "GPModel":
        return model_from_state(cls, state)
