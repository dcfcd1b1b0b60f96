"""Variable kinds: construction checks, cell checks and the to_state / variable_from_state round trip."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alchemist.problems import CellProblem, ProblemKind

from alchemist.errors import VariableError
from alchemist.variables import (
    CategoricalVariable,
    ContinuousVariable,
    DiscreteVariable,
    IntegerVariable,
    check_unique_names,
    coerce_number,
    format_number,
    is_missing,
    level_text,
    make_variable,
    variable_from_state,
)

ONE_OF_EACH = [
    ContinuousVariable("Temperature", unit="°C", description="Bed temperature, set point", low=350, high=450.5),
    IntegerVariable("Cycles", unit="count", description="Number of regeneration cycles", low=1, high=12),
    CategoricalVariable("Catalyst", unit="", description="Zeolite with low or high SAR", levels=("Low SAR", "High SAR")),
    DiscreteVariable("SAR", unit="mol/mol", description="Si/Al ratio — only 80 or 280 exist", values=(280, 80.0)),
]


@pytest.mark.parametrize("variable", ONE_OF_EACH, ids=lambda v: v.kind)
def test_round_trip_keeps_every_field(variable):
    state = variable.to_state()
    again = variable_from_state(state)
    assert again == variable
    assert type(again) is type(variable)
    assert again.unit == variable.unit and again.description == variable.description
    assert again.to_state() == state


@pytest.mark.parametrize("variable", ONE_OF_EACH, ids=lambda v: v.kind)
def test_state_is_builtin_data_only(variable):
    def walk(node):
        assert type(node) in (dict, list, str, int, float, bool, type(None)), type(node)
        if isinstance(node, dict):
            for key, value in node.items():
                assert type(key) is str
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(variable.to_state())


def test_round_trip_of_unicode_unit_and_long_description():
    description = "Ratio of Zn to (Zn + Cu) in the precursor; measured by ICP-OES. " * 20
    variable = ContinuousVariable("Zn fraction", unit="µmol·g⁻¹", description=description, low=0, high=1)
    again = variable_from_state(variable.to_state())
    assert again.unit == "µmol·g⁻¹"
    assert again.description == description.strip()


def test_text_fields_are_trimmed_and_missing_unit_is_empty():
    variable = ContinuousVariable("  Pressure ", unit=None, description=float("nan"), low=1, high=2)
    assert variable.name == "Pressure"
    assert variable.unit == "" and variable.description == ""
    assert variable.label == "Pressure"
    assert ContinuousVariable("P", unit="bar", low=1, high=2).label == "P [bar]"


def test_discrete_values_are_sorted_and_deduplicated():
    variable = DiscreteVariable("SAR", values=(280, "80", 80.0, 30))
    assert variable.values == (30.0, 80.0, 280.0)
    assert (variable.low, variable.high) == (30.0, 280.0)


def test_categorical_levels_from_spreadsheet_numbers_become_text():
    variable = CategoricalVariable("Batch", levels=(1.0, 2.0, "A"))
    assert variable.levels == ("1", "2", "A")
    assert variable.check(2.0) is None
    assert level_text(80.0) == "80" and level_text(" x ") == "x"


def test_integer_bounds_become_ints():
    variable = IntegerVariable("n", low=1.0, high="5")
    assert (variable.low, variable.high) == (1, 5)
    assert type(variable.low) is int and type(variable.high) is int


@pytest.mark.parametrize(
    "build, fragment",
    [
        (lambda: ContinuousVariable("T", low=5, high=5), "below its maximum"),
        (lambda: ContinuousVariable("T", low=6, high=5), "below its maximum"),
        (lambda: ContinuousVariable("T", low=float("nan"), high=5), "finite number"),
        (lambda: ContinuousVariable("T", low=0, high=float("inf")), "finite number"),
        (lambda: ContinuousVariable("T", low="cold", high=5), "finite number"),
        (lambda: ContinuousVariable("T", low=True, high=5), "finite number"),
        (lambda: IntegerVariable("n", low=0.5, high=5), "whole numbers"),
        (lambda: CategoricalVariable("c", levels=("only",)), "at least two levels"),
        (lambda: CategoricalVariable("c", levels=("a", "a")), "twice"),
        (lambda: CategoricalVariable("c", levels=("a", " ")), "empty level"),
        (lambda: CategoricalVariable("c", levels="ab"), "must be a list"),
        (lambda: DiscreteVariable("d", values=(1, 1.0)), "two different values"),
        (lambda: DiscreteVariable("d", values=(1, "x")), "not a number"),
        (lambda: ContinuousVariable("", low=0, high=1), "needs a name"),
        (lambda: ContinuousVariable("x" * 101, low=0, high=1), "longer than"),
        (lambda: ContinuousVariable("Noise", low=0, high=1), "experiment table uses"),
        (lambda: ContinuousVariable("Note", low=0, high=1), "experiment table uses"),
        (lambda: ContinuousVariable(42, low=0, high=1), "must be text"),
        (lambda: ContinuousVariable("T", unit="u" * 2001, low=0, high=1), "longer than"),
        (lambda: make_variable("real", "T", low=0, high=1), "Unknown variable type"),
        (lambda: make_variable("continuous", "T", low=0), "minimum and a maximum"),
    ],
)
def test_invalid_definitions_raise_variable_error(build, fragment):
    with pytest.raises(VariableError) as info:
        build()
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "state",
    [
        "not a dict",
        {"kind": "continuous", "name": "T", "low": 0},
        {"kind": "spline", "name": "T", "low": 0, "high": 1},
        {"kind": "categorical", "name": "c", "levels": ["one"]},
        {"kind": "continuous", "name": None, "low": 0, "high": 1},
    ],
)
def test_bad_states_raise_variable_error(state):
    with pytest.raises(VariableError):
        variable_from_state(state)


def test_check_reports_why_a_cell_does_not_fit():
    temperature, cycles, catalyst, sar = ONE_OF_EACH
    assert temperature.check(400) is None
    assert temperature.check("400") is None
    assert temperature.check(350) is None and temperature.check(450.5) is None
    assert temperature.check(451) == CellProblem("Temperature", ProblemKind.OUT_OF_RANGE, 451.0, low=350.0, high=450.5)
    assert temperature.check("hot").kind is ProblemKind.NOT_A_NUMBER
    assert temperature.check(math.nan).kind is ProblemKind.MISSING
    assert temperature.check("  ").kind is ProblemKind.MISSING
    assert temperature.check(None).kind is ProblemKind.MISSING
    assert cycles.check(3.0) is None
    assert cycles.check(3.5).kind is ProblemKind.NOT_WHOLE
    assert (cycles.check(13).kind, cycles.check(13).low, cycles.check(13).high) == (ProblemKind.OUT_OF_RANGE, 1, 12)
    assert catalyst.check("Low SAR") is None
    assert catalyst.check("Medium SAR") == CellProblem(
        "Catalyst", ProblemKind.NOT_A_LEVEL, "Medium SAR", allowed=("Low SAR", "High SAR")
    )
    assert sar.check(80) is None and sar.check("280") is None
    assert (sar.check(81).kind, sar.check(81).allowed) == (ProblemKind.NOT_ALLOWED, (80.0, 280.0))


def test_check_accepts_numpy_scalars_and_rejects_bool():
    temperature = ONE_OF_EACH[0]
    assert temperature.check(np.float32(400.0)) is None
    assert temperature.check(np.int64(400)) is None
    assert temperature.check(True).kind is ProblemKind.NOT_A_NUMBER


def test_unique_names_are_case_insensitive():
    check_unique_names([ContinuousVariable("T", low=0, high=1), ContinuousVariable("P", low=0, high=1)])
    with pytest.raises(VariableError, match="already a variable named 't'"):
        check_unique_names([ContinuousVariable("T", low=0, high=1), ContinuousVariable("t", low=0, high=1)])


def test_format_number():
    assert format_number(80.0) == "80"
    assert format_number(0.1) == "0.1"
    assert format_number(1 / 3) == repr(1 / 3)
    assert format_number(1e20) == "1e+20"


@pytest.mark.parametrize("value", [None, math.nan, "", "   ", np.float64("nan"), pd.NA, pd.NaT])
def test_missing_values_of_every_origin(value):
    # Nullable pandas columns (Int64, Float64) hold pd.NA; it is a gap, not the text '<NA>'.
    assert is_missing(value)
    assert ONE_OF_EACH[0].check(value) == CellProblem("Temperature", ProblemKind.MISSING)
    assert math.isnan(ONE_OF_EACH[0].coerce(value))
    assert ONE_OF_EACH[2].coerce(value) is None


@pytest.mark.parametrize("value", [0, 0.0, "0", "x", False])
def test_present_values_are_not_missing(value):
    assert not is_missing(value)


@pytest.mark.parametrize("raw", [None, " ", "12.5", 12, np.int64(3), "hot", True, pd.NA])
def test_every_numeric_kind_coerces_a_cell_like_the_table_does(raw):
    """Result, noise and numeric variable cells share one rule: NaN when missing, a float when
    it reads as a number, otherwise the raw value (so that the status can show it)."""
    expected = coerce_number(raw)
    for variable in (ONE_OF_EACH[0], ONE_OF_EACH[1], ONE_OF_EACH[3]):
        got = variable.coerce(raw)
        assert (math.isnan(got) and math.isnan(expected)) if isinstance(expected, float) and math.isnan(expected) else got == expected
    assert coerce_number("12.5") == 12.5 and coerce_number("hot") == "hot" and coerce_number(True) is True


def test_integer_and_discrete_checks_share_the_number_checks():
    _, cycles, _, sar = ONE_OF_EACH
    for variable in (cycles, sar):
        assert variable.check(None) == CellProblem(variable.name, ProblemKind.MISSING)
        assert variable.check("x") == CellProblem(variable.name, ProblemKind.NOT_A_NUMBER, "x")
