"""Linear inequalities and equalities over continuous and integer variables, in their own units:
`LinearConstraint({"Temperature": 1, "Residence Time": 2}, "<=", 180)`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from alchemist.constraints.base import (
    FEASIBILITY_TOL,
    Residual,
    ViolationKind,
    clean_label,
    coefficient_map,
    column_values,
    finite,
    lookup,
    unfrozen,
)
from alchemist.errors import VariableError
from alchemist.variables import Variable, format_number

RELATIONS = ("<=", ">=", "==")
NUMERIC_KINDS = ("continuous", "integer")


@dataclass(frozen=True)
class LinearConstraint:
    """sum_i coefficients[i] * x_i  (<= | >= | ==)  rhs, with x_i in the variables' own units.

    `coefficients` may be given as a mapping; it is kept as a tuple of (name, value) pairs so
    that the constraint is immutable and hashable. Zero coefficients are dropped.
    """

    coefficients: Any
    relation: str = "<="
    rhs: float = 0.0
    name: str = ""

    kind = "linear"

    def __post_init__(self) -> None:
        pairs = unfrozen(self.coefficients)
        object.__setattr__(self, "coefficients", coefficient_map(pairs, "linear constraint"))
        if self.relation not in RELATIONS:
            raise VariableError(f"A linear constraint's relation must be one of {', '.join(RELATIONS)}.")
        object.__setattr__(self, "rhs", finite(self.rhs, "right-hand side of a linear constraint"))
        object.__setattr__(self, "name", clean_label(self.name))

    @property
    def variables_used(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.coefficients)

    def as_dict(self) -> dict[str, float]:
        return dict(self.coefficients)

    def box_range(self, variables: Sequence[Variable]) -> tuple[float, float]:
        """Smallest and largest value of the left-hand side over the variables' bounds."""
        found = lookup(variables, self.variables_used, NUMERIC_KINDS, "linear constraint")
        low = high = 0.0
        for variable, (_, a) in zip(found, self.coefficients):
            ends = (a * variable.low, a * variable.high)
            low += min(ends)
            high += max(ends)
        return low, high

    def scale(self, variables: Sequence[Variable]) -> float:
        """sum |a_i| (high_i - low_i): the span of the left-hand side, the unit of the tolerance."""
        low, high = self.box_range(variables)
        return high - low

    def validate(self, variables: Sequence[Variable]) -> None:
        """Raise VariableError unless every variable exists, is numeric and the bounds leave room."""
        low, high = self.box_range(variables)
        slack = FEASIBILITY_TOL * (high - low)
        what = self.name or "A linear constraint"
        if self.relation == "<=" and low > self.rhs + slack:
            raise VariableError(
                f"{what} cannot be met: its left side is at least {format_number(low)} within the variables' bounds, "
                f"above {format_number(self.rhs)}."
            )
        if self.relation == ">=" and high < self.rhs - slack:
            raise VariableError(
                f"{what} cannot be met: its left side is at most {format_number(high)} within the variables' bounds, "
                f"below {format_number(self.rhs)}."
            )
        if self.relation == "==" and not low - slack <= self.rhs <= high + slack:
            raise VariableError(
                f"{what} cannot be met: its left side ranges from {format_number(low)} to {format_number(high)} "
                f"within the variables' bounds, which excludes {format_number(self.rhs)}."
            )

    def lhs(self, frame: pd.DataFrame) -> np.ndarray:
        total = np.zeros(len(frame))
        for name, a in self.coefficients:
            total = total + a * column_values(frame, name)
        return total

    def residuals(self, frame: pd.DataFrame, variables: Sequence[Variable]) -> list[Residual]:
        excess = self.lhs(frame) - self.rhs
        if self.relation == ">=":
            excess = -excess
        elif self.relation == "==":
            excess = np.abs(excess)
        amount = np.where(np.isfinite(excess), np.maximum(excess, 0.0), 0.0)
        return [Residual(ViolationKind.LINEAR, amount, amount / max(self.scale(variables), 1e-300))]

    def to_state(self) -> dict:
        return {
            "kind": self.kind,
            "coefficients": {name: a for name, a in self.coefficients},
            "relation": self.relation,
            "rhs": self.rhs,
            "name": self.name,
        }

    @classmethod
    def from_plain(cls, state: dict) -> "LinearConstraint":
        return cls(state.get("coefficients"), state.get("relation"), state.get("rhs"), state.get("name", ""))
