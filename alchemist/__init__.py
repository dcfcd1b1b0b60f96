"""ALchemist: active-learning campaigns for experimental science, as a library.

The Streamlit pages are one client of this package; a lab's own scripts are another.
"""

from alchemist.errors import (
    AlchemistError,
    ExperimentError,
    FileFormatError,
    ModelError,
    SessionFileError,
    VariableError,
)
from alchemist.model import GPModel, ModelSettings
from alchemist.session import ChangeNeedsConfirmation, Session
from alchemist.variables import (
    CategoricalVariable,
    ContinuousVariable,
    DiscreteVariable,
    IntegerVariable,
    make_variable,
)

__all__ = [
    "AlchemistError",
    "CategoricalVariable",
    "ChangeNeedsConfirmation",
    "ContinuousVariable",
    "DiscreteVariable",
    "ExperimentError",
    "FileFormatError",
    "GPModel",
    "IntegerVariable",
    "ModelError",
    "ModelSettings",
    "Session",
    "SessionFileError",
    "VariableError",
    "make_variable",
]
