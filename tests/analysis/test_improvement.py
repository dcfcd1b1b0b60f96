"""Improvement figures through the model's output transform, against closed forms and sampling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

from alchemist.acquisition import expected_improvement as closed_form_ei
from alchemist.analysis.improvement import expected_improvement, improvement_z, limits_for
from alchemist.model.output_transform import OutputTransform

WIDE = (-1e6, 1e6)


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_without_a_warp_the_figures_are_the_normal_ones(goal):
    identity = OutputTransform()
    mean = np.linspace(-3.0, 3.0, 41)
    std = np.full_like(mean, 0.7)
    z = improvement_z(identity, mean, std, 0.5, goal, 0.2, WIDE)
    expected_z = (mean - 0.7) / 0.7 if goal == "maximize" else (0.3 - mean) / 0.7
    np.testing.assert_allclose(z, expected_z, rtol=1e-12, atol=1e-12)
    ei = expected_improvement(identity, mean, std, 0.5, goal, WIDE)
    exact = closed_form_ei(mean, std, 0.5, goal)
    visible = exact > 1e-3 * 0.7
    np.testing.assert_allclose(ei[visible], exact[visible], rtol=1e-3)


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_with_a_warp_the_figures_match_sampling(goal):
    rng = np.random.default_rng(0)
    y = np.exp(rng.normal(0.0, 1.0, 40))  # right-skewed results
    transform = OutputTransform.fit(y)
    assert transform.lam != 1.0
    # In model units: the first prediction is centred in the compressed tail (the pivot is at
    # 1.29), the second in the linear part and reaches into the tail.
    mean_s, std_s = np.array([1.5, 0.3]), np.array([1.0, 1.0])
    # What GPModel.predict returns for that model-unit normal.
    mean = transform.inverse(mean_s)
    std = std_s * transform.inverse_derivative(mean_s)
    incumbent, margin = float(np.median(y)), 0.3
    limits = limits_for(y)
    z = improvement_z(transform, mean, std, incumbent, goal, margin, limits)
    ei = expected_improvement(transform, mean, std, incumbent, goal, limits)
    draws = np.clip(transform.inverse(mean_s + std_s * rng.standard_normal((200_000, 2))), *limits)
    gain = draws - incumbent if goal == "maximize" else incumbent - draws
    np.testing.assert_allclose(ndtr(z), np.mean(gain > margin, axis=0), atol=5e-3)
    np.testing.assert_allclose(ei, np.mean(np.maximum(gain, 0.0), axis=0), rtol=2e-2)
    # The delta-method normal in result units would give other numbers: the warp matters here.
    naive = (mean - incumbent - margin) / std if goal == "maximize" else (incumbent - margin - mean) / std
    assert np.max(np.abs(ndtr(naive) - ndtr(z))) > 0.02


def test_a_prediction_past_the_transforms_range_is_taken_at_the_limit():
    y = np.array([0.0, 1.0, 2.0, 100.0])
    limits = limits_for(y)
    assert limits == (-100.0, 200.0)
    transform = OutputTransform.fit(np.concatenate([y, [0.5, 1.5, 3.0]]))
    mean, std = np.array([1e172]), np.array([2e301])
    assert ndtr(improvement_z(transform, mean, std, 0.0, "minimize", 0.1, limits))[0] == 0.0
    assert expected_improvement(transform, mean, std, 0.0, "minimize", limits)[0] == 0.0
    assert ndtr(improvement_z(transform, mean, std, 100.0, "maximize", 0.1, limits))[0] == 1.0
    assert expected_improvement(transform, mean, std, 100.0, "maximize", limits)[0] == pytest.approx(100.0)
