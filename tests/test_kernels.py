"""The covariance and the likelihood: finite-difference gradients, and scikit-learn as an oracle.

Our kernels, likelihood and posterior are written once in alchemist.model; scikit-learn's
kernels and GaussianProcessRegressor are an independent implementation of the same formulas,
so agreement to rounding error checks both the values and the layout of theta.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, RationalQuadratic, WhiteKernel

from alchemist.model import KERNELS, Covariance, LogMarginalLikelihood, Posterior
from alchemist.model.kernels import squared_differences
from alchemist.model.likelihood import initial_theta

N_DIMS = 3


def random_theta(covariance: Covariance, rng: np.random.Generator) -> np.ndarray:
    """A theta well inside the bounds, with length scales that differ per column (ARD)."""
    theta = initial_theta(covariance) + rng.normal(0.0, 0.4, covariance.n_theta)
    theta[-1] = np.log(0.01)  # enough noise for a well-conditioned matrix in the gradient checks
    return theta


def scikit_learn_kernel(key: str, alpha: float):
    """scikit-learn's kernel with length scale 1: applied to inputs divided by our length
    scales, it is our ARD kernel (scikit-learn's rational quadratic has no ARD of its own)."""
    if key == "matern52":
        return Matern(1.0, nu=2.5)
    if key == "matern32":
        return Matern(1.0, nu=1.5)
    if key == "rbf":
        return RBF(1.0)
    return RationalQuadratic(1.0, alpha)


def data(seed: int = 0, n: int = 12):
    rng = np.random.default_rng(seed)
    return rng, rng.random((n, N_DIMS)), rng.standard_normal(n), 1e-10 + 0.01 * rng.random(n)


@pytest.mark.parametrize("key", list(KERNELS))
def test_covariance_equals_scikit_learns(key):
    rng, U, _, diag = data()
    covariance = Covariance(key, N_DIMS)
    theta = random_theta(covariance, rng)
    hp = covariance.unpack(theta)
    V = rng.random((7, N_DIMS))
    oracle = ConstantKernel(hp.signal) * scikit_learn_kernel(key, hp.alpha)
    np.testing.assert_allclose(covariance.cross(theta, U, V), oracle(U / hp.scales, V / hp.scales), rtol=1e-12, atol=1e-15)
    expected_training = (oracle + WhiteKernel(hp.noise))(U / hp.scales) + np.diag(diag)
    np.testing.assert_allclose(covariance.training(theta, U, diag), expected_training, rtol=1e-12, atol=1e-15)
    # The likelihood builds the same matrix from squared differences prepared once.
    K, _ = covariance.training_with_gradient(theta, squared_differences(U), diag)
    np.testing.assert_allclose(K, expected_training, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(covariance.prior_variance(theta, 4), np.full(4, hp.signal))


@pytest.mark.parametrize("key", list(KERNELS))
def test_kernel_gradient_matches_finite_differences(key):
    """d/dtheta of sum_ij W_ij K_ij for random symmetric W: for every W this holds, the
    contraction is the gradient of K (each hyperparameter, length scales one by one)."""
    rng, U, _, diag = data(1)
    covariance = Covariance(key, N_DIMS)
    theta = random_theta(covariance, rng)
    diff2 = squared_differences(U)
    for _ in range(3):
        W = rng.standard_normal((len(U), len(U)))
        W = W + W.T
        _, contract = covariance.training_with_gradient(theta, diff2, diag)
        analytic = contract(W)
        step = 1e-6
        numeric = np.empty_like(theta)
        for i in range(len(theta)):
            up, down = theta.copy(), theta.copy()
            up[i] += step
            down[i] -= step
            k_up, _ = covariance.training_with_gradient(up, diff2, diag)
            k_down, _ = covariance.training_with_gradient(down, diff2, diag)
            numeric[i] = np.sum(W * (k_up - k_down)) / (2 * step)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("key", list(KERNELS))
def test_likelihood_gradient_matches_finite_differences(key):
    rng, U, ys, diag = data(2)
    covariance = Covariance(key, N_DIMS)
    objective = LogMarginalLikelihood(covariance, U, ys, diag)
    theta = random_theta(covariance, rng)
    _, grad = objective(theta)
    step = 1e-6
    numeric = np.array([
        (objective(theta + step * e, eval_gradient=False) - objective(theta - step * e, eval_gradient=False)) / (2 * step)
        for e in np.eye(len(theta))
    ])
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("key", list(KERNELS))
def test_likelihood_and_posterior_equal_scikit_learns(key):
    rng, U, ys, diag = data(3, n=20)
    covariance = Covariance(key, N_DIMS)
    theta = random_theta(covariance, rng)
    theta[-1] = np.log(1e-4)
    hp = covariance.unpack(theta)
    oracle = ConstantKernel(hp.signal) * scikit_learn_kernel(key, hp.alpha) + WhiteKernel(hp.noise)
    gpr = GaussianProcessRegressor(oracle, alpha=diag, optimizer=None).fit(U / hp.scales, ys)
    value = LogMarginalLikelihood(covariance, U, ys, diag)(theta, eval_gradient=False)
    assert -value == pytest.approx(gpr.log_marginal_likelihood_value_, rel=1e-10)
    Uq = rng.random((30, N_DIMS))
    mean, std = Posterior(covariance, theta, U, ys, diag).predict(Uq, include_noise=True)
    expected_mean, expected_std = gpr.predict(Uq / hp.scales, return_std=True)  # its std includes the white noise
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(std, expected_std, rtol=1e-8, atol=1e-10)


def test_theta_layout_puts_alpha_before_the_length_scales():
    rq, rbf = Covariance("rq", 4), Covariance("rbf", 4)
    assert (rq.n_theta, rbf.n_theta) == (7, 6)
    theta = np.log([2.0, 3.0, 0.1, 0.2, 0.3, 0.4, 1e-3])
    hp = rq.unpack(theta)
    assert (hp.signal, hp.alpha, hp.noise) == pytest.approx((2.0, 3.0, 1e-3))
    np.testing.assert_allclose(hp.scales, [0.1, 0.2, 0.3, 0.4])
    assert rq.bounds.shape == (7, 2) and np.all(rq.bounds[:, 0] < rq.bounds[:, 1])


def test_squared_differences_match_the_explicit_array_without_building_it():
    U = np.random.default_rng(4).random((7, 3))
    explicit = (U[:, None, :] - U[None, :, :]) ** 2
    diff2 = squared_differences(U)
    weights = np.array([0.5, 2.0, 7.0])
    np.testing.assert_allclose(diff2 @ weights, explicit @ weights, atol=1e-13)
    A = np.random.default_rng(5).standard_normal((7, 7))
    A = A + A.T
    np.testing.assert_allclose(diff2.contract(A), np.tensordot(A, explicit, axes=([0, 1], [0, 1])), atol=1e-12)
    # Nothing of size n * n * d is kept: only U and its square.
    assert all(np.asarray(v).size <= U.size for v in vars(diff2).values())


def test_distances_by_matrix_product_for_many_columns_match_cdist():
    from alchemist.model.kernels import GEMM_DISTANCE_DIMS, scaled_distances

    rng = np.random.default_rng(6)
    A = rng.random((9, GEMM_DISTANCE_DIMS + 40))
    B = np.vstack([A[:3], rng.random((5, A.shape[1]))])  # equal rows give 0, never below
    r2 = scaled_distances(A, B)
    np.testing.assert_allclose(r2, cdist(A, B, "sqeuclidean"), atol=1e-12)
    assert np.all(r2 >= 0.0)
