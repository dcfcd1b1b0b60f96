"""With a stated budget the objective search spends its last experiments on the models' means."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alchemist.model import GPModel, ModelSettings
from alchemist.objectives import Objective
from alchemist.objectives.suggest import EXPLOIT_POLICY, POLICY, suggest_objectives
from alchemist.session import Session
from alchemist.variables import ContinuousVariable

FAST = ModelSettings(n_restarts=0)
X_VAR = [ContinuousVariable("x", low=0, high=1)]


def _peak(x: np.ndarray) -> np.ndarray:
    return np.exp(-(((x - 0.3) / 0.12) ** 2))


def _one_limit_models(x: np.ndarray, purity: np.ndarray, at_least: float = 0.5):
    X = pd.DataFrame({"x": x})
    models = {"Yield": GPModel(X_VAR, FAST).fit(X, _peak(x)), "Purity": GPModel(X_VAR, FAST).fit(X, purity)}
    return models, [Objective("Yield", "maximize"), Objective("Purity", None, at_least=at_least)], X


def test_the_last_experiment_of_the_budget_refines_the_best_mean_not_the_unexplored_edge():
    # Yield peaks at x = 0.3, measured there; nothing is measured above 0.5, every x meets the
    # limit. EI x P(limit) goes to the unexplored edge (x = 1, predicted 0.35 +- 0.39), which
    # no later experiment would follow up: the last one of the budget refines the peak instead.
    x = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    models, objectives, X = _one_limit_models(x, 1.0 - 0.4 * x)
    free = suggest_objectives(models, objectives, X, n=1, seed=0)
    assert free[POLICY].iloc[0] == "ei" and float(free["x"].iloc[0]) > 0.8, free
    last = suggest_objectives(models, objectives, X, n=1, seed=0, budget=len(x) + 1)
    assert last[POLICY].iloc[0] == EXPLOIT_POLICY
    assert abs(float(last["x"].iloc[0]) - 0.3) < 0.03, last


def test_exploiting_stays_where_the_limit_is_expected_to_be_met():
    # The yield peak (x = 0.3) fails the purity limit, met from x = 0.35 on: the best mean
    # that meets it lies just inside the limit, not on the peak.
    x = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0])
    models, objectives, X = _one_limit_models(x, 0.2 + x, at_least=0.55)
    last = suggest_objectives(models, objectives, X, n=1, seed=0, budget=len(x) + 1)
    assert last[POLICY].iloc[0] == EXPLOIT_POLICY
    assert 0.35 <= float(last["x"].iloc[0]) < 0.45, last
    assert float(last["Probability of meeting limits"].iloc[0]) > 0.5


def test_only_the_last_members_of_a_batch_exploit():
    x = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
    models, objectives, X = _one_limit_models(x, 1.0 - 0.4 * x)
    # Budget 10 with 8 measured: EXPLOIT_SHARE leaves max(1, round(0.1 * 10)) = 1 to exploit.
    table = suggest_objectives(models, objectives, X, n=2, seed=0, budget=10)
    assert list(table[POLICY]) == ["ei", EXPLOIT_POLICY]
    # Pending experiments count as done.
    pending = pd.DataFrame({"x": [0.9]})
    table = suggest_objectives(models, objectives, X, n=1, seed=0, budget=10, pending=pending)
    assert list(table[POLICY]) == [EXPLOIT_POLICY]


def test_a_session_with_several_objectives_passes_its_budget():
    session = Session.new("Trade-off")
    session.add_variable(ContinuousVariable("x", low=0, high=1))
    session.add_variable(ContinuousVariable("y", low=0, high=1))
    session.model_settings = FAST
    session.set_objectives([Objective("Yield", "maximize"), Objective("Cost", "minimize")])
    design = session.initial_design(10, seed=2)
    design["Yield"] = 100 * design["x"] ** 0.5 * (1 - 0.5 * design["y"])
    design["Cost"] = 10 * design["x"] + 2 * design["y"] + 1
    session.add_experiments(design, target="Yield")
    assert list(session.suggest(n=2, seed=0)[POLICY]) == ["ehvi", "ehvi"]
    assert list(session.suggest(n=2, seed=0, budget=12)[POLICY]) == ["ehvi", EXPLOIT_POLICY]
    # An acquisition chosen by hand is not scheduled.
    assert list(session.suggest(n=2, seed=0, budget=12, acquisition="ei")[POLICY]) == ["ehvi", "ehvi"]
