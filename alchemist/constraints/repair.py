"""Move near-feasible points (an optimiser's result, a rounded value) onto the allowed set.

Per row, in order: the constrained levels go to the nearest allowed combination (fewest
changes); each mixture with a cardinality limit keeps its largest components; the numeric part
is projected (Euclidean, unit coordinates) onto the polytope of that combination; integers are
rounded, and when rounding breaks a constraint the nearest rounding that does not (floor or
ceiling of each integer, the continuous part projected again) is taken.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np
import pandas as pd

from alchemist.constraints.feasibility import is_feasible
from alchemist.constraints.polytope import Polytope
from alchemist.constraints.space import Combination, ConstrainedSpace
from alchemist.variables import Variable, level_text, to_number

MAX_ROUNDINGS = 256  # floor/ceiling choices tried for the integers of one row


def project(frame: pd.DataFrame, variables: Sequence[Variable], constraints: Sequence[object]) -> pd.DataFrame:
    """A copy of `frame` with every row moved onto the allowed set, as little as possible.

    Rows that already comply are returned unchanged. Values must be present and inside their
    variables' bounds (a decoded optimiser point is). A row that cannot be repaired (an integer
    polytope with no integer point near it) is left as it is: check the result with
    `is_feasible` and drop such rows. Raises VariableError when the constraints do not fit.

    Integration: the optimiser calls this (or `project_encoded`) on its chosen points before
    they are returned, so that a suggestion never violates a known constraint.
    """
    if not len(frame) or not constraints:
        return frame.copy().reset_index(drop=True)
    return project_in_space(ConstrainedSpace(variables, constraints), frame)


def project_in_space(space: ConstrainedSpace, frame: pd.DataFrame) -> pd.DataFrame:
    """`project` on a space already built (callers that also sample share one)."""
    out = frame.copy().reset_index(drop=True)
    ok = is_feasible(out, space.variables, space.constraints)
    for row in np.flatnonzero(~ok):
        _repair_row(space, out, int(row))
    return out


def project_encoded(U: np.ndarray, encoder, constraints: Sequence[object]) -> np.ndarray:
    """`project` for encoded points (alchemist.encoding.Encoder): decode, repair, encode."""
    frame = encoder.decode(np.asarray(U, dtype=float))
    return encoder.encode(project(frame, encoder.variables, constraints))


def project_encoded_in_space(U: np.ndarray, encoder, space: ConstrainedSpace) -> np.ndarray:
    return encoder.encode(project_in_space(space, encoder.decode(np.asarray(U, dtype=float))))


def _repair_row(space: ConstrainedSpace, frame: pd.DataFrame, row: int) -> None:
    combo = _nearest_combination(space, frame, row)
    for variable, level in zip(space.levelled, combo):
        frame.at[row, variable.name] = level
    u0 = np.array([
        (float(frame.at[row, v.name]) - v.low) / (v.high - v.low) for v in space.numeric
    ])
    best: np.ndarray | None = None
    for active in _active_sets_by_mass(space, combo, u0):
        polytope = space.polytope(combo, active)
        point = polytope.project(u0) if polytope is not None else None
        if point is not None:
            point = _integer_point(space, polytope, point)
        if point is not None:
            best = point
            break
    if best is None:
        return
    for j, variable in enumerate(space.numeric):
        x = float(np.clip(variable.low + best[j] * (variable.high - variable.low), variable.low, variable.high))
        frame.at[row, variable.name] = int(round(x)) if variable.kind == "integer" else x


def _nearest_combination(space: ConstrainedSpace, frame: pd.DataFrame, row: int) -> Combination:
    if not space.levelled:
        return ()
    current = []
    for variable in space.levelled:
        cell = frame.at[row, variable.name]
        current.append(level_text(cell) if variable.kind == "categorical" else to_number(cell))
    combos = space.combinations()
    changes = [sum(a != b for a, b in zip(combo, current)) for combo in combos]
    return combos[int(np.argmin(changes))]


def _active_sets_by_mass(space: ConstrainedSpace, combo: Combination, u0: np.ndarray) -> list[tuple]:
    """Feasible active subsets, the one that keeps most of the row's mixture mass first."""
    sets = space.active_sets(combo)

    def kept(active: tuple) -> float:
        return float(sum(u0[list(columns)].sum() for columns in active))

    return sorted(sets, key=kept, reverse=True)


def _integer_point(space: ConstrainedSpace, polytope: Polytope, point: np.ndarray) -> np.ndarray | None:
    integers = [j for j, v in enumerate(space.numeric) if v.kind == "integer"]
    if not integers:
        return point
    spans = np.array([space.numeric[j].high - space.numeric[j].low for j in integers])
    raw = point[integers] * spans
    choices = itertools.islice(
        sorted(itertools.product(*[(np.floor(r), np.ceil(r)) for r in raw]),
               key=lambda c: float(np.sum((np.array(c) - raw) ** 2))),
        MAX_ROUNDINGS,
    )
    for choice in choices:
        candidate = point.copy()
        candidate[integers] = np.array(choice) / spans
        if polytope.contains(candidate)[0]:
            return candidate
        fixed = Polytope(polytope.lo.copy(), polytope.hi.copy(), polytope.system)
        fixed.lo[integers] = fixed.hi[integers] = candidate[integers]
        moved = fixed.project(candidate)
        if moved is not None:
            return moved
    return None
