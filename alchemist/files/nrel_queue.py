"""NREL ALchemist's work queue (`staged_experiments`) as experiments of ours.

A queue item is work in flight: losing one loses a sample on the bench. Every item becomes a row:

* pending and running items: rows without a result (pending here); a running one says so in its note;
* a done item: the measured row it produced, found in the experiments by its id (the
  `ProvenanceId` column) or by its `dataset_ref` when the row there holds its inputs and result;
  a new measured row when the experiments lack it. The suggested inputs stay with the item, to be
  linked to the row (alchemist.files.nrel_history);
* a failed item: a row with its inputs, its error in the note, kept out of the model.

Two layouts: a full item (`id`, `inputs`, `status`, ...), and the older bare mapping of variable
values (with `_reason`), which ALchemist itself reads as a pending item.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Sequence

from alchemist.experiments import ITERATION, NOISE, NOTE
from alchemist.files.nrel_notes import ImportNotes, NotMappedKind
from alchemist.files.nrel_values import cell, finite, output_cells

# Fields of a queue item this import maps (the others are named in the notes when they hold something).
ITEM_FIELDS = {
    "id", "inputs", "reason", "status", "output", "noise", "error", "dataset_ref", "actual_inputs",
    "staged_at", "started_at", "completed_at",
}
TIME_FIELDS = ("staged_at", "started_at", "completed_at")
MAX_ERROR = 300  # characters of an item's error kept in its note
PROVENANCE_COLUMN = "ProvenanceId"


class QueueState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


# How a row's note marks the item's state, after its reason: data in a cell, not a sentence.
RUNNING_MARK = "[running]"
FAILED_MARK = "[failed]"


@dataclass(frozen=True)
class QueueItem:
    """One item of ALchemist's queue, read: what was suggested, what was run, what came out."""

    position: int  # 1-based place in the queue
    id: str
    state: QueueState
    inputs: dict[str, Any]  # the variable values as suggested
    actual: dict[str, Any] | None  # as run, when they differ from the suggestion
    results: dict[str, Any]  # result column -> value
    noise: Any
    reason: str
    error: str
    dataset_ref: int | None
    times: dict[str, str]  # staged_at / started_at / completed_at, as written (no time zone)

    @property
    def run_inputs(self) -> dict[str, Any]:
        return self.actual if self.actual is not None else self.inputs


@dataclass(frozen=True)
class Placement:
    """Where a queue item landed: its row (0-based) and whether the import added that row."""

    item: QueueItem
    row: int
    added: bool


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def read_queue(raw: Any, targets: Sequence[str], notes: ImportNotes) -> list[QueueItem]:
    """The queue items of `staged_experiments`, in order; items that are not records are counted in the notes."""
    raw = raw if isinstance(raw, list) else [raw]
    items: list[QueueItem] = []
    extra_fields: list[str] = []
    for position, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            notes.add(NotMappedKind.QUEUE_ITEMS, count=1)
            continue
        if "inputs" not in entry or "status" not in entry:
            # The older layout: the variable values themselves, the reason under "_reason".
            inputs = {k: cell(v) for k, v in entry.items() if not str(k).startswith("_")}
            items.append(QueueItem(position, "", QueueState.PENDING, inputs, None, {}, None,
                                   _text(entry.get("_reason")), "", None, {}))
            continue
        inputs, actual = entry.get("inputs"), entry.get("actual_inputs")
        if not isinstance(inputs, dict) or not (actual is None or isinstance(actual, dict)):
            notes.add(NotMappedKind.QUEUE_ITEMS, count=1)
            continue
        try:
            state = QueueState(str(entry.get("status")).strip().lower())
        except ValueError:
            notes.add(NotMappedKind.QUEUE_STATUS, [_text(entry.get("status"))], count=1)
            state = QueueState.PENDING  # kept as work to do: dropping it would lose a sample
        results, unknown = output_cells(entry.get("output"), targets)
        if unknown:
            notes.add(NotMappedKind.QUEUE_OUTPUTS, unknown, count=len(unknown))
        ref = entry.get("dataset_ref")
        extra_fields += [str(k) for k, v in entry.items() if k not in ITEM_FIELDS and v not in (None, "", [], {})]
        items.append(QueueItem(
            position=position,
            id=_text(entry.get("id")),
            state=state,
            inputs={str(k): cell(v) for k, v in inputs.items()},
            actual=None if actual is None else {str(k): cell(v) for k, v in actual.items()},
            results=results,
            noise=cell(entry.get("noise")) if not isinstance(entry.get("noise"), (dict, list)) else None,
            reason=_text(entry.get("reason")),
            error=_text(entry.get("error"))[:MAX_ERROR],
            dataset_ref=ref if type(ref) is int and ref >= 0 else None,
            times={k: entry[k] for k in TIME_FIELDS if isinstance(entry.get(k), str)},
        ))
    if extra_fields:
        notes.add(NotMappedKind.QUEUE_FIELDS, extra_fields)
    return items


def _same(a: Any, b: Any) -> bool:
    x, y = finite(a), finite(b)
    if x is not None and y is not None:
        return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))
    return a == b


def _row_of(item: QueueItem, rows: list[dict], names: Sequence[str], taken: set[int]) -> int | None:
    """The experiment row a done item produced: by its id, else by dataset_ref when that row holds its values."""
    if item.id:
        for i, row in enumerate(rows):
            if i not in taken and row.get(PROVENANCE_COLUMN) == item.id:
                return i
    i = item.dataset_ref
    if i is None or i >= len(rows) or i in taken:
        return None
    # dataset_ref is the row's place when the item completed; rows may have moved since, so the
    # row must hold the item's results (an older writer keeps no actual inputs to compare), or its inputs.
    row = rows[i]
    if item.results and all(_same(row.get(t), v) for t, v in item.results.items()):
        return i
    if all(_same(row.get(n), item.run_inputs.get(n)) for n in names):
        return i
    return None


def _note(item: QueueItem) -> str:
    if item.state is QueueState.RUNNING:
        return f"{item.reason} {RUNNING_MARK}".strip()
    if item.state is QueueState.FAILED:
        return f"{item.reason} {FAILED_MARK} {item.error}".strip()
    return item.reason


def place_queue(items: Sequence[QueueItem], rows: list[dict], names: Sequence[str]) -> tuple[list[dict], list[Placement]]:
    """(the rows to add after `rows`, where each item landed). `rows` are the experiments as read."""
    iterations = [finite(r.get(ITERATION)) for r in rows]
    taken: set[int] = set()
    found: dict[int, int] = {}
    for k, item in enumerate(items):
        if item.state is QueueState.DONE:
            row = _row_of(item, rows, names, taken)
            if row is not None:
                found[k] = row
                taken.add(row)
    # A batch shares its iteration: that of a row one of its items produced, else the next one.
    known = [iterations[r] for r in found.values() if iterations[r] is not None]
    ongoing = [i for i in iterations if i is not None]
    iteration = int(max(known)) if known else (int(max(ongoing)) + 1 if ongoing else 1)
    added: list[dict] = []
    placements: list[Placement] = []
    for k, item in enumerate(items):
        if k in found:
            placements.append(Placement(item, found[k], False))
            continue
        values = item.run_inputs if item.state in (QueueState.DONE, QueueState.FAILED) else item.inputs
        row = {n: values.get(n) for n in names}
        if item.state is QueueState.DONE:
            row.update(item.results)
            row[NOISE] = item.noise
        row[ITERATION] = iteration
        row[NOTE] = _note(item)
        placements.append(Placement(item, len(rows) + len(added), True))
        added.append(row)
    return added, placements
