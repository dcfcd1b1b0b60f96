"""Shared by the store-history tests: comparing campaigns, and the edits the tests make."""

from __future__ import annotations

import json

import pandas as pd

from alchemist.session import Session


def same(a: Session, b: Session) -> bool:
    """The same campaign: the audit trail only grows (undo and restore are not taken back from it)."""
    strip = lambda s: {k: v for k, v in s.to_state().items() if k not in ("id", "modified", "audit")}  # noqa: E731
    return json.dumps(strip(a), default=repr, sort_keys=True) == json.dumps(strip(b), default=repr, sort_keys=True)


def edit_cell(session: Session, row: int, column: str, value) -> None:
    frame = session.experiments.frame.copy()
    frame.iat[row, frame.columns.get_loc(column)] = value
    session.edit_experiments(frame)


def add_rows(session: Session) -> None:
    frame = session.experiments.frame
    session.edit_experiments(pd.concat([frame, frame.iloc[:2]], ignore_index=True))
