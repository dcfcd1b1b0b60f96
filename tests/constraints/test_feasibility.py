"""Violations as data, the tolerance, and the encoded linear system."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from alchemist.constraints import (
    FEASIBILITY_TOL,
    ConditionalRule,
    ForbiddenCombination,
    LinearConstraint,
    MixtureConstraint,
    ViolationKind,
    encoded_linear_system,
    is_feasible,
    violations,
)
from alchemist.encoding import Encoder
from alchemist.errors import VariableError
from alchemist.variables import CategoricalVariable, ContinuousVariable, IntegerVariable

VARIABLES = [
    ContinuousVariable("x1", low=-5, high=10),
    ContinuousVariable("x2", low=0, high=15),
    ContinuousVariable("A", low=0, high=1),
    ContinuousVariable("B", low=0, high=1),
    ContinuousVariable("C", low=0, high=1),
    CategoricalVariable("Catalyst", levels=("Pt", "Pd", "none")),
    CategoricalVariable("Solvent", levels=("water", "EtOH")),
    IntegerVariable("Loading", low=0, high=5),
]
CONSTRAINTS = [
    LinearConstraint({"x1": 1, "x2": 1}, "<=", 8),
    MixtureConstraint(["A", "B", "C"], max_active=2),
    ForbiddenCombination({"Catalyst": "Pt", "Solvent": "water"}),
    ConditionalRule("Catalyst", "none", "Loading", 0),
]


def frame(rows):
    return pd.DataFrame(rows, columns=["x1", "x2", "A", "B", "C", "Catalyst", "Solvent", "Loading"])


def test_each_kind_is_reported_with_its_index_and_amount():
    table = frame([
        [1, 2, 0.5, 0.5, 0.0, "Pd", "water", 3],  # complies
        [5, 5, 0.5, 0.5, 0.0, "Pd", "water", 3],  # linear: 10 > 8 by 2
        [1, 2, 0.5, 0.4, 0.0, "Pd", "water", 3],  # mixture total off by 0.1
        [1, 2, 0.4, 0.3, 0.3, "Pd", "water", 3],  # three non-zero, two allowed
        [1, 2, 0.5, 0.5, 0.0, "Pt", "water", 3],  # forbidden
        [1, 2, 0.5, 0.5, 0.0, "none", "EtOH", 2],  # conditional: loading 2, should be 0
    ])
    found = violations(table, VARIABLES, CONSTRAINTS)
    assert found[0] == []
    (linear,) = found[1]
    assert (linear.constraint, linear.kind) == (0, ViolationKind.LINEAR)
    assert linear.amount == pytest.approx(2.0) and linear.relative == pytest.approx(2.0 / 30.0)
    assert [(v.constraint, v.kind) for v in found[2]] == [(1, ViolationKind.MIXTURE_TOTAL)]
    assert found[2][0].amount == pytest.approx(0.1)
    assert [(v.constraint, v.kind, v.amount) for v in found[3]] == [(1, ViolationKind.MIXTURE_ACTIVE, 1.0)]
    assert [(v.constraint, v.kind) for v in found[4]] == [(2, ViolationKind.FORBIDDEN)]
    assert [(v.constraint, v.kind, v.amount) for v in found[5]] == [(3, ViolationKind.CONDITIONAL, 2.0)]
    assert is_feasible(table, VARIABLES, CONSTRAINTS).tolist() == [True, False, False, False, False, False]


def test_the_tolerance_is_relative_to_the_constraint_scale():
    # x1 + x2 spans 30 over the bounds: 8 + 30 * 0.5e-6 passes, 8 + 30 * 2e-6 does not.
    table = frame([[4, 4 + 30 * 0.5 * FEASIBILITY_TOL, 1, 0, 0, "Pd", "EtOH", 1],
                   [4, 4 + 30 * 2.0 * FEASIBILITY_TOL, 1, 0, 0, "Pd", "EtOH", 1]])
    assert is_feasible(table, VARIABLES, CONSTRAINTS).tolist() == [True, False]
    assert is_feasible(table, VARIABLES, CONSTRAINTS, tol=1e-3).tolist() == [True, True]


def test_missing_cells_are_not_judged_and_missing_columns_are_refused():
    table = frame([[np.nan, 20, None, 0.5, 0.5, None, "water", 1]])
    assert violations(table, VARIABLES, CONSTRAINTS) == [[]]
    with pytest.raises(VariableError, match="no column"):
        violations(table.drop(columns=["x2"]), VARIABLES, CONSTRAINTS)


def test_the_encoded_system_measures_relative_violations_in_unit_cube_units():
    encoder = Encoder(VARIABLES)
    system = encoded_linear_system(encoder, CONSTRAINTS)
    assert system.A_ub.shape == (1, encoder.n_dims) and system.A_eq.shape == (1, encoder.n_dims)
    table = frame([[5, 5, 0.5, 0.4, 0.0, "Pd", "water", 3], [1, 2, 0.5, 0.5, 0.0, "Pd", "water", 3]])
    residual = system.residual(encoder.encode(table))
    assert residual[0] == pytest.approx(max(2.0 / 30.0, 0.1))
    assert residual[1] == pytest.approx(0.0, abs=1e-12)


def test_slsqp_with_the_encoded_system_finds_a_feasible_optimum():
    variables = VARIABLES[:2]
    encoder = Encoder(variables)
    system = encoded_linear_system(encoder, [LinearConstraint({"x1": 1, "x2": 1}, "<=", 8)])
    # Maximise x1 + 2 x2 in the unit cube: unconstrained it is the corner (10, 15).
    result = minimize(
        lambda u: -(encoder.decode(u[None, :])["x1"][0] + 2 * (-0 + u[1] * 15)), np.array([0.2, 0.2]),
        method="SLSQP", bounds=[(0, 1)] * 2, constraints=system.scipy_constraints(),
    )
    point = encoder.decode(result.x[None, :])
    assert is_feasible(point, variables, [LinearConstraint({"x1": 1, "x2": 1}, "<=", 8)])[0]
    assert point["x2"][0] == pytest.approx(13.0, abs=1e-4)  # x1 = -5, x2 = 13 on the boundary
