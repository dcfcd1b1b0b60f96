"""Problems of the constraints-and-objectives benchmark (issue 11), in numpy, all minimisation.

Three kinds, each scored by the TRUE values at the evaluated points:
- "pareto": several objectives (BraninCurrin, a 4-input DTLZ2 with 2 objectives), scored by the
  log10 hypervolume gap to the true front: a dense front of the true functions, or the analytic
  front where there is one (DTLZ2: the quarter circle), with the problem's reference point.
- "inputs": one objective under known input constraints (Branin with x1 + x2 <= 8; a
  4-component mixture plus temperature), scored by the constrained regret (best feasible value
  minus the known constrained optimum) and the number of infeasible suggestions.
- "outcome": one objective under a limit on a second, measured outcome (unknown before it is
  measured), scored by the constrained regret over the points that meet the limit.

The BoTorch side sees the same problems on the unit cube (see benchmarks.botorch_side); the
functions here take frames in the variables' own units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np
import pandas as pd

from alchemist.constraints import LinearConstraint, MixtureConstraint
from alchemist.objectives import Objective
from alchemist.variables import ContinuousVariable, Variable
from benchmarks.problems import branin

Outputs = Callable[[pd.DataFrame], pd.DataFrame]  # rows of variable values -> one column per result


@dataclass(frozen=True)
class Problem:
    name: str
    kind: str  # "pareto", "inputs" or "outcome"
    variables: tuple[Variable, ...]
    outputs: Outputs
    # What a user states: the objectives (for "pareto" and "outcome"; for "inputs" the single
    # result column `target` is minimised) and the known input constraints.
    objectives: tuple[Objective, ...] = ()
    constraints: tuple[object, ...] = ()
    target: str = "y"
    n_initial: int = 6
    iterations: int = 10  # calls of suggest after the initial design
    batch: int = 1  # experiments per call
    # "pareto": the hypervolume reference point (target units) and the true front's hypervolume.
    reference: tuple[float, ...] = ()
    # "inputs" / "outcome": the constrained optimum's value, the limited column and its bound.
    optimum: float = math.nan
    limit_column: str = ""
    limit_at_least: float = math.nan
    # Regret charged to a run that never measured a point meeting the outcome limit: the worst
    # value of the objective over the domain, minus the optimum.
    regret_if_none_feasible: float = math.nan
    notes: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]

    @property
    def result_columns(self) -> list[str]:
        return [o.name for o in self.objectives] if self.objectives else [self.target]

    @property
    def budget(self) -> int:
        return self.n_initial + self.iterations * self.batch

    def max_hypervolume(self) -> float:
        return true_hypervolume(self.name)


def _unit(n: int) -> tuple[ContinuousVariable, ...]:
    return tuple(ContinuousVariable(f"x{i + 1}", low=0.0, high=1.0) for i in range(n))


# -- BraninCurrin (Belakaria et al. 2019; as botorch.test_functions.multi_objective.BraninCurrin) --
def branin_currin(X: np.ndarray) -> np.ndarray:
    """(n, 2) values of the rescaled Branin and the Currin function on [0, 1]^2, both minimised."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    x1, x2 = X[:, 0], X[:, 1]
    f1 = branin(15.0 * x1 - 5.0, 15.0 * x2)
    with np.errstate(divide="ignore", over="ignore"):
        factor = np.where(x2 > 0, 1.0 - np.exp(-1.0 / (2.0 * np.where(x2 > 0, x2, 1.0))), 1.0)
    f2 = factor * (2300 * x1**3 + 1900 * x1**2 + 2092 * x1 + 60) / (100 * x1**3 + 500 * x1**2 + 4 * x1 + 20)
    return np.column_stack([f1, f2])


