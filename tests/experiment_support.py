"""Shared by the experiment-table tests: three variables (continuous, categorical, integer) and a table of rows."""

from __future__ import annotations

import pandas as pd

from alchemist.experiment_import import import_frame
from alchemist.experiments import ExperimentTable
from alchemist.variables import CategoricalVariable, ContinuousVariable, IntegerVariable

VARIABLES = [
    ContinuousVariable("Temperature", unit="°C", low=350, high=450),
    CategoricalVariable("Catalyst", levels=("Low SAR", "High SAR")),
    IntegerVariable("Cycles", low=1, high=5),
]


def table_with(rows: list[dict], target: str = "Yield") -> ExperimentTable:
    table = ExperimentTable(VARIABLES)
    import_frame(table, pd.DataFrame(rows), VARIABLES, target)
    return table
