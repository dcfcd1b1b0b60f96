"""Shared by the session tests: fast model settings, and a small session with valid, invalid and pending rows."""

from __future__ import annotations

import pandas as pd

from alchemist.model import ModelSettings
from alchemist.session import Session
from alchemist.variables import CategoricalVariable, ContinuousVariable

FAST = ModelSettings(n_restarts=0)


def small_session() -> Session:
    """Five experiments: rows 1-3 valid, row 4 has no temperature, row 5 no result yet."""
    session = Session.new("Screening")
    session.add_variable(ContinuousVariable("Temperature", unit="°C", low=300, high=500))
    session.add_variable(CategoricalVariable("Catalyst", levels=("A", "B")))
    session.add_experiments(
        pd.DataFrame(
            {
                "Temperature": [320.0, 400.0, 480.0, None, 350.0],
                "Catalyst": ["A", "B", "A", "B", "B"],
                "Yield": [0.1, 0.5, 0.3, 0.2, None],
                "Notes": ["", "", "repeat", "probe failed", "in the oven"],
            }
        ),
        target="Yield",
    )
    return session
