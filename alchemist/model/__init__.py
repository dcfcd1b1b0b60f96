"""The Gaussian-process surrogate: kernels, likelihood, posterior, settings and saved state.

    kernels          the covariance (one definition per kernel) and theta's layout
    likelihood       log marginal likelihood, its gradient, priors and the MAP search
    gp               Posterior and GPModel (fit / predict)
    hyperparameters  the fitted hyperparameters as records for display
    settings         ModelSettings, the kernels a user may choose
    state            a fitted model as plain data and back
    approximation    exact, or a documented subset above the exact limit
    progress         the fit's time budget, progress records and cancellation
    output_transform results -> model units (tail-only Yeo-Johnson) and back
    trend            a Bayesian quadratic trend under a fitted posterior (the searches that need it)
"""

from alchemist.model.gp import JITTER, MAX_FIT_POINTS, GPModel, Posterior, as_outputs, blas_single_thread
from alchemist.model.approximation import Approximation, ApproximationRecord, max_exact_points
from alchemist.model.hyperparameters import FittedHyperparameter, Parameter, Unit
from alchemist.model.kernels import LENGTH_SCALE_BOUNDS, Covariance
from alchemist.model.likelihood import LogMarginalLikelihood
from alchemist.model.progress import FitCancelled, FitProgress, ProgressCallback
from alchemist.model.settings import KERNELS, MAX_RESTARTS, ModelSettings
from alchemist.model.state import STATE_FORMAT, STATE_VERSION

__all__ = [
    "GPModel", "Posterior", "as_outputs", "ModelSettings", "KERNELS", "MAX_RESTARTS", "blas_single_thread",
    "Covariance", "LogMarginalLikelihood", "FittedHyperparameter", "Parameter", "Unit",
    "LENGTH_SCALE_BOUNDS", "JITTER", "MAX_FIT_POINTS", "STATE_FORMAT", "STATE_VERSION",
    "Approximation", "ApproximationRecord", "max_exact_points", "FitCancelled", "FitProgress", "ProgressCallback",
]
