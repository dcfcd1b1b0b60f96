"""A fitted model as plain data (for session files) and back, checked field by field on the way in.

The state holds what the posterior is computed from: the variables, the settings, theta, the
encoded training inputs, the standardised outputs and the diagonal. The posterior's weights are
recomputed on load rather than stored: with a near-singular covariance another machine's BLAS
may legitimately differ in the last digits, and refusing such a file would help nobody. Files
written before this was decided carry the weights as "alpha"; it is ignored.

Loading never builds a posterior beyond the limits in force: a stored model with more training
points than `alchemist.model.approximation.max_exact_points()` allows (a file from an installation with
higher limits, or a hand-made one) is reduced, with its saved hyperparameters and no refit, to
the subset approximation of alchemist.model.approximation, and its record says
`reduced_on_load` so that the app can say so. Refusing it instead would lose a user's model for a
limit that is the server's, not theirs; the reduction costs O(n m d) + O(m^3), bounded like a fit.
A state without the record (every exact model's, and files written before it existed) is an
exact model of its points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from alchemist.model.output_transform import OutputTransform
from alchemist.errors import LimitError, ModelError, SessionFileError, VariableError
from alchemist.model.approximation import Approximation, ApproximationRecord, choose_subset, max_exact_points
from alchemist.model.settings import ModelSettings
from alchemist.plain import array_from_state, array_to_state
from alchemist.variables import variable_from_state

if TYPE_CHECKING:  # gp imports this module; the class arrives as an argument at run time
    from alchemist.model.gp import GPModel

STATE_FORMAT = "alchemist.gp-model"
STATE_VERSION = 1
# theta is checked against its bounds with this much room for the optimiser's last step.
BOUNDS_SLACK = 1e-9


def model_to_state(model: "GPModel") -> dict:
    posterior = model._check_fitted()
    state = {
        "format": STATE_FORMAT,
        "version": STATE_VERSION,
        "variables": [v.to_state() for v in model.variables],
        "settings": model.settings.to_state(),
        "kernel": model.settings.kernel,
        "hyperparameter_names": model.covariance.names,
        "theta": array_to_state(model.theta),
        "X_encoded": array_to_state(posterior.U),
        "y": array_to_state(model.y_train),
        "y_standardised": array_to_state(posterior.ys),
        "diagonal": array_to_state(posterior.diag),
        "noise": None if model.noise_train is None else array_to_state(model.noise_train),
        "output_transform": model.output.to_state(),
    }
    # Only approximate models carry the record: an exact model's state stays what it was before
    # the record existed (same files, and row subsets of it, as alchemist.analysis takes, stay valid).
    if model.approximation.method is not Approximation.EXACT:
        state["approximation"] = model.approximation.to_state()
    return state


def _fail(why: str) -> SessionFileError:
    return SessionFileError(f"The saved model cannot be loaded: {why}.")


def model_from_state(cls: type["GPModel"], state: Any) -> "GPModel":
    if not isinstance(state, dict):
        raise _fail("it is not a mapping")
    if state.get("format") != STATE_FORMAT:
        raise _fail("it is not an ALchemist model")
    if state.get("version") != STATE_VERSION:
        raise _fail(f"version {str(state.get('version'))[:20]!r} is not supported")
    variable_states = state.get("variables")
    if not isinstance(variable_states, list) or not variable_states:
        raise _fail("it lists no variables")
    try:
        variables = [variable_from_state(v) for v in variable_states]
    except VariableError as error:
        raise _fail(f"a variable is not valid ({error})") from None
    settings = ModelSettings.from_state(state.get("settings"))
    if state.get("kernel") != settings.kernel:
        raise _fail("its kernel does not match its settings")
    try:
        model = cls(variables, settings)
    except LimitError as error:
        raise _fail(f"{error} ({error.limit})") from None
    covariance = model.covariance
    theta = array_from_state(state.get("theta"))
    U = array_from_state(state.get("X_encoded"))
    y = array_from_state(state.get("y"))
    ys = array_from_state(state.get("y_standardised"))
    diag = array_from_state(state.get("diagonal"))
    noise = None if state.get("noise") is None else array_from_state(state.get("noise"))
    output = OutputTransform.from_state(state.get("output_transform"))
    n = len(y)
    if theta.shape != (covariance.n_theta,) or not np.all(np.isfinite(theta)):
        raise _fail("its hyperparameters do not match its variables")
    if state.get("hyperparameter_names") != covariance.names:
        raise _fail("its hyperparameters do not match its kernel")
    bounds = covariance.bounds
    if np.any(theta < bounds[:, 0] - BOUNDS_SLACK) or np.any(theta > bounds[:, 1] + BOUNDS_SLACK):
        raise _fail("a hyperparameter is outside its allowed range")
    if U.shape != (n, model.encoder.n_dims) or n < 2:
        raise _fail("its training inputs do not match its variables")
    if ys.shape != (n,) or diag.shape != (n,):
        raise _fail("its training data have inconsistent lengths")
    if noise is not None and noise.shape != (n,):
        raise _fail("its noise column has the wrong length")
    arrays = (U, y, ys, diag) + (() if noise is None else (noise,))
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise _fail("it contains non-finite numbers")
    if np.any(U < 0) or np.any(U > 1) or np.any(diag <= 0):
        raise _fail("its training data are out of range")
    if not np.allclose(ys, output.forward(y), rtol=1e-9, atol=1e-9):
        raise _fail("its outputs do not match their scaling")
    record = ApproximationRecord.from_state(state.get("approximation"), n)
    limit = max_exact_points()
    if n > limit:
        used = choose_subset(U, ys, limit)
        U, y, ys, diag = U[used], y[used], ys[used], diag[used]
        noise = None if noise is None else noise[used]
        record = ApproximationRecord(Approximation.SUBSET, record.points_total, len(used), reduced_on_load=True)
    try:
        model._set_posterior(theta, U, ys, diag)
    except ModelError as error:
        raise _fail(str(error)) from None
    model.output = output
    model.y_train = y
    model.noise_train = noise
    model.approximation = record
    return model
