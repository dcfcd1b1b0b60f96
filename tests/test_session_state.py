"""The session's plain-data state: builtins only, exact round trips, and bad or crafted parts refused."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from alchemist.errors import SessionFileError
from alchemist.examples import catalyst_example
from alchemist.experiments import NOTE
from alchemist.problems import ProblemKind, RowStatus
from alchemist.session import ModelState, ModelStatus, Session
from alchemist.files.bounds import check_plain_state
from alchemist.variables import ContinuousVariable, DiscreteVariable
from tests.session_support import FAST, small_session


def walk_builtins(node, path="state"):
    """Every node of a state tree must be a builtin value (what the restricted loader accepts)."""
    kind = type(node)
    assert kind in (dict, list, str, bytes, int, float, bool, type(None)), f"{path} is {kind.__name__}"
    if kind is dict:
        for key, value in node.items():
            assert type(key) is str, f"{path} has key {key!r}"
            walk_builtins(value, f"{path}.{key}")
    elif kind is list:
        for i, item in enumerate(node):
            walk_builtins(item, f"{path}[{i}]")


@pytest.fixture(scope="module")
def trained_catalyst() -> Session:
    session = catalyst_example()
    session.train(FAST)
    # Suggestions as the optimiser returns them (typed variable columns + predictions);
    # set directly to keep these tests fast.
    session.suggestions = pd.DataFrame(
        {
            "Temperature": [410.67, 412.97],
            "Catalyst": pd.Series(["Low SAR", "High SAR"], dtype=object),
            "Metal Loading": [1.5, 2.25],
            "Zinc Fraction": [1.0, 0.75],
            "Predicted mean": [0.55, 0.5],
            "Predicted std": [0.09, 0.12],
            "Acquisition": [0.013, 0.0077],
        }
    )
    return session


# -- the state ---------------------------------------------------------------------------------------
def test_state_holds_only_builtins(trained_catalyst):
    state = trained_catalyst.to_state()
    walk_builtins(state)
    check_plain_state(state)
    assert state["model"] is not None and state["suggestions"] is not None


def test_state_round_trip_of_a_trained_session(trained_catalyst):
    original = trained_catalyst
    again = Session.from_state(original.to_state())
    assert (again.id, again.name, again.created, again.modified) == (
        original.id, original.name, original.created, original.modified,
    )
    assert again.variables == original.variables
    pd.testing.assert_frame_equal(again.experiments.frame, original.experiments.frame)
    pd.testing.assert_frame_equal(again.suggestions, original.suggestions)
    assert again.model_settings == original.model_settings
    assert again.model_status() == original.model_status() == ModelStatus(ModelState.TRAINED, 22, 22)
    X, _, _ = original.training_data()
    for before, after in zip(original.model.predict(X), again.model.predict(X)):
        assert np.array_equal(before, after)
    assert again.to_state() == original.to_state()


def test_state_round_trip_with_units_descriptions_missing_values_and_notes():
    session = small_session()
    session.add_variable(
        DiscreteVariable("SAR", unit="mol/mol", description="Si/Al ratio of the zeolite", values=(80, 280)),
        not_recorded=True,
    )
    session.replace_variable(
        "Temperature",
        ContinuousVariable("Temperature", unit="°C", description="Set point, not the bed reading", low=300, high=500),
    )
    again = Session.from_state(session.to_state())
    assert again.variables == session.variables
    assert again.variable("Temperature").description == "Set point, not the bed reading"
    assert again.variable("SAR").unit == "mol/mol"
    pd.testing.assert_frame_equal(again.experiments.frame, session.experiments.frame)
    assert again.statuses() == session.statuses()
    assert math.isnan(again.experiments.frame["Temperature"].tolist()[3])
    assert again.experiments.frame[NOTE].tolist() == ["", "", "repeat", "probe failed", "in the oven"]
    assert again.model is None and again.suggestions is None and again.model_status().state is ModelState.NONE


def _mutated(state: dict, path: tuple, value) -> dict:
    import copy

    state = copy.deepcopy(state)
    node = state
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return state


@pytest.mark.parametrize(
    "path, value, fragment",
    [
        (("state_version",), 2, "unknown layout"),
        (("id",), "../../etc/passwd", "no valid id"),
        (("id",), "ABCDEF" * 6, "no valid id"),
        (("name",), "", "not valid"),
        (("name",), 5, "not valid"),
        (("variables",), "Temperature", "not a list"),
        (("variables", 0, "low"), 900.0, "not valid"),
        (("variables", 1, "name"), "temperature", "already a variable"),
        (("created",), "2025-01-01T00:00:00", "not in UTC"),
        (("modified",), "2025-01-01T00:00:00+02:00", "not in UTC"),
        (("modified",), "yesterday", "not a valid timestamp"),
        (("experiments", "target"), "", "no target"),
        (("model_settings", "kernel"), "spline", "not valid"),
        (("model_fingerprint",), 42, "expected form"),
        (("model", "version"), 99, "saved model cannot be loaded"),
        (("model", "variables"), [], "no variables"),
    ],
)
def test_from_state_refuses_bad_parts(trained_catalyst, path, value, fragment):
    state = _mutated(trained_catalyst.to_state(), path, value)
    with pytest.raises(SessionFileError) as info:
        Session.from_state(state)
    assert fragment in info.value.message


def test_from_state_refuses_a_variable_named_like_the_result():
    session = small_session()
    state = session.to_state()
    state["variables"].append({"kind": "continuous", "name": "Yield", "unit": "", "description": "", "low": 0.0, "high": 1.0})
    with pytest.raises(SessionFileError):
        Session.from_state(state)


def test_from_state_refuses_non_dict():
    for state in (None, [], "session"):
        with pytest.raises(SessionFileError):
            Session.from_state(state)


def test_timestamps_survive_in_utc():
    session = small_session()
    session.created = datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=timezone(timedelta(hours=2)))
    again = Session.from_state(session.to_state())
    assert again.created == session.created
    assert again.created.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "path, value",
    [
        (("variables", 1, "levels"), 5),  # a number where a list belongs
        (("variables", 1, "levels"), 1.5),
        (("experiments", "table", "columns", 0, "data", "shape", 0), 2**70),  # overflows numpy's int64
        (("experiments", "table", "columns", 0, "data", "shape"), [2**32, 2**32]),  # wraps to 0 in int64
    ],
)
def test_crafted_values_give_our_error_not_a_crash(trained_catalyst, path, value):
    state = _mutated(trained_catalyst.to_state(), path, value)
    with pytest.raises(SessionFileError):
        Session.from_state(state)


def test_wrapping_shape_with_empty_data_is_refused(trained_catalyst):
    state = _mutated(
        trained_catalyst.to_state(),
        ("experiments", "table", "columns", 0, "data"),
        {"dtype": "f8", "shape": [2**32, 2**32], "data": b""},
    )
    with pytest.raises(SessionFileError):
        Session.from_state(state)


def test_rows_without_columns_cannot_make_huge_tables():
    # A few bytes claiming 10^12 rows must not make us build empty columns of that length.
    session = small_session()
    state = _mutated(session.to_state(), ("experiments", "table"), {"n_rows": 10**12, "columns": []})
    with pytest.raises(SessionFileError, match="rows but no columns"):
        Session.from_state(state)
    empty = _mutated(session.to_state(), ("experiments", "table"), {"n_rows": 0, "columns": []})
    assert len(Session.from_state(empty).experiments) == 0


def test_suggestion_settings_default_to_the_automatic_policy_and_old_files_still_load():
    from alchemist.session import SuggestionSettings

    assert Session.new().suggestion_settings.acquisition == "auto"
    old = SuggestionSettings.from_state({"acquisition": "ei", "goal": "minimize", "beta": 2.0, "batch_size": 1, "seed": 0})
    assert old.acquisition == "ei" and old.budget is None  # saved before budgets existed: kept as saved
    stated = SuggestionSettings(budget=30)
    assert SuggestionSettings.from_state(stated.to_state()) == stated
    with pytest.raises(SessionFileError):
        SuggestionSettings.from_state({"budget": 0})


def test_odd_values_are_kept_as_typed_problems_and_the_session_round_trips(tmp_path):
    """A typo like 1e155 is a typed row problem, never a crash: save, export, load, nothing lost."""
    from alchemist.persistence import SessionStore
    from alchemist.problems import MAX_MAGNITUDE

    session = small_session()
    huge_note = "lab book " * 20_000
    odd = pd.DataFrame(
        {
            "Temperature": [400.0, 400.0, 1e155, 310.0],
            "Catalyst": ["A", "B", "A", "A"],
            "Yield": [1e155, -0.0, 0.2, 1e-300],
            "Noise": [None, 1e200, None, None],
            "Note": ["", "", "", huge_note],
        }
    )
    session.add_experiments(odd, target="Yield")
    checks = session.check_rows()[-4:]
    kinds = [{(p.column, p.kind) for p in c.problems} for c in checks]
    assert kinds[0] == {("Yield", ProblemKind.TOO_LARGE)}
    assert kinds[1] == {("Noise", ProblemKind.TOO_LARGE)}
    assert kinds[2] == {("Temperature", ProblemKind.TOO_LARGE)}
    assert checks[3].status is RowStatus.OK  # -0.0 and 1e-300 are fine numbers
    assert all(p.high == MAX_MAGNITUDE for c in checks[:3] for p in c.problems)
    session.train(FAST)  # the bad rows are left out of training, not standardised into inf

    store = SessionStore(tmp_path / "cache")
    store.save(session)
    again = store.get(session.id)
    assert again is not None
    for fmt in ("pkl", "json"):
        loaded = store.read_file(store.export(again, fmt=fmt), f"s.{fmt}").session
        frame = loaded.experiments.frame
        assert len(frame) == len(session.experiments.frame)
        assert frame["Yield"].iloc[-4] == 1e155 and frame["Noise"].iloc[-3] == 1e200
        assert math.copysign(1, frame["Yield"].iloc[-3]) == -1.0
        assert frame["Yield"].iloc[-1] == 1e-300 and frame[NOTE].iloc[-1] == huge_note
        assert [c.status for c in loaded.check_rows()] == [c.status for c in session.check_rows()]
