"""The incumbent: the model's best posterior mean at a measured experiment.

One definition for everything that improves on "the best so far" or shows it: the suggestion
search (alchemist.optimize), the landscape's improvement map and "Best by the model" on the
Suggestions page, and the stopping advice (alchemist.analysis.stopping). On noisy data the best
reading is often a lucky one; the model's mean at the measured points discounts that luck, and
with one definition the table, the map and the advice improve on the same value.
"""

from __future__ import annotations

import numpy as np

from alchemist.model.gp import Posterior

# The incumbent is sought among this many best readings: the mean at 10,000 measured points
# against 2,000 training points cost more than the rest of a suggestion (0.8 of 1.3 s CPU), and
# with that many readings the best mean sits at or beside one of the best readings.
INCUMBENT_ROWS = 1_000


def best_mean_row(posterior: Posterior, U: np.ndarray, y: np.ndarray, goal: str) -> tuple[int, float]:
    """The row of U (encoded measured points, readings y) with the best posterior mean, and that
    mean in the posterior's (standardised) units; `goal` is "maximize" or "minimize"."""
    sign = 1.0 if goal == "maximize" else -1.0
    rows = np.argsort(-sign * np.asarray(y, dtype=float), kind="stable")[:INCUMBENT_ROWS]
    means = posterior.predict_mean(np.atleast_2d(U)[rows])
    best = int(np.argmax(sign * means))
    return int(rows[best]), float(means[best])
