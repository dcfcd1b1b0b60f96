"""The surrogate model: a Gaussian process (scikit-learn) on unit-cube inputs and standardised outputs.

Kernel: signal variance x stationary kernel with one length scale per encoded column (ARD),
plus a learned white-noise term; the user's per-point noise (a variance, in the target's units
squared) is added to the diagonal on top.

Hyperparameters are fitted by maximising the log marginal likelihood plus weak log-normal
priors (a MAP estimate). The priors are what keep a fit on 5-10 points from collapsing onto
the bounds: without them the likelihood is often flat or maximal at tiny length scales, and
the model then predicts the mean everywhere with a useless uncertainty.

After fitting, the posterior is recomputed with scikit-learn's `optimizer=None` path from the
fitted log-hyperparameters; `from_state` takes exactly the same path, which is why a restored
model gives bit-identical predictions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from scipy.linalg import cho_solve, solve_triangular
from scipy.linalg.lapack import dpotri
from scipy.optimize import minimize
from scipy.spatial.distance import cdist, pdist, squareform
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import (
    RBF,
    ConstantKernel,
    Hyperparameter,
    Kernel,
    Matern,
    NormalizedKernelMixin,
    StationaryKernelMixin,
    WhiteKernel,
)

from threadpoolctl import threadpool_limits

from alchemist.encoding import Encoder, OutputTransform
from alchemist.errors import ModelError, SessionFileError, VariableError
from alchemist.plain import array_from_state, array_to_state
from alchemist.variables import Variable, variable_from_state

KERNELS = {
    "matern52": "Matérn 5/2",
    "matern32": "Matérn 3/2",
    "rbf": "RBF",
    "rq": "Rational quadratic",
}

MAX_RESTARTS = 50
STATE_FORMAT = "alchemist.gp-model"
STATE_VERSION = 1

# Bounds of the hyperparameters, in the model's own units (unit-cube inputs, standardised outputs).
LENGTH_SCALE_BOUNDS = (0.01, 100.0)
SIGNAL_BOUNDS = (0.05, 20.0)
NOISE_BOUNDS = (1e-8, 1.0)
RQ_ALPHA_BOUNDS = (0.05, 50.0)
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


def _length_scale_prior(n_dims: int) -> tuple[float, float]:
    """Mean and sd of log(length scale) on the unit cube.

    The median grows with the square root of the dimension (as in Hvarfner et al., 2024, "Vanilla
    Bayesian optimization performs great in high dimensions"): distances between points grow like
    sqrt(d), so a fixed prior would make the model ever rougher as variables are added.
    """
    return math.log(0.25) + 0.5 * math.log(n_dims), 1.0


# log-normal priors (mean, sd of the log) of signal variance and noise variance.
SIGNAL_PRIOR = (0.0, 1.0)
NOISE_PRIOR = (math.log(1e-4), 2.0)
RQ_ALPHA_PRIOR = (0.0, 1.0)


@dataclass(frozen=True)
class ModelSettings:
    """What the user chooses about the model."""

    kernel: str = "matern52"
    n_restarts: int = 5
    seed: int = 0
    # Yeo-Johnson power transform of the outputs before standardising (see OutputTransform).
    warp_outputs: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.warp_outputs, (bool, np.bool_)):
            raise ModelError("The output-transform switch must be true or false.")
        object.__setattr__(self, "warp_outputs", bool(self.warp_outputs))
        if self.kernel not in KERNELS:
            raise ModelError(
                f"Unknown kernel '{self.kernel}'. Use one of: {', '.join(KERNELS)}."
            )
        if isinstance(self.n_restarts, bool) or not isinstance(self.n_restarts, (int, np.integer)):
            raise ModelError("The number of optimiser restarts must be a whole number.")
        if not 0 <= self.n_restarts <= MAX_RESTARTS:
            raise ModelError(f"The number of optimiser restarts must be between 0 and {MAX_RESTARTS}.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise ModelError("The random seed must be a whole number.")
        if not 0 <= self.seed < 2**32:
            raise ModelError("The random seed must be between 0 and 4294967295.")
        object.__setattr__(self, "n_restarts", int(self.n_restarts))
        object.__setattr__(self, "seed", int(self.seed))

    def to_state(self) -> dict:
        return {
            "kernel": self.kernel, "n_restarts": self.n_restarts, "seed": self.seed,
            "warp_outputs": self.warp_outputs,
        }

    @classmethod
    def from_state(cls, state: dict) -> "ModelSettings":
        if not isinstance(state, dict):
            raise SessionFileError("The model settings in the file are not a mapping.")
        try:
            return cls(
                kernel=state.get("kernel", "matern52"),
                n_restarts=state.get("n_restarts", 5),
                seed=state.get("seed", 0),
                warp_outputs=state.get("warp_outputs", True),
            )
        except ModelError as error:
            raise SessionFileError(f"The model settings in the file are not valid: {error}") from None


class ARDRationalQuadratic(StationaryKernelMixin, NormalizedKernelMixin, Kernel):
    """Rational quadratic kernel with one length scale per input column.

    scikit-learn's RationalQuadratic has a single length scale; the issue asks for one per input.
    k(x, x') = (1 + d^2 / (2 alpha))^(-alpha), with d^2 = sum_k ((x_k - x'_k) / l_k)^2.
    """

    def __init__(
        self,
        length_scale: Any = 1.0,
        alpha: float = 1.0,
        length_scale_bounds: Any = (1e-5, 1e5),
        alpha_bounds: Any = (1e-5, 1e5),
    ) -> None:
        self.length_scale = length_scale
        self.alpha = alpha
        self.length_scale_bounds = length_scale_bounds
        self.alpha_bounds = alpha_bounds

    @property
    def anisotropic(self) -> bool:
        return np.iterable(self.length_scale) and len(self.length_scale) > 1

    @property
    def hyperparameter_length_scale(self) -> Hyperparameter:
        if self.anisotropic:
            return Hyperparameter("length_scale", "numeric", self.length_scale_bounds, len(self.length_scale))
        return Hyperparameter("length_scale", "numeric", self.length_scale_bounds)

    @property
    def hyperparameter_alpha(self) -> Hyperparameter:
        return Hyperparameter("alpha", "numeric", self.alpha_bounds)

    def __call__(self, X, Y=None, eval_gradient=False):  # noqa: N803 (scikit-learn's signature)
        X = np.atleast_2d(X)
        scale = np.asarray(self.length_scale, dtype=float)
        alpha = float(self.alpha)
        if Y is None:
            d2 = squareform(pdist(X / scale, metric="sqeuclidean"))
        else:
            if eval_gradient:
                raise ValueError("Gradient can only be evaluated when Y is None.")
            d2 = cdist(X / scale, np.atleast_2d(Y) / scale, metric="sqeuclidean")
        base = 1.0 + d2 / (2.0 * alpha)
        K = base ** (-alpha)
        if not eval_gradient:
            return K
        if self.hyperparameter_length_scale.fixed:
            grad_scale = np.empty((X.shape[0], X.shape[0], 0))
        else:
            per_dim = (X[:, None, :] - X[None, :, :]) ** 2 / scale**2
            if not self.anisotropic:
                per_dim = per_dim.sum(axis=2, keepdims=True)
            grad_scale = base[..., None] ** (-alpha - 1.0) * per_dim
        if self.hyperparameter_alpha.fixed:
            grad_alpha = np.empty((X.shape[0], X.shape[0], 0))
        else:
            grad_alpha = (K * (-alpha * np.log(base) + d2 / (2.0 * base)))[..., None]
        # Gradient columns in theta order: hyperparameters sorted by name, so alpha first.
        return K, np.dstack((grad_alpha, grad_scale))

    def __repr__(self) -> str:
        return f"ARDRationalQuadratic(length_scale={self.length_scale}, alpha={self.alpha:.3g})"


def build_kernel(key: str, n_dims: int) -> Kernel:
    """signal * base(ARD) + white noise, initialised at the prior medians."""
    mean_log_scale, _ = _length_scale_prior(n_dims)
    scale = np.full(n_dims, float(np.clip(math.exp(mean_log_scale), *LENGTH_SCALE_BOUNDS)))
    if key == "matern52":
        base: Kernel = Matern(scale, LENGTH_SCALE_BOUNDS, nu=2.5)
    elif key == "matern32":
        base = Matern(scale, LENGTH_SCALE_BOUNDS, nu=1.5)
    elif key == "rbf":
        base = RBF(scale, LENGTH_SCALE_BOUNDS)
    elif key == "rq":
        base = ARDRationalQuadratic(scale, 1.0, LENGTH_SCALE_BOUNDS, RQ_ALPHA_BOUNDS)
    else:
        raise ModelError(f"Unknown kernel '{key}'.")
    signal = ConstantKernel(1.0, SIGNAL_BOUNDS)
    noise = WhiteKernel(math.exp(NOISE_PRIOR[0]), NOISE_BOUNDS)
    return signal * base + noise


def _log_prior(kernel: Kernel, n_dims: int) -> tuple[np.ndarray, np.ndarray]:
    """Means and sds of independent normal priors on the kernel's theta (log hyperparameters)."""
    means, sds = [], []
    scale_prior = _length_scale_prior(n_dims)
    for hp in kernel.hyperparameters:
        if hp.fixed:
            continue
        if hp.name.endswith("length_scale"):
            prior = scale_prior
        elif hp.name.endswith("constant_value"):
            prior = SIGNAL_PRIOR
        elif hp.name.endswith("noise_level"):
            prior = NOISE_PRIOR
        elif hp.name.endswith("alpha"):
            prior = RQ_ALPHA_PRIOR
        else:  # pragma: no cover - every kernel built here is covered above
            raise ModelError(f"No prior for hyperparameter {hp.name}.")
        means.extend([prior[0]] * hp.n_elements)
        sds.extend([prior[1]] * hp.n_elements)
    return np.array(means), np.array(sds)


