"""How benchmarks.optimization scores a run: near-duplicate suggestions, the row a user would pick
by the model, and the expected regret of the best reading over fresh noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.problems import Problem

NEAR_DUPLICATE = 1e-3  # as alchemist.optimize.NEAR_DUPLICATE, restated: the benchmark judges it
# Fresh noise draws per run for the expected regret of the best reading, and their stream (any
# number other than the measurement noise's keeps the two independent).
NOISE_REDRAWS = 4_000
REDRAW_STREAM = 7


def near_duplicates(problem: Problem, X: pd.DataFrame) -> int:
    """Suggestions (rows after the initial design) within NEAR_DUPLICATE of an earlier row."""
    from alchemist.encoding import Encoder

    U = Encoder(problem.variables).encode(X[[v.name for v in problem.variables]])
    count = 0
    for i in range(problem.n_initial, len(U)):
        if np.any(np.max(np.abs(U[:i] - U[i]), axis=1) < NEAR_DUPLICATE):
            count += 1
    return count


def pick_by_mean(problem: Problem, X: pd.DataFrame, y: np.ndarray, seed: int) -> int:
    """The row a user would pick by the model: the lowest posterior mean at a measured point."""
    from alchemist.model import GPModel, ModelSettings

    model = GPModel(problem.variables, ModelSettings(seed=seed)).fit(X, y)
    return int(np.argmin(model.predict(X)[0]))


def expected_regret(problem: Problem, truth: np.ndarray, seed: int) -> float:
    """The regret of the best reading averaged over NOISE_REDRAWS fresh noise draws on the run's points.

    Which reading comes out best on a noisy problem is mostly luck: an early point with a lucky draw
    decides the run's score whatever the optimiser did next. Re-drawing the noise keeps the points the
    optimiser chose and averages the luck away. The draws depend on the seed only, so every optimiser
    is scored with the same ones."""
    if problem.noise_sd <= 0:
        return float(truth.min() - problem.optimum)
    rng = np.random.default_rng([seed, REDRAW_STREAM])
    readings = truth + problem.noise_sd * rng.standard_normal((NOISE_REDRAWS, len(truth)))
    return float(truth[np.argmin(readings, axis=1)].mean() - problem.optimum)
