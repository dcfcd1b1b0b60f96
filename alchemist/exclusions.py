"""Excluding an experiment from the model: a switch per row with a reason, never a deletion.

The row stays in the table (with the switch and the reason in two columns, see
alchemist.experiments.EXCLUDED), the model does not train on it, and every switch is recorded
in the session's exclusion log with the time, the row's values and the reason, so that the
decision can be traced and undone (`include`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Sequence

from alchemist.errors import ExperimentError, SessionFileError
from alchemist.experiments import MAX_REASON, ExperimentTable
from alchemist.plain import timestamp_from_state, timestamp_to_state, utc_now
from alchemist.variables import Variable

MAX_LOG_ENTRIES = 10_000  # the oldest entries go first beyond this


class ExclusionAction(StrEnum):
    EXCLUDED = "excluded"
    INCLUDED = "included"


@dataclass(frozen=True)
class ExclusionEntry:
    """One switch: when, which row (0-based, at that time), what it held, and why."""

    at: datetime
    action: ExclusionAction
    row: int
    reason: str
    values: tuple[tuple[str, Any], ...] = ()

    def to_state(self) -> dict:
        return {
            "at": timestamp_to_state(self.at), "action": self.action.value, "row": self.row,
            "reason": self.reason, "values": {k: v for k, v in self.values},
        }

    @classmethod
    def from_state(cls, state: Any) -> "ExclusionEntry":
        if not isinstance(state, dict):
            raise SessionFileError("An entry of the exclusion log in the file is not a mapping.")
        row, reason, values = state.get("row"), state.get("reason"), state.get("values", {})
        if (isinstance(row, bool) or not isinstance(row, int) or row < 0 or not isinstance(reason, str)
                or len(reason) > MAX_REASON or not isinstance(values, dict)
                or not all(isinstance(v, (str, int, float, bool)) or v is None for v in values.values())):
            raise SessionFileError("An entry of the exclusion log in the file is not in the expected form.")
        try:
            action = ExclusionAction(state.get("action"))
        except ValueError:
            raise SessionFileError("An entry of the exclusion log in the file names an unknown action.") from None
        return cls(timestamp_from_state(state.get("at")), action, row, reason, tuple(values.items()))


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def switch(
    table: ExperimentTable, variables: Sequence[Variable], row: int, excluded: bool, reason: str = ""
) -> ExclusionEntry:
    """Exclude (or include again) one row; returns the log entry. ExperimentError for a bad row
    or, when excluding, a missing reason."""
    reason = " ".join(str(reason or "").split())
    if excluded and not reason:
        raise ExperimentError("Give a reason for excluding the experiment; it is kept with the row.")
    if len(reason) > MAX_REASON:
        raise ExperimentError(f"The reason can have at most {MAX_REASON} characters.")
    table.set_excluded(row, excluded, reason if excluded else "", variables)
    values = tuple((v.name, _plain(table.frame.at[int(row), v.name])) for v in variables)
    action = ExclusionAction.EXCLUDED if excluded else ExclusionAction.INCLUDED
    return ExclusionEntry(utc_now(), action, int(row), reason, values)


def log_to_state(log: Sequence[ExclusionEntry]) -> list[dict]:
    return [entry.to_state() for entry in log]


def log_from_state(state: Any) -> list[ExclusionEntry]:
    """The saved log (absent: empty)."""
    if state is None:
        return []
    if not isinstance(state, list) or len(state) > MAX_LOG_ENTRIES:
        raise SessionFileError("The exclusion log in the file is not a list of entries.")
    return [ExclusionEntry.from_state(item) for item in state]


def appended(log: Sequence[ExclusionEntry], entry: ExclusionEntry) -> list[ExclusionEntry]:
    return [*log, entry][-MAX_LOG_ENTRIES:]
