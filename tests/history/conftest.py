"""Shared by the store-history tests: the catalyst example, saved in a fresh store."""

from __future__ import annotations

import pytest

from alchemist.examples import catalyst_example
from alchemist.session import Session


@pytest.fixture
def stored(store) -> Session:
    session = catalyst_example()
    store.save(session)
    return session
