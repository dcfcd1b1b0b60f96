"""The templates shipped with the app: a reaction optimisation, and the catalyst example's variables."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alchemist.examples import EXAMPLES_DIR
from alchemist.files.variable_files import read_variables
from alchemist.templates.template import Template
from alchemist.variables import CategoricalVariable, ContinuousVariable

REACTION = "reaction"
CATALYST = "catalyst"


def reaction_optimisation() -> Template:
    """Five conditions of a typical reaction screen; the result is the yield."""
    return Template(
        name="Reaction optimisation",
        description="Temperature, time, concentration, catalyst loading and solvent of a reaction; maximise the yield.",
        target="Yield",
        variables=(
            ContinuousVariable("Temperature", unit="°C", description="Reaction temperature", low=20, high=120),
            ContinuousVariable("Time", unit="h", description="Reaction time", low=0.5, high=24),
            ContinuousVariable("Concentration", unit="mol/L", description="Substrate concentration", low=0.05, high=1.0),
            ContinuousVariable("Catalyst loading", unit="mol%", description="Catalyst relative to substrate", low=0.5, high=10),
            CategoricalVariable("Solvent", description="Reaction solvent",
                                levels=("Toluene", "THF", "DMF", "Acetonitrile", "Ethanol")),
        ),
    )


def catalyst_screening(folder: Path = EXAMPLES_DIR / "catalyst") -> Template:
    """The variables of the shipped catalyst example (NREL's data), read through the variable-file reader."""
    space = folder / "catalyst_search_space.json"
    return Template(
        name="Catalyst screening",
        description="The variables of the catalyst example: temperature, zeolite, metal loading and zinc fraction.",
        target="Output",
        variables=tuple(read_variables(space.read_bytes(), space.name)),
    )


PRESETS = {REACTION: reaction_optimisation, CATALYST: catalyst_screening}


@cache
def preset(key: str) -> Template:
    """A shipped template by its key (one of PRESETS); built once per process (templates are immutable)."""
    return PRESETS[key]()
