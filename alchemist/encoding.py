"""Map experiment rows to the unit cube the Gaussian process works in, and back.

Numeric variables (continuous, integer, discrete) take one column each, scaled linearly so
that the minimum is 0 and the maximum is 1: the kernel's length scales are then comparable
across variables, and the spacing of discrete values is kept. Integers and discrete values are
treated as continuous by the model and the acquisition optimiser and snapped back to an
allowed value only when a point is decoded.

A categorical variable takes one 0/1 column per level (one-hot). Every pair of different levels
is then equally far apart, so the kernel imposes no order on levels that have none, and each
level column gets its own length scale: the data decide how much each level differs from the
others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from alchemist import limits
from alchemist.errors import LimitError, ModelError
from alchemist.variables import Variable, level_text


def encoded_width(variable: Variable) -> int:
    """Encoded columns of one variable: one per categorical level, else one."""
    return len(variable.levels) if variable.kind == "categorical" else 1


def check_encoded_dims(variables: Sequence[Variable]) -> int:
    """The encoded dimension of `variables`, refused with LimitError above `max_encoded_dims`.

    Called before a model is built: every array of a fit or a suggestion has one column per
    encoded dimension, and the number of levels costs nothing to type (4 variables of 1,000
    levels are a few kB of JSON), so it is counted from the definitions, before any work.
    """
    dims = sum(encoded_width(v) for v in variables)
    limit = limits.current().max_encoded_dims
    if dims > limit:
        raise LimitError(
            f"The variables need {dims:,} model columns (one per numeric variable and one per "
            f"categorical level), more than the limit of {limit:,} (max_encoded_dims). Merge or "
            "remove categorical levels, or ask the operator to raise the limit.",
            "max_encoded_dims",
        )
    return dims


@dataclass(frozen=True)
class Block:
    """The encoded columns of one variable."""

    variable: Variable
    start: int
    stop: int

    @property
    def width(self) -> int:
        return self.stop - self.start


class Encoder:
    """Unit-cube encoding of a fixed list of variables (a small, stateless transformer)."""

    def __init__(self, variables: Sequence[Variable]) -> None:
        if not variables:
            raise ModelError("Define at least one variable before training a model.")
        self.variables: tuple[Variable, ...] = tuple(variables)
        blocks = []
        start = 0
        for variable in self.variables:
            width = encoded_width(variable)
            blocks.append(Block(variable, start, start + width))
            start += width
        self.blocks: tuple[Block, ...] = tuple(blocks)
        self.n_dims: int = start
        # Columns the acquisition optimiser may move with a gradient method; the one-hot columns
        # are instead enumerated level by level.
        self.numeric_dims = np.array(
            [b.start for b in self.blocks if b.variable.kind != "categorical"], dtype=int
        )
        self.categorical_blocks: tuple[Block, ...] = tuple(
            b for b in self.blocks if b.variable.kind == "categorical"
        )

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]

    def dim_labels(self) -> list[str]:
        """One label per encoded column, e.g. 'T' or 'solvent = water'."""
        labels: list[str] = []
        for block in self.blocks:
            if block.variable.kind == "categorical":
                labels.extend(f"{block.variable.name} = {lvl}" for lvl in block.variable.levels)
            else:
                labels.append(block.variable.name)
        return labels

    # -- encode ---------------------------------------------------------------------------
    def encode(self, X: pd.DataFrame) -> np.ndarray:
        """Rows of valid values (one column per variable name) -> array (n, n_dims) in [0, 1]."""
        missing = [name for name in self.names if name not in X.columns]
        if missing:
            raise ModelError(f"The data has no column for: {', '.join(missing)}.")
        n = len(X)
        U = np.zeros((n, self.n_dims), dtype=float)
        for block in self.blocks:
            variable = block.variable
            column = X[variable.name]
            if variable.kind == "categorical":
                index = {lvl: i for i, lvl in enumerate(variable.levels)}
                for row, value in enumerate(column.tolist()):
                    text = level_text(value)
                    if text not in index:
                        raise ModelError(f"'{variable.name}' has an unknown level '{value}'.")
                    U[row, block.start + index[text]] = 1.0
            else:
                try:
                    values = pd.to_numeric(column, errors="raise").to_numpy(dtype=float)
                except (TypeError, ValueError):
                    raise ModelError(f"'{variable.name}' has a value that is not a number.") from None
                if not np.all(np.isfinite(values)):
                    raise ModelError(f"'{variable.name}' has a missing or non-finite value.")
                U[:, block.start] = (values - variable.low) / (variable.high - variable.low)
        return U

    # -- snap and decode ------------------------------------------------------------------
    def snap(self, U: np.ndarray) -> np.ndarray:
        """Project encoded points onto the points the variables allow (still encoded).

        Clips to [0, 1], rounds integers, moves discrete values to the nearest allowed one and
        makes each one-hot block a single 1 at its largest entry.
        """
        U = np.clip(np.array(U, dtype=float, ndmin=2), 0.0, 1.0)
        for block in self.blocks:
            variable = block.variable
            if variable.kind == "categorical":
                part = U[:, block.start:block.stop]
                hot = np.argmax(part, axis=1)
                part[:] = 0.0
                part[np.arange(len(U)), hot] = 1.0
            elif variable.kind == "integer":
                span = variable.high - variable.low
                U[:, block.start] = np.round(U[:, block.start] * span) / span
            elif variable.kind == "discrete":
                allowed = self._discrete_codes(variable)
                U[:, block.start] = allowed[_nearest(allowed, U[:, block.start])]
        return U

    @staticmethod
    def _discrete_codes(variable: Variable) -> np.ndarray:
        values = np.asarray(variable.values, dtype=float)
        return (values - variable.low) / (variable.high - variable.low)

    def decode(self, U: np.ndarray) -> pd.DataFrame:
        """Encoded points -> a DataFrame of allowed values with natural types.

        Continuous: float. Integer: int. Discrete: the allowed float value. Categorical: level text.
        """
        U = np.clip(np.array(U, dtype=float, ndmin=2), 0.0, 1.0)
        columns: dict[str, object] = {}
        for block in self.blocks:
            variable = block.variable
            if variable.kind == "categorical":
                hot = np.argmax(U[:, block.start:block.stop], axis=1)
                columns[variable.name] = pd.Series(
                    [variable.levels[i] for i in hot], dtype=object
                )
                continue
            u = U[:, block.start]
            if variable.kind == "continuous":
                # Clip again in original units so that rounding cannot step past a bound.
                x = np.clip(variable.low + u * (variable.high - variable.low), variable.low, variable.high)
                columns[variable.name] = pd.Series(x, dtype=float)
            elif variable.kind == "integer":
                x = np.round(variable.low + u * (variable.high - variable.low))
                x = np.clip(x, variable.low, variable.high).astype(np.int64)
                columns[variable.name] = pd.Series(x, dtype=np.int64)
            else:
                allowed = np.asarray(variable.values, dtype=float)
                index = _nearest(self._discrete_codes(variable), u)
                columns[variable.name] = pd.Series(allowed[index], dtype=float)
        return pd.DataFrame(columns)

    def categorical_combinations(self) -> int:
        total = 1
        for block in self.categorical_blocks:
            total *= block.width
        return total


def _nearest(sorted_codes: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the nearest value in a sorted array, for every entry of u."""
    right = np.clip(np.searchsorted(sorted_codes, u), 1, len(sorted_codes) - 1)
    left = right - 1
    choose_left = np.abs(u - sorted_codes[left]) <= np.abs(sorted_codes[right] - u)
    return np.where(choose_left, left, right)


