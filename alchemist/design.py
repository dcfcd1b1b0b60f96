"""Initial designs: the first experiments, before there is enough data for a model.

Each method draws n points in [0, 1)^d with one coordinate per variable (scipy.stats.qmc), and
each coordinate is mapped to the variable's allowed values so that every value gets an equal
share of [0, 1): a continuous value linearly; the k-th of m integers, discrete values or levels
on [k/m, (k+1)/m). A Latin hypercube therefore spreads levels and integers evenly too.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import qmc

from alchemist.errors import ModelError
from alchemist.validation import one_of, whole_number
from alchemist.variables import Variable

DESIGNS = {
    "random": "Random (uniform)",
    "lhs": "Latin hypercube",
    "sobol": "Sobol sequence",
    "halton": "Halton sequence",
}
MAX_POINTS = 10_000


def unit_sample(n: int, d: int, method: str, seed: int | None) -> np.ndarray:
    """n points in [0, 1)^d by the named method."""
    one_of(method, DESIGNS, "design")
    rng = np.random.default_rng(seed)
    if method == "random":
        return rng.random((n, d))
    if method == "lhs":
        return qmc.LatinHypercube(d, rng=rng).random(n)
    if method == "sobol":
        # Sobol points are balanced in blocks of 2^k; draw the next power of two and keep the
        # first n, which is what scipy recommends over warning-prone odd sizes.
        sampler = qmc.Sobol(d, scramble=True, rng=rng)
        return sampler.random(2 ** max(0, math.ceil(math.log2(n))))[:n]
    return qmc.Halton(d, scramble=True, rng=rng).random(n)  # "halton", the last of DESIGNS


def from_unit(variables: Sequence[Variable], T: np.ndarray) -> pd.DataFrame:
    """Map points of [0, 1)^d (one column per variable) to allowed values with natural types."""
    columns: dict[str, pd.Series] = {}
    T = np.clip(np.asarray(T, dtype=float), 0.0, np.nextafter(1.0, 0.0))
    for j, variable in enumerate(variables):
        t = T[:, j]
        if variable.kind == "continuous":
            columns[variable.name] = pd.Series(variable.low + t * (variable.high - variable.low), dtype=float)
        elif variable.kind == "integer":
            count = variable.high - variable.low + 1
            columns[variable.name] = pd.Series(variable.low + np.floor(t * count).astype(np.int64), dtype=np.int64)
        elif variable.kind == "discrete":
            values = np.asarray(variable.values, dtype=float)
            columns[variable.name] = pd.Series(values[np.floor(t * len(values)).astype(int)], dtype=float)
        else:
            levels = variable.levels
            picks = np.floor(t * len(levels)).astype(int)
            columns[variable.name] = pd.Series([levels[i] for i in picks], dtype=object)
    return pd.DataFrame(columns)


def initial_design(
    variables: Sequence[Variable], n: int, method: str = "lhs", seed: int | None = 0,
    constraints: Sequence[object] = (),
) -> pd.DataFrame:
    """n experiments spread over the variables' ranges; columns are the variable names.

    With `constraints` (alchemist.constraints) every point meets them all and the design is
    space-filling on the allowed set (on the simplex of a mixture): see
    alchemist.constraints.sampling.constrained_design.
    """
    if not variables:
        raise ModelError("Define at least one variable before generating a design.")
    n = whole_number(n, 1, MAX_POINTS, "number of points")
    one_of(method, DESIGNS, "design")
    if constraints:
        # Imported here: the constrained sampler builds on this module's unit samples.
        from alchemist.constraints.sampling import constrained_design

        return constrained_design(variables, constraints, n, method=method, seed=seed)
    return from_unit(variables, unit_sample(n, len(variables), method, seed))
