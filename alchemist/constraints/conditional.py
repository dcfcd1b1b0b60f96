"""Conditional rules: "if Catalyst = none then Loading = 0", or "... then Loading from 0 to 1".

The condition is a level of a categorical or discrete variable; the consequence fixes another
numeric variable to a value or a range within its bounds. Where the condition does not hold,
the rule says nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from alchemist.constraints.base import FEASIBILITY_TOL, Residual, ViolationKind, clean_label, column_values
from alchemist.constraints.base import finite, level_matches, level_of, lookup, plain_level
from alchemist.errors import VariableError
from alchemist.variables import Variable, format_number

CONDITION_KINDS = ("categorical", "discrete")
CONSEQUENCE_KINDS = ("continuous", "integer", "discrete")


@dataclass(frozen=True)
class ConditionalRule:
    """If `if_variable` takes `if_level`, then `then_variable` lies in [then_low, then_high].

    Give `then_low` alone for a fixed value (then_high defaults to it).
    """

    if_variable: str
    if_level: Any
    then_variable: str
    then_low: float
    then_high: float | None = None
    name: str = ""

    kind = "conditional"

    def __post_init__(self) -> None:
        for field_name in ("if_variable", "then_variable"):
            value = getattr(self, field_name)
            if not isinstance(value, str) or not value.strip():
                raise VariableError("A conditional rule must name its variables.")
            object.__setattr__(self, field_name, value.strip())
        if self.if_variable == self.then_variable:
            raise VariableError("A conditional rule must link two different variables.")
        object.__setattr__(self, "if_level", plain_level(self.if_level, "level of a conditional rule"))
        low = finite(self.then_low, "value of a conditional rule")
        high = low if self.then_high is None else finite(self.then_high, "upper value of a conditional rule")
        if low > high:
            raise VariableError("A conditional rule's range must run from a lower to a higher value.")
        object.__setattr__(self, "then_low", low)
        object.__setattr__(self, "then_high", high)
        object.__setattr__(self, "name", clean_label(self.name))

    @property
    def variables_used(self) -> tuple[str, ...]:
        return (self.if_variable, self.then_variable)

    def resolved(self, variables: Sequence[Variable]) -> tuple[Variable, str | float, Variable]:
        (condition,) = lookup(variables, [self.if_variable], CONDITION_KINDS, "conditional rule")
        (target,) = lookup(variables, [self.then_variable], CONSEQUENCE_KINDS, "conditional rule")
        return condition, level_of(condition, self.if_level, "conditional rule"), target

    def allowed_values(self, target: Variable) -> list[float] | None:
        """The values of an integer or discrete target within the range (None: continuous)."""
        if target.kind == "integer":
            return [float(v) for v in range(math.ceil(self.then_low), math.floor(self.then_high) + 1)]
        if target.kind == "discrete":
            return [v for v in target.values if self.then_low <= v <= self.then_high]
        return None

    def validate(self, variables: Sequence[Variable]) -> None:
        """Raise VariableError unless the variables exist with suitable kinds, the level exists
        and the range lies within the target's bounds and holds at least one allowed value."""
        _, _, target = self.resolved(variables)
        slack = FEASIBILITY_TOL * (target.high - target.low)
        if self.then_low < target.low - slack or self.then_high > target.high + slack:
            raise VariableError(
                f"A conditional rule sets '{target.name}' outside its range {format_number(target.low)} "
                f"to {format_number(target.high)}."
            )
        allowed = self.allowed_values(target)
        if allowed is not None and not allowed:
            raise VariableError(f"A conditional rule leaves '{target.name}' no allowed value.")

    def residuals(self, frame: pd.DataFrame, variables: Sequence[Variable]) -> list[Residual]:
        condition, level, target = self.resolved(variables)
        applies = level_matches(frame, condition, level)
        values = column_values(frame, target.name)
        outside = np.maximum(self.then_low - values, values - self.then_high)
        amount = np.where(applies & np.isfinite(outside), np.maximum(outside, 0.0), 0.0)
        return [Residual(ViolationKind.CONDITIONAL, amount, amount / (target.high - target.low))]

    def to_state(self) -> dict:
        return {
            "kind": self.kind,
            "if_variable": self.if_variable,
            "if_level": self.if_level,
            "then_variable": self.then_variable,
            "then_low": self.then_low,
            "then_high": self.then_high,
            "name": self.name,
        }

    @classmethod
    def from_plain(cls, state: dict) -> "ConditionalRule":
        return cls(
            state.get("if_variable"), state.get("if_level"), state.get("then_variable"),
            state.get("then_low"), state.get("then_high"), state.get("name", ""),
        )
