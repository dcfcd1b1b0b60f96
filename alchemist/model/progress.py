"""A hyperparameter fit under a time budget, reporting progress and open to cancellation.

The fit (alchemist.model.likelihood.fit_theta) evaluates the likelihood many times. The objective
it is given here is the likelihood wrapped so that every evaluation

* reports a FitProgress to the caller's callback, which may return False to cancel the fit:
  FitCancelled is raised and the caller keeps whatever model it had;
* checks the wall-clock budget (`limits.current().fit_seconds`): once it is spent, the search
  stops and the best hyperparameters evaluated so far are used (by likelihood alone: the priors
  are the fit's business), and the model records that it stopped early.

The check happens between evaluations, so a single evaluation is never interrupted; that is
bounded by the fit's point limit (alchemist.model.gp.MAX_FIT_POINTS).
"""

from __future__ import annotations

from dataclasses import dataclass
from time import monotonic
from typing import Callable, Optional

import numpy as np

from alchemist.errors import ModelError


@dataclass(frozen=True)
class FitProgress:
    """How far a fit is: likelihood evaluations done, seconds spent of the budget, best value so far
    (minus the log marginal likelihood, lower is better; inf before any valid evaluation)."""

    evaluations: int
    elapsed_seconds: float
    budget_seconds: float
    best_value: float

    @property
    def fraction_of_budget(self) -> float:
        """Share of the time budget spent, from 0 to 1 (a fit usually ends well before 1)."""
        return min(1.0, self.elapsed_seconds / self.budget_seconds)


# Called after each evaluation; returning False cancels the fit (None or True carries on).
ProgressCallback = Callable[[FitProgress], Optional[bool]]


class FitCancelled(ModelError):
    """The user cancelled a fit; the model trained before (if any) is unchanged."""


class OutOfTime(Exception):
    """Internal: the fit's time budget is spent (caught by the model, never shown)."""


class BudgetedObjective:
    """The likelihood objective with a clock, a progress callback and the best point seen.

    It has the objective's interface (called with theta and eval_gradient, with a `covariance`
    attribute), so the fit needs no change to be budgeted.
    """

    def __init__(self, objective, budget_seconds: float, progress: ProgressCallback | None = None) -> None:
        self.objective = objective
        self.covariance = objective.covariance
        self.budget_seconds = float(budget_seconds)
        self.progress = progress
        self.started = monotonic()
        self.evaluations = 0
        self.best_value = np.inf
        self.best_theta: np.ndarray | None = None

    def __getattr__(self, name: str):
        # The fit also reads the data the objective holds (ys, diff2, diag) for its leave-one-out check.
        return getattr(self.objective, name)

    def __call__(self, theta: np.ndarray, eval_gradient: bool = True):
        if self.evaluations and monotonic() - self.started > self.budget_seconds:
            raise OutOfTime()
        result = self.objective(theta, eval_gradient=eval_gradient)
        value = float(result[0] if eval_gradient else result)
        self.evaluations += 1
        if np.isfinite(value) and value < self.best_value:
            self.best_value, self.best_theta = value, np.array(theta, dtype=float)
        if self.progress is not None:
            report = FitProgress(self.evaluations, monotonic() - self.started, self.budget_seconds, self.best_value)
            if self.progress(report) is False:
                raise FitCancelled("The training was cancelled; the previous model is kept.")
        return result
