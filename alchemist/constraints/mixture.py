"""Mixtures: continuous components that sum to a total, each within its own variable's bounds,
with an optional limit on how many may be non-zero (cardinality)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from alchemist.constraints.base import ACTIVE_TOL, FEASIBILITY_TOL, Residual, ViolationKind, clean_label
from alchemist.constraints.base import column_values, finite, lookup, variable_names
from alchemist.errors import VariableError
from alchemist.variables import ContinuousVariable, Variable, format_number

MIN_COMPONENTS = 2


@dataclass(frozen=True)
class MixtureConstraint:
    """sum(components) == total; at most `max_active` components non-zero when it is given.

    Each component is a continuous variable with a minimum of at least 0; its bounds are the
    component's own bounds. A component whose minimum is above 0 is always active, so it counts
    towards `max_active`.
    """

    components: Any
    total: float = 1.0
    max_active: int | None = None
    name: str = ""

    kind = "mixture"

    def __post_init__(self) -> None:
        components = variable_names(self.components, "mixture")
        if len(components) < MIN_COMPONENTS:
            raise VariableError(f"A mixture needs at least {MIN_COMPONENTS} components.")
        object.__setattr__(self, "components", components)
        total = finite(self.total, "total of a mixture")
        if total <= 0:
            raise VariableError("The total of a mixture must be above 0.")
        object.__setattr__(self, "total", total)
        if self.max_active is not None:
            k = self.max_active
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(components):
                raise VariableError(
                    f"The number of non-zero components of a mixture must be a whole number from 1 to {len(components)}."
                )
            object.__setattr__(self, "max_active", int(k))
        object.__setattr__(self, "name", clean_label(self.name))

    @property
    def variables_used(self) -> tuple[str, ...]:
        return self.components

    def component_variables(self, variables: Sequence[Variable]) -> list[ContinuousVariable]:
        return lookup(variables, self.components, ("continuous",), "mixture")

    def forced_active(self, variables: Sequence[Variable]) -> list[bool]:
        """Per component: is its minimum above zero, so that it can never be left out?"""
        return [v.low > ACTIVE_TOL * (v.high - v.low) for v in self.component_variables(variables)]

    def validate(self, variables: Sequence[Variable]) -> None:
        """Raise VariableError unless the components exist, are continuous, start at or above 0
        and their bounds (and the cardinality) leave a way to reach the total."""
        found = self.component_variables(variables)
        what = self.name or "The mixture"
        for variable in found:
            if variable.low < 0:
                raise VariableError(f"Mixture component '{variable.name}' has a negative minimum.")
        slack = FEASIBILITY_TOL * self.total
        lows = sum(v.low for v in found)
        highs = sum(v.high for v in found)
        if lows > self.total + slack:
            raise VariableError(
                f"{what} cannot be met: the minimums of its components add up to {format_number(lows)}, "
                f"above the total {format_number(self.total)}."
            )
        if highs < self.total - slack:
            raise VariableError(
                f"{what} cannot be met: the maximums of its components add up to {format_number(highs)}, "
                f"below the total {format_number(self.total)}."
            )
        if self.max_active is None:
            return
        forced = self.forced_active(variables)
        if sum(forced) > self.max_active:
            raise VariableError(
                f"{what} allows {self.max_active} non-zero components, but {sum(forced)} have a minimum above 0."
            )
        optional = sorted((v.high for v, f in zip(found, forced) if not f), reverse=True)
        reach = sum(v.high for v, f in zip(found, forced) if f) + sum(optional[: self.max_active - sum(forced)])
        if reach < self.total - slack:
            raise VariableError(
                f"{what} cannot be met with at most {self.max_active} non-zero components: their maximums "
                f"reach only {format_number(reach)}."
            )

    def residuals(self, frame: pd.DataFrame, variables: Sequence[Variable]) -> list[Residual]:
        found = self.component_variables(variables)
        X = np.column_stack([column_values(frame, v.name) for v in found]) if len(frame) else np.empty((0, len(found)))
        judged = np.all(np.isfinite(X), axis=1)
        gap = np.where(judged, np.abs(np.nansum(X, axis=1) - self.total), 0.0)
        out = [Residual(ViolationKind.MIXTURE_TOTAL, gap, gap / self.total)]
        if self.max_active is not None:
            thresholds = np.array([ACTIVE_TOL * (v.high - v.low) for v in found])
            with np.errstate(invalid="ignore"):
                active = np.sum(X > thresholds, axis=1)
            extra = np.where(judged, np.maximum(active - self.max_active, 0), 0).astype(float)
            out.append(Residual(ViolationKind.MIXTURE_ACTIVE, extra, extra))
        return out

    def to_state(self) -> dict:
        return {
            "kind": self.kind,
            "components": list(self.components),
            "total": self.total,
            "max_active": self.max_active,
            "name": self.name,
        }

    @classmethod
    def from_plain(cls, state: dict) -> "MixtureConstraint":
        return cls(state.get("components"), state.get("total"), state.get("max_active"), state.get("name", ""))
