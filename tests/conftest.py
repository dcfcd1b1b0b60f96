"""Shared fixtures: paths to the shipped example data, the app's store folder for AppTest, and the
session store and golden session that several modules of session-file and store tests use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from alchemist.persistence import SessionStore
    from alchemist.session import Session

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's session store in a folder of this test, for AppTest (it runs app.py in this
    process, which finds the folder in the environment), with the default time to live."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("ALCHEMIST_CACHE_DIR", str(folder))
    monkeypatch.delenv("ALCHEMIST_SESSION_TTL_DAYS", raising=False)
    return folder


@pytest.fixture
def catalyst_dir() -> Path:
    """The shipped NREL catalyst example (read-only files: never write into it)."""
    return REPO_ROOT / "examples" / "catalyst"


# The library is imported inside the fixtures: most test runs (the browser tests) never need it.
@pytest.fixture(scope="module")
def golden() -> Session:
    # Through its own state once: an int64 column of suggestions is kept as values (object dtype),
    # so the fixed point of save and load is what every format must reproduce exactly.
    from alchemist.session import Session
    from tests.session_files_support import golden_session

    return Session.from_state(golden_session().to_state())


@pytest.fixture
def store(tmp_path) -> SessionStore:
    """An empty store in tmp_path whose sessions live a day."""
    from alchemist.persistence import SessionStore
    from tests.session_store_support import DAY

    return SessionStore(tmp_path / "cache", ttl=DAY)