def _map_optimizer(
    prior_mean: np.ndarray, prior_sd: np.ndarray, n_restarts: int, rng: np.random.Generator
) -> Callable:
    """A scikit-learn `optimizer` callable: MAP with several L-BFGS-B starts drawn from the prior.

    Starts come from the prior rather than uniformly from the (wide) bounds, so that each one
    begins at a plausible model instead of at, say, length scale 80 and noise 0.9.
    """

    def optimizer(obj_func, initial_theta, bounds):
        bounds = np.asarray(bounds)

        def penalised(theta):
            value, grad = obj_func(theta, eval_gradient=True)
            if not np.isfinite(value):
                return 1e25, np.zeros_like(theta)
            z = (theta - prior_mean) / prior_sd
            return value + 0.5 * float(z @ z), grad + z / prior_sd

        starts = [np.clip(initial_theta, bounds[:, 0], bounds[:, 1])]
        for _ in range(n_restarts):
            draw = prior_mean + prior_sd * rng.standard_normal(len(prior_mean))
            starts.append(np.clip(draw, bounds[:, 0], bounds[:, 1]))
        best_theta, best_value = starts[0], np.inf
        for start in starts:
            result = minimize(
                penalised, start, jac=True, method="L-BFGS-B", bounds=bounds,
                options={"maxiter": 200},
            )
            if result.fun < best_value:
                best_theta, best_value = result.x, float(result.fun)
        return best_theta, best_value

    return optimizer


