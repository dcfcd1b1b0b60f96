"""The history in words: what each revision did, when, and how a past state differs from now.

The library keeps revisions and comparisons as data (alchemist.history); only this module words
them. Names and values typed by users pass through words.plain where Markdown shows them.
"""

from __future__ import annotations

from datetime import datetime

from alchemist.history.diff import Comparison
from alchemist.history.revisions import Revision, RevisionKind
from alchemist.plain import utc_now
from alchemist.variables import format_number
from ui.plurals import counted


def _value(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, float):
        return format_number(value)
    return f"'{value}'"


def _names(names: list) -> str:
    return ", ".join(f"'{n}'" for n in names)


def change_text(kind: RevisionKind, summary: dict) -> str:
    """One line for a change of this kind with this summary, e.g. "Set Temperature in row 12 to 350"."""
    if kind is RevisionKind.CREATE:
        return "Session stored for the first time"
    if kind is RevisionKind.UNDO or kind is RevisionKind.REDO:
        try:
            target = change_text(RevisionKind(summary.get("target_kind")), summary.get("target_summary") or {})
        except ValueError:
            target = "a change"
        verb = "Undid" if kind is RevisionKind.UNDO else "Redid"
        return f"{verb} change {summary.get('target')}: {target[:1].lower()}{target[1:]}"
    if kind is RevisionKind.RESTORE:
        label = summary.get("label")
        return f"Restored revision {summary.get('target')}" + (f" (snapshot '{label}')" if label else "")
    if kind is RevisionKind.EDIT_CELLS:
        cell = summary.get("cell")
        if cell:
            row, column, value = cell
            return f"Set {column} in row {row + 1} to {_value(value)}"
        return f"Edited {counted(int(summary.get('cells', 0)), 'cell')} in {', '.join(summary.get('columns', []))}"
    if kind in (RevisionKind.ADD_ROWS, RevisionKind.DELETE_ROWS):
        before, after = summary.get("rows", [0, 0])
        verb = "Added" if after > before else "Deleted"
        return f"{verb} {counted(abs(after - before), 'experiment')} ({after} now)"
    if kind is RevisionKind.ADD_VARIABLE:
        return f"Added variable {_names(summary.get('variables_added', []))}"
    if kind is RevisionKind.DELETE_VARIABLE:
        return f"Deleted variable {_names(summary.get('variables_removed', []))}"
    if kind is RevisionKind.CHANGE_VARIABLE:
        renamed = summary.get("renamed")
        if renamed:
            return f"Renamed variable '{renamed[0]}' to '{renamed[1]}'"
        return f"Changed variable {_names(summary.get('variables_changed', []))}"
    if kind is RevisionKind.VARIABLES:
        parts = [f"{verb} {_names(summary[key])}" for key, verb in
                 (("variables_added", "added"), ("variables_removed", "removed"), ("variables_changed", "changed"))
                 if summary.get(key)]
        return "Changed the variables: " + "; ".join(parts) if parts else "Changed the variables"
    if kind is RevisionKind.RENAME:
        return f"Renamed the session to '{summary.get('name', ['', ''])[1]}'"
    if kind is RevisionKind.TRAIN:
        return "Trained the model"
    if kind is RevisionKind.SUGGEST:
        return "Made new suggestions"
    if kind is RevisionKind.SETTINGS:
        return "Changed the model or suggestion settings"
    parts = [p.replace("_", " ") for p in summary.get("parts", [])]
    return "Changed " + (", ".join(parts) if parts else "the session")


def revision_text(revision: Revision) -> str:
    return change_text(revision.kind, revision.summary)


def when_text(moment: datetime, now: datetime | None = None) -> str:
    """A time as a user reads it: "just now", "5 min ago", "today 14:03 UTC", "2026-11-28 09:15 UTC"."""
    now = now or utc_now()
    seconds = (now - moment).total_seconds()
    if 0 <= seconds < 60:
        return "just now"
    if 0 <= seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    clock = moment.strftime("%H:%M UTC")
    if moment.date() == now.date():
        return f"today {clock}"
    if 0 <= (now.date() - moment.date()).days == 1:
        return f"yesterday {clock}"
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def comparison_lines(comparison: Comparison) -> list[str]:
    """How now differs from a past state, one line per part; empty when they are the same."""
    lines = []
    if comparison.name_changed:
        lines.append(f"Session name: '{comparison.name_changed[0]}' then, '{comparison.name_changed[1]}' now")
    for names, what in ((comparison.variables_added, "added since"), (comparison.variables_removed, "removed since"),
                        (comparison.variables_changed, "changed since")):
        if names:
            lines.append(f"Variables {what}: {_names(names)}")
    if comparison.rows_added:
        lines.append(f"{counted(comparison.rows_added, 'experiment')} added since")
    if comparison.rows_removed:
        lines.append(f"{counted(comparison.rows_removed, 'experiment')} removed since")
    if comparison.cells_changed:
        lines.append(f"{counted(comparison.cells_changed, 'cell')} changed since, in {', '.join(comparison.columns_changed)}")
    if comparison.model_changed:
        lines.append("The model differs")
    if comparison.settings_changed:
        lines.append("The model or suggestion settings differ")
    return lines


def undo_help(revision: Revision | None) -> str:
    return f"Undo: {revision_text(revision)}" if revision is not None else "Nothing to undo"


def redo_help(revision: Revision | None) -> str:
    return f"Redo: {revision_text(revision)}" if revision is not None else "Nothing to redo"
