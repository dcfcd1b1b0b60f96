"""Repair: near-feasible points move onto the allowed set, as little as possible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alchemist.constraints import (
    FEASIBILITY_TOL,
    ConditionalRule,
    ForbiddenCombination,
    LinearConstraint,
    MixtureConstraint,
    is_feasible,
    project,
    project_encoded,
)
from alchemist.encoding import Encoder
from alchemist.variables import CategoricalVariable, ContinuousVariable, IntegerVariable

X = [ContinuousVariable("x1", low=-5, high=10), ContinuousVariable("x2", low=0, high=15)]
BUDGET = LinearConstraint({"x1": 1, "x2": 1}, "<=", 8)


def test_a_point_beyond_a_linear_limit_moves_to_the_nearest_boundary_point():
    repaired = project(pd.DataFrame({"x1": [6.0, 1.0], "x2": [6.0, 2.0]}), X, [BUDGET])
    assert repaired["x1"].tolist() == pytest.approx([4.0, 1.0], abs=1e-6)
    assert repaired["x2"].tolist() == pytest.approx([4.0, 2.0], abs=1e-6)
    assert is_feasible(repaired, X, [BUDGET]).all()


def test_optimiser_results_near_a_mixture_are_made_to_sum_to_the_total():
    variables = [ContinuousVariable(n, low=0, high=1) for n in "ABCD"] + [ContinuousVariable("T", low=20, high=100)]
    constraints = [MixtureConstraint(list("ABCD"), max_active=2)]
    rng = np.random.default_rng(0)
    raw = pd.DataFrame(rng.dirichlet(np.ones(4), 50) * rng.uniform(0.9, 1.1, (50, 1)), columns=list("ABCD"))
    raw["T"] = rng.uniform(20, 100, 50)
    repaired = project(raw, variables, constraints)
    assert is_feasible(repaired, variables, constraints).all()
    assert (repaired[list("ABCD")].to_numpy() > FEASIBILITY_TOL).sum(axis=1).max() <= 2
    # The two largest components of each point stay the active ones; T is untouched.
    kept = np.argsort(-raw[list("ABCD")].to_numpy(), axis=1)[:, :2]
    assert np.all(np.take_along_axis(repaired[list("ABCD")].to_numpy(), kept, axis=1).sum(axis=1) > 0.999)
    assert np.allclose(repaired["T"], raw["T"])


def test_levels_change_as_little_as_needed_and_conditions_are_enforced():
    variables = [
        CategoricalVariable("Catalyst", levels=("Pt", "Pd", "none")),
        CategoricalVariable("Solvent", levels=("water", "EtOH")),
        ContinuousVariable("Loading", low=0, high=5),
    ]
    constraints = [ForbiddenCombination({"Catalyst": "Pt", "Solvent": "water"}),
                   ConditionalRule("Catalyst", "none", "Loading", 0.0)]
    raw = pd.DataFrame({"Catalyst": ["Pt", "none", "Pd"], "Solvent": ["water", "EtOH", "water"], "Loading": [2.0, 1.5, 3.0]})
    repaired = project(raw, variables, constraints)
    assert is_feasible(repaired, variables, constraints).all()
    assert (repaired.iloc[0] != raw.iloc[0]).sum() == 1  # one level changed
    assert repaired.at[1, "Loading"] == 0.0
    pd.testing.assert_series_equal(repaired.iloc[2], raw.iloc[2])


def test_integers_are_rounded_to_a_point_that_still_complies():
    variables = [IntegerVariable("n", low=0, high=10), IntegerVariable("m", low=0, high=10)]
    constraints = [LinearConstraint({"n": 1, "m": 1}, "<=", 7.5)]
    repaired = project(pd.DataFrame({"n": [5], "m": [5]}), variables, constraints)
    assert repaired.at[0, "n"] + repaired.at[0, "m"] == 7
    assert is_feasible(repaired, variables, constraints).all()


def test_encoded_points_are_repaired_through_the_encoder():
    encoder = Encoder(X)
    U = np.array([[1.0, 1.0], [0.1, 0.1]])
    fixed = project_encoded(U, encoder, [BUDGET])
    assert is_feasible(encoder.decode(fixed), X, [BUDGET]).all()
    assert np.allclose(fixed[1], U[1])
