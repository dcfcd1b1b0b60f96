"""How precisely a variable's values are worth showing, and the step a control moves them by.

A suggestion computed by an optimiser carries 16 digits (404.0684519878572 °C); a chemist sets a
temperature to a tenth of a degree at best. The precision follows from the variable itself: about
four significant digits across its range, and never fewer decimals than its own bounds or allowed
values are written with (so 0.125 stays 0.125). Integers and levels have none.

The library returns numbers (decimals, steps); the app turns them into formats.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import pandas as pd

from alchemist.variables import Variable

# Digits across a variable's range: 300 to 500 °C gives 1 decimal, 0 to 1 gives 3.
SIGNIFICANT_ACROSS_RANGE = 4
# Never more decimals than this, whatever the range or the bounds say.
MAX_DECIMALS = 6


def decimals_of(value: float) -> int:
    """The decimals `value` is written with in its shortest form: 0.125 -> 3, 80.0 -> 0, 1e-07 -> 7."""
    if not math.isfinite(value) or float(value).is_integer():
        return 0
    text = repr(float(value))
    if "e" in text:
        mantissa, exponent = text.split("e")
        digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return max(0, digits - int(exponent))
    return len(text.split(".")[1])


def _written_decimals(values: Iterable[float]) -> int:
    return max((decimals_of(float(v)) for v in values), default=0)


def display_decimals(variable: Variable) -> int:
    """Decimals to show the variable's values with (0 for integers, levels and whole-number values)."""
    kind = variable.kind
    if kind in ("integer", "categorical"):
        return 0
    if kind == "discrete":
        return min(MAX_DECIMALS, _written_decimals(variable.values))
    low, high = float(variable.low), float(variable.high)
    span = high - low
    by_range = SIGNIFICANT_ACROSS_RANGE - 1 - math.floor(math.log10(span)) if span > 0 else 0
    return max(0, min(MAX_DECIMALS, max(by_range, _written_decimals((low, high)))))


def display_step(variable: Variable) -> float:
    """The step of a slider or number box for the variable: 1 for integers, one shown decimal otherwise."""
    if variable.kind == "integer":
        return 1.0
    return 10.0 ** -display_decimals(variable)


def rounded(variable: Variable, value: float) -> float:
    """`value` rounded to the variable's shown precision (integers stay whole)."""
    return round(float(value), display_decimals(variable))


def rounded_points(variables: Sequence[Variable], points: pd.DataFrame) -> pd.DataFrame:
    """The points as a chemist sets them: continuous values rounded to their shown precision
    (410.7 °C, not 410.67298770859406); a rounded value stays within its variable's bounds."""
    planned = points.copy()
    for variable in variables:
        if variable.kind == "continuous" and variable.name in planned.columns:
            planned[variable.name] = [rounded(variable, value) for value in planned[variable.name]]
    return planned
