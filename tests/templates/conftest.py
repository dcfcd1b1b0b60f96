"""The app's session store in a folder of each test (as tests/test_app.py does)."""

from __future__ import annotations

import pytest


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ALCHEMIST_CACHE_DIR", str(folder))
    monkeypatch.delenv("ALCHEMIST_SESSION_TTL_DAYS", raising=False)
    return folder
