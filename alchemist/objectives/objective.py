"""Objectives: result columns to maximise or minimise, with optional limits.

`Objective("Yield", "maximize")` is optimised; `Objective("Purity", "maximize", at_least=0.95)`
is optimised and must also reach 0.95; `Objective("Purity", at_least=0.95)` (no direction) is
an outcome constraint only. Internally every optimised objective is turned into one to
maximise by its sign (+1 or -1), so that the Pareto and hypervolume code has one convention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from alchemist.errors import ModelError, SessionFileError

DIRECTIONS = ("maximize", "minimize")
MAX_OBJECTIVES = 8
MAX_NAME_LENGTH = 100
# Default hypervolume reference: this share of the observed range beyond the worst value.
REFERENCE_MARGIN = 0.1


class ObjectiveError(ModelError):
    """An objective or a rule over objectives is not valid (unknown column, bad limit, ...)."""


def finite_limit(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
        raise ObjectiveError(f"The {what} must be a finite number.")
    return float(value)


@dataclass(frozen=True)
class Objective:
    """A result column with a direction (or None: a limit only) and optional limits."""

    name: str
    direction: str | None = "maximize"
    at_least: float | None = None
    at_most: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ObjectiveError("An objective needs the name of a result column.")
        if len(self.name.strip()) > MAX_NAME_LENGTH:
            raise ObjectiveError(f"An objective's name is longer than {MAX_NAME_LENGTH} characters.")
        object.__setattr__(self, "name", self.name.strip())
        if self.direction is not None and self.direction not in DIRECTIONS:
            raise ObjectiveError(f"The direction of '{self.name}' must be 'maximize' or 'minimize'.")
        low = finite_limit(self.at_least, f"lower limit of '{self.name}'")
        high = finite_limit(self.at_most, f"upper limit of '{self.name}'")
        if low is not None and high is not None and low > high:
            raise ObjectiveError(f"The lower limit of '{self.name}' is above its upper limit.")
        if self.direction is None and low is None and high is None:
            raise ObjectiveError(f"'{self.name}' needs a direction, a limit, or both.")
        object.__setattr__(self, "at_least", low)
        object.__setattr__(self, "at_most", high)

    @property
    def is_optimized(self) -> bool:
        return self.direction is not None

    @property
    def is_limited(self) -> bool:
        """Does it carry an outcome constraint?"""
        return self.at_least is not None or self.at_most is not None

    @property
    def sign(self) -> float:
        """+1 to maximise, -1 to minimise (0 for a limit-only column)."""
        return {"maximize": 1.0, "minimize": -1.0, None: 0.0}[self.direction]

    @property
    def threshold(self) -> float | None:
        """The limit on the worse side (at_least when maximising, at_most when minimising): the
        natural hypervolume reference for this objective."""
        if self.direction == "maximize":
            return self.at_least
        if self.direction == "minimize":
            return self.at_most
        return None

    def to_state(self) -> dict:
        return {"name": self.name, "direction": self.direction, "at_least": self.at_least, "at_most": self.at_most}

    @classmethod
    def from_state(cls, state: Any) -> "Objective":
        if not isinstance(state, dict):
            raise SessionFileError("A saved objective is not a mapping.")
        try:
            return cls(state.get("name"), state.get("direction"), state.get("at_least"), state.get("at_most"))
        except ModelError as error:
            raise SessionFileError(f"A saved objective is not valid: {error.message}") from None


def check_objectives(objectives: Sequence[Objective]) -> None:
    """Raise ObjectiveError unless the names are distinct, there are not too many, and at
    least one objective is optimised."""
    if not objectives or not all(isinstance(o, Objective) for o in objectives):
        raise ObjectiveError("Give at least one objective.")
    if len(objectives) > MAX_OBJECTIVES:
        raise ObjectiveError(f"At most {MAX_OBJECTIVES} result columns can be objectives.")
    names = [o.name.casefold() for o in objectives]
    if len(set(names)) != len(names):
        raise ObjectiveError("Each result column can be an objective only once.")
    if not any(o.is_optimized for o in objectives):
        raise ObjectiveError("At least one objective needs a direction (maximize or minimize).")


def objectives_from_state(state: Any) -> list[Objective]:
    if not isinstance(state, list):
        raise SessionFileError("The saved objectives are not a list.")
    objectives = [Objective.from_state(item) for item in state]
    try:
        check_objectives(objectives)
    except ModelError as error:
        raise SessionFileError(f"The saved objectives are not valid: {error.message}") from None
    return objectives


def signs(directions: Sequence[str]) -> np.ndarray:
    """+1 / -1 per objective from "maximize" / "minimize"."""
    out = []
    for direction in directions:
        if direction not in DIRECTIONS:
            raise ObjectiveError("Each direction must be 'maximize' or 'minimize'.")
        out.append(1.0 if direction == "maximize" else -1.0)
    return np.array(out)


def as_maximization(Y: Any, directions: Sequence[str]) -> np.ndarray:
    """Values (n, m) turned so that larger is better in every column."""
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    s = signs(directions)
    if Y.shape[1] != len(s):
        raise ObjectiveError(f"The values have {Y.shape[1]} columns for {len(s)} directions.")
    return Y * s


def default_reference(Y: Any, objectives: Sequence[Objective]) -> np.ndarray:
    """A hypervolume reference point (target units) for the optimised objectives, in their order.

    An objective's `threshold` when it has one, otherwise its worst finite value in Y minus
    REFERENCE_MARGIN of its range (so that the worst points still add volume). Y has one column
    per optimised objective.
    """
    optimized = [o for o in objectives if o.is_optimized]
    Z = as_maximization(Y, [o.direction for o in optimized])
    reference = []
    for j, objective in enumerate(optimized):
        if objective.threshold is not None:
            reference.append(objective.threshold)
            continue
        column = Z[:, j][np.isfinite(Z[:, j])]
        if not len(column):
            raise ObjectiveError(f"'{objective.name}' has no finite value to set a reference from.")
        span = float(np.ptp(column)) or max(abs(float(column[0])), 1.0)
        reference.append(objective.sign * (float(column.min()) - REFERENCE_MARGIN * span))
    return np.array(reference)
