"""The session: new sessions, row statuses and pending points, the incumbent, model status and training."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pandas as pd
import pytest

from alchemist.errors import ExperimentError, ModelError, VariableError
from alchemist.experiments import NOTE
from alchemist.problems import CellProblem, ProblemKind, RowCheck, RowStatus
from alchemist.session import ModelState, ModelStatus, Session, is_session_id
from alchemist.variables import ContinuousVariable
from tests.session_support import FAST, small_session


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
