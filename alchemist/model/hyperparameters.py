"""The fitted hyperparameters as records: numbers with their unit as data, for any display.

A length scale is reported in its variable's own units (how far the variable must move before
the result changes noticeably); a one-hot level's in encoded units. Variances are in the
target's units squared when the outputs were only standardised; under a power transform a
variance has no single value in target units, so it stays in the model's units.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from alchemist.encoding import Encoder
from alchemist.model.output_transform import OutputTransform
from alchemist.model.kernels import Covariance


class Parameter(str, Enum):
    LENGTH_SCALE = "length_scale"
    SIGNAL_VARIANCE = "signal_variance"
    RQ_SHAPE = "rq_shape"  # the rational quadratic's alpha
    NOISE_VARIANCE = "noise_variance"  # learned, on top of any per-point noise
    OUTPUT_POWER = "output_power"  # the Yeo-Johnson exponent lambda of the outputs


class Unit(str, Enum):
    VARIABLE = "variable"  # the variable's own unit, in `variable_unit` (may be empty)
    ONE_HOT = "one_hot"  # distance between 0/1 level indicators; large = the level matters little
    TARGET_SQUARED = "target_squared"
    MODEL_SQUARED = "model_squared"  # transformed, standardised output units squared
    NONE = "none"


@dataclass(frozen=True)
class FittedHyperparameter:
    parameter: Parameter
    value: float
    unit: Unit
    variable: str | None = None  # for a length scale: the variable it belongs to
    level: str | None = None  # for a categorical variable's length scale: the level
    variable_unit: str = ""


def fitted_hyperparameters(
    encoder: Encoder, covariance: Covariance, theta: np.ndarray, output: OutputTransform
) -> tuple[FittedHyperparameter, ...]:
    hp = covariance.unpack(theta)
    rows: list[FittedHyperparameter] = []
    for block in encoder.blocks:
        variable = block.variable
        if variable.kind == "categorical":
            for level, value in zip(variable.levels, hp.scales[block.start:block.stop]):
                rows.append(FittedHyperparameter(Parameter.LENGTH_SCALE, float(value), Unit.ONE_HOT, variable.name, level))
        else:
            value = float(hp.scales[block.start] * (variable.high - variable.low))
            rows.append(FittedHyperparameter(
                Parameter.LENGTH_SCALE, value, Unit.VARIABLE, variable.name, variable_unit=variable.unit
            ))
    warped = output.lam != 1.0
    scale, unit = (1.0, Unit.MODEL_SQUARED) if warped else ((output.std * output.t_std) ** 2, Unit.TARGET_SQUARED)
    rows.append(FittedHyperparameter(Parameter.SIGNAL_VARIANCE, hp.signal * scale, unit))
    if covariance.has_alpha:
        rows.append(FittedHyperparameter(Parameter.RQ_SHAPE, hp.alpha, Unit.NONE))
    rows.append(FittedHyperparameter(Parameter.NOISE_VARIANCE, hp.noise * scale, unit))
    if warped:
        rows.append(FittedHyperparameter(Parameter.OUTPUT_POWER, output.lam, Unit.NONE))
    return tuple(rows)
