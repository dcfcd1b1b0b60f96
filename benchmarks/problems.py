"""Benchmark problems (all minimisation), as defined in the project's optimisation notes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from alchemist.variables import CategoricalVariable, ContinuousVariable, Variable


def branin(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    b, c, r, s, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * np.cos(x1) + s


_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]])
_H6_A = np.array([
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
])
_H6_P = 1e-4 * np.array([
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
])


def hartmann(X: np.ndarray, A: np.ndarray, P: np.ndarray) -> np.ndarray:
    X = np.atleast_2d(X)
    inner = np.sum(A[None, :, :] * (X[:, None, :] - P[None, :, :]) ** 2, axis=2)
    return -np.sum(_H_ALPHA[None, :] * np.exp(-inner), axis=1)


@dataclass(frozen=True)
class Problem:
    name: str
    variables: tuple[Variable, ...]
    function: Callable[[pd.DataFrame], np.ndarray]  # rows of variable values -> outputs
    optimum: float
    budget: int
    n_initial: int
    # Gaussian measurement noise (sd, in the output's units); 0 for a noise-free problem. Noisy
    # problems are scored by the true (noise-free) `function` at the point a user would pick.
    noise_sd: float = 0.0

    def measure(self, X: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """What a lab would read: the true value plus this problem's noise."""
        y = self.function(X)
        return y + self.noise_sd * rng.standard_normal(len(y)) if self.noise_sd > 0 else y


def _branin_rows(X: pd.DataFrame) -> np.ndarray:
    return branin(X["x1"].to_numpy(float), X["x2"].to_numpy(float))


def _mixed_rows(X: pd.DataFrame) -> np.ndarray:
    x1, x2 = X["x1"].to_numpy(float), X["x2"].to_numpy(float)
    c = X["c"].astype(str).to_numpy()
    return np.where(
        c == "0", branin(x1, x2) + 1.0,
        np.where(c == "1", 0.5 * branin(x1, 15.0 - x2), 2.0 * branin(5.0 - x1, x2) - 0.5),
    )


def _columns(d: int) -> list[str]:
    return [f"x{i + 1}" for i in range(d)]


def _hartmann_rows(A: np.ndarray, P: np.ndarray) -> Callable[[pd.DataFrame], np.ndarray]:
    return lambda X: hartmann(X[_columns(A.shape[1])].to_numpy(float), A, P)


# Noise of the noisy problems: a share of each function's output range over its domain
# (Branin about 0.40 to 308, Hartmann-3 about -3.86 to 0).
NOISE_SHARE = 0.02
BRANIN_RANGE = 308.1 - 0.398
HARTMANN3_RANGE = 3.863

_BRANIN_VARS = (ContinuousVariable("x1", low=-5.0, high=10.0), ContinuousVariable("x2", low=0.0, high=15.0))

PROBLEMS: dict[str, Problem] = {
    "branin": Problem("branin", _BRANIN_VARS, _branin_rows, 0.397887357729738, 30, 5),
    "hartmann3": Problem(
        "hartmann3", tuple(ContinuousVariable(n, low=0.0, high=1.0) for n in _columns(3)),
        _hartmann_rows(_H3_A, _H3_P), -3.86278214782076, 40, 8,
    ),
    "hartmann6": Problem(
        "hartmann6", tuple(ContinuousVariable(n, low=0.0, high=1.0) for n in _columns(6)),
        _hartmann_rows(_H6_A, _H6_P), -3.32236801141551, 60, 12,
    ),
    "mixed_branin": Problem(
        "mixed_branin", _BRANIN_VARS + (CategoricalVariable("c", levels=("0", "1", "2")),),
        _mixed_rows, 0.198943678864869, 40, 8,
    ),
    "branin_noisy": Problem(
        "branin_noisy", _BRANIN_VARS, _branin_rows, 0.397887357729738, 30, 5, NOISE_SHARE * BRANIN_RANGE,
    ),
    "hartmann3_noisy": Problem(
        "hartmann3_noisy", tuple(ContinuousVariable(n, low=0.0, high=1.0) for n in _columns(3)),
        _hartmann_rows(_H3_A, _H3_P), -3.86278214782076, 40, 8, NOISE_SHARE * HARTMANN3_RANGE,
    ),
}
