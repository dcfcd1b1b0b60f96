"""The audit trail as files for a lab notebook: Markdown to read and print, JSON to keep and check.

These files are documents in their own right, so the sentences they hold are written here (the
app's wording lives in ui/; this module writes only into the exported files). Both carry the
trail's head hash and the result of the chain check at the time of export: a printed copy of
the head pins every entry before it. Neither holds the session id (a session link is a secret).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from alchemist.audit.chain import AuditBreak, BreakReason
from alchemist.audit.entries import AuditEntry, AuditKind
from alchemist.audit.trail import AuditTrail
from alchemist.plain import timestamp_to_state, utc_now

AUDIT_FORMAT = "alchemist-audit"
AUDIT_FORMAT_VERSION = 1

KIND_TITLES = {
    AuditKind.FIT: "Model fit",
    AuditKind.SUGGESTIONS: "Suggestions",
    AuditKind.PENDING: "Experiments planned",
    AuditKind.RESULT: "Results entered",
    AuditKind.DATA_IMPORT: "Experiments imported",
    AuditKind.TEMPLATE: "Started from a template",
    AuditKind.NOTE: "Note",
    AuditKind.IMPORTED: "Imported entry",
}
BREAK_SENTENCES = {
    BreakReason.CHANGED: "its content no longer matches its hash: it was edited after it was recorded",
    BreakReason.MISSING: "the entries before it are missing: they were removed",
    BreakReason.OUT_OF_ORDER: "it is out of order: entries were moved or copied",
    BreakReason.LINK: "its link to the entry before does not match: that entry was replaced",
}

_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#|~!$])")


def _md(text: Any) -> str:
    """User text (names, notes, levels) shown literally: no link, image or emphasis can be smuggled in."""
    return _MARKDOWN.sub(r"\\\1", str(text)).replace("\n", " ")


def _code(text: str) -> str:
    """Text in a code span, shown as written; a backtick inside would end the span early."""
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


def _value(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _code(json.dumps(value, ensure_ascii=False, separators=(", ", ": ")))
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return f"`{value}`"  # a digest
    return _md("none" if value is None else value)


def check_sentence(broken: AuditBreak | None) -> str:
    if broken is None:
        return "Chain check: intact. Every entry matches its hash, its number and its link to the one before."
    return f"Chain check: BROKEN at entry {broken.number} (position {broken.position + 1}): {BREAK_SENTENCES[broken.reason]}."


def _result_lines(item: dict) -> list[str]:
    value = "none" if item.get("previous") is None else _md(item["previous"])
    line = f"  - Row {item.get('row')}: {_md(item.get('value'))} (before: {value})"
    if item.get("suggestion") is not None:
        line += f"; suggested by entry {item['suggestion']}, point {item.get('point')}"
        suggested, actual = item.get("suggested") or {}, item.get("actual") or {}
        pairs = [f"{_md(name)} {_md(suggested[name])} → {_md(actual.get(name))}" for name in suggested]
        line += ". Suggested → actual: " + "; ".join(pairs)
    return [line]


def _entry_lines(entry: AuditEntry, notes: list[AuditEntry]) -> list[str]:
    lines = [f"## Entry {entry.number}: {KIND_TITLES[entry.kind]}", "", f"- Recorded: {timestamp_to_state(entry.time)}"]
    if entry.origin:
        original = f" (its own time: {_md(entry.original_time)}, as written, time zone not stated)" if entry.original_time else ""
        lines.append(f"- Imported from {_md(entry.origin)}{original}")
    if entry.note:
        lines.append(f"- Note: {_md(entry.note)}")
    for title, part in (("Inputs", entry.inputs), ("Outputs", entry.outputs)):
        if not part:
            continue
        lines.append(f"- {title}:")
        for key, value in part.items():
            if key == "results" and entry.kind is AuditKind.RESULT and isinstance(value, list):
                lines.append("  - results:")
                lines += ["  " + line for item in value if isinstance(item, dict) for line in _result_lines(item)]
            else:
                lines.append(f"  - {_code(key)}: {_value(value)}")
    for note in notes:
        lines.append(f"- Note added in entry {note.number} ({timestamp_to_state(note.time)}): {_md(note.note)}")
    lines += [f"- Hash: `{entry.hash}`", f"- Previous hash: `{entry.previous_hash}`", ""]
    return lines


def to_markdown(trail: AuditTrail, session_name: str, now: datetime | None = None) -> str:
    """The whole trail as a Markdown document for a lab notebook."""
    broken = trail.verify()
    first = trail[0].number if len(trail) else trail.dropped + 1
    lines = [
        f"# Audit trail: {_md(session_name)}",
        "",
        f"Exported {timestamp_to_state(now or utc_now())} (UTC) from ALchemist. "
        + (f"{len(trail)} entries, numbers {first} to {trail[-1].number}." if len(trail) else "No entries yet."),
    ]
    if trail.dropped:
        lines.append(f"The {trail.dropped} oldest entries were dropped to keep the trail's size bound; "
                     f"the first entry kept links to `{trail.anchor}`.")
    lines += ["", check_sentence(broken), "", f"Newest hash (head): `{trail.head}`", ""]
    notes = trail.notes_by_entry()
    for entry in trail:
        lines += _entry_lines(entry, notes.get(entry.number, []))
    return "\n".join(lines).rstrip() + "\n"


def to_json(trail: AuditTrail, session_name: str, now: datetime | None = None) -> bytes:
    """The whole trail as JSON: every entry with its hashes, the links, and the chain check."""
    broken = trail.verify()
    document = {
        "format": AUDIT_FORMAT,
        "format_version": AUDIT_FORMAT_VERSION,
        "session": session_name,
        "exported": timestamp_to_state(now or utc_now()),
        "head": trail.head,
        "check": None if broken is None else {
            "number": broken.number, "position": broken.position, "reason": broken.reason.value,
            "expected": broken.expected,
        },
        **trail.to_state(),
    }
    return json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False).encode("utf-8")
