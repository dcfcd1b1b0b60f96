"""Shared fixtures: only general ones (paths to the shipped example data)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def catalyst_dir() -> Path:
    """The shipped NREL catalyst example (read-only files: never write into it)."""
    return REPO_ROOT / "examples" / "catalyst"