# -- DTLZ2 (Deb et al. 2002) with 4 inputs and 2 objectives ---------------------------------------
def dtlz2(X: np.ndarray, m: int = 2) -> np.ndarray:
    """(n, m) values, minimised; the front is the unit sphere's positive part (g = 0 when every
    input after the first m - 1 is 0.5)."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    g = np.sum((X[:, m - 1:] - 0.5) ** 2, axis=1)
    angles = X[:, : m - 1] * math.pi / 2
    out = np.empty((len(X), m))
    for i in range(m):
        value = 1.0 + g
        value = value * np.prod(np.cos(angles[:, : m - 1 - i]), axis=1)
        if i > 0:
            value = value * np.sin(angles[:, m - 1 - i])
        out[:, i] = value
    return out


DENSE_GRID = 501  # per input: BraninCurrin's first front comes from this grid ...
DENSE_LEVELS = 7  # ... then is refined this often on a finer stencil around its points
DENSE_KEEP = 40_000  # front points refined per level (evenly spread along the front)
DENSE_ANGLES = 200_001


def front_2d(Y: np.ndarray, X: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """The non-dominated rows of (n, 2) minimised values (and their inputs), sorted by the first
    objective, by one sort (n log n, where alchemist.objectives.pareto_front is n^2)."""
    order = np.lexsort((Y[:, 1], Y[:, 0]))
    Y = Y[order]
    best = np.minimum.accumulate(Y[:, 1])
    keep = np.ones(len(Y), dtype=bool)
    keep[1:] = Y[1:, 1] < best[:-1]
    return Y[keep], (X[order][keep] if X is not None else None)


def staircase_hypervolume(front: np.ndarray, reference: np.ndarray) -> float:
    """Hypervolume of a 2-D front as returned by front_2d (sorted, non-dominated), minimised.
    The same sweep as alchemist.objectives.hypervolume, without its n^2 Pareto filter."""
    front = front[np.all(front < reference, axis=1)]
    above = np.concatenate([[reference[1]], front[:-1, 1]])
    return float(np.sum((reference[0] - front[:, 0]) * (above - front[:, 1])))


def _branin_currin_front() -> np.ndarray:
    """A grid's front, refined around its points: each level evaluates a 5 x 5 stencil of half
    the previous spacing around (up to DENSE_KEEP of) the front's points. The front is thin and
    steep, so a plain grid converges slowly (59.24 at 1501^2 points); 7 levels give about
    200,000 front points and a hypervolume within 0.005 of its limit (about 59.403-59.407)."""
    g = np.linspace(0.0, 1.0, DENSE_GRID)
    A, B = np.meshgrid(g, g, indexing="ij")
    X = np.column_stack([A.ravel(), B.ravel()])
    F, X = front_2d(branin_currin(X), X)
    step = 1.0 / (DENSE_GRID - 1)
    for _ in range(DENSE_LEVELS):
        base = X[np.linspace(0, len(X) - 1, DENSE_KEEP).astype(int)] if len(X) > DENSE_KEEP else X
        k = np.linspace(-step, step, 5)
        D = np.stack(np.meshgrid(k, k, indexing="ij"), axis=-1).reshape(-1, 2)
        around = np.clip((base[:, None, :] + D[None]).reshape(-1, 2), 0.0, 1.0)
        X = np.vstack([X, around])
        F, X = front_2d(np.vstack([F, branin_currin(around)]), X)
        step /= 2
    return F


@lru_cache(maxsize=None)
def dense_front(name: str) -> np.ndarray:
    """A dense sample of the true Pareto front (minimised values, sorted by the first)."""
    if name == "branincurrin":
        return _branin_currin_front()
    if name == "dtlz2":
        theta = np.linspace(0.0, math.pi / 2, DENSE_ANGLES)
        return front_2d(np.column_stack([np.cos(theta), np.sin(theta)]))[0]
    raise KeyError(name)


@lru_cache(maxsize=None)
def true_hypervolume(name: str) -> float:
    """The true front's hypervolume: the dense front's (a lower bound of the true one; BoTorch
    states 59.3601 for BraninCurrin, below this denser front's), for DTLZ2 the exact 1.1^2 - pi/4."""
    problem = PROBLEMS[name]
    if name == "dtlz2":
        return float(np.prod(problem.reference) - math.pi / 4)
    return staircase_hypervolume(dense_front(name), np.array(problem.reference))


def _pareto_outputs(function: Callable[[np.ndarray], np.ndarray], columns: tuple[str, ...], names: list[str]) -> Outputs:
    def outputs(X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(function(X[names].to_numpy(float)), columns=list(columns))

    return outputs


# -- Branin with x1 + x2 <= 8 ---------------------------------------------------------------------
# Of Branin's three global minima only (pi, 2.275) meets x1 + x2 <= 8 (sum 5.42; the others
# sum to 9.13 and 11.9), so the constrained optimum is still Branin's 0.397887.
BRANIN_OPTIMUM = 0.397887357729738
BRANIN_FEASIBLE_MINIMUM = (math.pi, 2.275)


def _branin_outputs(X: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"y": branin(X["x1"].to_numpy(float), X["x2"].to_numpy(float))})


# -- a 4-component mixture and a temperature ------------------------------------------------------
# The best recipe moves with temperature along a line of the simplex, c(T) = (1 - s) P + s Q with
# s = (T - 20) / 60; the loss is a weighted distance to c(T) with a ripple that vanishes at c(T),
# plus a temperature term that is lowest at 62 C. So the optimum is 0 at T = 62, c(62).
MIX = ("A", "B", "C", "D")
MIX_P = np.array([0.5, 0.3, 0.15, 0.05])
MIX_Q = np.array([0.1, 0.2, 0.3, 0.4])
MIX_W = np.array([1.0, 2.0, 1.5, 0.5])
MIX_T_BEST = 62.0
MIX_T_RANGE = (20.0, 80.0)
MIX_MAX_SHARE = 0.6


def mixture_centre(T: np.ndarray) -> np.ndarray:
    s = (np.asarray(T, dtype=float) - MIX_T_RANGE[0]) / (MIX_T_RANGE[1] - MIX_T_RANGE[0])
    return (1.0 - s)[:, None] * MIX_P[None, :] + s[:, None] * MIX_Q[None, :]


def mixture_loss(shares: np.ndarray, T: np.ndarray) -> np.ndarray:
    shares = np.atleast_2d(np.asarray(shares, dtype=float))
    T = np.asarray(T, dtype=float).reshape(-1)
    gap = shares - mixture_centre(T)
    bowl = 20.0 * np.sum(MIX_W * gap**2, axis=1)
    ripple = 0.3 * np.sin(3.0 * math.pi * gap[:, 0]) ** 2
    heat = 3.0 * (1.0 - np.exp(-(((T - MIX_T_BEST) / 15.0) ** 2)))
    return bowl + ripple + heat


MIX_OPTIMUM = 0.0
MIX_BEST_SHARES = tuple(float(v) for v in mixture_centre(np.array([MIX_T_BEST]))[0])  # (0.22, 0.23, 0.255, 0.295)


def _mixture_outputs(X: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"y": mixture_loss(X[list(MIX)].to_numpy(float), X["T"].to_numpy(float))})


