"""Constraints in a session: saved in both file formats, honoured by designs and suggestions,
flagged on recorded experiments, followed through variable changes."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from alchemist.constraints import (
    ConditionalRule,
    ForbiddenCombination,
    LinearConstraint,
    MixtureConstraint,
    ViolationKind,
    is_feasible,
)
from alchemist.errors import SessionFileError, VariableError
from alchemist.model import ModelSettings
from alchemist.persistence import SessionStore
from alchemist.session import Session
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable

FAST = ModelSettings(n_restarts=0)


def _base(*variables) -> Session:
    session = Session.new("Constraints")
    for variable in variables:
        session.add_variable(variable)
    session.model_settings = FAST
    return session


def linear_session() -> Session:
    session = _base(ContinuousVariable("x1", low=-5, high=10), ContinuousVariable("x2", low=0, high=15),
                    IntegerVariable("n", low=0, high=10))
    session.add_constraint(LinearConstraint({"x1": 1, "x2": 1}, "<=", 8))
    session.add_constraint(LinearConstraint({"x2": 1, "n": 1}, ">=", 4))
    return session


def mixture_session() -> Session:
    session = _base(*[ContinuousVariable(n, low=0, high=1) for n in "ABCD"], ContinuousVariable("T", low=20, high=100))
    session.add_constraint(MixtureConstraint(["A", "B", "C", "D"], total=1.0, max_active=None))
    return session


def cardinality_session() -> Session:
    session = _base(*[ContinuousVariable(n, low=0, high=0.8) for n in "ABCDE"], ContinuousVariable("T", low=20, high=100))
    session.add_constraint(MixtureConstraint(list("ABCDE"), total=1.0, max_active=2))
    return session


def forbidden_session() -> Session:
    session = _base(CategoricalVariable("Catalyst", levels=("Pt", "Pd", "Ni")),
                    CategoricalVariable("Solvent", levels=("water", "EtOH")), ContinuousVariable("T", low=20, high=100),
                    DiscreteVariable("P", values=(1, 2, 5)))
    session.add_constraint(ForbiddenCombination({"Catalyst": "Pt", "Solvent": "water"}))
    session.add_constraint(ForbiddenCombination({"Catalyst": "Ni", "P": 5}))
    return session


def conditional_session() -> Session:
    session = _base(CategoricalVariable("Catalyst", levels=("none", "Pd")), ContinuousVariable("Loading", low=0, high=5),
                    ContinuousVariable("T", low=20, high=100))
    session.add_constraint(ConditionalRule("Catalyst", "none", "Loading", 0.0))
    return session


KINDS = {
    "linear": linear_session,
    "mixture": mixture_session,
    "cardinality": cardinality_session,
    "forbidden": forbidden_session,
    "conditional": conditional_session,
}


def _truth(frame: pd.DataFrame) -> np.ndarray:
    """A smooth made-up response over whatever numeric columns the frame has, plus levels."""
    total = np.zeros(len(frame))
    for k, column in enumerate(frame.columns):
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.notna().all():
            span = float(values.max() - values.min()) or 1.0
            total += np.sin((k + 1) * values.to_numpy() / span)
        else:
            total += frame[column].astype(str).map(lambda s: (hash(s) % 7) / 7).to_numpy()
    return total


def measured(session: Session, n: int = 10, seed: int = 3) -> Session:
    design = session.initial_design(n, seed=seed)
    design["Output"] = _truth(design)
    session.add_experiments(design, target="Output")
    return session


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_round_trips_through_pkl_and_json(tmp_path, kind):
    session = KINDS[kind]()
    store = SessionStore(tmp_path / "cache", ttl=timedelta(days=1))
    for fmt in ("pkl", "json"):
        loaded = store.load_file(store.export(session, fmt), f"s.{fmt}")
        assert loaded.constraints == session.constraints, fmt
        assert loaded.to_state()["constraints"] == session.to_state()["constraints"]


def test_a_file_without_constraints_loads_with_none(tmp_path):
    session = mixture_session()
    state = session.to_state()
    for key in ("constraints", "objectives", "exclusion_log"):
        state.pop(key)
    loaded = Session.from_state(state)
    assert loaded.constraints == () and loaded.objectives == [] and loaded.exclusion_log == []


def test_saved_constraints_that_do_not_fit_the_variables_are_refused():
    state = mixture_session().to_state()
    state["constraints"][0]["components"] = ["A", "B", "Z"]
    with pytest.raises(SessionFileError, match="constraints"):
        Session.from_state(state)
    state["constraints"] = [{"kind": "magic"}]
    with pytest.raises(SessionFileError, match="unknown kind"):
        Session.from_state(state)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_1000_design_points_per_kind_meet_every_constraint(kind):
    session = KINDS[kind]()
    design = session.initial_design(1000, seed=11)
    assert len(design) == 1000
    assert is_feasible(design, session.variables, session.constraints).all()
    assert all(not v for v in _violations_of(session, design))


def _violations_of(session, frame):
    from alchemist.constraints import violations

    return violations(frame, session.variables, session.constraints)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_suggestions_per_kind_meet_every_constraint(kind):
    # 20 batches of 5 here (100 suggestions, a few seconds per kind); the 1,000-suggestion count
    # runs in test_1000_suggestions_meet_every_constraint below, marked slow.
    session = measured(KINDS[kind]())
    for seed in range(4):
        table = session.suggest(n=5, seed=seed, acquisition="ei")
        assert len(table) == 5
        assert is_feasible(table, session.variables, session.constraints).all(), table


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_1000_suggestions_per_kind_meet_every_constraint(kind, monkeypatch):
    # The full count with a lighter search (fewer candidates and climbs, the same code path and
    # the same guarantees: every returned point is checked by the search and by the session).
    from alchemist.constraints import search

    full = search.maximize_constrained
    monkeypatch.setattr(search, "maximize_constrained",
                        lambda *a, **k: full(*a, **{**k, "n_candidates": 128, "n_starts": 1}))
    session = measured(KINDS[kind]())
    suggested = []
    for seed in range(20):
        table = session.suggest(n=50, seed=seed, acquisition="auto")
        suggested.append(table[[v.name for v in session.variables]])
    everything = pd.concat(suggested, ignore_index=True)
    assert len(everything) == 1000
    assert is_feasible(everything, session.variables, session.constraints).all()
    assert not any(_violations_of(session, everything))


def test_a_mixture_batch_of_five_sums_to_the_total():
    session = measured(mixture_session())
    table = session.suggest(n=5, seed=0)
    assert table[list("ABCD")].sum(axis=1).to_numpy() == pytest.approx(np.ones(5), abs=1e-6)
    assert table["T"].between(20, 100).all()


def test_a_mixture_design_is_space_filling_on_the_simplex():
    session = mixture_session()
    design = session.initial_design(40, seed=0)
    shares = design[list("ABCD")].to_numpy()
    # Every corner of the simplex is (nearly) reached, and no two points coincide.
    for corner in np.eye(4):
        assert np.min(np.max(np.abs(shares - corner), axis=1)) < 0.05
    distance = np.sqrt(((shares[:, None, :] - shares[None, :, :]) ** 2).sum(axis=2))
    assert np.min(distance[np.triu_indices(len(shares), 1)]) > 0.02


def test_a_violating_experiment_is_flagged_and_still_trains_the_model():
    session = measured(linear_session(), n=8)
    before = session.training_data()[1].size
    session.add_experiments(pd.DataFrame({"x1": [9.0], "x2": [14.0], "n": [5], "Output": [0.3]}))
    flags = session.constraint_violations()
    assert [len(f) for f in flags[:-1]] == [0] * 8
    assert [v.kind for v in flags[-1]] == [ViolationKind.LINEAR]
    assert flags[-1][0].constraint == 0 and flags[-1][0].amount == pytest.approx(15.0)
    assert session.training_data()[1].size == before + 1


def test_constraints_follow_a_renamed_variable_and_block_a_deletion():
    session = mixture_session()
    session.replace_variable("A", ContinuousVariable("Water", low=0, high=1))
    assert session.constraints[0].components == ("Water", "B", "C", "D")
    with pytest.raises(VariableError, match="Change or remove the constraint first"):
        session.delete_variable("B")
    session.remove_constraint(0)
    session.delete_variable("B")
    assert session.constraints == ()


def test_a_constraint_that_does_not_fit_is_refused_and_changes_nothing():
    session = mixture_session()
    with pytest.raises(VariableError):
        session.add_constraint(LinearConstraint({"A": 1, "Nope": 1}, "<=", 1))
    with pytest.raises(VariableError):
        session.add_constraint(LinearConstraint({"A": 1, "B": 1}, ">=", 5))
    assert len(session.constraints) == 1
    with pytest.raises(VariableError):
        session.add_constraint(MixtureConstraint(["A", "B", "C", "D"], total=1.0))


def test_the_landscape_marks_the_points_the_constraints_exclude():
    from alchemist.landscape import FEASIBLE, prediction_grid

    session = measured(linear_session(), n=8)
    session.train()
    grid = prediction_grid(session.model, "x1", "x2", {"n": 5}, resolution=12, constraints=session.constraints)
    expected = (grid["x1"] + grid["x2"] <= 8 + 1e-6 * 30) & (grid["x2"] + 5 >= 4 - 1e-6 * 25)
    assert grid[FEASIBLE].tolist() == expected.tolist()
    assert 0 < grid[FEASIBLE].sum() < len(grid)
    assert FEASIBLE not in prediction_grid(session.model, "x1", "x2", {"n": 5}, resolution=12)


def test_every_constraint_kind_and_violation_has_words():
    from alchemist.constraints import Violation
    from ui.constraint_words import constraint_text, violation_text

    texts = [constraint_text(c) for kind in sorted(KINDS) for c in KINDS[kind]().constraints]
    assert "x1 + x2 ≤ 8" in texts and "A + B + C + D = 1" in texts
    assert "A + B + C + D + E = 1, at most 2 of them non-zero" in texts
    assert "never Catalyst = Pt and Solvent = water together" in texts
    assert "if Catalyst = none, then Loading = 0" in texts
    session = linear_session()
    flag = Violation(0, ViolationKind.LINEAR, 7.0, 0.2)
    assert violation_text(flag, session.constraints) == "breaks x1 + x2 ≤ 8 (by 7)"
