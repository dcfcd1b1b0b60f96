"""ALchemist: active-learning campaigns for experimental science, as a library.

The Streamlit pages are one client of this package; a lab's own scripts are another.

The names below are imported when first used (PEP 562), so that importing one module of the
package, such as the safe decoder in alchemist.files, loads neither pandas nor scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alchemist.errors import (
        AlchemistError,
        ExperimentError,
        FileFormatError,
        ModelError,
        SessionFileError,
        VariableError,
    )
    from alchemist.constraints import ConditionalRule, ForbiddenCombination, LinearConstraint, MixtureConstraint
    from alchemist.model import GPModel, ModelSettings
    from alchemist.objectives import Objective
    from alchemist.errors import ChangeNeedsConfirmation
    from alchemist.session import Session
    from alchemist.variables import (
        CategoricalVariable,
        ContinuousVariable,
        DiscreteVariable,
        IntegerVariable,
        make_variable,
    )

_EXPORTS = {
    "AlchemistError": "alchemist.errors",
    "ExperimentError": "alchemist.errors",
    "FileFormatError": "alchemist.errors",
    "ModelError": "alchemist.errors",
    "SessionFileError": "alchemist.errors",
    "VariableError": "alchemist.errors",
    "GPModel": "alchemist.model",
    "ConditionalRule": "alchemist.constraints",
    "ForbiddenCombination": "alchemist.constraints",
    "LinearConstraint": "alchemist.constraints",
    "MixtureConstraint": "alchemist.constraints",
    "Objective": "alchemist.objectives",
    "ModelSettings": "alchemist.model",
    "ChangeNeedsConfirmation": "alchemist.errors",
    "Session": "alchemist.session",
    "CategoricalVariable": "alchemist.variables",
    "ContinuousVariable": "alchemist.variables",
    "DiscreteVariable": "alchemist.variables",
    "IntegerVariable": "alchemist.variables",
    "make_variable": "alchemist.variables",
}

__all__ = [
    "AlchemistError",
    "CategoricalVariable",
    "ChangeNeedsConfirmation",
    "ConditionalRule",
    "ContinuousVariable",
    "DiscreteVariable",
    "ExperimentError",
    "FileFormatError",
    "ForbiddenCombination",
    "GPModel",
    "IntegerVariable",
    "LinearConstraint",
    "MixtureConstraint",
    "ModelError",
    "ModelSettings",
    "Objective",
    "Session",
    "SessionFileError",
    "VariableError",
    "make_variable",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'alchemist' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once imported, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
