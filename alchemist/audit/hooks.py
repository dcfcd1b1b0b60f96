"""What the session records in its audit trail, one function per hook, each called once from `Session`.

Every entry keeps its inputs (the data revision, the settings, the seed) and its outputs as
small plain data: digests and counts for tables, values only for what is small by construction
(a batch of suggestions, a result entered). The data revision is the digest of the data a model
trains on (`ExperimentTable.fingerprint`): equal digests, equal training data.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from alchemist.audit.chain import digest
from alchemist.display import rounded_points
from alchemist.audit.entries import AuditEntry, AuditKind, plain_value
from alchemist.audit.provenance import (
    MAX_LINKED_VALUES, MAX_LINKS, MAX_ROWS_LISTED, ProvenanceLink, align_rows, entered_results, follow_links,
    row_keys, rows_values,
)

if TYPE_CHECKING:
    from alchemist.experiment_import import ImportReport
    from alchemist.model import GPModel
    from alchemist.session import Session
    from alchemist.templates.template import Template

# Columns of a suggestions table kept per point besides the variables.
_PREDICTIONS = {"Predicted mean": "predicted_mean", "Predicted std": "predicted_std"}


def table_digest(frame: pd.DataFrame) -> str:
    """SHA-256 over a table's cells, row by row: names a table an entry does not keep."""
    hashed = np.ascontiguousarray(row_keys(frame), dtype="<u8")
    return hashlib.sha256(hashed.tobytes() + repr(list(frame.columns)).encode()).hexdigest()


def model_digest(model: GPModel) -> str:
    return digest([float(v) for v in np.asarray(model.theta, dtype=float)])


def _names(session: Session) -> list[str]:
    return [v.name for v in session.variables]


def on_fit(session: Session, model: GPModel) -> AuditEntry:
    settings = model.settings
    return session.audit.record(
        AuditKind.FIT,
        {
            "data_revision": session.model_fingerprint,
            "experiments": int(model.approximation.points_total or model.n_train),
            "variables": digest([v.to_state() for v in session.variables]),
            "settings": settings.to_state(),
            "seed": settings.seed,
        },
        {
            "model": model_digest(model),
            "hyperparameters": [plain_value(v) for v in np.asarray(model.theta, dtype=float)],
            "used": int(model.n_train),
            "stopped_early": bool(getattr(model, "fit_stopped_early", False)),
        },
    )


def on_suggest(session: Session, seed: int, pending: int) -> AuditEntry:
    suggestions = session.suggestions
    names = _names(session)
    points = rows_values(suggestions, range(len(suggestions)), names)
    outputs: dict[str, Any] = {"count": len(points), "points": points, "digest": digest(points)}
    for column, key in _PREDICTIONS.items():
        if column in suggestions.columns:
            outputs[key] = [plain_value(v) for v in suggestions[column].tolist()]
    return session.audit.record(
        AuditKind.SUGGESTIONS,
        {
            "data_revision": session.model_fingerprint,
            "model": model_digest(session.model),
            "settings": session.suggestion_settings.to_state(),
            "seed": seed,
            "pending_excluded": pending,
        },
        outputs,
    )


def _source_batch(session: Session, points: pd.DataFrame) -> tuple[int, list[int]] | None:
    """(the suggestions entry, each point's place in it) when every point is one of the current suggestions."""
    suggestions = session.suggestions
    last = next((e for e in reversed(session.audit.entries) if e.kind is AuditKind.SUGGESTIONS), None)
    names = _names(session)
    if suggestions is None or last is None or not set(names) <= set(suggestions.columns):
        return None
    shown = rows_values(suggestions, range(len(suggestions)), names)
    if last.outputs.get("digest") != digest(shown):
        return None  # the suggestions shown are not the ones that entry recorded
    keys = [repr(point) for point in shown]
    # The app plans a suggestion as a chemist sets it, rounded to its shown precision.
    as_set = [repr(point) for point in rows_values(rounded_points(session.variables, suggestions), range(len(suggestions)), names)]
    if len(points) > len(keys):
        return None
    places = []
    for point in rows_values(points, range(len(points)), names):
        key = repr(point)
        if key in keys:
            places.append(keys.index(key))
        elif key in as_set:
            places.append(as_set.index(key))
        else:
            return None
    return last.number, places


def on_pending(session: Session, points: pd.DataFrame, note: str, first_row: int) -> AuditEntry:
    """Record planned experiments and link each new row (from `first_row` on) to what produced it."""
    names = _names(session)
    frame = session.experiments.frame
    rows = range(first_row, len(frame))
    source = _source_batch(session, points)
    values = len(names) * len(rows)
    room = len(session.audit.links) + len(rows) <= MAX_LINKS and (
        sum(len(link.suggested) for link in session.audit.links) + values <= MAX_LINKED_VALUES
    )
    entry = session.audit.record(
        AuditKind.PENDING,
        {"note": note, "suggestions": source[0] if source else None, "count": len(rows)},
        {"rows": [first_row + 1, len(frame)], "linked": len(rows) if room else 0,
         "digest": table_digest(frame.iloc[first_row:][names])},
    )
    if room:
        batch, places = source if source else (entry.number, list(range(len(rows))))
        session.audit.links += [
            ProvenanceLink(row, batch, place, values) for row, place, values in zip(rows, places, rows_values(frame, rows, names))
        ]
    return entry


def on_import(session: Session, report: ImportReport, replace: bool) -> AuditEntry:
    frame = session.experiments.frame
    added = frame.iloc[len(frame) - report.rows_added:]
    if replace:
        session.audit.links = []  # the rows they pointed to are gone
    with_result = int(added[session.target].notna().sum())
    return session.audit.record(
        AuditKind.DATA_IMPORT,
        {"target": report.target, "replace": replace, "digest": table_digest(added)},
        {"rows_added": report.rows_added, "with_result": with_result, "invalid_rows": report.invalid_rows,
         "ignored_columns": list(report.ignored_columns[:MAX_ROWS_LISTED])},
    )


def on_edit(session: Session, old: pd.DataFrame) -> AuditEntry | None:
    """After a table edit: move the links with their rows; record the results set or changed, if any."""
    new = session.experiments.frame
    aligned = align_rows(old, new)
    session.audit.links = follow_links(session.audit.links, aligned)
    entered = entered_results(old, new, aligned, session.target, _names(session), session.audit.links)
    if not entered:
        return None
    listed = [_result_item(item) for item in entered]
    return session.audit.record(
        AuditKind.RESULT,
        # The table's digest after the edit: a copy of the table (a CSV download) can be matched to it.
        {"target": session.target, "count": len(entered), "table": table_digest(new)},
        {"results": listed[:MAX_ROWS_LISTED], "digest": digest(listed)},
    )


def _result_item(item: Any) -> dict[str, Any]:
    link = item.link
    return {
        "row": item.row + 1,
        "previous": item.previous,
        "value": item.value,
        "suggestion": None if link is None else link.entry,
        "point": None if link is None else link.point + 1,
        "suggested": None if link is None else link.suggested,
        "actual": item.actual,
    }


def on_template(session: Session, template: Template) -> AuditEntry:
    return session.audit.record(
        AuditKind.TEMPLATE,
        {"template": template.name, "digest": digest(template.to_state())},
        {"variables": len(template.variables), "target": template.target},
    )


def differing_inputs(suggested: dict[str, Any] | None, actual: dict[str, Any]) -> Sequence[str]:
    """The variables whose actual value differs from the suggested one."""
    if not suggested:
        return []
    return [name for name, value in suggested.items() if name in actual and actual[name] != value]
