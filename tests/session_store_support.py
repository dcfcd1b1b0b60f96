"""Shared by the tests of the session store and its files: a one-day time to live, a session with
every kind of variable, and looks at what a store wrote and at what a session holds."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pandas as pd

from alchemist.files import json_tree
from alchemist.files.container import decode_session_file
from alchemist.persistence import SessionStore
from alchemist.session import Session
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable

DAY = timedelta(days=1)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def canonical(tree) -> str:
    """Plain data as text: arrays as their exact bytes (base64), other floats by repr, NaN and infinity named."""
    return json.dumps(json_tree.to_json_tree(tree, arrays_as_numbers=False), sort_keys=True)


def same_state(a, b) -> bool:
    """Bit for bit (numeric columns as their bytes), apart from the id a load gives."""
    sa, sb = a.to_state(), b.to_state()
    sa["id"] = sb["id"] = "-"
    return canonical(sa) == canonical(sb)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def read_envelope(store: SessionStore, session_id: str) -> dict:
    return decode_session_file(store.path_of(session_id).read_bytes())


def full_session() -> Session:
    """Every variable kind with unit and description, missing values, invalid cells and notes."""
    session = Session.new("Round trip — every kind")
    session.add_variable(ContinuousVariable("Temperature", unit="°C", description="Set point", low=300, high=500))
    session.add_variable(IntegerVariable("Cycles", unit="count", description="Regenerations", low=1, high=9))
    session.add_variable(CategoricalVariable("Catalyst", unit="", description="Zeolite", levels=("Low SAR", "High SAR")))
    session.add_variable(DiscreteVariable("SAR", unit="mol/mol", description="Si/Al ratio", values=(80, 280)))
    session.add_experiments(
        pd.DataFrame(
            {
                "Temperature": [320.5, None, "hot", 450.0],
                "Cycles": [1, 2, 3, 4],
                "Catalyst": ["Low SAR", "High SAR", None, "Medium"],
                "SAR": [80, 280, 80, 81],
                "Yield": [0.1 + 0.2, 0.5, None, 1e-300],
                "Noise": [0.01, None, None, 0.0],
                "Iteration": [0, 0, 1, 1],
                "Reason": ["Initial Design", "", "EI — suggested", "line one\nline two"],
            }
        ),
        target="Yield",
    )
    return session
