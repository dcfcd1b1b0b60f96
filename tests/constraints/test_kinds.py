"""The four constraint kinds: validation against variables, and state round trips."""

from __future__ import annotations

import json
import pickle

import pytest

from alchemist.constraints import (
    ConditionalRule,
    ForbiddenCombination,
    LinearConstraint,
    MixtureConstraint,
    constraint_from_state,
    constraints_from_state,
    validate_constraints,
)
from alchemist.errors import SessionFileError, VariableError
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable

VARIABLES = [
    ContinuousVariable("x1", low=-5, high=10),
    ContinuousVariable("x2", low=0, high=15),
    IntegerVariable("n", low=0, high=8),
    ContinuousVariable("A", low=0, high=1),
    ContinuousVariable("B", low=0, high=1),
    ContinuousVariable("C", low=0.1, high=0.5),
    CategoricalVariable("Catalyst", levels=("Pt", "Pd", "none")),
    CategoricalVariable("Solvent", levels=("water", "EtOH")),
    DiscreteVariable("P", values=(1, 2, 5)),
    ContinuousVariable("Loading", low=0, high=5),
]

EXAMPLES = [
    LinearConstraint({"x1": 1, "x2": 1}, "<=", 8),
    LinearConstraint({"x1": 2.5, "n": -1}, ">=", -3, name="budget"),
    LinearConstraint({"x1": 1, "x2": -1}, "==", 0),
    MixtureConstraint(["A", "B", "C"]),
    MixtureConstraint(["A", "B", "C"], total=1.0, max_active=2),
    ForbiddenCombination({"Catalyst": "Pt", "Solvent": "water"}),
    ForbiddenCombination({"Catalyst": "Pd", "P": 5}),
    ConditionalRule("Catalyst", "none", "Loading", 0.0),
    ConditionalRule("Solvent", "water", "Loading", 1.0, 2.0),
    ConditionalRule("P", 2, "n", 0, 3),
]


@pytest.mark.parametrize("constraint", EXAMPLES, ids=lambda c: c.kind)
def test_examples_validate_and_round_trip_through_json_and_pickle(constraint):
    constraint.validate(VARIABLES)
    state = constraint.to_state()
    assert constraint_from_state(json.loads(json.dumps(state))) == constraint
    assert pickle.loads(pickle.dumps(constraint)) == constraint
    assert constraint_from_state(state).to_state() == state


def test_a_list_round_trips_and_validates_together():
    states = [c.to_state() for c in EXAMPLES if c.kind != "mixture"] + [EXAMPLES[4].to_state()]
    restored = constraints_from_state(json.loads(json.dumps(states)))
    validate_constraints(VARIABLES, restored)
    assert [c.to_state() for c in restored] == states


@pytest.mark.parametrize(
    "constraint, fragment",
    [
        (LinearConstraint({"nope": 1}, "<=", 1), "not a variable"),
        (LinearConstraint({"Catalyst": 1}, "<=", 1), "categorical"),
        (LinearConstraint({"x1": 1, "x2": 1}, "<=", -6), "cannot be met"),
        (LinearConstraint({"x1": 1, "x2": 1}, ">=", 26), "cannot be met"),
        (LinearConstraint({"x1": 1}, "==", 11), "cannot be met"),
        (MixtureConstraint(["A", "x1"]), "negative minimum"),
        (MixtureConstraint(["A", "n"]), "integer"),
        (MixtureConstraint(["A", "C"], total=0.05), "minimums"),
        (MixtureConstraint(["A", "C"], total=2), "maximums"),
        (MixtureConstraint(["C", "A", "B"], total=1.9, max_active=2), "at most 2"),
        (ForbiddenCombination({"Catalyst": "Rh"}), "not a level"),
        (ForbiddenCombination({"x1": 1}), "continuous"),
        (ForbiddenCombination({"P": 3}), "not an allowed value"),
        (ConditionalRule("Catalyst", "none", "Loading", 6.0), "outside its range"),
        (ConditionalRule("x1", 1, "Loading", 0.0), "continuous"),
        (ConditionalRule("P", 1, "n", 0.2, 0.8), "no allowed value"),
    ],
)
def test_validation_says_what_is_wrong(constraint, fragment):
    with pytest.raises(VariableError, match=fragment):
        constraint.validate(VARIABLES)


