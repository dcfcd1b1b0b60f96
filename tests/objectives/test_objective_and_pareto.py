"""Objective definitions, their state, and the Pareto mask against brute force."""

from __future__ import annotations

import json

import numpy as np
import pytest

from alchemist.errors import ModelError, SessionFileError
from alchemist.objectives import (
    Objective,
    ObjectiveError,
    check_objectives,
    default_reference,
    objectives_from_state,
    pareto_front,
)


def test_objectives_round_trip_and_say_what_they_are():
    objectives = [Objective("Yield", "maximize"), Objective("Cost", "minimize", at_most=50),
                  Objective("Purity", None, at_least=0.95), Objective("pH", "maximize", at_least=6, at_most=8)]
    check_objectives(objectives)
    restored = objectives_from_state(json.loads(json.dumps([o.to_state() for o in objectives])))
    assert restored == objectives
    assert [o.is_optimized for o in objectives] == [True, True, False, True]
    assert [o.is_limited for o in objectives] == [False, True, True, True]
    assert [o.threshold for o in objectives] == [None, 50, None, 6]


@pytest.mark.parametrize(
    "build",
    [lambda: Objective(""), lambda: Objective("Y", "max"), lambda: Objective("Y", None),
     lambda: Objective("Y", at_least=2, at_most=1), lambda: Objective("Y", at_least=float("inf")),
     lambda: Objective("Y", at_least=True)],
)
def test_bad_objectives_are_refused(build):
    with pytest.raises(ObjectiveError):
        build()
    assert issubclass(ObjectiveError, ModelError)


def test_lists_of_objectives_are_checked_as_a_whole():
    with pytest.raises(ObjectiveError, match="only once"):
        check_objectives([Objective("Y"), Objective("y", "minimize")])
    with pytest.raises(ObjectiveError, match="direction"):
        check_objectives([Objective("Y", None, at_least=1)])
    for bad in (None, [None], [{"name": "Y", "direction": "up"}], [{"name": "Y"}, {"name": "Y"}]):
        with pytest.raises(SessionFileError):
            objectives_from_state(bad)


def test_the_default_reference_uses_thresholds_then_the_worst_values():
    objectives = [Objective("Yield", "maximize"), Objective("Cost", "minimize", at_most=50)]
    Y = np.array([[10.0, 20.0], [30.0, 40.0]])
    assert default_reference(Y, objectives).tolist() == pytest.approx([10 - 2.0, 50])


def brute_force_front(Y, signs):
    Z = Y * signs
    keep = []
    for i, p in enumerate(Z):
        dominated = any(np.all(q >= p) and np.any(q > p) for j, q in enumerate(Z) if j != i)
        keep.append(not dominated)
    return np.array(keep)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_the_pareto_mask_matches_brute_force_with_ties_and_mixed_directions(m):
    rng = np.random.default_rng(m)
    directions = ["maximize", "minimize", "maximize", "minimize"][:m]
    signs = np.array([1.0 if d == "maximize" else -1.0 for d in directions])
    for _ in range(20):
        Y = rng.integers(0, 5, size=(30, m)).astype(float)  # small integers: many ties and duplicates
        assert np.array_equal(pareto_front(Y, directions), brute_force_front(Y, signs))


def test_rows_with_missing_values_are_never_on_the_front():
    Y = np.array([[1.0, np.nan], [0.5, 0.5], [0.2, 0.2]])
    assert pareto_front(Y, ["maximize", "maximize"]).tolist() == [False, True, False]
