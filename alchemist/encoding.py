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
