"""Several objectives, outcome limits and excluded experiments in a session: suggestions by
EHVI and the probability of feasibility, the Pareto table, picking on it, saving and loading."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from alchemist.constraints import MixtureConstraint
from alchemist.errors import ExperimentError, SessionFileError
from alchemist.exclusions import ExclusionAction
from alchemist.experiments import EXCLUDED, EXCLUSION_REASON
from alchemist.model import ModelSettings
from alchemist.objectives import Objective, ObjectiveError, PickReason, PickRule, pick_on_front
from alchemist.objectives.campaign import ON_FRONT, predicted_objectives
from alchemist.objectives.suggest import FEASIBILITY, predicted_column
from alchemist.persistence import SessionStore
from alchemist.problems import RowStatus
from alchemist.session import Session
from alchemist.variables import ContinuousVariable

FAST = ModelSettings(n_restarts=0)


def two_objective_session(n: int = 12, limit: float | None = None) -> Session:
    """Yield rises with x and falls with y; Cost rises with x: a real trade-off."""
    session = Session.new("Trade-off")
    session.add_variable(ContinuousVariable("x", low=0, high=1))
    session.add_variable(ContinuousVariable("y", low=0, high=1))
    session.model_settings = FAST
    session.set_objectives([Objective("Yield", "maximize", at_least=limit), Objective("Cost", "minimize")])
    design = session.initial_design(n, seed=2)
    design["Yield"] = 100 * design["x"] ** 0.5 * (1 - 0.5 * design["y"])
    design["Cost"] = 10 * design["x"] + 2 * design["y"] + 1
    session.add_experiments(design, target="Yield")
    return session


def test_objectives_name_result_columns_that_the_table_keeps():
    session = two_objective_session()
    assert session.target == "Yield" and session.experiments.results == ("Cost",)
    assert session.experiments.frame["Cost"].notna().all()
    with pytest.raises(ObjectiveError, match="is a variable"):
        session.set_objectives([Objective("x", "maximize")])
    with pytest.raises(ObjectiveError):
        session.set_objectives([Objective("Yield", "maximize"), Objective("Yield", "minimize")])


def test_objectives_and_exclusions_round_trip_through_pkl_and_json(tmp_path):
    session = two_objective_session()
    session.exclude(3, "Balance not tared")
    store = SessionStore(tmp_path / "cache", ttl=timedelta(days=1))
    for fmt in ("pkl", "json"):
        loaded = store.load_file(store.export(session, fmt), f"s.{fmt}")
        assert loaded.objectives == session.objectives
        assert loaded.experiments.results == ("Cost",)
        assert loaded.statuses()[3] is RowStatus.EXCLUDED
        assert loaded.experiments.frame.at[3, EXCLUSION_REASON] == "Balance not tared"
        assert loaded.exclusion_log == session.exclusion_log
        pd.testing.assert_frame_equal(loaded.experiments.frame, session.experiments.frame)


def test_saved_objectives_must_name_result_columns():
    state = two_objective_session().to_state()
    state["objectives"][1]["name"] = "Colour"
    with pytest.raises(SessionFileError, match="objectives"):
        Session.from_state(state)


def test_an_excluded_experiment_is_kept_but_not_trained_on_and_can_be_included_again():
    session = two_objective_session()
    X, y, _ = session.training_data()
    session.exclude(0, "Wrong catalyst batch")
    assert len(session.experiments) == 12
    assert session.statuses()[0] is RowStatus.EXCLUDED
    X2, y2, _ = session.training_data()
    assert len(y2) == len(y) - 1 and y[0] not in y2
    session.train()
    assert session.model.n_train == 11
    assert not session.pareto_front()["Row"].eq(1).any()
    with pytest.raises(ExperimentError, match="reason"):
        session.exclude(1, "  ")
    session.include(0)
    assert session.statuses()[0] is RowStatus.OK and session.experiments.frame[EXCLUDED].sum() == 0
    assert [e.action for e in session.exclusion_log] == [ExclusionAction.EXCLUDED, ExclusionAction.INCLUDED]
    assert session.exclusion_log[0].reason == "Wrong catalyst batch"
    assert session.model_status().state.value == "stale"


def test_the_pareto_table_matches_brute_force():
    session = two_objective_session(n=20)
    table = session.pareto_front()
    values = table[["Yield", "Cost"]].to_numpy()
    for i, (y_i, c_i) in enumerate(values):
        dominated = any((y_j >= y_i and c_j <= c_i) and (y_j > y_i or c_j < c_i) for y_j, c_j in values)
        assert table[ON_FRONT].iloc[i] == (not dominated)
    assert table[ON_FRONT].sum() >= 2


def test_picking_the_cheapest_point_with_enough_yield():
    session = two_objective_session(n=20)
    table = session.pareto_front()
    pick = pick_on_front(table, session.objectives, PickRule("Cost", at_least={"Yield": 60}))
    assert pick.reason is PickReason.PICKED
    meeting = table[table["Yield"] >= 60]
    assert table.loc[pick.index, "Cost"] == meeting["Cost"].min()
    none = pick_on_front(table, session.objectives, PickRule("Cost", at_least={"Yield": 1e6}))
    assert none.reason is PickReason.NONE_MEETS_LIMITS


def test_ehvi_suggestions_improve_the_front_and_avoid_pending_points():
    session = two_objective_session()
    table = session.suggest(n=3, seed=0)
    assert len(table) == 3 and (table["Policy"] == "ehvi").all()
    assert {predicted_column("Yield"), predicted_column("Cost")} <= set(table.columns)
    assert (table["Acquisition"] >= 0).all() and table["Acquisition"].iloc[0] > 0
    points = table[["x", "y"]].to_numpy()
    assert np.min(np.max(np.abs(points[:, None] - points[None]), axis=2)[np.triu_indices(3, 1)]) >= 0.02
    session.add_pending(table, note="EHVI")
    again = session.suggest(n=2, seed=1)
    gaps = np.max(np.abs(again[["x", "y"]].to_numpy()[:, None] - points[None]), axis=2)
    assert gaps.min() >= 0.02


def test_several_objectives_with_a_mixture_give_a_batch_on_the_simplex():
    session = Session.new("Mixture")
    for name in "ABC":
        session.add_variable(ContinuousVariable(name, low=0, high=1))
    session.model_settings = FAST
    session.add_constraint(MixtureConstraint(["A", "B", "C"], total=1.0))
    session.set_objectives([Objective("Yield", "maximize"), Objective("Cost", "minimize")])
    design = session.initial_design(10, seed=0)
    design["Yield"] = 3 * design["A"] + design["B"]
    design["Cost"] = 5 * design["A"] + design["C"]
    session.add_experiments(design, target="Yield")
    table = session.suggest(n=5, seed=0)
    assert table[["A", "B", "C"]].sum(axis=1).to_numpy() == pytest.approx(np.ones(5), abs=1e-6)


def test_an_outcome_limit_steers_suggestions_and_is_reported():
    # Yield is highest at small x, but only x above 0.6 gives enough purity.
    session = Session.new("Purity")
    session.add_variable(ContinuousVariable("x", low=0, high=1))
    session.model_settings = FAST
    session.set_objectives([Objective("Yield", "maximize"), Objective("Purity", None, at_least=0.95)])
    design = session.initial_design(10, seed=4)
    design["Yield"] = 1 - design["x"]
    design["Purity"] = 0.8 + 0.25 * design["x"]
    session.add_experiments(design, target="Yield")
    table = session.suggest(n=2, seed=0)
    assert FEASIBILITY in table
    assert (table["x"] > 0.5).all(), table
    assert table[FEASIBILITY].iloc[0] > 0.3
    # The unconstrained optimum (x = 0) has practically no chance of meeting the limit.
    from alchemist.objectives.campaign import objective_models
    from alchemist.objectives.ehvi import probability_of_feasibility

    models = objective_models(session)
    mean, std = models["Purity"].predict(pd.DataFrame({"x": [0.0]}))
    assert probability_of_feasibility(np.c_[mean], np.c_[std], [session.objectives[1]])[0] < 0.01


def test_with_no_experiment_meeting_the_limit_yet_the_search_seeks_the_limit_first():
    # Yield is best at x = 0, but no experiment reaches the purity limit yet; it is nearest at
    # x = 1. Improving the yield of points that fail the limit is worth nothing, so the first
    # suggestion goes where the limit is most likely met, and has no improvement to report.
    session = Session.new("Purity first")
    session.add_variable(ContinuousVariable("x", low=0, high=1))
    session.model_settings = FAST
    session.set_objectives([Objective("Yield", "maximize"), Objective("Purity", None, at_least=0.95)])
    design = session.initial_design(8, seed=1)
    design = design[design["x"] < 0.85].reset_index(drop=True)
    design["Yield"] = 1 - design["x"]
    design["Purity"] = 0.5 + 0.4 * design["x"]
    session.add_experiments(design, target="Yield")
    table = session.suggest(n=1, seed=0)
    assert table["x"].iloc[0] > 0.9, table
    assert np.isnan(table["Acquisition"].iloc[0])
    assert table[FEASIBILITY].iloc[0] > 0.0


def test_the_predicted_trade_off_is_a_front_of_model_means():
    session = two_objective_session()
    predicted = predicted_objectives(session, n=64)
    assert len(predicted) == 64 and predicted[ON_FRONT].sum() >= 2
    front = predicted[predicted[ON_FRONT]].sort_values("Cost")
    # Along the predicted front, a higher cost buys a higher yield.
    assert np.all(np.diff(front["Yield"].to_numpy()) > 0)


def test_dropping_an_objective_keeps_its_measured_values():
    session = two_objective_session()
    session.set_objectives([Objective("Yield", "maximize")])
    assert session.experiments.results == ("Cost",) and session.experiments.frame["Cost"].notna().all()
    session.set_objectives([])
    assert session.objectives == [] and session.experiments.frame["Cost"].notna().all()
    assert Session.from_state(session.to_state()).experiments.results == ("Cost",)
