"""Initial designs: size, bounds and types for every variable kind and method."""

from __future__ import annotations

import numpy as np
import pytest

from alchemist.design import DESIGNS, initial_design
from alchemist.errors import ModelError
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable

VARIABLES = [
    ContinuousVariable("T", low=20.0, high=80.0),
    IntegerVariable("n", low=1, high=4),
    CategoricalVariable("solvent", levels=("water", "ethanol", "DMSO")),
    DiscreteVariable("p", values=(0.1, 0.5, 2.0)),
]


@pytest.mark.parametrize("method", list(DESIGNS))
def test_every_point_is_allowed(method):
    design = initial_design(VARIABLES, 12, method=method, seed=3)
    assert list(design.columns) == ["T", "n", "solvent", "p"]
    assert len(design) == 12
    for variable in VARIABLES:
        assert all(variable.check(value) is None for value in design[variable.name])
    assert design["n"].dtype == np.int64
    assert design["T"].dtype == np.float64


@pytest.mark.parametrize("method", list(DESIGNS))
def test_seed_reproduces_the_design(method):
    a = initial_design(VARIABLES, 7, method=method, seed=11)
    b = initial_design(VARIABLES, 7, method=method, seed=11)
    c = initial_design(VARIABLES, 7, method=method, seed=12)
    assert a.equals(b)
    assert not a.equals(c)


def test_latin_hypercube_stratifies_every_variable():
    design = initial_design(VARIABLES, 12, method="lhs", seed=0)
    # 12 points over 4 integers / 3 levels: each value exactly 12/4 resp. 12/3 times.
    assert sorted(design["n"].value_counts().tolist()) == [3, 3, 3, 3]
    assert sorted(design["solvent"].value_counts().tolist()) == [4, 4, 4]
    bins = np.floor((design["T"].to_numpy() - 20.0) / 60.0 * 12).astype(int)
    assert sorted(bins.tolist()) == list(range(12))


def test_bad_requests_are_user_errors():
    with pytest.raises(ModelError):
        initial_design(VARIABLES, 0)
    with pytest.raises(ModelError):
        initial_design(VARIABLES, 5, method="grid")
    with pytest.raises(ModelError):
        initial_design([], 5)