@dataclass(frozen=True)
class OutputTransform:
    """Outputs -> model units: standardise, compress the long tail (Yeo-Johnson), standardise again.

    Responses such as yields, costs or errors are often skewed: a few very large values next to
    a narrow interesting region. A GP with a stationary kernel fitted to raw standardised values
    then spends its flexibility on the extremes and is vague where the optimum is. The
    Yeo-Johnson transform with the maximum-likelihood exponent brings the outputs closer to
    normal in either direction of skew (it is monotone increasing, so the best point stays the
    best point), as HEBO does (Cowen-Rivers et al., 2022). lam = 1 is the identity.

    Tail only (every fit since issue 10): the transform acts only beyond `pivot` standard
    deviations from the mean on the long side (lam < 1: above the mean, lam > 1: below it), as
    pivot + Yeo-Johnson(z - pivot); the rest keeps its linear scale (slope 1 at the pivot, so the
    transform stays smooth). The full transform also stretches the other side, and for a skewed
    minimisation that is where the optimum is: on the first 14 experiments of a stuck Branin
    campaign (lam = -1.0) it made every value below the best one seen improbable, and the model
    predicted 2.86 +- 0.23 where the minimum is 0.40. Compressing from the mean on still gave
    2.73 +- 0.51 (the bulk of the data shrank against its own differences); from one standard
    deviation on, 2.58 +- 1.37, which holds the minimum in its 95% interval. Models saved before
    keep their two-sided transform (`pivot` None).
    """

    mean: float = 0.0
    std: float = 1.0
    lam: float = 1.0
    t_mean: float = 0.0
    t_std: float = 1.0
    pivot: float | None = None

    LAMBDA_RANGE = (-3.0, 5.0)  # beyond this the inverse becomes numerically fragile
    MIN_POINTS_TO_WARP = 6  # below this the exponent is mostly noise
    PIVOT = 1.0  # standard deviations from the mean where the compression of the long tail starts
    MAX_PIVOT = 100.0  # a larger stored pivot is not one this code wrote

    @classmethod
    def fit(cls, y: np.ndarray, warp: bool = True) -> "OutputTransform":
        y = np.asarray(y, dtype=float)
        mean, std = float(np.mean(y)), float(np.std(y))
        if not warp or len(y) < cls.MIN_POINTS_TO_WARP:
            return cls(mean, std)
        z = (y - mean) / std
        lam = _yeo_johnson_mle(z, cls.LAMBDA_RANGE, cls.PIVOT)
        t = _tail_transform(z, lam, cls.PIVOT)
        t_std = float(np.std(t))
        if not (np.isfinite(t_std) and t_std > 1e-12):
            return cls(mean, std)
        return cls(mean, std, lam, float(np.mean(t)), t_std, cls.PIVOT)

    def forward(self, y: np.ndarray) -> np.ndarray:
        z = (np.asarray(y, dtype=float) - self.mean) / self.std
        t = _yeo_johnson(z, self.lam) if self.pivot is None else _tail_transform(z, self.lam, self.pivot)
        return (t - self.t_mean) / self.t_std

    def inverse(self, ys: np.ndarray) -> np.ndarray:
        t = np.asarray(ys, dtype=float) * self.t_std + self.t_mean
        if self.pivot is None:
            return _yeo_johnson_inverse(t, self.lam) * self.std + self.mean
        shift, tail = _tail(t, self.lam, self.pivot)
        z = np.where(tail, shift + _yeo_johnson_inverse(t - shift, self.lam), t)
        return z * self.std + self.mean

    def derivative(self, y: np.ndarray) -> np.ndarray:
        """d(model units)/d(target units) at y (to carry per-point noise into model units)."""
        z = (np.asarray(y, dtype=float) - self.mean) / self.std
        if self.pivot is None:
            dt = _yeo_johnson_slope(z, self.lam)
        else:
            shift, tail = _tail(z, self.lam, self.pivot)
            dt = np.where(tail, _yeo_johnson_slope(z - shift, self.lam), 1.0)
        return dt / (self.std * self.t_std)

    def inverse_derivative(self, ys: np.ndarray) -> np.ndarray:
        """d(target units)/d(model units) at ys (delta-method scale of a predicted std)."""
        t = np.asarray(ys, dtype=float) * self.t_std + self.t_mean
        if self.pivot is None:
            dz = _yeo_johnson_inverse_slope(t, self.lam)
        else:
            shift, tail = _tail(t, self.lam, self.pivot)
            dz = np.where(tail, _yeo_johnson_inverse_slope(t - shift, self.lam), 1.0)
        return np.minimum(dz, 1e300) * self.std * self.t_std

    def to_state(self) -> dict:
        state = {"mean": self.mean, "std": self.std, "lambda": self.lam, "t_mean": self.t_mean, "t_std": self.t_std}
        if self.pivot is not None:  # absent for a two-sided transform, as in every file written before
            state["pivot"] = self.pivot
        return state

    @classmethod
    def from_state(cls, state: object) -> "OutputTransform":
        from alchemist.errors import SessionFileError

        keys = ("mean", "std", "lambda", "t_mean", "t_std")
        if not isinstance(state, dict) or not all(
            isinstance(state.get(k), float) and np.isfinite(state.get(k)) for k in keys
        ):
            raise SessionFileError("The saved model's output scaling is not valid.")
        if not (state["std"] > 0 and state["t_std"] > 0):
            raise SessionFileError("The saved model's output scaling is not valid.")
        if not cls.LAMBDA_RANGE[0] <= state["lambda"] <= cls.LAMBDA_RANGE[1]:
            raise SessionFileError("The saved model's output transform is out of range.")
        pivot = state.get("pivot")
        if pivot is not None and not (isinstance(pivot, float) and 0.0 <= pivot <= cls.MAX_PIVOT):
            raise SessionFileError("The saved model's output transform is out of range.")
        return cls(state["mean"], state["std"], state["lambda"], state["t_mean"], state["t_std"], pivot)


