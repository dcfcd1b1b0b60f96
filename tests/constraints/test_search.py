"""Maximising a score over the allowed points: the optimum is found and nothing is violated."""

from __future__ import annotations

import numpy as np
import pytest

from alchemist.constraints import (
    ForbiddenCombination,
    LinearConstraint,
    MixtureConstraint,
    is_feasible,
)
from alchemist.constraints.search import maximize_constrained
from alchemist.encoding import Encoder
from alchemist.variables import CategoricalVariable, ContinuousVariable, IntegerVariable


def test_a_linear_limit_is_met_at_the_optimum_on_its_boundary():
    variables = [ContinuousVariable("x1", low=-5, high=10), ContinuousVariable("x2", low=0, high=15)]
    constraints = [LinearConstraint({"x1": 1, "x2": 1}, "<=", 8)]
    encoder = Encoder(variables)
    # Score: closeness to (10, 15), outside the allowed set; the optimum is its projection (1.5, 6.5).
    target = encoder.encode(__import__("pandas").DataFrame({"x1": [10.0], "x2": [15.0]}))[0]
    scales = np.array([15.0, 15.0])

    def score(U):
        return -np.sum(((U - target) * scales) ** 2, axis=1)

    points, values = maximize_constrained(score, encoder, constraints, 0)
    best = encoder.decode(points[:1])
    assert is_feasible(encoder.decode(points), variables, constraints).all()
    assert best.loc[0, "x1"] == pytest.approx(1.5, abs=1e-3) and best.loc[0, "x2"] == pytest.approx(6.5, abs=1e-3)
    assert np.all(np.diff(values) <= 0)


def test_many_searches_on_a_mixture_with_levels_never_return_a_violation():
    variables = [ContinuousVariable(n, low=0, high=1) for n in "ABCD"] + [
        ContinuousVariable("T", low=20, high=120), IntegerVariable("Steps", low=1, high=6),
        CategoricalVariable("Catalyst", levels=("Pt", "Pd")), CategoricalVariable("Solvent", levels=("water", "EtOH")),
    ]
    constraints = [MixtureConstraint(list("ABCD"), max_active=3), LinearConstraint({"T": 1, "A": 100, "Steps": 5}, "<=", 130),
                   ForbiddenCombination({"Catalyst": "Pt", "Solvent": "water"})]
    encoder = Encoder(variables)
    rng = np.random.default_rng(0)
    for trial in range(12):
        # Random concave scores whose unconstrained optimum usually breaks the constraints.
        centre = rng.random(encoder.n_dims) * 1.4 - 0.2
        weights = rng.uniform(0.5, 2.0, encoder.n_dims)

        def score(U, centre=centre, weights=weights):
            return -np.sum(weights * (U - centre) ** 2, axis=1)

        points, _ = maximize_constrained(score, encoder, constraints, trial, n_candidates=256, n_starts=3)
        assert is_feasible(encoder.decode(points[:5]), variables, constraints).all()
        top = encoder.decode(points[:1])
        assert top[list("ABCD")].sum(axis=1).to_numpy() == pytest.approx(1.0, abs=1e-6)
        assert (top[list("ABCD")].to_numpy() > 1e-6).sum() <= 3


def test_an_interior_optimum_of_a_mixture_is_found_beside_a_lesser_one_on_a_face():
    # As the benchmark's mixture: shares of at most 0.6 that sum to 1, and a temperature. The
    # score has its best bump inside the simplex and a lower one on the face C = 0, where a
    # search that clung to the boundary would stop.
    import pandas as pd

    variables = [ContinuousVariable(n, low=0, high=0.6) for n in "ABCD"] + [ContinuousVariable("T", low=20, high=80)]
    constraints = [MixtureConstraint(list("ABCD"))]
    encoder = Encoder(variables)
    inside = encoder.encode(pd.DataFrame([[0.22, 0.23, 0.255, 0.295, 62.0]], columns=list("ABCDT")))[0]
    on_face = encoder.encode(pd.DataFrame([[0.45, 0.25, 0.0, 0.30, 30.0]], columns=list("ABCDT")))[0]

    def score(U):
        return (np.exp(-30.0 * np.sum((U - inside) ** 2, axis=1))
                + 0.8 * np.exp(-30.0 * np.sum((U - on_face) ** 2, axis=1)))

    for seed in range(3):
        points, values = maximize_constrained(score, encoder, constraints, seed)
        best = encoder.decode(points[:1]).iloc[0]
        assert is_feasible(encoder.decode(points[:1]), variables, constraints).all()
        assert best[list("ABCD")].to_numpy(float) == pytest.approx([0.22, 0.23, 0.255, 0.295], abs=2e-3)
        assert best["T"] == pytest.approx(62.0, abs=0.2)
        assert values[0] == pytest.approx(float(score(inside[None, :])[0]), abs=1e-6)
