"""Hypervolume and its improvements against brute force; EHVI against Monte Carlo."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from alchemist.objectives import (
    Objective,
    expected_hypervolume_improvement,
    greedy_batch,
    hypervolume,
    hypervolume_improvement,
    log_expected_hypervolume_improvement,
    probability_of_feasibility,
)

DIRECTIONS = ["maximize", "minimize", "maximize", "minimize"]


def inclusion_exclusion(Y, reference, directions):
    """The volume of the union of boxes [reference, y], by inclusion-exclusion (small sets)."""
    signs = np.array([1.0 if d == "maximize" else -1.0 for d in directions])
    Z, r = Y * signs, reference * signs
    Z = Z[np.all(Z > r, axis=1)]
    total = 0.0
    for size in range(1, len(Z) + 1):
        for subset in itertools.combinations(range(len(Z)), size):
            total += (-1) ** (size + 1) * np.prod(Z[list(subset)].min(axis=0) - r)
    return total


def random_set(rng, n, m):
    directions = DIRECTIONS[:m]
    Y = rng.random((n, m))
    reference = np.array([0.0 if d == "maximize" else 1.0 for d in directions])
    return Y, reference, directions


@pytest.mark.parametrize("m", [2, 3])
def test_exact_hypervolume_matches_inclusion_exclusion(m):
    rng = np.random.default_rng(m)
    for n in (1, 2, 5, 9):
        Y, reference, directions = random_set(rng, n, m)
        assert hypervolume(Y, reference, directions) == pytest.approx(inclusion_exclusion(Y, reference, directions), rel=1e-12)


def test_four_objectives_by_monte_carlo_are_within_their_standard_error_and_seeded():
    rng = np.random.default_rng(4)
    Y, reference, directions = random_set(rng, 8, 4)
    truth = inclusion_exclusion(Y, reference, directions)
    estimate = hypervolume(Y, reference, directions, samples=2**17, seed=1)
    box = np.prod(np.abs(np.max(Y * [1, -1, 1, -1], axis=0) - reference * [1, -1, 1, -1]))
    share = truth / box
    assert abs(estimate - truth) < 4 * box * np.sqrt(share * (1 - share) / 2**17)
    assert hypervolume(Y, reference, directions, samples=2**17, seed=1) == estimate


def test_points_that_do_not_beat_the_reference_add_nothing():
    reference = np.array([0.0, 0.0])
    assert hypervolume(np.array([[-1.0, 5.0], [2.0, 0.0]]), reference, ["maximize", "maximize"]) == 0.0
    assert hypervolume(np.array([[2.0, 3.0], [1.0, 1.0]]), reference, ["maximize", "maximize"]) == 6.0


@pytest.mark.parametrize("m", [2, 3, 4])
def test_the_improvement_of_a_point_is_the_difference_of_volumes(m):
    rng = np.random.default_rng(10 + m)
    Y, reference, directions = random_set(rng, 6, m)
    points = rng.random((40, m))
    improvement = hypervolume_improvement(points, Y, reference, directions)
    volume = inclusion_exclusion if m == 4 else hypervolume
    before = volume(Y, reference, directions)
    expected = [volume(np.vstack([Y, p]), reference, directions) - before for p in points]
    assert improvement == pytest.approx(expected, abs=1e-12)
    assert (improvement > 0).any() and (improvement == 0).any()


@pytest.mark.parametrize("m", [2, 3])
def test_ehvi_matches_monte_carlo_of_the_same_quantity(m):
    rng = np.random.default_rng(20 + m)
    Y, reference, directions = random_set(rng, 7, m)
    mean = rng.random((4, m))
    std = rng.uniform(0.02, 0.3, (4, m))
    ehvi = expected_hypervolume_improvement(mean, std, Y, reference, directions)
    samples = 50_000
    for i in range(len(mean)):
        draws = mean[i] + std[i] * rng.standard_normal((samples, m))
        hvi = hypervolume_improvement(draws, Y, reference, directions)
        # A far tail (EHVI ~1e-8) may see no sample at all: hence the small absolute slack.
        assert abs(ehvi[i] - hvi.mean()) < 4 * hvi.std() / np.sqrt(samples) + 1e-6
    assert ehvi.max() > 1e-3


def test_with_no_uncertainty_ehvi_is_the_improvement_and_pending_points_lower_it():
    rng = np.random.default_rng(30)
    Y, reference, directions = random_set(rng, 5, 2)
    mean = rng.random((10, 2))
    exact = hypervolume_improvement(mean, Y, reference, directions)
    assert expected_hypervolume_improvement(mean, np.zeros_like(mean), Y, reference, directions) == pytest.approx(exact)
    std = np.full_like(mean, 0.1)
    plain = expected_hypervolume_improvement(mean, std, Y, reference, directions)
    best = int(np.argmax(plain))
    pending = expected_hypervolume_improvement(mean, std, Y, reference, directions, pending=mean[best:best + 1])
    assert np.all(pending <= plain + 1e-15) and pending[best] < 0.5 * plain[best]


def test_a_greedy_batch_spreads_out_instead_of_repeating_a_point():
    Y = np.array([[0.2, 0.8], [0.8, 0.2]])
    reference = np.zeros(2)
    # Two near-copies of one promising point and a point in another gap of the front.
    mean = np.array([[0.6, 0.6], [0.6, 0.6001], [0.9, 0.1], [0.1, 0.1]])
    std = np.full_like(mean, 1e-3)
    first, second = greedy_batch(mean, std, Y, reference, ["maximize", "maximize"], 2)
    assert first in (0, 1) and second == 2
    assert greedy_batch(mean[3:], std[3:], Y, reference, ["maximize", "maximize"], 2) == []


def test_probability_of_feasibility_is_the_product_of_normal_probabilities():
    objectives = [Objective("Yield", "maximize"), Objective("Purity", None, at_least=0.95),
                  Objective("pH", None, at_least=6, at_most=8)]
    mean = np.array([[50.0, 0.95, 7.0], [50.0, 0.97, 9.0]])
    std = np.array([[5.0, 0.01, 1.0], [5.0, 0.01, 0.5]])
    from scipy.stats import norm

    expected = [0.5 * (norm.cdf(1) - norm.cdf(-1)), norm.cdf(2) * (norm.cdf(-2) - norm.cdf(-6))]
    assert probability_of_feasibility(mean, std, objectives) == pytest.approx(expected, rel=1e-9)
    draws = mean[1] + std[1] * np.random.default_rng(0).standard_normal((400_000, 3))
    share = np.mean((draws[:, 1] >= 0.95) & (draws[:, 2] >= 6) & (draws[:, 2] <= 8))
    assert probability_of_feasibility(mean, std, objectives)[1] == pytest.approx(share, abs=5e-4)


@pytest.mark.parametrize("m", [2, 3])
def test_log_ehvi_agrees_where_ehvi_is_representable_and_still_ranks_where_it_underflows(m):
    rng = np.random.default_rng(40 + m)
    Y, reference, directions = random_set(rng, 6, m)
    mean, std = rng.random((20, m)), rng.uniform(0.01, 0.3, (20, m))
    log_value = log_expected_hypervolume_improvement(mean, std, Y, reference, directions)
    plain = expected_hypervolume_improvement(mean, std, Y, reference, directions)
    assert np.exp(log_value) == pytest.approx(plain, rel=1e-8, abs=1e-300)
    # Far below the reference EHVI is exactly 0, but the log still says which point is closer.
    signs = np.array([1.0 if d == "maximize" else -1.0 for d in directions])
    far = reference - signs * np.array([[4.0], [6.0]])
    assert expected_hypervolume_improvement(far, np.full_like(far, 0.1), Y, reference, directions).tolist() == [0.0, 0.0]
    log_far = log_expected_hypervolume_improvement(far, np.full_like(far, 0.1), Y, reference, directions)
    assert np.all(np.isfinite(log_far)) and log_far[0] > log_far[1]