def _tail(x: np.ndarray, lam: float, pivot: float) -> tuple[float, np.ndarray]:
    """Where the tail-only transform acts on x (standardised, or transformed: the pivot is a fixed
    point) and the shift that moves the pivot to zero: above +pivot for lam < 1, below -pivot for lam > 1."""
    x = np.asarray(x, dtype=float)
    if lam < 1.0:
        return pivot, x > pivot
    return -pivot, x < -pivot


def _tail_transform(z: np.ndarray, lam: float, pivot: float) -> np.ndarray:
    shift, tail = _tail(z, lam, pivot)
    return np.where(tail, shift + _yeo_johnson(z - shift, lam), z)


def _yeo_johnson_slope(z: np.ndarray, lam: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.where(z >= 0, (np.abs(z) + 1.0) ** (lam - 1.0), (1.0 + np.abs(z)) ** (1.0 - lam))


def _yeo_johnson_inverse_slope(t: np.ndarray, lam: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        if abs(lam) < 1e-12:
            pos = np.exp(np.maximum(t, 0.0))
        else:
            pos = np.maximum(lam * np.maximum(t, 0.0) + 1.0, 1e-300) ** (1.0 / lam - 1.0)
        if abs(lam - 2.0) < 1e-12:
            neg = np.exp(-np.minimum(t, 0.0))
        else:
            neg = np.maximum(1.0 - (2.0 - lam) * np.minimum(t, 0.0), 1e-300) ** (1.0 / (2.0 - lam) - 1.0)
    return np.where(t >= 0, pos, neg)


def _yeo_johnson_mle(z: np.ndarray, bounds: tuple[float, float], pivot: float | None = None) -> float:
    """Maximum-likelihood Yeo-Johnson exponent within bounds, by a coarse then a fine grid.

    Same likelihood as scipy.stats.yeojohnson_llf (with a `pivot`, of the tail-only transform:
    only the tail contributes to the log Jacobian); a grid is deterministic, cannot wander out
    of the bounds and costs ~2 ms where scipy's bounded scalar search took ~15 ms per fit.
    """
    if pivot is None:
        log_jacobians = (float(np.sum(np.sign(z) * np.log1p(np.abs(z)))),) * 2
    else:
        # The signed log slope term of each side's tail: sum of sign(u) log(1 + |u|), u = z - shift.
        above, below = z[z > pivot] - pivot, z[z < -pivot] + pivot
        log_jacobians = (float(np.sum(np.log1p(above))), float(-np.sum(np.log1p(-below))))

    def llf(lam: float) -> float:
        with np.errstate(all="ignore"):
            t = _yeo_johnson(z, lam) if pivot is None else _tail_transform(z, lam, pivot)
            variance = float(np.var(t))
        if not (np.isfinite(variance) and variance > 0):
            return -np.inf
        return -0.5 * len(z) * math.log(variance) + (lam - 1.0) * log_jacobians[0 if lam < 1.0 else 1]

    coarse = np.linspace(bounds[0], bounds[1], 33)
    best = float(coarse[np.argmax([llf(lam) for lam in coarse])])
    step = coarse[1] - coarse[0]
    fine = np.clip(np.linspace(best - step, best + step, 41), *bounds)
    values = [llf(lam) for lam in fine]
    if not np.isfinite(np.max(values)):
        return 1.0
    return float(fine[int(np.argmax(values))])


def _yeo_johnson(x: np.ndarray, lam: float) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    if abs(lam) < 1e-12:
        out[pos] = np.log1p(x[pos])
    else:
        out[pos] = ((x[pos] + 1.0) ** lam - 1.0) / lam
    if abs(lam - 2.0) < 1e-12:
        out[~pos] = -np.log1p(-x[~pos])
    else:
        out[~pos] = -((1.0 - x[~pos]) ** (2.0 - lam) - 1.0) / (2.0 - lam)
    return out


def _yeo_johnson_inverse(t: np.ndarray, lam: float) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    out = np.empty_like(t)
    pos = t >= 0
    with np.errstate(all="ignore"):
        if abs(lam) < 1e-12:
            out[pos] = np.expm1(np.minimum(t[pos], 700.0))
        else:
            # Outside the transform's range (possible for a prediction) clip to its edge.
            out[pos] = np.maximum(lam * t[pos] + 1.0, 1e-300) ** (1.0 / lam) - 1.0
        if abs(lam - 2.0) < 1e-12:
            out[~pos] = -np.expm1(np.minimum(-t[~pos], 700.0))
        else:
            out[~pos] = 1.0 - np.maximum(1.0 - (2.0 - lam) * t[~pos], 1e-300) ** (1.0 / (2.0 - lam))
    return np.clip(out, -1e300, 1e300)
