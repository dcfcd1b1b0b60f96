"""The session: variable changes that need confirmation, model status, and the plain-data state."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from alchemist.errors import ChangeKind, ExperimentError, ModelError, SessionFileError, VariableError
from alchemist.examples import catalyst_example
from alchemist.experiments import NOTE
from alchemist.model import ModelSettings
from alchemist.problems import CellProblem, ProblemKind, RowCheck, RowStatus
from alchemist.session import ChangeNeedsConfirmation, ModelState, ModelStatus, Session, is_session_id
from alchemist.files.bounds import check_plain_state
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable

FAST = ModelSettings(n_restarts=0)


def small_session() -> Session:
    """Five experiments: rows 1-3 valid, row 4 has no temperature, row 5 no result yet."""
    session = Session.new("Screening")
    session.add_variable(ContinuousVariable("Temperature", unit="°C", low=300, high=500))
    session.add_variable(CategoricalVariable("Catalyst", levels=("A", "B")))
    session.add_experiments(
        pd.DataFrame(
            {
                "Temperature": [320.0, 400.0, 480.0, None, 350.0],
                "Catalyst": ["A", "B", "A", "B", "B"],
                "Yield": [0.1, 0.5, 0.3, 0.2, None],
                "Notes": ["", "", "repeat", "probe failed", "in the oven"],
            }
        ),
        target="Yield",
    )
    return session


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


# -- new sessions ---------------------------------------------------------------------------------
def test_new_session_has_unguessable_id_and_utc_times():
    first, second = Session.new("A"), Session.new("  B   campaign ")
    assert is_session_id(first.id) and is_session_id(second.id) and first.id != second.id
    assert second.name == "B campaign"
    assert first.created.tzinfo is not None and first.created.utcoffset() == timedelta(0)
    with pytest.raises(VariableError):
        Session.new("   ")
    with pytest.raises(VariableError):
        Session.new("x" * 121)


def test_experiments_need_variables_first():
    with pytest.raises(ExperimentError, match="Define the variables first"):
        Session.new().add_experiments(pd.DataFrame({"a": [1], "Output": [2]}))


def test_add_experiments_guesses_or_asks_for_the_target():
    session = Session.new()
    session.add_variable(ContinuousVariable("T", low=0, high=1))
    with pytest.raises(ExperimentError, match="Choose which column"):
        session.add_experiments(pd.DataFrame({"T": [0.5], "a": [1.0], "b": [2.0]}))
    assert len(session.experiments) == 0
    session.add_experiments(pd.DataFrame({"T": [0.5], "Conversion": [1.0], "Operator": ["KB"]}))
    assert session.target == "Conversion"


def test_small_session_statuses():
    session = small_session()
    assert session.statuses() == [RowStatus.OK, RowStatus.OK, RowStatus.OK, RowStatus.INVALID, RowStatus.PENDING]
    assert session.check_rows()[3] == RowCheck(RowStatus.INVALID, (CellProblem("Temperature", ProblemKind.MISSING),))
    assert session.experiments.frame[NOTE].tolist()[3] == "probe failed"
    assert session.counts() == {"variables": 2, "experiments": 5}
    pending = session.pending_points()
    assert pending.to_dict("records") == [{"Temperature": 350.0, "Catalyst": "B"}]


def test_a_variable_named_pending_with_an_empty_cell_is_not_a_pending_row():
    # Row status is data: a problem worded "pending time: missing value" must not read as pending.
    session = Session.new()
    session.add_variable(ContinuousVariable("pending time", unit="min", low=0, high=60))
    session.add_variable(ContinuousVariable("Temperature", low=300, high=500))
    session.add_experiments(
        pd.DataFrame(
            {"pending time": [10.0, 20.0, None, 40.0, 50.0], "Temperature": [320.0, 380.0, 400.0, 450.0, 420.0],
             "Yield": [0.1, 0.4, 0.3, 0.2, None]}
        ),
        target="Yield",
    )
    assert session.statuses() == [RowStatus.OK, RowStatus.OK, RowStatus.INVALID, RowStatus.OK, RowStatus.PENDING]
    pending = session.pending_points()
    assert pending.to_dict("records") == [{"pending time": 50.0, "Temperature": 420.0}]
    session.model_settings = FAST
    suggestions = session.suggest(n=1, seed=3)
    assert len(suggestions) == 1 and 0 <= suggestions["pending time"].iloc[0] <= 60


def test_incumbent_follows_the_goal_and_skips_invalid_and_pending_rows():
    session = small_session()  # results 0.1, 0.5, 0.3 usable; row 4 invalid (0.2), row 5 pending
    best = session.incumbent()
    assert (best.row, best.result, best.values) == (1, 0.5, {"Temperature": 400.0, "Catalyst": "B"})
    assert session.incumbent("minimize").row == 0
    session.suggestion_settings = replace(session.suggestion_settings, goal="minimize")
    assert session.incumbent().result == 0.1, "by default, the session's own goal"


# -- variable changes -------------------------------------------------------------------------------
def test_add_variable_adds_an_empty_column_and_refuses_duplicates_and_the_target():
    session = small_session()
    session.add_variable(IntegerVariable("Cycles", low=1, high=3), not_recorded=True)
    assert session.experiments.frame["Cycles"].isna().all()
    assert all(CellProblem("Cycles", ProblemKind.MISSING) in c.problems for c in session.check_rows())
    with pytest.raises(VariableError, match="already a variable"):
        session.add_variable(ContinuousVariable("cycles", low=0, high=1))
    with pytest.raises(VariableError, match="result column"):
        session.add_variable(ContinuousVariable("Yield", low=0, high=1))
    assert [v.name for v in session.variables] == ["Temperature", "Catalyst", "Cycles"]


def test_narrowing_a_range_needs_confirmation_listing_the_rows():
    session = small_session()
    narrower = ContinuousVariable("Temperature", unit="°C", low=300, high=390)
    with pytest.raises(ChangeNeedsConfirmation) as info:
        session.replace_variable("Temperature", narrower)
    assert info.value.rows == [1, 2]  # 0-based positions; the message counts from 1
    assert info.value.change is ChangeKind.EDIT_VARIABLE
    assert session.variable("Temperature").high == 500, "nothing changes without confirmation"
    assert session.statuses()[1] == RowStatus.OK

    session.replace_variable("Temperature", narrower, confirm=True)
    assert session.variable("Temperature").high == 390
    assert session.check_rows()[1].problems == (
        CellProblem("Temperature", ProblemKind.OUT_OF_RANGE, 400.0, low=300.0, high=390.0),
    )
    assert session.experiments.frame["Temperature"].tolist()[1] == 400.0, "values are kept, only marked"


def test_change_that_breaks_nothing_needs_no_confirmation():
    session = small_session()
    session.replace_variable("Temperature", ContinuousVariable("Temperature", low=250, high=600))
    assert session.variable("Temperature").low == 250


def test_rename_keeps_the_values():
    session = small_session()
    session.replace_variable("Temperature", ContinuousVariable("Bed temperature", unit="K", low=300, high=500))
    frame = session.experiments.frame
    assert "Temperature" not in frame.columns
    assert frame["Bed temperature"].tolist()[:3] == [320.0, 400.0, 480.0]
    with pytest.raises(VariableError, match="already a variable"):
        session.replace_variable("Bed temperature", ContinuousVariable("catalyst", low=0, high=1))
    with pytest.raises(VariableError, match="result column"):
        session.replace_variable("Bed temperature", ContinuousVariable("Yield", low=0, high=1))
    with pytest.raises(VariableError, match="no variable named"):
        session.replace_variable("Pressure", ContinuousVariable("P", low=0, high=1))


def test_changing_a_kind_lists_the_rows_that_break():
    session = small_session()
    with pytest.raises(ChangeNeedsConfirmation) as info:
        session.replace_variable("Catalyst", CategoricalVariable("Catalyst", levels=("A", "C")))
    assert info.value.rows == [1, 4]
    with pytest.raises(ChangeNeedsConfirmation) as info:
        session.replace_variable("Temperature", DiscreteVariable("Temperature", values=(320, 480)))
    assert info.value.rows == [1, 4]


def test_delete_variable_with_values_needs_confirmation():
    session = small_session()
    with pytest.raises(ChangeNeedsConfirmation) as info:
        session.delete_variable("Temperature")
    assert info.value.rows == [0, 1, 2, 4]  # row 4 (0-based 3) has no temperature
    assert (info.value.change, info.value.variable) == (ChangeKind.DELETE_VARIABLE, "Temperature")
    assert "Temperature" in session.experiments.frame.columns
    session.delete_variable("Temperature", confirm=True)
    assert [v.name for v in session.variables] == ["Catalyst"]
    assert "Temperature" not in session.experiments.frame.columns
    assert len(session.experiments) == 5, "deleting a variable removes a column, never rows"


def test_delete_empty_variable_needs_no_confirmation():
    session = small_session()
    session.add_variable(ContinuousVariable("Pressure", low=1, high=2), not_recorded=True)
    session.delete_variable("Pressure")
    assert [v.name for v in session.variables] == ["Temperature", "Catalyst"]


def test_set_variables_keeps_columns_by_name_and_asks_before_dropping_values():
    session = small_session()
    new_list = [
        ContinuousVariable("Temperature", unit="K", low=300, high=500),
        IntegerVariable("Cycles", low=1, high=3),
    ]
    with pytest.raises(ChangeNeedsConfirmation) as info:
        session.set_variables(new_list)
    assert (info.value.change, info.value.dropped) == (ChangeKind.IMPORT_VARIABLES, ["Catalyst"])
    assert info.value.rows == [0, 1, 2, 3, 4]
    assert [v.name for v in session.variables] == ["Temperature", "Catalyst"]
    session.set_variables(new_list, confirm=True)
    assert [v.name for v in session.variables] == ["Temperature", "Cycles"]
    assert session.variable("Temperature").unit == "K"
    assert session.experiments.frame["Temperature"].tolist()[:3] == [320.0, 400.0, 480.0]
    assert list(session.experiments.frame.columns[:2]) == ["Temperature", "Cycles"]


def test_set_variables_refuses_duplicates_and_the_result_column():
    session = small_session()
    with pytest.raises(VariableError, match="already a variable"):
        session.set_variables([ContinuousVariable("A", low=0, high=1), ContinuousVariable("a", low=0, high=1)])
    # A variable named like the result would share its column: the model would learn y from y.
    with pytest.raises(VariableError, match="result column"):
        session.set_variables(
            [*session.variables, ContinuousVariable("Yield", low=0, high=1)], confirm=True
        )
    assert [v.name for v in session.variables] == ["Temperature", "Catalyst"]


# -- the model --------------------------------------------------------------------------------------
def test_model_status_none_trained_stale():
    session = small_session()
    assert session.model_status() == ModelStatus(ModelState.NONE, 0)
    session.train(FAST)
    assert session.model_status() == ModelStatus(ModelState.TRAINED, 3, 3)

    # A note does not change what the model learnt from; a result does.
    frame = session.experiments.frame.copy()
    frame.loc[0, NOTE] = "checked the thermocouple"
    session.edit_experiments(frame)
    assert session.model_status().state is ModelState.TRAINED
    frame.loc[4, "Yield"] = 0.45
    session.edit_experiments(frame)
    assert session.model_status() == ModelStatus(ModelState.STALE, 3, 3)

    session.train(FAST)
    assert session.model_status() == ModelStatus(ModelState.TRAINED, 4, 4)
    session.replace_variable("Temperature", ContinuousVariable("Temperature", unit="°C", low=300, high=600))
    assert session.model_status().state is ModelState.STALE, "a changed variable outdates the model"


def test_train_needs_two_valid_results():
    session = Session.new()
    with pytest.raises(ModelError):
        session.train()
    session.add_variable(ContinuousVariable("T", low=0, high=1))
    session.add_experiments(pd.DataFrame({"T": [0.5, 2.0], "y": [1.0, 2.0]}), target="y")
    with pytest.raises(ModelError, match="at least 2 valid experiments"):
        session.train(FAST)
    assert session.model is None


def test_add_pending_appends_suggestions_without_result():
    session = small_session()
    points = pd.DataFrame({"Temperature": [410.0, 420.0], "Catalyst": ["A", "B"], "Predicted mean": [1, 2]})
    assert session.add_pending(points, "suggested by EI") == 2
    frame = session.experiments.frame
    assert len(frame) == 7
    assert frame["Iteration"].tolist()[-2:] == [1, 1]
    assert frame[NOTE].tolist()[-2:] == ["suggested by EI"] * 2
    assert session.statuses()[-2:] == [RowStatus.PENDING, RowStatus.PENDING]
    session.add_pending(points.iloc[:1], "next round")
    assert session.experiments.frame["Iteration"].tolist()[-1] == 2


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
