"""The scoring of benchmarks.optimization (benchmarks.scoring), so that its figures mean what its docstring says."""

import numpy as np
import pytest

from benchmarks.scoring import expected_regret
from benchmarks.problems import PROBLEMS


def test_expected_regret_averages_the_luck_of_the_best_reading_away() -> None:
    noisy, clean = PROBLEMS["branin_noisy"], PROBLEMS["branin"]
    sd, optimum = noisy.noise_sd, noisy.optimum
    assert expected_regret(clean, np.array([5.0, 1.0, 3.0]), seed=0) == pytest.approx(1.0 - clean.optimum)
    # Far apart next to the noise: the better point is picked on every draw.
    far = np.array([optimum + 1.0, optimum + 1.0 + 20 * sd])
    assert expected_regret(noisy, far, seed=0) == pytest.approx(1.0)
    # One noise sd apart: the worse point wins some draws (P = 0.24 for a gap of 1 sd over sqrt(2) sd).
    near = np.array([optimum, optimum + sd])
    assert 0.15 * sd < expected_regret(noisy, near, seed=0) < 0.35 * sd
    assert expected_regret(noisy, near, seed=0) == expected_regret(noisy, near, seed=0)  # the same draws for everyone
