"""The output transform maps every model-unit value back to a finite, sensible result.

A Yeo-Johnson tail with lam > 2 (or lam < 0) maps its half-line into a bounded interval; a model
mean beyond that bound used to come back as +-1e300 (Hartmann-6, 45 Latin-hypercube points, seed 0:
lam = 2.925, predicted mean -3.4e299).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alchemist.design import initial_design
from alchemist.errors import SessionFileError
from alchemist.model import GPModel, ModelSettings
from alchemist.model.output_transform import OutputTransform
from alchemist.optimize import suggest
from alchemist.session import Session
from benchmarks.problems import PROBLEMS



def skewed(sign: float) -> np.ndarray:
    """Results with a very long tail: upwards (sign 1) or downwards (sign -1)."""
    rng = np.random.default_rng(3)
    return sign * np.exp(rng.normal(0.0, 1.6, 40))


def check_inverse(transform: OutputTransform, spread: float, reach: float, exact: tuple[float, float]) -> None:
    """Model units out to +-reach (far beyond the data's, which lie within about +-3); the inverse is
    exact (forward(inverse(t)) == t) where it maps into the interval `exact` of results."""
    grid = np.linspace(-reach, reach, 4001)
    y = transform.inverse(grid)
    assert np.all(np.isfinite(y))
    assert np.all(np.diff(y) > 0)  # monotone: a better mean stays a better result
    exact = (y >= exact[0]) & (y <= exact[1])
    assert exact.sum() > 100
    np.testing.assert_allclose(transform.forward(y[exact]), grid[exact], atol=1e-8)
    assert np.max(np.abs(y - transform.mean)) < 1e3 * spread  # not 1e300
    slope = transform.inverse_derivative(grid)
    assert np.all(np.isfinite(slope)) and np.all(slope > 0)
    # Continuous: no step is larger than the steepest slope at its two ends allows (no jump at a knot).
    assert np.all(np.diff(y) <= np.maximum(slope[1:], slope[:-1]) * np.diff(grid) * (1 + 1e-6))
    h = 1e-6
    numeric = (transform.inverse(grid + h) - transform.inverse(grid - h)) / (2 * h)
    np.testing.assert_allclose(slope, numeric, rtol=1e-4)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_fitted_bounded_tail_inverts_every_model_value(sign):
    y = skewed(sign)
    transform = OutputTransform.fit(y)
    assert (transform.lam < 0.0) if sign > 0 else (transform.lam > 2.0)  # a bounded tail
    assert transform.tail_end == pytest.approx(((y.max() if sign > 0 else y.min()) - y.mean()) / y.std())
    np.testing.assert_allclose(transform.inverse(transform.forward(y)), y, rtol=1e-10)  # every result exact
    # Forward and inverse both continue linearly beyond the most extreme result: exact everywhere.
    check_inverse(transform, float(np.ptp(y)), reach=8.0, exact=(-np.inf, np.inf))
    far = y.mean() + y.std() * np.linspace(-30.0, 30.0, 601)
    h = 1e-6 * y.std()
    numeric = (transform.forward(far + h) - transform.forward(far - h)) / (2 * h)
    np.testing.assert_allclose(transform.derivative(far), numeric, rtol=1e-4)
    state = transform.to_state()
    assert OutputTransform.from_state(state) == transform
    for bad in (float("nan"), 1e9, "3.0", True):
        with pytest.raises(SessionFileError):
            OutputTransform.from_state({**state, "tail_end": bad})


def test_an_unbounded_tail_stores_no_end_and_keeps_its_state_as_before():
    y = -np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 13.0, 17.0])
    transform = OutputTransform.fit(y)
    assert 1.0 < transform.lam <= 2.0 and transform.tail_end is None
    assert "tail_end" not in transform.to_state()
    check_inverse(transform, float(np.ptp(y)), reach=8.0, exact=(-np.inf, np.inf))


@pytest.mark.parametrize("lam", [2.925, 5.0, -0.5, -3.0])
@pytest.mark.parametrize("pivot", [1.0, None])
def test_a_saved_transform_with_a_bounded_tail_loads_and_stays_finite(lam, pivot):
    # Exponents sessions saved before may hold (fitted within LAMBDA_RANGE), tail-only or two-sided.
    state = {"mean": -0.232, "std": 0.3406, "lambda": lam, "t_mean": 0.1, "t_std": 0.6867}
    if pivot is not None:
        state["pivot"] = pivot
    transform = OutputTransform.from_state(state)
    assert transform.lam == lam and transform.to_state() == state
    # Saved without its fitted end: exact out to the knot, for the most compressed tails (lam = 5
    # or -3) 2.16 standard deviations out.
    check_inverse(transform, 4 * 0.3406, reach=25.0, exact=(-0.232 - 2 * 0.3406, -0.232 + 2 * 0.3406))
    y = transform.mean + transform.std * np.linspace(-6.0, 6.0, 121)
    h = 1e-7
    numeric = (transform.forward(y + h) - transform.forward(y - h)) / (2 * h)
    np.testing.assert_allclose(transform.derivative(y), numeric, rtol=1e-4)


def hartmann6_case() -> tuple[pd.DataFrame, np.ndarray]:
    """The reported case: 45 Latin-hypercube points, seed 0 (fitted exponent 2.925)."""
    problem = PROBLEMS["hartmann6"]
    x = initial_design(problem.variables, 45, method="lhs", seed=0)
    return x, problem.measure(x, np.random.default_rng(0))


def test_a_model_saved_without_the_tail_end_loads_and_predicts_finite_values():
    x, y = hartmann6_case()
    model = GPModel(PROBLEMS["hartmann6"].variables, ModelSettings(n_restarts=0, seed=0)).fit(x, y)
    assert model.output.lam > 2.0
    state = model.to_state()
    del state["output_transform"]["tail_end"]  # as a session saved before wrote it
    loaded = GPModel.from_state(state)
    assert loaded.output.tail_end is None
    # Where expected improvement leads, the mean extrapolates beyond the bounded tail's reach.
    table = suggest(loaded, x, y, n=1, acquisition="ei", goal="minimize", seed=0)
    mean, std = table["Predicted mean"].to_numpy(), table["Predicted std"].to_numpy()
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std))
    assert mean.min() > y.min() - 20 * np.ptp(y)  # the stretch-100 knot extrapolates widely, not to 1e300


def test_predicted_means_on_hartmann6_stay_near_the_results():
    problem = PROBLEMS["hartmann6"]
    x, y = hartmann6_case()
    session = Session.new("Hartmann-6")
    for variable in problem.variables:
        session.add_variable(variable)
    session.add_experiments(pd.DataFrame(x).assign(Result=y), target="Result")
    table = session.suggest(n=3, acquisition="ei", goal="minimize", seed=0)
    mean, std = table["Predicted mean"].to_numpy(), table["Predicted std"].to_numpy()
    span = float(np.ptp(y))
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)
    assert np.all(mean > y.min() - 2 * span) and np.all(mean < y.max() + span)
    assert np.all(std < 2 * span)
