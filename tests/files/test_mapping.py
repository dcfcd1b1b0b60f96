"""Import that meets the file where it is: column mapping, decimal commas, the preview, the remembered mapping."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alchemist.examples import catalyst_example
from alchemist.errors import ExperimentError, SessionFileError
from alchemist.files.levels import suggest_level, unknown_values
from alchemist.files.mapping import (
    Destination, MatchReason, check_mapping, choose, normalise_name, propose_mapping, remembered_from_state,
)
from alchemist.files.numbers import DecimalMark, detect_decimal_marks, parse_number, read_numbers
from alchemist.files.tables import read_table
from alchemist.import_preview import decimal_marks, import_previewed, preview_import
from alchemist.problems import CellProblem, ProblemKind, RowStatus
from alchemist.session import Session
from alchemist.variables import CategoricalVariable, ContinuousVariable


def by_column(matches):
    return {m.column: (m.destination, m.variable, m.reason) for m in matches}


@pytest.mark.parametrize("name", ["Temperature [°C]", "temperature (C)", " TEMPERATURE ", "Temperature(°C) [set]"])
def test_names_are_compared_without_units_case_and_spacing(name):
    assert normalise_name(name) == "temperature"
    assert normalise_name("Metal_Loading") == normalise_name("metal-loading") == "metal loading"


def test_our_own_discrete_example_file_maps_onto_the_categorical_example(catalyst_dir):
    """Finding 1: the shipped ICP_SAR file was refused by the shipped example; now every column has a place."""
    session = catalyst_example()
    frame = read_table((catalyst_dir / "ALL_catalyst_experiments_ICP_SAR.csv").read_bytes(), "ALL.csv")
    matches = propose_mapping(frame, session.variables, session.target)
    assert by_column(matches) == {
        "Temperature": (Destination.VARIABLE, "Temperature", MatchReason.EXACT),
        "SAR": (Destination.VARIABLE, "Catalyst", MatchReason.LEVELS),  # "SAR" is in every level's name
        "Metal Loading": (Destination.VARIABLE, "Metal Loading", MatchReason.EXACT),
        "Zinc Fraction": (Destination.VARIABLE, "Zinc Fraction", MatchReason.EXACT),
        "Output": (Destination.RESULT, None, MatchReason.EXACT),
        "Iteration": (Destination.ITERATION, None, MatchReason.ALCHEMIST),
        "Reason": (Destination.NOTE, None, MatchReason.ALCHEMIST),
    }
    assert check_mapping(matches, session.variables).can_import
    preview = preview_import(session, frame, matches, decimal_marks(frame, matches, session.variables), replace=False)
    # The SAR numbers are not the example's levels: every row is added and says why it needs attention.
    assert len(preview.checks) == 26 and preview.count(RowStatus.INVALID) == 26
    assert preview.checks[0].problems == (
        CellProblem("Catalyst", ProblemKind.NOT_A_LEVEL, "80", allowed=("High SAR", "Low SAR")),
    )
    report = import_previewed(session, preview, matches, replace=False)
    assert report.rows_added == 26 and len(session.experiments) == 48 and report.rows_replaced == 0
    assert session.experiments.frame["Temperature"].dtype == np.float64


def test_units_case_similar_names_and_the_one_numeric_column_left_as_result():
    variables = [ContinuousVariable("Temperature", low=0, high=500), ContinuousVariable("Metal Loading", low=0, high=5),
                 ContinuousVariable("Zinc Fraction", low=0, high=1), CategoricalVariable("Solvent", levels=("water", "ethanol"))]
    frame = pd.DataFrame({"Temperature [°C]": [300.0], "metal_loading (wt%)": [1.0], "Zink Fraction": [0.5],
                          "medium": ["water"], "Yield (%)": [12.0], "operator": ["AB"]})
    assert by_column(propose_mapping(frame, variables)) == {
        "Temperature [°C]": (Destination.VARIABLE, "Temperature", MatchReason.SAME_NAME),
        "metal_loading (wt%)": (Destination.VARIABLE, "Metal Loading", MatchReason.SAME_NAME),
        "Zink Fraction": (Destination.VARIABLE, "Zinc Fraction", MatchReason.SIMILAR),
        "medium": (Destination.VARIABLE, "Solvent", MatchReason.LEVELS),  # its values are the levels
        "Yield (%)": (Destination.RESULT, None, MatchReason.ONLY_NUMBER),
        "operator": (Destination.IGNORED, None, MatchReason.NONE),
    }


def test_each_place_is_taken_once_and_a_user_choice_can_claim_it_twice_only_to_be_refused():
    variables = [ContinuousVariable("Temperature", low=0, high=500)]
    frame = pd.DataFrame({"Temperature": [1.0], "temperature (C)": [2.0], "Output": [3.0]})
    matches = propose_mapping(frame, variables)
    assert [m.destination for m in matches] == [Destination.VARIABLE, Destination.IGNORED, Destination.RESULT]
    doubled = choose(matches, "temperature (C)", "variable:Temperature")
    check = check_mapping(doubled, variables)
    assert check.claimed_twice == ("variable:Temperature",) and not check.can_import
    with pytest.raises(ExperimentError):
        preview_import(Session.new(), frame, doubled, {}, replace=False)
    fixed = choose(doubled, "Temperature", "ignored")
    assert check_mapping(fixed, variables).can_import


def test_a_variable_without_a_column_is_imported_empty_and_flagged():
    session = Session.new()
    session.add_variable(ContinuousVariable("T", low=0, high=10))
    session.add_variable(ContinuousVariable("P", low=0, high=10))
    frame = pd.DataFrame({"T": [1.0, 2.0], "Output": [0.1, 0.2]})
    matches = propose_mapping(frame, session.variables)
    assert check_mapping(matches, session.variables).unmapped_variables == ("P",)
    preview = preview_import(session, frame, matches, {}, replace=False)
    assert [c.problems for c in preview.checks] == [(CellProblem("P", ProblemKind.MISSING),)] * 2


# -- decimal commas and thousands --------------------------------------------------------------
@pytest.mark.parametrize("text, comma, point", [
    ("373,80", 373.8, None), ("1.234,5", 1234.5, None), ("1,234.5", None, 1234.5), ("1,234", 1.234, 1234.0),
    ("-0,5", -0.5, None), ("1 234,5", 1234.5, None), ("1\u202f234.5", 1234.5, 1234.5), ("373.80", 373.8, 373.8), ("12", 12.0, 12.0),
    ("1,5e-3", 0.0015, None), ("abc", None, None), ("1,2,3", None, None), ("", None, None), ("inf", None, None),
])
def test_numbers_under_each_decimal_mark(text, comma, point):
    assert parse_number(text, DecimalMark.COMMA) == comma
    assert parse_number(text, DecimalMark.POINT) == point


def test_a_decimal_comma_file_is_detected_and_imported_end_to_end_keeping_a_typo_as_typed():
    """Finding 2: a ;-separated file with decimal commas; one typo stays as typed, its column stays numeric."""
    text = (
        "Temperature;Catalyst;Metal Loading;Zinc Fraction;Output\n"
        "373,80;Low SAR;1,5;0,25;0,0546\n"
        "405,96;High SAR;3,19;0,18;0,0139\n"
        "4O0,1;Low SAR;2,07;0,73;0,406\n"   # a letter O for a zero: a typo
        "1.234,5;High SAR;0,61;0,28;0,403\n"  # a thousands point: out of range, not misread
    )
    session = catalyst_example()
    frame = read_table(text.encode("utf-8"), "lab.csv")
    matches = propose_mapping(frame, session.variables, session.target)
    marks = decimal_marks(frame, matches, session.variables)
    assert set(marks.values()) == {DecimalMark.COMMA}
    preview = preview_import(session, frame, matches, marks, replace=True)
    assert [c.status for c in preview.checks] == [RowStatus.OK, RowStatus.OK, RowStatus.INVALID, RowStatus.INVALID]
    assert preview.checks[2].problems == (CellProblem("Temperature", ProblemKind.NOT_A_NUMBER, "4O0,1"),)
    assert preview.checks[3].problems[0].kind is ProblemKind.OUT_OF_RANGE and preview.checks[3].problems[0].value == 1234.5
    assert preview.rows_replaced == 22
    report = import_previewed(session, preview, matches, replace=True)
    assert report.rows_replaced == 22 and report.rows_added == 4 and report.invalid_rows == 2
    table = session.experiments
    for column in ("Temperature", "Metal Loading", "Zinc Fraction", "Output"):
        assert table.frame[column].dtype == np.float64, column
    assert table.frame["Temperature"].tolist()[:2] == [373.8, 405.96]
    assert math.isnan(table.frame["Temperature"][2]) and table.cells()["Temperature"][2] == "4O0,1"
    # The typo survives a round trip through the session's state (the .pkl and JSON files hold that tree).
    again = Session.from_state(session.to_state())
    assert again.experiments.typed == {"Temperature": {2: "4O0,1"}}
    assert again.experiments.frame["Temperature"].dtype == np.float64


def test_a_chosen_mark_overrides_detection_and_numbers_pandas_read_are_left_alone():
    frame = pd.DataFrame({"a": ["1,234", "2,5"], "b": [1.5, 2.5]})
    assert detect_decimal_marks(frame, ["a", "b"]) == {"a": DecimalMark.COMMA, "b": DecimalMark.POINT}
    read = read_numbers(frame, {"a": DecimalMark.POINT, "b": DecimalMark.COMMA})
    assert read["a"].tolist() == [1234.0, "2,5"] and read["b"].tolist() == [1.5, 2.5]


# -- the mapping is remembered per session -------------------------------------------------------
def test_a_confirmed_mapping_is_remembered_and_survives_the_session_file():
    session = catalyst_example()
    frame = pd.DataFrame({"T (K)": [400.0], "Kat": ["Low SAR"], "ML": [1.0], "ZF": [0.5], "Umsatz": [0.2]})
    matches = propose_mapping(frame, session.variables, session.target)
    assert by_column(matches)["ML"][0] is Destination.IGNORED
    for column, key in {"T (K)": "variable:Temperature", "ML": "variable:Metal Loading",
                        "ZF": "variable:Zinc Fraction", "Umsatz": "result"}.items():
        matches = choose(matches, column, key)
    preview = preview_import(session, frame, matches, {}, replace=False)
    assert preview.count(RowStatus.OK) == 1
    import_previewed(session, preview, matches, replace=False)
    again = Session.from_state(session.to_state())
    assert again.import_mapping["ML"] == "variable:Metal Loading"
    remembered = by_column(propose_mapping(frame, again.variables, again.target, again.import_mapping))
    assert remembered["ML"] == (Destination.VARIABLE, "Metal Loading", MatchReason.REMEMBERED)
    assert remembered["Umsatz"] == (Destination.RESULT, None, MatchReason.REMEMBERED)
    # An older file has no remembered mapping; a malformed one is refused.
    state = session.to_state()
    del state["import_mapping"]
    assert Session.from_state(state).import_mapping == {}
    for bad in ([1], {"a": 1}, {"a": "elsewhere"}, {"x" * 400: "result"}):
        with pytest.raises(SessionFileError):
            remembered_from_state(bad)


def test_values_that_are_not_levels_can_be_recoded_and_our_example_file_then_imports_clean(catalyst_dir):
    session = catalyst_example()
    frame = read_table((catalyst_dir / "ALL_catalyst_experiments_ICP_SAR.csv").read_bytes(), "ALL.csv")
    matches = propose_mapping(frame, session.variables, session.target)
    assert unknown_values(frame, matches, session.variables) == {"SAR": ["80", "280"]}
    assert suggest_level("80", ("High SAR", "Low SAR")) is None
    assert suggest_level("low sar", ("High SAR", "Low SAR")) == "Low SAR"
    assert suggest_level("Hihg SAR", ("High SAR", "Low SAR")) == "High SAR"
    recoding = {"SAR": {"80": "Low SAR", "280": "High SAR"}}
    preview = preview_import(session, frame, matches, {}, replace=False, recoding=recoding)
    assert preview.count(RowStatus.OK) == 26
    assert preview.frame["Catalyst"].tolist()[:3] == ["Low SAR", "High SAR", "Low SAR"]
    # A value left alone is imported as it is, flagged.
    partial = preview_import(session, frame, matches, {}, replace=False, recoding={"SAR": {"80": "Low SAR"}})
    assert partial.count(RowStatus.INVALID) == frame["SAR"].tolist().count(280)


def test_a_column_of_many_unknown_values_is_not_offered_for_recoding():
    variables = [CategoricalVariable("Solvent", levels=("water", "ethanol"))]
    frame = pd.DataFrame({"Solvent": [f"s{i}" for i in range(30)], "Output": np.arange(30.0)})
    assert unknown_values(frame, propose_mapping(frame, variables), variables) == {}


def test_the_bulk_reading_of_numbers_agrees_with_the_careful_one_on_random_text():
    import random

    from alchemist.files.numbers import _read_column

    rng = random.Random(9)
    texts = ["".join(rng.choice("0123456789,.-+ e\u00a0") for _ in range(rng.randint(0, 8))) for _ in range(3000)]
    for mark in DecimalMark:
        expected = [t if parse_number(t, mark) is None else parse_number(t, mark) for t in texts]
        assert _read_column(texts, mark) == expected


def test_further_result_columns_of_a_session_with_several_objectives_are_mapped_and_kept():
    from alchemist.files.mapping import Destination, apply_mapping, destination_key, parse_key, propose_mapping
    from alchemist.objectives import Objective

    session = catalyst_example()
    session.set_objectives([Objective(session.target, "maximize"), Objective("Cost", "minimize")])
    frame = session.experiments.frame[[v.name for v in session.variables] + [session.target]].copy()
    frame["cost (EUR)"] = np.arange(len(frame), dtype=float)
    matches = propose_mapping(frame, session.variables, session.target, {}, session.experiments.results)
    cost = next(m for m in matches if m.column == "cost (EUR)")
    assert (cost.destination, cost.variable) == (Destination.FURTHER_RESULT, "Cost")
    assert parse_key(destination_key(Destination.FURTHER_RESULT, "Cost")) == (Destination.FURTHER_RESULT, "Cost")
    mapped, result = apply_mapping(frame, matches, session.variables)
    assert result == session.target and mapped["Cost"].tolist() == list(range(len(frame)))
    session.add_experiments(mapped, target=result, replace=True)
    assert session.experiments.frame["Cost"].tolist() == list(range(len(frame)))
