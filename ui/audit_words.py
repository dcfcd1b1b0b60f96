"""The wording of the lab notebook page and the templates: audit entries, chain checks and templates in sentences.

The library returns entries as plain data with an AuditKind; this module alone decides how they
read on screen (the exported Markdown file has its own sentences, in alchemist.audit.export).
"""

from __future__ import annotations

from typing import Any

from alchemist.acquisition import ACQUISITIONS
from alchemist.audit import AuditBreak, AuditEntry, AuditKind, BreakReason, ProvenanceLink
from alchemist.audit.entries import plain_value
from alchemist.audit.hooks import differing_inputs
from alchemist.model import KERNELS
from alchemist.templates import Template
from ui.plurals import counted

KIND_LABELS = {
    AuditKind.FIT: "🧠 Model fit",
    AuditKind.SUGGESTIONS: "🎯 Suggestions",
    AuditKind.PENDING: "🗓️ Planned",
    AuditKind.RESULT: "🧪 Results",
    AuditKind.DATA_IMPORT: "📁 Import",
    AuditKind.TEMPLATE: "📋 Template",
    AuditKind.NOTE: "📝 Note",
    AuditKind.IMPORTED: "📥 Imported",
}
_BREAKS = {
    BreakReason.CHANGED: "it was edited after it was recorded (its content no longer matches its hash)",
    BreakReason.MISSING: "the entries before it were removed",
    BreakReason.OUT_OF_ORDER: "it is out of order: entries were moved or copied",
    BreakReason.LINK: "the entry before it was replaced (its link no longer matches)",
}


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "none" if value is None else str(value)


def _result_text(item: dict) -> str:
    """e.g. "row 24: 0.5 · suggestion 3, point 2 · Temperature 450 → 401" (the inputs run differently)."""
    text = f"row {item.get('row')}: {_short(item.get('value'))}"
    if item.get("previous") is not None:
        text += f" (was {_short(item['previous'])})"
    if item.get("suggestion") is not None:
        text += f" · suggestion {item['suggestion']}, point {item.get('point')}"
        changed = differing_inputs(item.get("suggested"), item.get("actual") or {})
        suggested, actual = item.get("suggested") or {}, item.get("actual") or {}
        text += " · " + (", ".join(f"{n} {_short(suggested[n])} → {_short(actual[n])}" for n in changed) or "as suggested")
    return text


def entry_summary(entry: AuditEntry) -> str:
    """One line on what an entry recorded, for the notebook's table."""
    try:
        return _summary(entry)
    except (TypeError, KeyError, IndexError, AttributeError, ValueError):
        # A trail from a file is checked for form, not for every field of every kind: say what it holds.
        return f"{counted(len(entry.inputs), 'input')}, {counted(len(entry.outputs), 'output')}"


def _summary(entry: AuditEntry) -> str:
    i, o = entry.inputs, entry.outputs
    kind = entry.kind
    if kind is AuditKind.FIT:
        settings = i.get("settings") or {}
        return (f"Trained on {counted(i.get('experiments', 0), 'experiment')} "
                f"({KERNELS.get(settings.get('kernel'), settings.get('kernel'))}, seed {i.get('seed')})")
    if kind is AuditKind.SUGGESTIONS:
        settings = i.get("settings") or {}
        acquisition = ACQUISITIONS.get(settings.get("acquisition"), settings.get("acquisition"))
        return f"{counted(o.get('count', 0), 'experiment')} suggested ({acquisition}, seed {i.get('seed')})"
    if kind is AuditKind.PENDING:
        rows = o.get("rows") or [0, 0]
        source = f"suggestions of entry {i['suggestions']}" if i.get("suggestions") else f"'{i.get('note', '')}'"
        return f"{counted(i.get('count', 0), 'experiment')} planned as rows {rows[0]}–{rows[-1]}, from {source}"
    if kind is AuditKind.RESULT:
        listed = o.get("results")
        if not isinstance(listed, list):
            return f"{counted(i.get('count', 0), 'result')} entered"
        text = "; ".join(_result_text(item) for item in listed[:3] if isinstance(item, dict))
        more = i.get("count", len(listed)) - min(3, len(listed))
        return f"{i.get('target', 'Result')} entered: {text}" + (f"; and {more} more" if more > 0 else "")
    if kind is AuditKind.DATA_IMPORT:
        text = f"{counted(o.get('rows_added', 0), 'experiment')} imported, {o.get('with_result', 0)} with a result"
        return text + (", replacing the table" if i.get("replace") else "")
    if kind is AuditKind.TEMPLATE:
        return f"Started from the template '{i.get('template')}' ({counted(o.get('variables', 0), 'variable')})"
    if kind is AuditKind.NOTE:
        about = f"On entry {i['entry']}: " if i.get("entry") is not None else ""
        return about + entry.note
    return entry.note or ", ".join(f"{k}: {_short(v)}" for k, v in list(i.items())[:3])


def origin_text(entry: AuditEntry) -> str:
    if not entry.origin:
        return ""
    if entry.original_time:
        return f"from {entry.origin}, its time {entry.original_time} (time zone not stated)"
    return f"from {entry.origin}"


def check_text(broken: AuditBreak | None, count: int) -> str:
    """The outcome of a chain check."""
    if broken is None:
        if count == 1:
            return "The audit trail is intact: its one entry matches its hash."
        return f"The audit trail is intact: all {count} entries match their hashes and links."
    return f"The audit trail is broken at entry {broken.number} (place {broken.position + 1}): {_BREAKS[broken.reason]}."


def link_row(link: ProvenanceLink, result: Any, actual: dict[str, Any]) -> dict[str, object]:
    """A planned experiment's provenance, for the notebook's table."""
    changed = differing_inputs(link.suggested, actual)
    return {
        "Row": link.row + 1,
        "Suggested in entry": link.entry,
        "Point": link.point + 1,
        "Result": "pending" if plain_value(result) is None else _short(plain_value(result)),
        "Run as suggested": "yes" if not changed else "no: " + ", ".join(changed),
    }


def template_summary(template: Template) -> str:
    names = ", ".join(v.label for v in template.variables)
    return f"{counted(len(template.variables), 'variable')}: {names}. Result column: {template.target}."