# -- an outcome limit: cheapest point with a purity of at least 0.5 -------------------------------
# Cost is the rescaled Branin on [0, 1]^2; Purity is an elliptical bump whose 0.5 contour excludes
# all three of Branin's minima, so the constrained optimum lies on that contour (found by SLSQP
# from a dense grid: tests/test_benchmark_problems.py checks it).
PURITY_LIMIT = 0.5
PURITY_CENTRE = (0.5, 0.55)
PURITY_SD = (0.3, 0.2)
OUTCOME_OPTIMUM = 3.8495295824978637
OUTCOME_ARGMIN = (0.17489784236432632, 0.6420750408970135)
COST_MAX = 308.12909601160663  # the rescaled Branin's largest value on [0, 1]^2 (at x = (0, 0))


def cost(X: np.ndarray) -> np.ndarray:
    X = np.atleast_2d(np.asarray(X, dtype=float))
    return branin(15.0 * X[:, 0] - 5.0, 15.0 * X[:, 1])


def purity(X: np.ndarray) -> np.ndarray:
    X = np.atleast_2d(np.asarray(X, dtype=float))
    z = ((X[:, 0] - PURITY_CENTRE[0]) / PURITY_SD[0]) ** 2 + ((X[:, 1] - PURITY_CENTRE[1]) / PURITY_SD[1]) ** 2
    return np.exp(-0.5 * z)


def _outcome_outputs(X: pd.DataFrame) -> pd.DataFrame:
    U = X[["x1", "x2"]].to_numpy(float)
    return pd.DataFrame({"Cost": cost(U), "Purity": purity(U)})


PROBLEMS: dict[str, Problem] = {
    "branincurrin": Problem(
        "branincurrin", "pareto", _unit(2), _pareto_outputs(branin_currin, ("f1", "f2"), ["x1", "x2"]),
        # The reference point is stated as each objective's limit, as a chemist would say "at most".
        objectives=(Objective("f1", "minimize", at_most=18.0), Objective("f2", "minimize", at_most=6.0)),
        n_initial=6, iterations=5, batch=2, reference=(18.0, 6.0),
    ),
    "dtlz2": Problem(
        "dtlz2", "pareto", _unit(4), _pareto_outputs(dtlz2, ("f1", "f2"), ["x1", "x2", "x3", "x4"]),
        objectives=(Objective("f1", "minimize", at_most=1.1), Objective("f2", "minimize", at_most=1.1)),
        n_initial=10, iterations=5, batch=2, reference=(1.1, 1.1),
    ),
    "branin_linear": Problem(
        "branin_linear", "inputs",
        (ContinuousVariable("x1", low=-5.0, high=10.0), ContinuousVariable("x2", low=0.0, high=15.0)),
        _branin_outputs, constraints=(LinearConstraint({"x1": 1.0, "x2": 1.0}, "<=", 8.0),),
        n_initial=5, iterations=6, optimum=BRANIN_OPTIMUM,
    ),
    "mixture": Problem(
        "mixture", "inputs",
        tuple(ContinuousVariable(c, low=0.0, high=MIX_MAX_SHARE) for c in MIX)
        + (ContinuousVariable("T", low=MIX_T_RANGE[0], high=MIX_T_RANGE[1]),),
        _mixture_outputs, constraints=(MixtureConstraint(list(MIX), total=1.0),),
        n_initial=8, iterations=6, optimum=MIX_OPTIMUM,
    ),
    "outcome": Problem(
        "outcome", "outcome", _unit(2), _outcome_outputs,
        objectives=(Objective("Cost", "minimize"), Objective("Purity", None, at_least=PURITY_LIMIT)),
        n_initial=6, iterations=8, optimum=OUTCOME_OPTIMUM, limit_column="Purity", limit_at_least=PURITY_LIMIT,
        regret_if_none_feasible=COST_MAX - OUTCOME_OPTIMUM,
    ),
}
