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
from alchemist.model.output_transform import OutputTransform, _yeo_johnson_mle
from alchemist.session import Session
from benchmarks.problems import PROBLEMS



def skewed(sign: float) -> np.ndarray:
    """Results with a very long tail: upwards (sign 1) or downwards (sign -1)."""
    rng = np.random.default_rng(3)
    return sign * np.exp(rng.normal(0.0, 1.6, 40))


def check_inverse(transform: OutputTransform, spread: float, reach: float, exact_within: float = np.inf) -> None:
    """Model units out to +-reach (far beyond the data's, which lie within about +-3); the inverse is
    exact (forward(inverse(t)) == t) where it maps within exact_within standard deviations of the mean."""
    grid = np.linspace(-reach, reach, 4001)
    y = transform.inverse(grid)
    assert np.all(np.isfinite(y))
    assert np.all(np.diff(y) > 0)  # monotone: a better mean stays a better result
    exact = np.abs(y - transform.mean) <= exact_within * transform.std
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
def test_a_fitted_transform_of_heavily_skewed_results_inverts_every_model_value(sign):
    y = skewed(sign)
    z = (y - y.mean()) / y.std()
    wide = _yeo_johnson_mle(z, OutputTransform.LAMBDA_RANGE, OutputTransform.PIVOT)
    assert (wide < 0.0) if sign > 0 else (wide > 2.0)  # the exponent the wider range would fit: bounded tail
    transform = OutputTransform.fit(y)
    low, high = OutputTransform.FIT_LAMBDA_RANGE
    assert low <= transform.lam <= high and transform.lam != 1.0
    np.testing.assert_allclose(transform.inverse(transform.forward(y)), y, rtol=1e-10)
    check_inverse(transform, float(np.ptp(y)), reach=8.0)  # a bijection of the line: exact everywhere


@pytest.mark.parametrize("lam", [2.925, 5.0, -0.5, -3.0])
@pytest.mark.parametrize("pivot", [1.0, None])
def test_a_saved_transform_with_a_bounded_tail_loads_and_stays_finite(lam, pivot):
    # Exponents sessions saved before may hold (fitted within LAMBDA_RANGE), tail-only or two-sided.
    state = {"mean": -0.232, "std": 0.3406, "lambda": lam, "t_mean": 0.1, "t_std": 0.6867}
    if pivot is not None:
        state["pivot"] = pivot
    transform = OutputTransform.from_state(state)
    assert transform.lam == lam and transform.to_state() == state
    # Exact out to the knot, which for the most compressed tails (lam = 5 or -3) is 2.16 deviations out.
    check_inverse(transform, 4 * 0.3406, reach=25.0, exact_within=2.0)
    y = transform.mean + transform.std * np.linspace(-6.0, 6.0, 121)
    h = 1e-7
    numeric = (transform.forward(y + h) - transform.forward(y - h)) / (2 * h)
    np.testing.assert_allclose(transform.derivative(y), numeric, rtol=1e-4)


def test_the_exact_yeo_johnson_is_kept_where_the_tail_is_unbounded():
    # Within 0 <= lam <= 2 there is no knot: the inverse is the closed form everywhere.
    transform = OutputTransform(mean=0.0, std=1.0, lam=2.0, t_mean=0.0, t_std=1.0, pivot=1.0)
    np.testing.assert_allclose(transform.inverse(np.array([-3.0])), [-1.0 - np.expm1(2.0)], rtol=1e-12)


def test_predicted_means_on_hartmann6_stay_near_the_results():
    problem = PROBLEMS["hartmann6"]
    x = initial_design(problem.variables, 45, method="lhs", seed=0)
    y = problem.measure(x, np.random.default_rng(0))
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
