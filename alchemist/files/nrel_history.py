"""NREL ALchemist's history (its audit log, provenance and queue states) as entries of the session's audit trail.

Every entry it wrote becomes an entry of kind IMPORTED with origin ORIGIN and its own time as
written (ALchemist's times carry no time zone: kept as text, next to the UTC time of the import):

* the session itself (its id, when it was created and last changed);
* each audit-log entry, with its type, parameters, hash and notes;
* each provenance record the audit log does not already hold (suggested and actual inputs,
  delta, output, strategy);
* the remote-control state (what was requested, what a rig reported), when it holds any;
* each work-queue item's state (status, times, error).

Each row that came from the queue or that a provenance record names is linked to the batch
that suggested it (the `acquisition_locked` entry holding the point, else its own entry), with
the inputs as suggested: the notebook shows which runs differ from their suggestion.

Parameters are kept as plain data: NaN as None, text cut, deep parts as text, and BoTorch's
Python-style number lists ("[0.1, 2e-06]") as numbers, read by a regular expression (never
evaluated). The trail keeps at most MAX_IMPORTED entries of ALchemist's log, the newest.
"""

from __future__ import annotations

import json
import re
from typing import Any, Sequence

from alchemist.audit import MAX_ENTRIES, AuditKind, ProvenanceLink
from alchemist.audit.entries import MAX_PAYLOAD_DEPTH, MAX_TEXT_VALUE, plain_value
from alchemist.audit.provenance import MAX_LINKED_VALUES, MAX_LINKS
from alchemist.files.nrel_notes import ImportNotes, NotMappedKind
from alchemist.files.nrel_queue import Placement, QueueItem
from alchemist.files.nrel_values import cell, numbers_in
from alchemist.session import Session

ORIGIN = "NREL ALchemist"
MAX_IMPORTED = MAX_ENTRIES // 2  # ALchemist's log entries kept; the trail keeps room for this app's own
MAX_NODES = 2_000  # values of one entry's parameters walked; the rest is kept as its size
_NUMBER_LIST = re.compile(r"\s*\[[-+0-9eE.,\s]*\]\s*")


def payload(value: Any, depth: int = 1, budget: list[int] | None = None) -> Any:
    """`value` as plain data an audit entry may hold (see the module doc)."""
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        return {"omitted": "too large"}
    if isinstance(value, str):
        if len(value) <= MAX_TEXT_VALUE * 40 and _NUMBER_LIST.fullmatch(value):
            return list(numbers_in(value))
        return value[:MAX_TEXT_VALUE]
    if value is None or isinstance(value, (bool, int, float)):
        return plain_value(value)
    if depth >= MAX_PAYLOAD_DEPTH:
        return json.dumps(value, default=str)[:MAX_TEXT_VALUE]
    if isinstance(value, list):
        return [payload(item, depth + 1, budget) for item in value[:MAX_NODES]]
    if isinstance(value, dict):
        return {str(key): payload(item, depth + 1, budget) for key, item in list(value.items())[:MAX_NODES]}
    return str(value)[:MAX_TEXT_VALUE]


