"""Revisions: every committed change to a session, as data, with the budget that keeps them small.

A revision is a number (1, 2, 3, ... per session), a UTC time, a kind, a summary (plain data the
app puts into words), the counts after it and the patch (alchemist.history.patch) that made it.
Undo and redo are revisions too: nothing is ever overwritten, and undoing a restore works.

The budget: the last MAX_REVISIONS revisions keep their patches (and at most MAX_HISTORY_BYTES of
them); of older ones, the last state of each day is kept as a daily state for the time to live.
Named snapshots keep their whole state and are never pruned.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from alchemist.errors import SessionFileError
from alchemist.history.patch import ops_bytes, valid_ops
from alchemist.plain import timestamp_from_state, timestamp_to_state

MAX_REVISIONS = 500
MAX_HISTORY_BYTES = 32 * 1024 * 1024
MAX_SNAPSHOTS = 200
MAX_LABEL = 80


class RevisionKind(str, Enum):
    CREATE = "create"           # the first stored state
    EDIT_CELLS = "edit_cells"
    ADD_ROWS = "add_rows"
    DELETE_ROWS = "delete_rows"
    ADD_VARIABLE = "add_variable"
    DELETE_VARIABLE = "delete_variable"
    CHANGE_VARIABLE = "change_variable"
    VARIABLES = "variables"     # several variables at once (an import)
    RENAME = "rename"
    TRAIN = "train"
    SUGGEST = "suggest"
    SETTINGS = "settings"
    RESTORE = "restore"
    UNDO = "undo"
    REDO = "redo"
    OTHER = "other"


@dataclass
class Revision:
    number: int
    time: datetime
    kind: RevisionKind
    summary: dict
    counts: dict
    ops: list[dict] = field(default_factory=list, repr=False)

    def to_state(self) -> dict:
        return {"number": self.number, "time": timestamp_to_state(self.time), "kind": self.kind.value,
                "summary": self.summary, "counts": self.counts, "ops": self.ops}

    @classmethod
    def from_state(cls, state: Any) -> "Revision":
        if not isinstance(state, dict):
            raise SessionFileError("A revision in the file is not in the expected form.")
        number, summary, counts, ops = state.get("number"), state.get("summary"), state.get("counts"), state.get("ops")
        try:
            kind = RevisionKind(state.get("kind"))
        except ValueError:
            kind = RevisionKind.OTHER  # a kind from a newer version: still a revision
        if (not isinstance(number, int) or isinstance(number, bool) or number < 0 or not isinstance(summary, dict)
                or not isinstance(counts, dict) or not valid_ops(ops)):
            raise SessionFileError("A revision in the file is not in the expected form.")
        return cls(number, timestamp_from_state(state.get("time")), kind, summary, counts, ops)


@dataclass
class SavedState:
    """A whole state kept apart from the revisions: a named snapshot or a daily state."""

    number: int  # the revision it is the state after
    time: datetime
    label: str  # "" for a daily state
    state: dict = field(repr=False)

    def to_state(self) -> dict:
        return {"number": self.number, "time": timestamp_to_state(self.time), "label": self.label, "state": self.state}

    @classmethod
    def from_state(cls, value: Any) -> "SavedState":
        if (not isinstance(value, dict) or not isinstance(value.get("number"), int) or not isinstance(value.get("label"), str)
                or not isinstance(value.get("state"), dict)):
            raise SessionFileError("A saved state in the file's history is not in the expected form.")
        return cls(value["number"], timestamp_from_state(value.get("time")), value["label"][:MAX_LABEL], value["state"])


@dataclass
class History:
    """What a session file keeps besides its current state. `head` is the number of the revision
    whose state the file's session is (0: no revision yet)."""

    head: int = 0
    revisions: list[Revision] = field(default_factory=list)
    snapshots: list[SavedState] = field(default_factory=list)
    dailies: list[SavedState] = field(default_factory=list)

    def to_state(self) -> dict:
        return {"head": self.head, "revisions": [r.to_state() for r in self.revisions],
                "snapshots": [s.to_state() for s in self.snapshots], "dailies": [d.to_state() for d in self.dailies]}

    @classmethod
    def from_state(cls, value: Any) -> "History":
        if value is None:
            return cls()
        if not isinstance(value, dict) or not isinstance(value.get("head"), int):
            raise SessionFileError("The history in the file is not in the expected form.")
        lists = [value.get(k, []) for k in ("revisions", "snapshots", "dailies")]
        if not all(isinstance(v, list) for v in lists):
            raise SessionFileError("The history in the file is not in the expected form.")
        revisions = [Revision.from_state(r) for r in lists[0][:MAX_REVISIONS + 1000]]
        numbers = [r.number for r in revisions]
        if numbers != sorted(set(numbers)) or (numbers and numbers[-1] != value["head"]):
            raise SessionFileError("The revisions in the file are out of order.")
        return cls(value["head"], revisions, [SavedState.from_state(s) for s in lists[1][:MAX_SNAPSHOTS]],
                   [SavedState.from_state(d) for d in lists[2][:MAX_REVISIONS]])

    def without_patches(self) -> "History":
        return History(self.head, [], list(self.snapshots), [])


def undo_stacks(revisions: list[Revision]) -> tuple[list[int], list[int]]:
    """(revisions that undo would take back, last first; revisions that redo would make again, next first)."""
    undo: list[int] = []
    redo: list[int] = []
    for revision in revisions:
        target = revision.summary.get("target")
        if revision.kind is RevisionKind.UNDO:
            if undo and undo[-1] == target:
                undo.pop()
                redo.append(target)
        elif revision.kind is RevisionKind.REDO:
            if redo and redo[-1] == target:
                redo.pop()
                undo.append(target)
        elif revision.kind is not RevisionKind.CREATE:
            undo.append(revision.number)
            redo.clear()
    return undo[::-1], redo[::-1]


def over_budget(revisions: list[Revision]) -> int:
    """How many of the oldest revisions to drop to keep within the budget (never the newest)."""
    drop = max(0, len(revisions) - MAX_REVISIONS)
    total = sum(ops_bytes(r.ops) for r in revisions[drop:])
    while drop < len(revisions) - 1 and total > MAX_HISTORY_BYTES:
        total -= ops_bytes(revisions[drop].ops)
        drop += 1
    return drop


def daily_numbers(dropped: list[Revision], oldest_kept: datetime, newest: datetime, ttl: timedelta) -> list[int]:
    """Of revisions being dropped, those whose state is the last of a UTC day that the kept revisions
    do not reach (within the time to live): the kept revisions already show the later part of the
    day of the oldest of them, and a whole state per day is costly for a large session."""
    last_of_day: dict = {}
    for revision in dropped:
        if newest - ttl <= revision.time and revision.time.date() < oldest_kept.date():
            last_of_day[revision.time.date()] = revision.number
    return sorted(last_of_day.values())


def merge_dailies(kept: list[SavedState], new: list[SavedState], newest: datetime, ttl: timedelta) -> list[SavedState]:
    """One state per UTC day, the latest of it, none older than the time to live."""
    by_day = {d.time.date(): d for d in sorted([*kept, *new], key=lambda d: d.number)}
    return [d for d in by_day.values() if d.time >= newest - ttl]


def shrink(history: History) -> History | None:
    """A smaller history for a session file over its size limit: the oldest daily state goes first,
    then the older half of the revisions; None when only snapshots (never pruned) are left."""
    if history.dailies:
        return replace(history, dailies=history.dailies[1:])
    if len(history.revisions) > 1:
        return replace(history, revisions=history.revisions[len(history.revisions) // 2:])
    return None
