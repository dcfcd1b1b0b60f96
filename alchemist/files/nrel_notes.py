"""What an import of an NREL ALchemist session could not map, as typed records grouped by kind.

The importer adds one record per thing it leaves out; records of the same kind (and the same
detail) merge into one, so the user reads one short line per group, whatever a file holds.
The words are the app's (ui/import_notes_words.py): a record holds only names, a count and,
for a refusal from a validator, that validator's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable

MAX_NAMES = 10  # names a record keeps; `count` still counts them all
MAX_NAME_LENGTH = 60


class NotMappedKind(StrEnum):
    """One kind of thing an ALchemist file holds that this import leaves out (or reads differently)."""

    NO_VERSION = "no_version"  # the file states no format version; read as 1.x
    SESSION_NAME = "session_name"  # the name could not be used (detail: why)
    METADATA_FIELDS = "metadata_fields"  # metadata fields with no place here, or values that do not fit
    VARIABLE = "variable"  # a variable of the search space was refused (names: it; detail: why)
    VARIABLE_FIELDS = "variable_fields"  # "variable: field" pairs with no place here
    DERIVED_VARIABLES = "derived_variables"  # computed variables (this app has none)
    CONSTRAINTS = "constraints"  # input constraints that do not map (names: their names)
    SEARCH_SPACE_FIELDS = "search_space_fields"
    RESULT_COLUMNS = "result_columns"  # result columns beyond the first, when the table cannot hold them
    EXPERIMENT_COLUMNS = "experiment_columns"  # columns of the experiments with no place here
    NOT_A_RECORD = "not_a_record"  # experiments that are not records (count)
    ROWS_INVALID = "rows_invalid"  # rows kept in the table but marked (count)
    EMPTY_COLUMNS = "empty_columns"  # a variable or the result no row gives a value for
    COUNT_MISMATCH = "count_mismatch"  # n_total differs from the rows held (count: n_total)
    QUEUE_ITEMS = "queue_items"  # queue items that are not records or give no inputs (count)
    QUEUE_STATUS = "queue_status"  # statuses this import does not know (names); kept as pending rows
    QUEUE_FIELDS = "queue_fields"  # fields of queue items with no place here (names)
    QUEUE_HISTORY = "queue_history"  # items whose state was not recorded in the audit trail (count; their rows are kept)
    QUEUE_OUTPUTS = "queue_outputs"  # results in the queue for columns that are not result columns
    OUTCOME_CONSTRAINTS = "outcome_constraints"  # limits on results that do not map (names)
    OBJECTIVES = "objectives"  # objectives (directions) that do not map
    OBJECTIVE_LABELS = "objective_labels"  # labels and units of the results (names)
    LAST_SUGGESTIONS = "last_suggestions"  # suggestions not in the queue (count)
    PROVENANCE = "provenance"  # provenance records (count)
    AUDIT_ENTRIES = "audit_entries"  # audit-log entries (count)
    AUDIT_DATA_DIFFERS = "audit_data_differs"  # the audit log's copy of the data differs from the experiments
    SETTINGS = "settings"  # ALchemist settings (names: "key=value")
    KERNEL = "kernel"  # a kernel with no match here (names: it; detail: nu)
    MODEL_FIT = "model_fit"  # the fitted model's hyperparameters and metrics (names; count: numbers read; detail: backend)
    UNKNOWN_PARTS = "unknown_parts"  # top-level parts this import does not know


@dataclass(frozen=True)
class NotMapped:
    """A group of things of one kind that were not mapped: up to MAX_NAMES names, how many in all, a detail."""

    kind: NotMappedKind
    names: tuple[str, ...] = ()
    count: int = 0
    detail: str = ""


def _name(value: object) -> str:
    text = str(value)
    return text if len(text) <= MAX_NAME_LENGTH else text[: MAX_NAME_LENGTH - 1] + "…"


class ImportNotes:
    """Collects NotMapped records, one per (kind, detail), in the order they first came up."""

    def __init__(self) -> None:
        self._groups: dict[tuple[NotMappedKind, str], NotMapped] = {}

    def add(self, kind: NotMappedKind, names: Iterable[object] = (), count: int | None = None, detail: str = "") -> None:
        """One more of `kind`: `names` join the group's (duplicates once), `count` adds up (by default, the names given)."""
        names = [_name(n) for n in names]
        key = (kind, detail)
        old = self._groups.get(key, NotMapped(kind, detail=detail))
        kept = list(old.names)
        fresh = [n for n in dict.fromkeys(names) if n not in kept]
        kept += fresh[: max(0, MAX_NAMES - len(kept))]
        added = len(fresh) if count is None else count
        self._groups[key] = NotMapped(kind, tuple(kept), old.count + added, detail)

    def drop(self, kind: NotMappedKind) -> None:
        """Forget every record of `kind` (a later step mapped what an earlier one could not)."""
        self._groups = {key: note for key, note in self._groups.items() if key[0] is not kind}

    def kinds(self) -> set[NotMappedKind]:
        return {kind for kind, _ in self._groups}

    def records(self) -> list[NotMapped]:
        return list(self._groups.values())