class FastLogMarginalLikelihood:
    """log p(y | theta) and its gradient for the kernels built by `build_kernel`.

    The same quantity as GaussianProcessRegressor.log_marginal_likelihood (a test checks that),
    computed from pairwise differences prepared once: scikit-learn rebuilds the kernel object on
    every call, which costs more than the linear algebra below a few hundred points and made a
    fit take most of the time budget of a suggestion.
    Called as obj(theta, eval_gradient=True) -> (negative lml, negative gradient), the form a
    scikit-learn `optimizer` receives.
    """

    def __init__(self, key: str, U: np.ndarray, ys: np.ndarray, diag: np.ndarray) -> None:
        self.key = key
        self.ys = ys
        self.diag = diag
        self.n = len(ys)
        self.diff2 = (U[:, None, :] - U[None, :, :]) ** 2  # (n, n, d)

    def __call__(self, theta: np.ndarray, eval_gradient: bool = True):
        n, d = self.n, self.diff2.shape[2]
        # theta follows scikit-learn's order: hyperparameters sorted by name within a kernel,
        # so the rational quadratic's alpha comes before its length scales.
        first = 2 if self.key == "rq" else 1
        signal = math.exp(theta[0])
        scale = np.exp(theta[first:first + d])
        alpha = math.exp(theta[1]) if self.key == "rq" else None
        noise = math.exp(theta[-1])
        inv_scale2 = 1.0 / scale**2
        r2 = self.diff2 @ inv_scale2  # (n, n): one BLAS call instead of an (n, n, d) temporary
        # k(r) and g = dk/dlog(l_j) / (diff2_j / l_j^2), shared by every dimension.
        if self.key == "matern52":
            r = np.sqrt(5.0 * r2)
            e = np.exp(-r)
            k = (1.0 + r + r * r / 3.0) * e
            g = (5.0 / 3.0) * (1.0 + r) * e
        elif self.key == "matern32":
            r = np.sqrt(3.0 * r2)
            e = np.exp(-r)
            k = (1.0 + r) * e
            g = 3.0 * e
        elif self.key == "rbf":
            k = np.exp(-0.5 * r2)
            g = k
        else:
            base = 1.0 + r2 / (2.0 * alpha)
            k = base ** (-alpha)
            g = base ** (-alpha - 1.0)
        K = signal * k
        K[np.diag_indices(n)] += noise + self.diag
        try:
            L = np.linalg.cholesky(K)
        except np.linalg.LinAlgError:
            return (1e25, np.zeros_like(theta)) if eval_gradient else 1e25
        weights = cho_solve((L, True), self.ys, check_finite=False)
        lml = -0.5 * float(self.ys @ weights) - float(np.log(np.diag(L)).sum()) - 0.5 * n * math.log(2 * math.pi)
        if not eval_gradient:
            return -lml
        K_inv, info = dpotri(L, lower=1)  # inverse from the Cholesky factor (lower triangle only)
        if info != 0:
            return 1e25, np.zeros_like(theta)
        K_inv = np.tril(K_inv) + np.tril(K_inv, -1).T
        W = np.outer(weights, weights) - K_inv
        grad = np.empty_like(theta)
        grad[0] = 0.5 * float(np.sum(W * (signal * k)))
        grad[first:first + d] = 0.5 * signal * inv_scale2 * np.tensordot(W * g, self.diff2, axes=([0, 1], [0, 1]))
        if self.key == "rq":
            dk_dalpha = k * (-alpha * np.log(base) + r2 / (2.0 * base))
            grad[1] = 0.5 * signal * float(np.sum(W * dk_dalpha))
        grad[-1] = 0.5 * noise * float(np.trace(W))
        return -lml, -grad