def test_cardinality_counts_components_that_cannot_be_zero():
    variables = [ContinuousVariable(n, low=0.1, high=1) for n in "ABC"]
    with pytest.raises(VariableError, match="minimum above 0"):
        MixtureConstraint(["A", "B", "C"], max_active=2).validate(variables)


@pytest.mark.parametrize(
    "build",
    [
        lambda: LinearConstraint({}, "<=", 1),
        lambda: LinearConstraint({"x1": 0}, "<=", 1),
        lambda: LinearConstraint({"x1": 1}, "<", 1),
        lambda: LinearConstraint({"x1": True}, "<=", 1),
        lambda: LinearConstraint({"x1": 1}, "<=", float("nan")),
        lambda: MixtureConstraint(["A"]),
        lambda: MixtureConstraint("AB"),
        lambda: MixtureConstraint(["A", "A"]),
        lambda: MixtureConstraint(["A", "B"], total=0),
        lambda: MixtureConstraint(["A", "B"], max_active=3),
        lambda: MixtureConstraint(["A", "B"], max_active=1.5),
        lambda: ForbiddenCombination({}),
        lambda: ForbiddenCombination({"Catalyst": ""}),
        lambda: ConditionalRule("Catalyst", "none", "Catalyst", 0),
        lambda: ConditionalRule("Catalyst", "none", "Loading", 2, 1),
    ],
)
def test_malformed_constraints_are_refused_when_built(build):
    with pytest.raises(VariableError):
        build()


def test_together_the_constraints_must_leave_a_point():
    contradiction = [LinearConstraint({"x1": 1, "x2": 1}, "<=", 0), LinearConstraint({"x1": 1, "x2": 1}, ">=", 5)]
    with pytest.raises(VariableError, match="exclude every point"):
        validate_constraints(VARIABLES, contradiction)
    every_level = [ForbiddenCombination({"Solvent": "water"}), ForbiddenCombination({"Solvent": "EtOH"})]
    with pytest.raises(VariableError, match="exclude every point"):
        validate_constraints(VARIABLES, every_level)
    overlap = [MixtureConstraint(["A", "B"]), MixtureConstraint(["B", "C"])]
    with pytest.raises(VariableError, match="two mixtures"):
        validate_constraints(VARIABLES, overlap)


@pytest.mark.parametrize(
    "state",
    [
        None,
        [],
        {"kind": "quadratic"},
        {"kind": ["linear"]},
        {"kind": "linear", "coefficients": {"x1": [1]}, "relation": "<=", "rhs": 1},
        {"kind": "linear", "coefficients": {"x1": 1}, "relation": ["<="], "rhs": 1},
        {"kind": "linear", "coefficients": {f"v{i}": 1 for i in range(101)}, "relation": "<=", "rhs": 1},
        {"kind": "forbidden", "levels": {"Catalyst": {"nested": 1}}},
        {"kind": "linear", "coefficients": [1, 2], "relation": "<=", "rhs": 1},
        {"kind": "linear", "coefficients": {"x1": "1"}, "relation": "<=", "rhs": 1},
        {"kind": "linear", "coefficients": {"x1": 1}, "relation": "<=", "rhs": None},
        {"kind": "mixture", "components": "AB", "total": 1},
        {"kind": "mixture", "components": ["A", "B"], "total": 1, "max_active": "2"},
        {"kind": "forbidden", "levels": ["Pt"]},
        {"kind": "conditional", "if_variable": 3, "if_level": "x", "then_variable": "L", "then_low": 0},
        {"kind": "conditional", "if_variable": "C", "if_level": {}, "then_variable": "L", "then_low": 0},
        {"kind": "linear", "coefficients": {"x1": 1}, "relation": "<=", "rhs": 1, "name": 5},
    ],
)
def test_bad_states_raise_session_file_errors(state):
    with pytest.raises(SessionFileError):
        constraint_from_state(state)


def test_copies_with_changes_go_through_the_same_validation():
    from dataclasses import replace

    changed = replace(EXAMPLES[0], rhs=5)
    assert changed.as_dict() == {"x1": 1.0, "x2": 1.0} and changed.rhs == 5.0
    assert replace(EXAMPLES[5], name="no Pt in water").levels == EXAMPLES[5].levels
    with pytest.raises(VariableError):
        replace(EXAMPLES[0], relation="<")
