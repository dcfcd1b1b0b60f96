"""What the pages plot: the model's landscape over two variables, and progress over the campaign."""

from __future__ import annotations

import enum
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from alchemist.acquisition import acquisition_value, check_goal
from alchemist.errors import ModelError
from alchemist.model import GPModel
from alchemist.optimize import ei_noise_discount
from alchemist.variables import Variable

MAX_RESOLUTION = 100
FEASIBLE = "Feasible"  # grid column: the point meets every input constraint


class SliceSource(enum.Enum):
    """Where the landscape's slice goes through: the variables off the axes are held there."""

    SUGGESTION = "suggestion"  # the first of the newest suggestions
    BEST = "best"  # the best experiment so far
    MIDDLE = "middle"  # the middle of each range (nothing measured or suggested yet)


def slice_anchor(
    suggestions: pd.DataFrame | None, best: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, SliceSource]:
    """The point the landscape's slice follows: the newest suggestion, else the best experiment.

    The map should show where the action is: after a new suggestion round, the next experiment.
    """
    if suggestions is not None and len(suggestions):
        return suggestions.iloc[0].to_dict(), SliceSource.SUGGESTION
    if best is not None:
        return dict(best), SliceSource.BEST
    return None, SliceSource.MIDDLE


def default_fixed_values(variables: Sequence[Variable], anchor: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Where the variables not on the axes sit by default: at `anchor` (e.g. the best experiment)
    where it holds a valid value, else the middle of a range or the first level."""
    fixed: dict[str, Any] = {}
    for variable in variables:
        if anchor is not None and variable.name in anchor and variable.check(anchor[variable.name]) is None:
            value = anchor[variable.name]
            fixed[variable.name] = value if variable.kind == "categorical" else float(value)
        elif variable.kind == "categorical":
            fixed[variable.name] = variable.levels[0]
        elif variable.kind == "discrete":
            fixed[variable.name] = variable.values[len(variable.values) // 2]
        elif variable.kind == "integer":
            fixed[variable.name] = int(round((variable.low + variable.high) / 2))
        else:
            fixed[variable.name] = (variable.low + variable.high) / 2
    return fixed


def _axis(variable: Variable, resolution: int) -> np.ndarray:
    if variable.kind == "categorical":
        raise ModelError(f"'{variable.name}' is categorical; choose numeric variables for the axes.")
    if variable.kind == "discrete":
        return np.asarray(variable.values, dtype=float)
    values = np.linspace(variable.low, variable.high, resolution)
    return np.unique(np.round(values)) if variable.kind == "integer" else values


def prediction_grid(
    model: GPModel,
    x_name: str,
    y_name: str,
    fixed: Mapping[str, Any],
    *,
    acquisition: str = "ei",
    goal: str = "maximize",
    beta: float = 2.0,
    best: float | None = None,
    resolution: int = 40,
    constraints: Sequence[object] = (),
) -> pd.DataFrame:
    """Predicted mean, standard deviation and acquisition on a grid over two numeric variables.

    The other variables stay at `fixed` (checked against their definitions). `best` is the best
    result so far, needed by improvement-based acquisitions; without it they are left out.
    With `constraints`, a boolean column FEASIBLE says which grid points meet them all (with
    the other variables at their fixed values): the chart shades the rest.
    """
    check_goal(goal)
    if x_name == y_name:
        raise ModelError("Choose two different variables for the axes.")
    if not 2 <= resolution <= MAX_RESOLUTION:
        raise ModelError(f"The grid resolution must be between 2 and {MAX_RESOLUTION}.")
    by_name = {v.name: v for v in model.variables}
    for name in (x_name, y_name):
        if name not in by_name:
            raise ModelError(f"The model has no variable '{name}'.")
    xs = _axis(by_name[x_name], resolution)
    ys = _axis(by_name[y_name], resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = pd.DataFrame({x_name: gx.ravel(), y_name: gy.ravel()})
    for variable in model.variables:
        if variable.name in (x_name, y_name):
            continue
        value = fixed.get(variable.name)
        if variable.check(value) is not None:
            raise ModelError(f"The fixed value {value!r} is not a valid setting of '{variable.name}'.")
        grid[variable.name] = value
    grid = grid[[v.name for v in model.variables]]
    mean, std = model.predict(grid)
    result = pd.DataFrame({x_name: grid[x_name], y_name: grid[y_name], "Predicted mean": mean, "Predicted std": std})
    if constraints:
        from alchemist.constraints import is_feasible

        result[FEASIBLE] = is_feasible(grid, model.variables, constraints)
    if best is not None or acquisition in ("ucb", "explore", "exploit"):
        result["Acquisition"] = acquisition_value(
            acquisition, mean, std, best if best is not None else 0.0, goal, beta
        )
        if acquisition == "ei":
            result["Acquisition"] *= ei_noise_discount(model, model.encoder.encode(grid))
    return result


def best_so_far(results: Sequence[float], goal: str = "maximize") -> pd.DataFrame:
    """The convergence curve: each experiment's result and the best result up to it (gaps skipped)."""
    check_goal(goal)
    values = np.asarray(results, dtype=float)
    running = np.full(len(values), np.nan)
    best = np.nan
    for i, value in enumerate(values):
        if np.isfinite(value) and (np.isnan(best) or (value > best if goal == "maximize" else value < best)):
            best = value
        running[i] = best
    return pd.DataFrame({"Experiment": np.arange(1, len(values) + 1), "Result": values, "Best so far": running})
