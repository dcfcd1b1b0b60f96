"""Shared by the GP model tests: Branin on two continuous variables, and mixed data on all four kinds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from alchemist.design import initial_design
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable

BRANIN_VARS = [ContinuousVariable("x1", low=-5.0, high=10.0), ContinuousVariable("x2", low=0.0, high=15.0)]
MIXED_VARS = [
    ContinuousVariable("T", unit="°C", low=20.0, high=80.0),
    IntegerVariable("n", low=1, high=5),
    CategoricalVariable("solvent", levels=("water", "ethanol", "DMSO")),
    DiscreteVariable("p", unit="bar", values=(0.1, 0.5, 2.0)),
]


def branin(X: pd.DataFrame) -> np.ndarray:
    x1, x2 = X["x1"].to_numpy(), X["x2"].to_numpy()
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * np.cos(x1) + 10


def mixed_data(n: int = 14, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    X = initial_design(MIXED_VARS, n, method="lhs", seed=seed)
    level = X["solvent"].map({"water": 0.0, "ethanol": 1.5, "DMSO": -1.0}).to_numpy()
    y = np.sin(X["T"].to_numpy() / 12.0) + 0.3 * X["n"].to_numpy() + level + X["p"].to_numpy()
    return X, y