class Posterior:
    """Posterior of a GP with fixed hyperparameters, on encoded inputs and standardised outputs.

    Built with scikit-learn's own fit (optimizer=None) so that the Cholesky factor and weights are
    computed exactly as scikit-learn does; predictions are done here because we want the latent
    function's std (without the white-noise term) and speed on many candidates.
    """

    def __init__(self, kernel: Kernel, U: np.ndarray, ys: np.ndarray, diag: np.ndarray) -> None:
        gpr = GaussianProcessRegressor(
            kernel=kernel, alpha=diag, optimizer=None, normalize_y=False, copy_X_train=False
        )
        try:
            gpr.fit(U, ys)
        except (np.linalg.LinAlgError, ValueError) as error:
            raise ModelError(
                "The model could not be fitted to these data (the covariance matrix is not "
                f"positive definite: {error}). Remove repeated experiments or add a noise column."
            ) from None
        self.gpr = gpr
        self.kernel = gpr.kernel_
        self.signal = gpr.kernel_.k1  # signal variance x base kernel, without white noise
        self.noise_level = float(gpr.kernel_.k2.noise_level)
        self.U = U
        self.ys = ys
        self.diag = diag
        self.L = gpr.L_
        self.weights = gpr.alpha_

    def predict(self, Uq: np.ndarray, include_noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
        Uq = np.atleast_2d(Uq)
        Kq = self.signal(Uq, self.U)
        mean = Kq @ self.weights
        v = solve_triangular(self.L, Kq.T, lower=True, check_finite=False)
        var = self.signal.diag(Uq) - np.einsum("ij,ij->j", v, v)
        if include_noise:
            var = var + self.noise_level
        return mean, np.sqrt(np.maximum(var, 1e-20))

    def condition(self, U_new: np.ndarray, ys_new: np.ndarray) -> "Posterior":
        """The same GP with extra (fantasy) observations; used for batches (kriging believer)."""
        diag = np.concatenate([self.diag, np.full(len(U_new), JITTER)])
        return Posterior(self.kernel, np.vstack([self.U, U_new]), np.concatenate([self.ys, ys_new]), diag)


class GPModel:
    """A Gaussian-process surrogate over the user's variables (scikit-learn-like: fit / predict)."""

    def __init__(self, variables: Sequence[Variable], settings: ModelSettings = ModelSettings()) -> None:
        self.variables: tuple[Variable, ...] = tuple(variables)
        self.settings = settings
        self.encoder = Encoder(self.variables)
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
        y = np.asarray(y, dtype=float).ravel()
        n = len(y)
        if len(U) != n:
            raise ModelError("The number of outputs does not match the number of experiments.")
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

        kernel = build_kernel(self.settings.kernel, self.encoder.n_dims)
        rng = np.random.default_rng(self.settings.seed)
        fit_index = np.arange(n)
        if n > MAX_FIT_POINTS:
            fit_index = np.sort(rng.choice(n, MAX_FIT_POINTS, replace=False))
        restarts = self.settings.n_restarts if n <= MAX_FIT_POINTS else min(self.settings.n_restarts, 1)
        prior_mean, prior_sd = _log_prior(kernel, self.encoder.n_dims)
        objective = FastLogMarginalLikelihood(
            self.settings.kernel, U[fit_index], ys[fit_index], diag[fit_index]
        )
        optimizer = _map_optimizer(prior_mean, prior_sd, restarts, rng)
        with np.errstate(all="ignore"):
            theta, _ = optimizer(objective, kernel.theta, kernel.bounds)
        theta = np.array(theta, dtype=float)
        self._set_posterior(theta, U, ys, diag)
        self.output = output
        self.y_train = y.copy()
        self.noise_train = None if noise is None else noise.copy()
        return self

    def _set_posterior(self, theta: np.ndarray, U: np.ndarray, ys: np.ndarray, diag: np.ndarray) -> None:
        kernel = build_kernel(self.settings.kernel, self.encoder.n_dims).clone_with_theta(theta)
        self.posterior = Posterior(kernel, U, ys, diag)
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
        mean, std = self.predict_encoded(self.encoder.encode(X), include_noise=include_noise)
        return mean, std

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
        return np.atleast_1d(np.asarray(self.posterior.signal.k2.length_scale, dtype=float)) * np.ones(
            self.encoder.n_dims
        )

    def hyperparameters(self) -> pd.DataFrame:
        posterior = self._check_fitted()
        scales = self.length_scales()
        rows = []
        for block in self.encoder.blocks:
            variable = block.variable
            if variable.kind == "categorical":
                for level, value in zip(variable.levels, scales[block.start:block.stop]):
                    rows.append((
                        f"Length scale: {variable.name} = {level}", float(value),
                        "one-hot encoded units (0 to 1); large = level matters little",
                    ))
            else:
                value = float(scales[block.start] * (variable.high - variable.low))
                rows.append((f"Length scale: {variable.name}", value, variable.unit))
        if self.output.lam == 1.0:
            scale, unit = (self.output.std * self.output.t_std) ** 2, "target units²"
        else:
            # Under a power transform a variance has no single value in target units.
            scale, unit = 1.0, "transformed, standardised output units²"
        signal = float(posterior.signal.k1.constant_value) * scale
        rows.append(("Signal variance", signal, unit))
        if self.settings.kernel == "rq":
            rows.append(("Rational quadratic shape α", float(posterior.signal.k2.alpha), ""))
        rows.append(("Noise variance (learned)", posterior.noise_level * scale, unit))
        if self.output.lam != 1.0:
            rows.append(("Output power transform λ (Yeo-Johnson)", self.output.lam, ""))
        return pd.DataFrame(rows, columns=["Parameter", "Value", "Unit"])

    # -- persistence ----------------------------------------------------------------------
    def to_state(self) -> dict:
        posterior = self._check_fitted()
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "variables": [v.to_state() for v in self.variables],
            "settings": self.settings.to_state(),
            "kernel": self.settings.kernel,
            "hyperparameter_names": [hp.name for hp in posterior.kernel.hyperparameters],
            "theta": array_to_state(self.theta),
            "X_encoded": array_to_state(posterior.U),
            "y": array_to_state(self.y_train),
            "y_standardised": array_to_state(posterior.ys),
            "diagonal": array_to_state(posterior.diag),
            "alpha": array_to_state(posterior.weights),
            "noise": None if self.noise_train is None else array_to_state(self.noise_train),
            "output_transform": self.output.to_state(),
        }

    @classmethod
    def from_state(cls, state: dict) -> "GPModel":
        def fail(why: str) -> SessionFileError:
            return SessionFileError(f"The saved model cannot be loaded: {why}.")

        if not isinstance(state, dict):
            raise fail("it is not a mapping")
        if state.get("format") != STATE_FORMAT:
            raise fail("it is not an ALchemist model")
        if state.get("version") != STATE_VERSION:
            raise fail(f"version {state.get('version')!r} is not supported")
        variable_states = state.get("variables")
        if not isinstance(variable_states, list) or not variable_states:
            raise fail("it lists no variables")
        try:
            variables = [variable_from_state(v) for v in variable_states]
        except VariableError as error:
            raise fail(f"a variable is not valid ({error})") from None
        settings = ModelSettings.from_state(state.get("settings"))
        if state.get("kernel") != settings.kernel:
            raise fail("its kernel does not match its settings")
        model = cls(variables, settings)
        theta = array_from_state(state.get("theta"))
        U = array_from_state(state.get("X_encoded"))
        y = array_from_state(state.get("y"))
        ys = array_from_state(state.get("y_standardised"))
        diag = array_from_state(state.get("diagonal"))
        weights = array_from_state(state.get("alpha"))
        noise = None if state.get("noise") is None else array_from_state(state.get("noise"))
        output = OutputTransform.from_state(state.get("output_transform"))
        kernel = build_kernel(settings.kernel, model.encoder.n_dims)
        n = len(y)
        if theta.shape != kernel.theta.shape or not np.all(np.isfinite(theta)):
            raise fail("its hyperparameters do not match its variables")
        if [hp.name for hp in kernel.hyperparameters] != state.get("hyperparameter_names"):
            raise fail("its hyperparameters do not match its kernel")
        bounds = kernel.bounds
        if np.any(theta < bounds[:, 0] - 1e-9) or np.any(theta > bounds[:, 1] + 1e-9):
            raise fail("a hyperparameter is outside its allowed range")
        if U.shape != (n, model.encoder.n_dims) or n < 2:
            raise fail("its training inputs do not match its variables")
        if ys.shape != (n,) or diag.shape != (n,) or weights.shape != (n,):
            raise fail("its training data have inconsistent lengths")
        if noise is not None and noise.shape != (n,):
            raise fail("its noise column has the wrong length")
        arrays = (U, y, ys, diag, weights) + (() if noise is None else (noise,))
        if not all(np.all(np.isfinite(a)) for a in arrays):
            raise fail("it contains non-finite numbers")
        if np.any(U < 0) or np.any(U > 1) or np.any(diag <= 0):
            raise fail("its training data are out of range")
        if not np.allclose(ys, output.forward(y), rtol=1e-9, atol=1e-9):
            raise fail("its outputs do not match their scaling")
        try:
            model._set_posterior(theta, U, ys, diag)
        except ModelError as error:
            raise fail(str(error)) from None
        # The weights are recomputed from the data (bit-identically on the same machine) rather
        # than trusted or compared: with a near-singular covariance another machine's BLAS may
        # legitimately differ in the last digits, and refusing such a file would help nobody.
        model.output = output
        model.y_train = y
        model.noise_train = noise
        return model
