"""The notes shown after a file is loaded: what an import of an NREL ALchemist session could not map.

The library returns NotMapped records (alchemist.files.nrel_notes), one per group; this module
alone words them, one short line each. Notes about our own files are already sentences and pass
through as they are.
"""

from __future__ import annotations

from typing import Sequence

from alchemist.files.nrel_notes import NotMapped, NotMappedKind as K
from ui.plurals import counted


def _names(note: NotMapped) -> str:
    shown = ", ".join(f"'{name}'" for name in note.names)
    hidden = note.count - len(note.names)
    return shown + (f" and {hidden:,} more" if hidden > 0 and note.names else "")


def _list(note: NotMapped) -> str:
    return ", ".join(note.names) + (f" and {note.count - len(note.names):,} more" if note.count > len(note.names) else "")


_WORDS = {
    K.NO_VERSION: lambda n: "The file states no ALchemist session version; it was read as version 1.x.",
    K.SESSION_NAME: lambda n: f"The session name {_names(n)} could not be used ({n.detail}); the session got the default name.",
    K.METADATA_FIELDS: lambda n: f"Metadata not imported: {_list(n)}.",
    K.VARIABLE: lambda n: f"Variable {_list(n)} of the search space was not imported: {n.detail}",
    K.VARIABLE_FIELDS: lambda n: f"Variable fields not imported: {_list(n)}.",
    K.DERIVED_VARIABLES: lambda n: f"{counted(n.count, 'derived variable')} not imported (this app has none): {_list(n)}.",
    K.CONSTRAINTS: lambda n: f"{counted(n.count, 'input constraint')} not imported: {_list(n)}.",
    K.SEARCH_SPACE_FIELDS: lambda n: f"Search-space fields not imported: {_list(n)}.",
    K.RESULT_COLUMNS: lambda n: f"This session models one result; the result {'column' if n.count == 1 else 'columns'} {_names(n)} {'was' if n.count == 1 else 'were'} not imported.",
    K.EXPERIMENT_COLUMNS: lambda n: f"Experiment columns not imported: {_names(n)}.",
    K.NOT_A_RECORD: lambda n: f"Experiments that are not records, not imported: {n.count:,}.",
    K.ROWS_INVALID: lambda n: f"Experiments that do not fit the variables: {n.count:,}; they were kept and are marked in the Status column.",
    K.EMPTY_COLUMNS: lambda n: f"No row gives a value for {_names(n)}; those cells are empty and marked.",
    K.COUNT_MISMATCH: lambda n: f"The file says it has {n.count:,} experiments but holds a different number; all it holds were imported.",
    K.QUEUE_ITEMS: lambda n: f"Work-queue items in a form this import does not read, not imported: {n.count:,}.",
    K.QUEUE_STATUS: lambda n: f"Work-queue status(es) {_names(n)} are unknown here; those items were kept as pending rows.",
    K.QUEUE_FIELDS: lambda n: f"Work-queue fields not imported: {_list(n)}.",
    K.QUEUE_HISTORY: lambda n: f"States of the {n.count:,} oldest work-queue items not recorded in the lab notebook (their rows are in the table).",
    K.QUEUE_OUTPUTS: lambda n: f"Work-queue results for {_names(n)} were not imported: they are not result columns.",
    K.OUTCOME_CONSTRAINTS: lambda n: f"{counted(n.count, 'outcome constraint')} not imported: {_list(n)}.",
    K.OBJECTIVES: lambda n: f"Objectives not imported: {_list(n)}.",
    K.OBJECTIVE_LABELS: lambda n: f"Labels and units of the results not imported: {_list(n)}.",
    K.LAST_SUGGESTIONS: lambda n: f"{counted(n.count, 'last suggestion')} not in the work queue, not imported.",
    K.PROVENANCE: lambda n: f"{counted(n.count, 'provenance record')} not imported.",
    K.AUDIT_ENTRIES: lambda n: f"{counted(n.count, 'audit-log entry', 'audit-log entries')} not imported.",
    K.AUDIT_DATA_DIFFERS: lambda n: "The audit log's copy of the experiment data differs from the experiments; the experiments were imported.",
    K.SETTINGS: lambda n: f"ALchemist settings not imported: {_list(n)}.",
    K.KERNEL: lambda n: f"ALchemist's kernel {_names(n)}{f' (nu={n.detail})' if n.detail else ''} has no match here; the default kernel is used.",
    K.MODEL_FIT: lambda n: (
        f"ALchemist's trained model ({n.detail or 'backend not given'}) was not imported: its fitted values "
        f"({', '.join(n.names)}: {counted(n.count, 'number')}) are ALchemist's own. Train a model here on the Model page."
    ),
    K.UNKNOWN_PARTS: lambda n: f"Parts of the file this import does not know, not imported: {_list(n)}.",
}


def note_text(note: NotMapped | str) -> str:
    """One line for the notes after a load; a sentence (a note about our own file) passes as it is."""
    if isinstance(note, str):
        return note
    return _WORDS[note.kind](note)


def note_lines(notes: Sequence[NotMapped | str]) -> list[str]:
    return [note_text(note) for note in notes]
