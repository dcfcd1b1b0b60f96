"""Find where a function of the model's prediction is largest over every allowed point.

The analyses ask "what is the most any single new experiment could give?" (a probability, an
expected improvement). The answer is a maximum over the whole space, found in two steps:

1. A scrambled Sobol set with one coordinate per variable, mapped to allowed values exactly as
   the initial designs are (alchemist.design.from_unit): every level of a categorical variable,
   every integer and every discrete value gets an equal share, so mixed spaces are covered too.
   The measured points are added, because the best point is often next to one of them.
2. A local refinement of the best few: a shrinking-radius random search around each, over the
   numeric columns with the levels held fixed, keeping a move only when it scores better. It needs
   no gradient (so any score works) and its cost is a fixed number of predictions.

The work is bounded: N_CANDIDATES + the measured points, then N_STARTS x len(RADII) x
N_PER_RADIUS predictions per score (see `SpaceSearch.max_predictions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from alchemist.analysis.model_access import predict_in_chunks
from alchemist.design import from_unit, unit_sample
from alchemist.model import GPModel

N_CANDIDATES = 1024  # quasi-random points over the space (a power of two keeps Sobol balanced)
N_STARTS = 4  # best candidates refined locally, per score
RADII = (0.1, 0.03, 0.01, 0.003)  # unit-cube sds of the local steps, coarse to fine
N_PER_RADIUS = 32  # local steps tried per start and radius

# A score maps (mean, std) arrays in the result's units to an array where larger is better.
Score = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Best:
    """The best point found for one score: encoded, the score and the prediction there."""

    point: np.ndarray
    score: float
    mean: float
    std: float


class SpaceSearch:
    """Candidates predicted once, then refined separately for each score asked for."""

    def __init__(self, model: GPModel, seed: int | None = 0, extra: np.ndarray | None = None) -> None:
        encoder = model.encoder
        self.model = model
        self.rng = np.random.default_rng(seed)
        T = unit_sample(N_CANDIDATES, len(encoder.variables), "sobol", seed)
        candidates = encoder.encode(from_unit(encoder.variables, T))
        if extra is not None and len(extra):
            candidates = np.vstack([candidates, encoder.snap(extra)])
        self.candidates = candidates
        self.mean, self.std = predict_in_chunks(model, candidates)
        self.predictions = len(candidates)

    @staticmethod
    def max_predictions(n_extra: int, n_scores: int) -> int:
        """The most predictions a search over `n_extra` measured points and `n_scores` scores makes."""
        return N_CANDIDATES + n_extra + n_scores * N_STARTS * len(RADII) * N_PER_RADIUS

    def maximize(self, score: Score) -> Best:
        values = _finite(score(self.mean, self.std))
        order = np.argsort(-values, kind="stable")[:N_STARTS]
        best_index = int(order[0])
        best = Best(self.candidates[best_index], float(values[best_index]),
                    float(self.mean[best_index]), float(self.std[best_index]))
        for index in order:
            found = self._refine(score, self.candidates[index], float(values[index]),
                                 float(self.mean[index]), float(self.std[index]))
            if found.score > best.score:
                best = found
        return best

    def _refine(self, score: Score, point: np.ndarray, value: float, mean: float, std: float) -> Best:
        encoder = self.model.encoder
        numeric = encoder.numeric_dims
        current = Best(point, value, mean, std)
        if len(numeric) == 0:
            return current
        for radius in RADII:
            steps = np.tile(current.point, (N_PER_RADIUS, 1))
            steps[:, numeric] += radius * self.rng.standard_normal((N_PER_RADIUS, len(numeric)))
            steps = encoder.snap(steps)
            step_mean, step_std = predict_in_chunks(self.model, steps)
            self.predictions += len(steps)
            step_values = _finite(score(step_mean, step_std))
            top = int(np.argmax(step_values))
            if step_values[top] > current.score:
                current = Best(steps[top], float(step_values[top]), float(step_mean[top]), float(step_std[top]))
        return current

    def decode(self, point: np.ndarray) -> dict[str, object]:
        """An encoded point as {variable name: allowed value}."""
        row = self.model.encoder.decode(point[None, :]).iloc[0]
        return {name: _plain(row[name]) for name in self.model.encoder.names}


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.where(np.isfinite(values), values, -np.inf)


def _plain(value: object) -> object:
    """numpy scalars as Python numbers, so that records compare and serialise simply."""
    return value.item() if isinstance(value, np.generic) else value


def encode_rows(model: GPModel, X: pd.DataFrame) -> np.ndarray:
    """Measured rows on the unit cube (empty when there are none)."""
    if len(X) == 0:
        return np.empty((0, model.encoder.n_dims))
    return model.encoder.encode(X)
