"""Constrained designs and candidates: no violations, every bound kept, space-filling on a simplex."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import pdist

from alchemist.constraints import (
    ConditionalRule,
    ForbiddenCombination,
    LinearConstraint,
    MixtureConstraint,
    constrained_design,
    feasible_candidates,
    is_feasible,
    simplex_points,
    violations,
)
from alchemist.errors import ModelError, VariableError
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable

N = 1000


def components(bounds):
    return [ContinuousVariable(name, low=low, high=high) for name, (low, high) in bounds.items()]


MIXTURE4 = components({"A": (0, 1), "B": (0, 1), "C": (0, 1), "D": (0, 1)})
TEMPERATURE = ContinuousVariable("T", low=20, high=120)
CATALYST = CategoricalVariable("Catalyst", levels=("Pt", "Pd", "none"))
SOLVENT = CategoricalVariable("Solvent", levels=("water", "EtOH", "THF"))

CASES = {
    "linear <=": ([ContinuousVariable("x1", low=-5, high=10), ContinuousVariable("x2", low=0, high=15)],
                  [LinearConstraint({"x1": 1, "x2": 1}, "<=", 8)]),
    "linear with integers": ([ContinuousVariable("t", low=0, high=10), IntegerVariable("n", low=0, high=20)],
                             [LinearConstraint({"t": 3, "n": 1}, ">=", 25), LinearConstraint({"t": 1, "n": 1}, "<=", 18)]),
    "linear ==": ([ContinuousVariable("x1", low=0, high=10), ContinuousVariable("x2", low=0, high=10),
                   ContinuousVariable("x3", low=0, high=10)],
                  [LinearConstraint({"x1": 1, "x2": 2, "x3": -1}, "==", 6)]),
    "equality with an integer": ([ContinuousVariable("t", low=0, high=10), IntegerVariable("n", low=0, high=8),
                                  ContinuousVariable("s", low=0, high=5)],
                                 [LinearConstraint({"t": 1, "n": 1, "s": 0.5}, "==", 10)]),
    "bounded mixture": (components({"A": (0.1, 0.6), "B": (0, 0.3), "C": (0.05, 0.9), "D": (0, 0.2)}) + [TEMPERATURE],
                        [MixtureConstraint(["A", "B", "C", "D"])]),
    "mixture total 100 with cardinality": (components({"A": (0, 80), "B": (0, 80), "C": (10, 60), "D": (0, 50), "E": (0, 40)}),
                                           [MixtureConstraint(["A", "B", "C", "D", "E"], total=100, max_active=3)]),
    "forbidden": ([CATALYST, SOLVENT, DiscreteVariable("P", values=(1, 2, 5)), TEMPERATURE],
                  [ForbiddenCombination({"Catalyst": "Pt", "Solvent": "water"}),
                   ForbiddenCombination({"Catalyst": "Pd", "P": 5})]),
    "conditional": ([CATALYST, ContinuousVariable("Loading", low=0, high=5), IntegerVariable("Steps", low=1, high=9),
                     DiscreteVariable("P", values=(1, 2, 5))],
                    [ConditionalRule("Catalyst", "none", "Loading", 0.0),
                     ConditionalRule("Catalyst", "Pd", "Steps", 2, 4),
                     ConditionalRule("Catalyst", "Pt", "P", 1, 2)]),
    "mixture + temperature + linear + forbidden": (
        MIXTURE4 + [TEMPERATURE, CATALYST, SOLVENT],
        [MixtureConstraint(["A", "B", "C", "D"]), LinearConstraint({"T": 1, "A": 100}, "<=", 120),
         ForbiddenCombination({"Catalyst": "Pt", "Solvent": "water"})]),
}


def assert_allowed(frame: pd.DataFrame, variables, constraints) -> None:
    assert list(frame.columns) == [v.name for v in variables]
    for variable in variables:
        assert all(variable.check(value) is None for value in frame[variable.name]), variable.name
    assert sum(map(len, violations(frame, variables, constraints))) == 0


@pytest.mark.parametrize("case", list(CASES))
def test_a_thousand_points_per_kind_break_nothing(case):
    variables, constraints = CASES[case]
    frame = feasible_candidates(variables, constraints, N, np.random.default_rng(1))
    assert len(frame) == N
    assert_allowed(frame, variables, constraints)
    fast = feasible_candidates(variables, constraints, N, 2, spread=False)
    assert_allowed(fast, variables, constraints)


def test_every_allowed_level_combination_gets_an_even_share():
    variables, constraints = CASES["forbidden"]
    counts = feasible_candidates(variables, constraints, 300, 0).groupby(["Catalyst", "Solvent", "P"]).size()
    assert len(counts) == 3 * 3 * 3 - 3 - 3  # Pt with water (3 values of P) and Pd with P = 5 (3 solvents)
    assert counts.max() - counts.min() <= 1


def test_cardinality_uses_every_allowed_subset_and_never_more_components():
    variables, constraints = CASES["mixture total 100 with cardinality"]
    frame = feasible_candidates(variables, constraints, 400, 0)
    active = frame[["A", "B", "C", "D", "E"]].to_numpy() > 1e-9
    assert active.sum(axis=1).max() == 3 and active[:, 2].all()  # C (minimum 10) is always in
    triples = {tuple(row) for row in active if row.sum() == 3}
    assert len(triples) == 6  # C plus any two of the other four


def test_a_design_is_reproducible_from_its_seed():
    variables, constraints = CASES["mixture + temperature + linear + forbidden"]
    first = constrained_design(variables, constraints, 12, "lhs", seed=3)
    again = constrained_design(variables, constraints, 12, "lhs", seed=3)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(constrained_design(variables, constraints, 12, "lhs", seed=4))


def test_designs_on_the_simplex_are_space_filling_and_reach_the_corners():
    variables, constraints = MIXTURE4, [MixtureConstraint(["A", "B", "C", "D"])]
    ours, clumps = [], []
    for seed in range(5):
        design = constrained_design(variables, constraints, 40, "sobol", seed=seed).to_numpy()
        ours.append(pdist(design).min())
        rng = np.random.default_rng(seed)
        # The clumpy way: uniform numbers normalised to sum to one.
        raw = rng.random((40, 4))
        clumps.append(pdist(raw / raw.sum(axis=1, keepdims=True)).min())
        for corner in np.eye(4):
            assert np.min(np.linalg.norm(design - corner, axis=1)) < 0.1
    assert np.median(ours) > 4 * np.median(clumps)
    # Against an honest uniform sample of the simplex (Dirichlet(1)) the gain is still clear.
    uniform = [pdist(np.random.default_rng(s).dirichlet(np.ones(4), 40)).min() for s in range(5)]
    assert np.median(ours) > 2 * np.median(uniform)


def test_sorted_spacings_map_the_cube_onto_the_simplex_uniformly():
    points = simplex_points(np.random.default_rng(0).random((20000, 2)))
    assert np.allclose(points.sum(axis=1), 1.0) and points.min() >= 0
    # Uniform on the 2-simplex: each corner region {x_i > 1/2} holds a quarter of the mass.
    assert np.allclose((points > 0.5).mean(axis=0), 0.25, atol=0.01)


def test_impossible_requests_are_refused():
    variables, _ = CASES["linear <="]
    with pytest.raises(VariableError, match="exclude every point"):
        feasible_candidates(variables, [LinearConstraint({"x1": 1}, "<=", 0), LinearConstraint({"x1": 1}, ">=", 1)], 5, 0)
    with pytest.raises(ModelError):
        feasible_candidates(variables, [], 0, 0)
    with pytest.raises(ModelError):
        feasible_candidates(variables, [], 5, 0, method="grid")


def test_without_constraints_the_points_are_plain_designs():
    variables = [TEMPERATURE, CATALYST]
    frame = feasible_candidates(variables, [], 30, 0)
    assert is_feasible(frame, variables, []).all() and set(frame["Catalyst"]) == set(CATALYST.levels)


def test_a_condition_that_fixes_a_value_keeps_its_level_in_the_design():
    variables, constraints = CASES["conditional"]
    frame = feasible_candidates(variables, constraints, 80, 0)
    # Eight allowed (Catalyst, P) pairs, ten points each: Pt allows two values of P, the others three.
    assert frame["Catalyst"].value_counts().to_dict() == {"Pt": 20, "Pd": 30, "none": 30}
    assert (frame.loc[frame["Catalyst"] == "none", "Loading"] == 0).all()
    assert frame.loc[frame["Catalyst"] == "Pd", "Steps"].between(2, 4).all()


def test_hit_and_run_fills_a_polytope_uniformly():
    # An equality sends every point through hit-and-run. Uniform on {x >= 0, x1 + x2 + x3 = 6}
    # (the box never binds), x1 has density 2 (6 - x1) / 36: mean 2, P(x1 > 3) = 1/4.
    variables = [ContinuousVariable(n, low=0, high=10) for n in ("x1", "x2", "x3")]
    constraints = [LinearConstraint({"x1": 1, "x2": 1, "x3": 1}, "==", 6)]
    frame = feasible_candidates(variables, constraints, 4000, 0, spread=False)
    assert frame["x1"].mean() == pytest.approx(2.0, abs=0.08)
    assert (frame["x1"] > 3).mean() == pytest.approx(0.25, abs=0.025)
    assert frame[["x1", "x2", "x3"]].sum(axis=1).to_numpy() == pytest.approx(6.0)
