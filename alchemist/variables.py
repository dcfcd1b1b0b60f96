"""The variables of an experiment: what a scientist can set, and within which limits.

Four kinds, each an immutable value object with `to_state()` / `variable_from_state()`:
continuous (min/max), integer (min/max), categorical (levels) and discrete numeric
(a list of allowed values). `check(value)` says why a cell does not fit, or returns None.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

import pandas as pd

from alchemist.errors import VariableError

if TYPE_CHECKING:
    from alchemist.problems import CellProblem

MAX_NAME_LENGTH = 100
MAX_TEXT_LENGTH = 2000
MAX_LEVELS = 1000

# Columns of the experiment table that are not variables; a variable may not take these names.
RESERVED_COLUMNS = ("Noise", "Iteration", "Note", "Status")

KINDS = ("continuous", "integer", "categorical", "discrete")
KIND_LABELS = {
    "continuous": "Continuous",
    "integer": "Integer",
    "categorical": "Categorical",
    "discrete": "Discrete numeric",
}


def clean_name(name: Any) -> str:
    if not isinstance(name, str):
        raise VariableError("A variable name must be text.")
    name = name.strip()
    if not name:
        raise VariableError("A variable needs a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise VariableError(f"The name '{name[:30]}…' is longer than {MAX_NAME_LENGTH} characters.")
    if name in RESERVED_COLUMNS:
        raise VariableError(
            f"'{name}' is a column the experiment table uses itself; choose another name."
        )
    return name


def _clean_text(value: Any, what: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if not isinstance(value, str):
        value = str(value)
    value = value.strip()
    if len(value) > MAX_TEXT_LENGTH:
        raise VariableError(f"The {what} is longer than {MAX_TEXT_LENGTH} characters.")
    return value


def to_number(value: Any) -> float | None:
    """A finite float from a number or numeric text; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        try:
            number = float(value)  # numpy scalars
        except (TypeError, ValueError):
            return None
    return number if math.isfinite(number) else None


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:  # pd.NA != pd.NA is NA, whose bool() raises
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    try:
        return bool(value != value)  # NaN-like scalars (numpy, pandas NA)
    except (TypeError, ValueError):
        return False


def _bound(value: Any, name: str, what: str) -> float:
    number = to_number(value)
    if number is None:
        raise VariableError(f"The {what} of '{name}' must be a finite number.")
    return number


def format_number(value: float) -> str:
    """Short text for a number: 80 rather than 80.0, and full precision otherwise."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


@dataclass(frozen=True)
class _Base:
    name: str
    unit: str = ""
    description: str = ""

    kind = "base"

    def _clean_common(self) -> None:
        object.__setattr__(self, "name", clean_name(self.name))
        object.__setattr__(self, "unit", _clean_text(self.unit, f"unit of '{self.name}'"))
        object.__setattr__(
            self, "description", _clean_text(self.description, f"description of '{self.name}'")
        )

    def _common_state(self) -> dict:
        return {"kind": self.kind, "name": self.name, "unit": self.unit, "description": self.description}

    @property
    def label(self) -> str:
        """Name with unit, for axis labels and table headers."""
        return f"{self.name} [{self.unit}]" if self.unit else self.name

    @property
    def is_numeric(self) -> bool:
        return self.kind != "categorical"

    def check(self, value: Any) -> CellProblem | None:
        """Why `value` is not a valid setting of this variable (a typed problem), or None when it is."""
        from alchemist.problems import variable_problem  # problems builds on this module

        return variable_problem(self, value)  # type: ignore[arg-type]


def coerce_number(raw: Any) -> Any:
    """A numeric cell as the table keeps it: NaN when missing, a float when it reads as a number,
    otherwise the raw value, kept so that the row's status can say what was typed."""
    if is_missing(raw):
        return math.nan
    number = to_number(raw)
    return raw if number is None else number


@dataclass(frozen=True)
class _Numeric(_Base):
    """What the numeric kinds share: cells are coerced alike, and checked alike up to the number."""

    def coerce(self, raw: Any) -> Any:
        return coerce_number(raw)

    def _clean_bounds(self, whole: bool) -> tuple[float, float]:
        low = _bound(self.low, self.name, "minimum")
        high = _bound(self.high, self.name, "maximum")
        if whole and not (low.is_integer() and high.is_integer()):
            raise VariableError(f"The minimum and maximum of integer variable '{self.name}' must be whole numbers.")
        if low >= high:
            raise VariableError(
                f"The minimum of '{self.name}' ({format_number(low)}) must be below its maximum ({format_number(high)})."
            )
        return low, high


@dataclass(frozen=True)
class _Range(_Numeric):
    """A numeric variable given by its minimum and maximum (continuous or integer)."""

    whole = False  # whether the bounds (and values) must be whole numbers

    def __post_init__(self) -> None:
        self._clean_common()
        low, high = self._clean_bounds(whole=self.whole)
        number = int if self.whole else float
        object.__setattr__(self, "low", number(low))
        object.__setattr__(self, "high", number(high))

    def to_state(self) -> dict:
        return {**self._common_state(), "low": self.low, "high": self.high}


