"""The surrogate model: a Gaussian process on unit-cube inputs and standardised outputs.

Kernel: signal variance x stationary kernel with one length scale per encoded column (ARD),
plus a learned white-noise term; the user's per-point noise (a variance, in the target's units
squared) is added to the diagonal on top (see alchemist.model.kernels). The hyperparameters are
a MAP estimate (alchemist.model.likelihood); the posterior is then computed from the fitted
theta with the same covariance code, and `from_state` takes exactly the same path, which is
why a restored model gives bit-identical predictions on the same machine.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy.linalg import cho_solve, cholesky, solve_triangular
from threadpoolctl import threadpool_limits

from alchemist.encoding import Encoder, OutputTransform
from alchemist.errors import ModelError
from alchemist.model.hyperparameters import FittedHyperparameter, fitted_hyperparameters
from alchemist.model.kernels import Covariance
from alchemist.model.likelihood import LogMarginalLikelihood, fit_theta
from alchemist.model.settings import ModelSettings
from alchemist.model.state import model_from_state, model_to_state
from alchemist.variables import Variable

# Added to the diagonal always: keeps the Cholesky factorisation stable with repeated points.
JITTER = 1e-10

# Above this many points the hyperparameters are fitted on a random subset (the posterior still
# uses every point): the likelihood costs O(n^3) per evaluation and is needed dozens of times,
# while hyperparameters change little once there are a few hundred points.
MAX_FIT_POINTS = 300


def blas_single_thread():
    """Run BLAS on one thread. Our matrices are small (tens to a few thousand rows): there,
    OpenBLAS's threads cost far more in synchronisation than they save, especially when the
    app or another process keeps the other cores busy (measured: 10x slower fits)."""
    return threadpool_limits(limits=1, user_api="blas")


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
        self, covariance: Covariance, theta: np.ndarray, U: np.ndarray, ys: np.ndarray, diag: np.ndarray
    ) -> None:
        K = covariance.training(theta, U, diag)
        try:
            L = cholesky(K, lower=True, check_finite=False)
        except (np.linalg.LinAlgError, ValueError) as error:
            raise ModelError(
                "The model could not be fitted to these data (the covariance matrix is not "
                f"positive definite: {error}). Remove repeated experiments or add a noise column."
            ) from None
        self.covariance = covariance
        self.theta = theta
        self.noise_level = covariance.unpack(theta).noise
        self.U = U
        self.ys = ys
        self.diag = diag
        self.L = L
        self.weights = cho_solve((L, True), ys, check_finite=False)

    def predict(self, Uq: np.ndarray, include_noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
        Uq = np.atleast_2d(Uq)
        Kq = self.covariance.cross(self.theta, Uq, self.U)
        mean = Kq @ self.weights
        v = solve_triangular(self.L, Kq.T, lower=True, check_finite=False)
        var = self.covariance.prior_variance(self.theta, len(Uq)) - np.einsum("ij,ij->j", v, v)
        if include_noise:
            var = var + self.noise_level
        return mean, np.sqrt(np.maximum(var, 1e-20))

    def condition(self, U_new: np.ndarray, ys_new: np.ndarray) -> "Posterior":
        """The same GP with extra (fantasy) observations; used for batches (kriging believer)."""
        diag = np.concatenate([self.diag, np.full(len(U_new), JITTER)])
        return Posterior(
            self.covariance, self.theta, np.vstack([self.U, U_new]), np.concatenate([self.ys, ys_new]), diag
        )


class GPModel:
    """A Gaussian-process surrogate over the user's variables (scikit-learn-like: fit / predict)."""

    def __init__(self, variables: Sequence[Variable], settings: ModelSettings = ModelSettings()) -> None:
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

    # -- fitting --------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: np.ndarray, noise: np.ndarray | None = None) -> "GPModel":
        """Fit hyperparameters (MAP) and condition on the data; returns self."""
        with blas_single_thread():
            return self._fit(X, y, noise)

    def _fit(self, X: pd.DataFrame, y: np.ndarray, noise: np.ndarray | None) -> "GPModel":
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

        rng = np.random.default_rng(self.settings.seed)
        fit_index = np.arange(n)
        if n > MAX_FIT_POINTS:
            fit_index = np.sort(rng.choice(n, MAX_FIT_POINTS, replace=False))
        restarts = self.settings.n_restarts if n <= MAX_FIT_POINTS else min(self.settings.n_restarts, 1)
        objective = LogMarginalLikelihood(self.covariance, U[fit_index], ys[fit_index], diag[fit_index])
        theta = fit_theta(objective, restarts, rng)
        self._set_posterior(theta, U, ys, diag)
        self.output = output
        self.y_train = y.copy()
        self.noise_train = None if noise is None else noise.copy()
        return self

    def _set_posterior(self, theta: np.ndarray, U: np.ndarray, ys: np.ndarray, diag: np.ndarray) -> None:
        self.posterior = Posterior(self.covariance, theta, U, ys, diag)
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
