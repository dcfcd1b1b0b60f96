"""What a session keeps besides its data: how suggestions are made, and the state of its model.

Small frozen records, saved in session files; kept apart from `alchemist.session` so that the
session module holds only the campaign and its changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class SuggestionSettings:
    """How the next experiments are chosen; kept in the session so they survive save and load."""

    acquisition: str = "auto"  # files written before "auto" existed keep the acquisition they saved
    goal: str = "maximize"
    beta: float = 2.0
    batch_size: int = 1
    seed: int = 0
    budget: int | None = None  # total experiments planned, if stated: schedules the "auto" policy

    def __post_init__(self) -> None:
        from alchemist.acquisition import check_acquisition, check_beta, check_goal
        from alchemist.optimize import MAX_BATCH, MAX_BUDGET
        from alchemist.validation import check_seed, whole_number

        check_acquisition(self.acquisition)
        check_goal(self.goal)
        object.__setattr__(self, "beta", check_beta(self.beta))
        object.__setattr__(self, "batch_size", whole_number(self.batch_size, 1, MAX_BATCH, "number of suggestions"))
        object.__setattr__(self, "seed", check_seed(self.seed))
        if self.budget is not None:
            object.__setattr__(self, "budget", whole_number(self.budget, 1, MAX_BUDGET, "experiment budget"))

    def to_state(self) -> dict:
        state = {
            "acquisition": self.acquisition,
            "goal": self.goal,
            "beta": self.beta,
            "batch_size": self.batch_size,
            "seed": self.seed,
        }
        if self.budget is not None:  # absent when not stated: files stay as they were before budgets
            state["budget"] = self.budget
        return state

    @classmethod
    def from_state(cls, state: Any) -> "SuggestionSettings":
        from alchemist.validation import settings_from_state

        return settings_from_state(cls, state, "suggestion settings")


class ModelState(StrEnum):
    NONE = "none"  # no model trained yet
    TRAINED = "trained"  # trained on exactly the current variables and usable experiments
    STALE = "stale"  # the variables or the usable experiments changed since it was trained


@dataclass(frozen=True)
class ModelStatus:
    state: ModelState
    n_train: int  # experiments the model was given
    n_used: int = 0  # of those, how many the posterior uses (fewer above the exact limit)
