"""The example campaign shipped with the app: NREL's catalyst screening data (BSD 3-Clause, see its LICENSE)."""

from __future__ import annotations

from pathlib import Path

from alchemist.files.tables import read_table
from alchemist.files.variable_files import read_variables
from alchemist.session import Session

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


def catalyst_example(folder: Path = EXAMPLES_DIR / "catalyst") -> Session:
    """A new session with the catalyst variables and its 22 experiments."""
    session = Session.new("Catalyst screening (example)")
    space = folder / "catalyst_search_space.json"
    for variable in read_variables(space.read_bytes(), space.name):
        session.add_variable(variable)
    table = folder / "catalyst_experiments.csv"
    session.add_experiments(read_table(table.read_bytes(), table.name), target="Output")
    return session
