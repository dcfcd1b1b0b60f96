"""Acquisition functions against values computed by hand (standard normal tables)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alchemist.acquisition import (
    ACQUISITIONS,
    BASIN_RECENT,
    LITTLE_LEFT,
    Reason,
    basin_spent,
    room_to_explore,
    scheduled_acquisition,
    MAX_BETA,
    acquisition_score,
    acquisition_value,
    check_acquisition,
    check_beta,
    expected_improvement,
    log_expected_improvement,
    log_h,
    log_noise_discount,
    probability_of_improvement,
)
from alchemist.errors import ModelError

PHI_0 = 1.0 / math.sqrt(2.0 * math.pi)  # standard normal density at 0


def test_expected_improvement_at_the_incumbent_is_std_times_phi0():
    # mean == best: EI = std * (phi(0) + 0 * Phi(0)) = std / sqrt(2 pi)
    assert expected_improvement([5.0], [2.0], best=5.0, goal="maximize")[0] == pytest.approx(2.0 * PHI_0)


def test_expected_improvement_hand_values_both_goals():
    # z = 1: EI = std * (phi(1) + Phi(1)) with phi(1) = 0.2419707, Phi(1) = 0.8413447
    expected = 0.5 * (0.24197072451914337 + 0.8413447460685429)
    assert expected_improvement([1.5], [0.5], best=1.0, goal="maximize")[0] == pytest.approx(expected)
    assert expected_improvement([0.5], [0.5], best=1.0, goal="minimize")[0] == pytest.approx(expected)
    # z = -1: EI = std * (phi(1) - Phi(-1)) = 0.5 * (0.2419707 - 0.1586553)
    expected = 0.5 * (0.24197072451914337 - 0.15865525393145707)
    assert expected_improvement([0.5], [0.5], best=1.0, goal="maximize")[0] == pytest.approx(expected)


def test_log_ei_does_not_vanish_far_below_the_incumbent():
    z = np.array([-5.0, -20.0, -40.0, -1e5])
    values = log_h(z)
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) < 0)  # still ordered where plain EI is exactly 0
    # Asymptotics: h(z) ~ phi(z) / z^2 for z -> -inf.
    assert values[2] == pytest.approx(-0.5 * 40.0**2 - 0.5 * math.log(2 * math.pi) - 2 * math.log(40.0), rel=1e-3)
    assert expected_improvement([0.0], [1.0], best=40.0, goal="maximize")[0] == 0.0
    assert np.isfinite(log_expected_improvement([0.0], [1.0], best=40.0, goal="maximize")[0])


def test_log_h_is_continuous_across_its_branches():
    z = np.array([-1.0 - 1e-9, -1.0 + 1e-9])
    assert abs(log_h(z)[0] - log_h(z)[1]) < 1e-6
    edge = -1.0 / math.sqrt(np.finfo(float).eps)
    z = np.array([edge * (1 + 1e-9), edge * (1 - 1e-9)])
    assert abs(log_h(z)[0] - log_h(z)[1]) < 1e-3 * abs(log_h(z)[0])


def test_probability_of_improvement_hand_values():
    assert probability_of_improvement([1.0], [1.0], best=1.0, goal="maximize")[0] == pytest.approx(0.5)
    assert probability_of_improvement([2.0], [1.0], best=1.0, goal="maximize")[0] == pytest.approx(0.8413447460685429)
    assert probability_of_improvement([2.0], [1.0], best=1.0, goal="minimize")[0] == pytest.approx(0.15865525393145707)


def test_confidence_bounds_and_pure_strategies():
    mean, std = np.array([1.0, 2.0]), np.array([0.5, 0.1])
    np.testing.assert_allclose(acquisition_value("ucb", mean, std, 0.0, "maximize", beta=2.0), [2.0, 2.2])
    np.testing.assert_allclose(acquisition_value("ucb", mean, std, 0.0, "minimize", beta=3.0), [-0.5, 1.7])
    # Scores are "larger is better": the lower bound is negated when minimising.
    assert np.argmax(acquisition_score("ucb", mean, std, 0.0, "minimize", beta=3.0)) == 0
    np.testing.assert_allclose(acquisition_value("explore", mean, std, 0.0, "maximize"), std)
    assert np.argmax(acquisition_score("exploit", mean, std, 0.0, "maximize")) == 1
    assert np.argmax(acquisition_score("exploit", mean, std, 0.0, "minimize")) == 0


@pytest.mark.parametrize("name", [a for a in ACQUISITIONS if a != "auto"])
@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_score_is_a_monotone_transform_of_value(name, goal):
    rng = np.random.default_rng(1)
    mean, std = rng.normal(size=50), rng.uniform(0.1, 2.0, size=50)
    value = acquisition_value(name, mean, std, 0.3, goal, beta=1.5)
    score = acquisition_score(name, mean, std, 0.3, goal, beta=1.5)
    sign = -1.0 if goal == "minimize" and name in ("ucb", "exploit") else 1.0
    assert np.array_equal(np.argsort(sign * value, kind="stable"), np.argsort(score, kind="stable"))


def test_unknown_names_are_user_errors():
    with pytest.raises(ModelError):
        acquisition_value("nope", [0.0], [1.0], 0.0, "maximize")
    with pytest.raises(ModelError):
        acquisition_value("ei", [0.0], [1.0], 0.0, "sideways")
    for name in ("explore", "exploit"):  # they ignore best and goal, yet a wrong goal is still refused
        with pytest.raises(ModelError):
            acquisition_value(name, [0.0], [1.0], 0.0, "sideways")


@pytest.mark.parametrize("name", [{"ei": 1}, ["ei"], None, 3])
def test_acquisition_names_of_the_wrong_type_are_user_errors(name):
    from alchemist.session import SuggestionSettings

    with pytest.raises(ModelError, match="Unknown acquisition"):
        check_acquisition(name)
    with pytest.raises(ModelError, match="Unknown acquisition"):
        SuggestionSettings(acquisition=name)
    with pytest.raises(ModelError, match="The goal"):
        SuggestionSettings(goal=name)


@pytest.mark.parametrize("beta", [-0.1, MAX_BETA + 1, float("nan"), True, "2"])
def test_beta_has_one_rule(beta):
    from alchemist.session import SuggestionSettings

    with pytest.raises(ModelError, match="beta"):
        check_beta(beta)
    with pytest.raises(ModelError, match="beta"):
        SuggestionSettings(beta=beta)
    assert check_beta(np.float32(2.5)) == 2.5


def test_the_automatic_policy_explores_then_refines_over_a_stated_budget():
    assert scheduled_acquisition("auto", 10, None) == ("ei", Reason.EXPLORE)
    assert scheduled_acquisition("auto", 26, 30) == ("ei", Reason.EXPLORE)
    assert scheduled_acquisition("auto", 27, 30) == ("exploit", Reason.REFINE)  # the last 10%
    assert scheduled_acquisition("auto", 5, 5) == ("exploit", Reason.REFINE)  # past the budget
    assert scheduled_acquisition("auto", 3, 5) == ("ei", Reason.EXPLORE)
    assert scheduled_acquisition("auto", 4, 5) == ("exploit", Reason.REFINE)  # at least one
    assert scheduled_acquisition("ucb", 29, 30) == ("ucb", Reason.CHOSEN)  # a user's choice stays


def test_the_automatic_policy_has_no_value_of_its_own():
    with pytest.raises(ModelError):
        acquisition_value("auto", [0.0], [1.0], 0.0, "maximize")


def test_a_basin_is_spent_when_the_recent_experiments_bunch_at_the_best_and_gain_nothing():
    rng = np.random.default_rng(0)
    spread = rng.random((10, 2))
    ys_spread = -np.sum((spread - 0.3) ** 2, axis=1)
    bunch = 0.3 + 0.004 * rng.standard_normal((BASIN_RECENT, 2))
    U = np.vstack([spread, bunch])
    flat = np.concatenate([ys_spread, np.full(BASIN_RECENT, ys_spread.max() + LITTLE_LEFT / 2)])
    assert basin_spent(U, flat, "maximize")
    assert basin_spent(U, -flat, "minimize")
    # A gain worth having among the recent experiments (LITTLE_LEFT each on average): the basin still gives.
    gaining = flat.copy()
    gaining[-1] += (BASIN_RECENT + 1) * LITTLE_LEFT
    assert not basin_spent(U, gaining, "maximize")
    # Small steps that add up to less than that: refining no longer pays for itself.
    creeping = flat.copy()
    creeping[-BASIN_RECENT:] += np.linspace(0.5, BASIN_RECENT - 1, BASIN_RECENT) * LITTLE_LEFT
    assert basin_spent(U, creeping, "maximize")
    # No gain, but the recent experiments are spread out: that is exploring, not refining.
    assert not basin_spent(np.vstack([bunch, spread]), np.concatenate([np.full(BASIN_RECENT, -1.0), ys_spread]), "maximize")
    # Too few experiments to judge.
    assert not basin_spent(bunch, np.zeros(BASIN_RECENT), "maximize")


def test_a_spent_basin_is_left_only_while_a_good_share_of_a_stated_budget_remains():
    assert room_to_explore(10, None) and room_to_explore(1_000, None)
    assert room_to_explore(20, 30)  # 10 of 30 left
    assert not room_to_explore(21, 30)  # 9 of 30 left: refining the best basin is worth more


def test_on_noisy_results_ei_prefers_a_reading_that_can_still_reveal_something():
    # A: the model already knows the function there to within the noise (std 0.05, noise sd 0.5);
    # B: a little worse on the mean, but uncertain. Plain EI measures A again (0.30 > 0.20);
    # augmented EI discounts A by 1 - 0.5 / sqrt(0.05^2 + 0.25) and B by 1 - 0.5 / sqrt(0.5).
    mean, std = np.array([0.3, 0.0]), np.array([0.05, 0.5])
    plain = acquisition_score("ei", mean, std, 0.0, "maximize")
    assert plain[0] > plain[1]
    noisy = acquisition_score("ei", mean, std, 0.0, "maximize", noise_var=0.25)
    assert noisy[1] > noisy[0]
    np.testing.assert_allclose(np.exp(noisy - plain), 1.0 - 0.5 / np.sqrt(std**2 + 0.25), rtol=1e-12)
    # Without noise nothing changes, and the other acquisitions ignore it.
    np.testing.assert_array_equal(log_noise_discount(std, 0.0), [0.0, 0.0])
    np.testing.assert_array_equal(acquisition_score("ucb", mean, std, 0.0, "maximize", noise_var=0.25), acquisition_score("ucb", mean, std, 0.0, "maximize"))