@dataclass(frozen=True)
class ContinuousVariable(_Range):
    low: float = 0.0
    high: float = 1.0

    kind = "continuous"

    def describe(self) -> str:
        return f"{format_number(self.low)} to {format_number(self.high)}"


@dataclass(frozen=True)
class IntegerVariable(_Range):
    low: int = 0
    high: int = 10

    kind = "integer"
    whole = True

    def describe(self) -> str:
        return f"{self.low} to {self.high} (whole numbers)"


@dataclass(frozen=True)
class CategoricalVariable(_Base):
    levels: tuple[str, ...] = field(default_factory=tuple)

    kind = "categorical"

    def __post_init__(self) -> None:
        self._clean_common()
        if isinstance(self.levels, str):
            raise VariableError(f"The levels of '{self.name}' must be a list.")
        levels = []
        for level in self.levels:
            text = level_text(level)
            if not text:
                raise VariableError(f"'{self.name}' has an empty level.")
            if len(text) > MAX_NAME_LENGTH:
                raise VariableError(f"A level of '{self.name}' is longer than {MAX_NAME_LENGTH} characters.")
            if text in levels:
                raise VariableError(f"'{self.name}' lists the level '{text}' twice.")
            levels.append(text)
        if len(levels) < 2:
            raise VariableError(f"Categorical variable '{self.name}' needs at least two levels.")
        if len(levels) > MAX_LEVELS:
            raise VariableError(f"'{self.name}' has more than {MAX_LEVELS} levels.")
        object.__setattr__(self, "levels", tuple(levels))

    def coerce(self, raw: Any) -> Any:
        return None if is_missing(raw) else level_text(raw)

    def describe(self) -> str:
        return ", ".join(self.levels)

    def to_state(self) -> dict:
        return {**self._common_state(), "levels": list(self.levels)}


@dataclass(frozen=True)
class DiscreteVariable(_Numeric):
    values: tuple[float, ...] = field(default_factory=tuple)

    kind = "discrete"

    def __post_init__(self) -> None:
        self._clean_common()
        if isinstance(self.values, str):
            raise VariableError(f"The allowed values of '{self.name}' must be a list of numbers.")
        numbers = set()
        for value in self.values:
            number = to_number(value)
            if number is None:
                raise VariableError(f"'{value}' is not a number; '{self.name}' allows numbers only.")
            numbers.add(number)
        if len(numbers) < 2:
            raise VariableError(f"Discrete variable '{self.name}' needs at least two different values.")
        if len(numbers) > MAX_LEVELS:
            raise VariableError(f"'{self.name}' has more than {MAX_LEVELS} allowed values.")
        object.__setattr__(self, "values", tuple(sorted(numbers)))

    @property
    def low(self) -> float:
        return self.values[0]

    @property
    def high(self) -> float:
        return self.values[-1]

    def describe(self) -> str:
        return ", ".join(format_number(v) for v in self.values)

    def to_state(self) -> dict:
        return {**self._common_state(), "values": list(self.values)}


Variable = Union[ContinuousVariable, IntegerVariable, CategoricalVariable, DiscreteVariable]

_CLASSES = {
    "continuous": ContinuousVariable,
    "integer": IntegerVariable,
    "categorical": CategoricalVariable,
    "discrete": DiscreteVariable,
}


def level_text(value: Any) -> str:
    """A categorical level as text; 80.0 read from a spreadsheet becomes '80'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def make_variable(
    kind: str,
    name: str,
    *,
    unit: str = "",
    description: str = "",
    low: Any = None,
    high: Any = None,
    levels: Any = None,
    values: Any = None,
) -> Variable:
    """Build a variable of the given kind, checking every field; raises VariableError."""
    if kind in ("continuous", "integer"):
        if low is None or high is None:
            raise VariableError(f"'{name}' needs a minimum and a maximum.")
        return _CLASSES[kind](name=name, unit=unit, description=description, low=low, high=high)
    if kind == "categorical":
        return CategoricalVariable(name=name, unit=unit, description=description, levels=_as_list(levels, name, "levels"))
    if kind == "discrete":
        return DiscreteVariable(name=name, unit=unit, description=description, values=_as_list(values, name, "allowed values"))
    raise VariableError(f"Unknown variable type '{kind}'. Use one of: {', '.join(KINDS)}.")


def _as_list(items: Any, name: Any, what: str) -> tuple:
    # From a file, levels may be anything: a number or a mapping must be refused, not iterated.
    if items is None:
        return ()
    if not isinstance(items, (list, tuple)):
        raise VariableError(f"The {what} of '{name}' must be a list.")
    return tuple(items)


def variable_from_state(state: dict) -> Variable:
    if not isinstance(state, dict):
        raise VariableError("A variable entry is not a mapping.")
    return make_variable(
        state.get("kind"),
        state.get("name"),
        unit=state.get("unit", ""),
        description=state.get("description", ""),
        low=state.get("low"),
        high=state.get("high"),
        levels=state.get("levels"),
        values=state.get("values"),
    )


def check_unique_names(variables: list[Variable]) -> None:
    seen: set[str] = set()
    for variable in variables:
        key = variable.name.casefold()
        if key in seen:
            raise VariableError(f"There is already a variable named '{variable.name}'.")
        seen.add(key)
