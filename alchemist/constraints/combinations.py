"""Forbidden combinations of levels: `ForbiddenCombination({"Catalyst": "Pt", "Solvent": "water"})`
excludes every point that takes all of the given levels at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from alchemist.constraints.base import (
    Residual,
    ViolationKind,
    clean_label,
    level_matches,
    level_of,
    lookup,
    plain_level,
    unfrozen,
    variable_names,
)
from alchemist.errors import VariableError
from alchemist.variables import Variable

LEVEL_KINDS = ("categorical", "discrete")


@dataclass(frozen=True)
class ForbiddenCombination:
    """No point may take all of these levels together (categorical levels or discrete values)."""

    levels: Any
    name: str = ""

    kind = "forbidden"

    def __post_init__(self) -> None:
        levels = unfrozen(self.levels)
        if not isinstance(levels, Mapping) or not levels:
            raise VariableError("A forbidden combination must map variable names to levels.")
        names = variable_names(list(levels.keys()), "forbidden combination")
        pairs = tuple(
            (name, plain_level(levels[raw], f"level of '{name}' in a forbidden combination"))
            for raw, name in zip(levels.keys(), names)
        )
        object.__setattr__(self, "levels", pairs)
        object.__setattr__(self, "name", clean_label(self.name))

    @property
    def variables_used(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.levels)

    def resolved(self, variables: Sequence[Variable]) -> list[tuple[Variable, str | float]]:
        """(variable, level in the variable's own type) pairs; raises VariableError."""
        found = lookup(variables, self.variables_used, LEVEL_KINDS, "forbidden combination")
        return [(v, level_of(v, level, "forbidden combination")) for v, (_, level) in zip(found, self.levels)]

    def validate(self, variables: Sequence[Variable]) -> None:
        """Raise VariableError unless every variable exists, has levels, and has the named level."""
        self.resolved(variables)

    def residuals(self, frame: pd.DataFrame, variables: Sequence[Variable]) -> list[Residual]:
        hit = np.ones(len(frame), dtype=bool)
        for variable, level in self.resolved(variables):
            hit &= level_matches(frame, variable, level)
        amount = hit.astype(float)
        return [Residual(ViolationKind.FORBIDDEN, amount, amount)]

    def to_state(self) -> dict:
        return {"kind": self.kind, "levels": {name: level for name, level in self.levels}, "name": self.name}

    @classmethod
    def from_plain(cls, state: dict) -> "ForbiddenCombination":
        return cls(state.get("levels"), state.get("name", ""))
