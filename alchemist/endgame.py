"""The noisy endgame: with a stated budget and learned noise, the last experiments repeat the best.

On noisy results the point a user picks is the best reading, and which reading comes out best is
mostly luck among the points whose true values lie within a few noise sds of each other. The
search's last experiments decide which points those are: spread out (expected improvement,
the best mean wherever it wanders) they add more competitors of middling quality; repeated at the
measured point the model trusts most (lowest pessimistic bound: mean plus ENDGAME_BETA posterior
sds when minimising), they make that point the likely winner, and its mean the best known.
"""

from __future__ import annotations

import numpy as np

from alchemist.model import Posterior

# The share of a stated budget spent on the endgame, when the model has learned noise.
ENDGAME_SHARE = 0.3
# Risk aversion of the endgame's choice: measured points are ranked by mean + ENDGAME_BETA * std
# (minimising; mean - ENDGAME_BETA * std maximising), so that a point known from one lucky reading
# loses to one whose mean many readings support.
ENDGAME_BETA = 1.0
ENDGAME_MODE = "replicate"


def in_endgame(noise_var: float, n_done: int, budget: int | None) -> bool:
    """Whether the next experiment (after `n_done` measured or planned) falls in the noisy endgame:
    a stated budget, learned noise (`noise_var` > 0, see alchemist.optimize.discount_noise), and at
    most ENDGAME_SHARE of the budget left."""
    if budget is None or noise_var <= 0:
        return False
    return budget - n_done <= max(1, round(ENDGAME_SHARE * budget))


def endgame_order(posterior: Posterior, U_measured: np.ndarray, goal: str) -> np.ndarray:
    """Indices of the measured points (encoded), best first by the pessimistic bound."""
    mean, std = posterior.predict(U_measured)
    bound = mean - ENDGAME_BETA * std if goal == "maximize" else -(mean + ENDGAME_BETA * std)
    return np.argsort(-bound, kind="stable")


ENDGAME_RADIUS = 0.1


def best_mean_point(posterior: Posterior, U_measured: np.ndarray, goal: str) -> np.ndarray:
    mean = posterior.predict_mean(U_measured)
    return U_measured[int(np.argmax(mean) if goal == "maximize" else np.argmin(mean))].copy()


class Boxed:
    """A score penalised outside a box of half-width ENDGAME_RADIUS around a centre."""

    def __init__(self, score, centre: np.ndarray) -> None:
        self.score, self.centre = score, centre
        self.share = getattr(score, "share", 1.0)

    def __call__(self, U: np.ndarray) -> np.ndarray:
        excess = np.maximum(np.abs(U - self.centre) - ENDGAME_RADIUS, 0.0)
        return self.score(U) - 1e4 * np.sum(excess**2, axis=1) - 1e3 * np.any(excess > 0, axis=1)

AEI_C = 0.0
