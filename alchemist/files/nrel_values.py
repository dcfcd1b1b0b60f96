"""The values of an NREL ALchemist session file, read the way its writers wrote them.

Its writers put Python's `NaN` token in empty cells, a result as a number (one objective), a
mapping (several) or, in an older writer, a list; provenance deltas as numbers or words; and
BoTorch hyperparameters as Python-style text ("[0.1, 2.5e-06]"). Text is never evaluated: the
numbers in it are read with a regular expression, within a bound.
"""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

MAX_TEXT_SCANNED = 20_000  # characters of a hyperparameter text searched for numbers
MAX_NUMBERS = 1_000  # numbers read from one text
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")
_NU = re.compile(r"\bnu\s*[=:]\s*'?([0-9.]+)")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def finite(value: Any) -> float | None:
    """`value` as a float when it is a finite number, else None."""
    if is_number(value) and math.isfinite(value):
        return float(value)
    return None


def cell(value: Any) -> Any:
    """A cell as the table takes it: NaN (ALchemist's empty cell) is empty; a list or object is kept as text, to be seen and marked."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def output_cells(output: Any, targets: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """({result column: cell}, names of results that are not result columns) for a queue or provenance output.

    A number is the first result column's; a mapping names its columns; a list (an older writer)
    gives the columns in order. Nothing (None, NaN) is no result.
    """
    if output is None or (isinstance(output, float) and math.isnan(output)):
        return {}, []
    if isinstance(output, dict):
        known = {name: cell(value) for name, value in output.items() if name in targets}
        return known, [str(name) for name in output if name not in targets]
    if isinstance(output, list):
        extra = [f"#{i + 1}" for i in range(len(targets), len(output))]
        return {name: cell(value) for name, value in zip(targets, output)}, extra
    return {targets[0]: cell(output)}, []


def numbers_in(value: Any) -> tuple[float, ...]:
    """The finite numbers in a value: itself, the items of a list, or those written in Python-style text."""
    if is_number(value):
        return (float(value),) if math.isfinite(value) else ()
    if isinstance(value, list):
        return tuple(float(v) for v in value[:MAX_NUMBERS] if finite(v) is not None)
    if not isinstance(value, str):
        return ()
    found = []
    for match in _NUMBER.finditer(value[:MAX_TEXT_SCANNED]):
        number = float(match.group())
        if math.isfinite(number):
            found.append(number)
        if len(found) == MAX_NUMBERS:
            break
    return tuple(found)


def matern_nu(model_config: dict) -> float | None:
    """The Matérn smoothness ALchemist used, wherever its writers put it (a number, or inside kernel text)."""
    parts = [model_config.get("hyperparameters"), model_config.get("kernel_params")]
    training = model_config.get("training_config")
    if isinstance(training, dict):
        parts.append(training.get("kernel_params"))
    for params in parts:
        if not isinstance(params, dict):
            continue
        for key in ("k2__nu", "nu", "matern_nu"):
            nu = finite(params.get(key))
            if nu is not None:
                return nu
    for params in parts:
        if isinstance(params, dict):
            for value in params.values():
                match = _NU.search(value[:MAX_TEXT_SCANNED]) if isinstance(value, str) else None
                if match:
                    try:
                        return float(match.group(1))
                    except ValueError:
                        continue
    return None
