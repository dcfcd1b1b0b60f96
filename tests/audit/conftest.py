"""A small campaign with every kind of audit entry, shared by the audit tests."""

from __future__ import annotations

import pytest

from alchemist.examples import catalyst_example
from alchemist.session import Session


def campaign() -> Session:
    """Import, fit, suggest, plan the suggestions, enter one result against them, note an entry."""
    session = catalyst_example()
    session.train()
    session.suggest(n=3, seed=1, acquisition="ei")
    session.add_pending(session.suggestions, note="Suggested (EI)")
    frame = session.experiments.frame.copy()
    row = len(frame) - 2
    frame.loc[row, session.target] = 0.5
    frame.loc[row, "Temperature"] = 401.0  # the chemist ran it a degree off
    session.edit_experiments(frame)
    session.audit.annotate(2, "Fitted after the March batch.")
    return session


@pytest.fixture(scope="module")
def recorded() -> Session:
    return campaign()
