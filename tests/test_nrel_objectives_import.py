"""NREL ALchemist's objectives, outcome constraints and input constraints, imported; what does not fit, named.

From the files NREL ALchemist 0.4.0 itself wrote (shared/, see tests/nrel_support.py), and variants of them.
"""

from __future__ import annotations

import pytest

from alchemist.files.nrel_notes import NotMappedKind as K
from tests.nrel_support import CATALYST, QUEUE_FILES, TWO_OBJECTIVES, imported, tree_of


# -- objectives, outcome constraints, input constraints --------------------------------------------
def test_both_objectives_the_outcome_constraint_and_the_input_constraint_are_mapped(store):
    tree = tree_of(TWO_OBJECTIVES)
    session, notes = imported(tree)
    assert [(o.name, o.direction, o.at_least, o.at_most) for o in session.objectives] == [
        ("Yield", "maximize", 30.0, None), ("Cost", "minimize", None, None)]
    (constraint,) = session.constraints
    assert (constraint.as_dict(), constraint.relation, constraint.rhs, constraint.name) == (
        {"Temperature": 1.0, "Residence Time": 2.0}, "<=", 180.0, "thermal_exposure")
    frame = session.experiments.frame
    data = tree["experiments"]["data"]
    for column in ("Yield", "Cost"):
        assert frame[column].tolist()[: len(data)] == [row[column] for row in data], column
    assert not any(session.constraint_violations()), "ALchemist's runs respect the constraint"
    assert {K.CONSTRAINTS, K.OUTCOME_CONSTRAINTS, K.OBJECTIVES, K.RESULT_COLUMNS}.isdisjoint(n.kind for n in notes)
    front = session.pareto_front()
    assert len(front) == len(data)
    for fmt in ("json", "pkl"):
        again = store.load_file(store.export(session, fmt), f"x.{fmt}")
        assert again.objectives == session.objectives and again.constraints == session.constraints
        assert again.exclusion_log == session.exclusion_log and len(again.exclusion_log) == 1
        assert again.experiments.frame.equals(frame) and again.statuses() == session.statuses()
        assert again.audit.to_state() == session.audit.to_state() and again.details == session.details


@pytest.mark.parametrize("relative", QUEUE_FILES)
def test_the_notes_name_only_what_is_truly_not_mapped(relative):
    session, notes = imported(tree_of(relative))
    # ALchemist's run settings (verbose, auto_train), its fitted model and the results' labels/units have no place here.
    assert {n.kind for n in notes} == {K.SETTINGS, K.MODEL_FIT, K.OBJECTIVE_LABELS}
    (settings,) = [n for n in notes if n.kind is K.SETTINGS]
    assert settings.names == ("verbose=True", "auto_train=False", "auto_train_threshold=5")


def test_a_constraint_that_does_not_fit_is_named_and_the_rest_imported():
    tree = tree_of(TWO_OBJECTIVES)
    tree["search_space"]["constraints"] += [
        {"type": "inequality", "coefficients": {"Pressure": 1.0}, "rhs": 3.0, "name": "no_such_variable"},
        {"type": "nonlinear", "expression": "T**2 < 9", "name": "curved"},
    ]
    tree["outcome_constraints"].append({"objective_name": "Purity", "bound_type": "lower", "value": 0.9})
    session, notes = imported(tree)
    assert [c.name for c in session.constraints] == ["thermal_exposure"]
    named = {name for n in notes if n.kind is K.CONSTRAINTS for name in n.names}
    assert named == {"no_such_variable", "curved"}
    (outcome,) = [n for n in notes if n.kind is K.OUTCOME_CONSTRAINTS]
    assert outcome.names == ("Purity",) and session.objectives[0].at_least == 30.0


def test_one_result_takes_the_goal_of_alchemists_last_batch():
    tree = tree_of(CATALYST)
    for entry in tree["audit_log"]["entries"]:
        if entry["entry_type"] == "acquisition_locked":
            entry["parameters"]["parameters"]["goal"] = "minimize"
    session, _ = imported(tree)
    assert session.objectives == [] and session.suggestion_settings.goal == "minimize"