def _time(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def import_history(tree: dict, session: Session, placements: Sequence[Placement], row_ids: Sequence[Any],
                   notes: ImportNotes) -> None:
    """Record ALchemist's history in `session.audit` and link the rows it names (see the module doc)."""
    trail = session.audit
    metadata = tree.get("metadata") if isinstance(tree.get("metadata"), dict) else {}
    trail.record(
        AuditKind.IMPORTED,
        {"entry_type": "session", **{k: payload(metadata.get(k)) for k in ("session_id", "name", "created_at", "last_modified")}},
        {}, note="Session imported", origin=ORIGIN, original_time=_time(metadata.get("created_at")),
    )
    log = tree.get("audit_log")
    entries = log.get("entries") if isinstance(log, dict) else None
    entries = entries if isinstance(entries, list) else ([] if entries in (None, {}) else [entries])
    kept = [e for e in entries if isinstance(e, dict)]
    if len(entries) - len(kept) + max(0, len(kept) - MAX_IMPORTED):
        notes.add(NotMappedKind.AUDIT_ENTRIES, count=len(entries) - len(kept) + max(0, len(kept) - MAX_IMPORTED))
    numbers: dict[str, int] = {}  # a provenance or queue id -> its entry
    batches: list[tuple[int, list[dict]]] = []  # acquisition entries and their suggested points
    for entry in kept[-MAX_IMPORTED:]:
        params = entry.get("parameters")
        recorded = trail.record(
            AuditKind.IMPORTED,
            {"entry_type": payload(entry.get("entry_type")), "parameters": payload(params), "hash": payload(entry.get("hash"))},
            {}, note=str(entry.get("notes") or entry.get("entry_type") or "")[:MAX_TEXT_VALUE], origin=ORIGIN,
            original_time=_time(entry.get("timestamp")),
        )
        if isinstance(params, dict):
            if entry.get("entry_type") == "experiment_completed" and isinstance(params.get("id"), str):
                numbers[params["id"]] = recorded.number
            if isinstance(params.get("suggestions"), list):
                batches.append((recorded.number, [s for s in params["suggestions"] if isinstance(s, dict)]))
    provenance = tree.get("provenance")
    records = provenance if isinstance(provenance, list) else ([] if provenance in (None, {}) else [provenance])
    suggested_by_id: dict[str, dict] = {}
    skipped = 0
    for record in records[:MAX_IMPORTED]:
        if not isinstance(record, dict):
            skipped += 1
            continue
        key = record.get("id") if isinstance(record.get("id"), str) else None
        if key is not None and isinstance(record.get("suggested"), dict):
            suggested_by_id[key] = {str(k): cell(v) for k, v in record["suggested"].items()}
        if key is not None and key in numbers:
            continue  # the audit log's experiment_completed entry is this very record
        recorded = trail.record(
            AuditKind.IMPORTED, {"entry_type": "provenance", **payload(record)}, {},
            note="Suggested and actual inputs", origin=ORIGIN, original_time=_time(record.get("timestamp")),
        )
        if key is not None:
            numbers[key] = recorded.number
    skipped += max(0, len(records) - MAX_IMPORTED)
    if skipped:
        notes.add(NotMappedKind.PROVENANCE, count=skipped)
    control = tree.get("control")
    if isinstance(control, dict) and any(control.get(k) for k in ("requested_at", "requested_by", "reported_at", "reported_by", "detail")):
        # The state of ALchemist's remote-control channel (who asked for what, what a rig reported) when saved.
        trail.record(AuditKind.IMPORTED, {"entry_type": "control", **payload(control)}, {}, note="Remote-control state",
                     origin=ORIGIN, original_time=_time(control.get("reported_at") or control.get("requested_at")))
    # The newest items' states, within the bound; every item's row is in the table whatever the bound.
    recorded_items = list(placements)[-MAX_IMPORTED:]
    if len(placements) > len(recorded_items):
        notes.add(NotMappedKind.QUEUE_HISTORY, count=len(placements) - len(recorded_items))
    queue_entries = [_queue_entry(session, p.item, p.row) for p in recorded_items]
    _link_rows(session, recorded_items, queue_entries, row_ids, numbers, suggested_by_id, batches)


def _queue_entry(session: Session, item: QueueItem, row: int) -> int:
    inputs = {
        "entry_type": "queue_item", "id": item.id, "status": item.state.value, "reason": item.reason,
        "row": row + 1, **({"error": item.error} if item.error else {}), **{k: v for k, v in item.times.items()},
    }
    return session.audit.record(
        AuditKind.IMPORTED, payload(inputs), {}, note=f"Work-queue item {item.position}: {item.state.value}",
        origin=ORIGIN, original_time=_time(item.times.get("completed_at") or item.times.get("started_at") or item.times.get("staged_at")),
    ).number


def _same_point(a: dict, b: dict, names: Sequence[str]) -> bool:
    return all(repr(cell(a.get(n))) == repr(cell(b.get(n))) for n in names)


def _link_rows(session: Session, placements: Sequence[Placement], queue_entries: Sequence[int], row_ids: Sequence[Any],
               numbers: dict[str, int], suggested_by_id: dict[str, dict], batches: list[tuple[int, list[dict]]]) -> None:
    """Link each queue row, and each row a provenance record names, to the batch that suggested it."""
    names = [v.name for v in session.variables]
    wanted: dict[int, tuple[int, dict]] = {}  # row -> (fallback entry, suggested values)
    for placement, number in zip(placements, queue_entries):
        wanted[placement.row] = (number, {n: placement.item.inputs.get(n) for n in names})
    for row, key in enumerate(row_ids):
        if isinstance(key, str) and row not in wanted and key in suggested_by_id:
            wanted[row] = (numbers[key], {n: suggested_by_id[key].get(n) for n in names})
    taken = {link.row for link in session.audit.links}
    links = []
    for row, (fallback, suggested) in sorted(wanted.items()):
        if row in taken or row >= len(session.experiments):
            continue
        entry, point = fallback, 0
        for number, points in reversed(batches):  # the latest batch holding the point
            place = next((i for i, p in enumerate(points) if _same_point(p, suggested, names)), None)
            if place is not None:
                entry, point = number, place
                break
        links.append(ProvenanceLink(row, entry, point, {n: plain_value(v) for n, v in suggested.items()}))
    room = MAX_LINKS - len(session.audit.links)
    values = MAX_LINKED_VALUES - sum(len(link.suggested) for link in session.audit.links)
    session.audit.links += links[: max(0, min(room, values // max(1, len(names))))]
