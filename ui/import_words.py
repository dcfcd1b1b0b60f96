"""The words of the import flow and of a new variable's value for existing rows, made from library data."""

from __future__ import annotations

from typing import Sequence

from alchemist.experiment_import import ImportReport
from alchemist.files.mapping import ColumnMatch, Destination, MappingCheck, MatchReason, parse_key
from alchemist.files.numbers import DecimalMark
from alchemist.import_preview import ImportPreview
from alchemist.problems import RowStatus
from alchemist.variables import Variable
from ui.plurals import counted

_REASONS = {
    MatchReason.REMEMBERED: "as at your last import",
    MatchReason.EXACT: "same name",
    MatchReason.SAME_NAME: "same name (case, spacing or unit aside)",
    MatchReason.LEVELS: "matches the variable's levels",
    MatchReason.ALCHEMIST: "ALchemist's own column",
    MatchReason.SIMILAR: "similar name",
    MatchReason.ONLY_NUMBER: "the only numeric column left",
    MatchReason.CHOSEN: "your choice",
    MatchReason.NONE: "no match found",
}

_PLACES = {
    Destination.RESULT: "Result (measured)",
    Destination.NOISE: "Noise (variance of the result)",
    Destination.ITERATION: "Iteration",
    Destination.NOTE: "Note",
    Destination.IGNORED: "Leave out",
}

MARK_LABELS = {
    DecimalMark.POINT: "Decimal point (1,234.5)",
    DecimalMark.COMMA: "Decimal comma (1.234,5)",
}


def reason_text(match: ColumnMatch) -> str:
    return _REASONS[match.reason]


def place_text(key: str, variables: Sequence[Variable]) -> str:
    """A place in the table for the column picker: a variable's label, "Result (measured)", "Leave out", ..."""
    destination, name = parse_key(key)
    if destination is Destination.VARIABLE:
        # Variables may not take the names of the other places (Note, Noise, Iteration are reserved).
        for variable in variables:
            if variable.name == name:
                return variable.label
        return str(name)
    if destination is Destination.FURTHER_RESULT:
        return f"{name} (result)"
    return _PLACES[destination]


def mapping_notes(check: MappingCheck, variables: Sequence[Variable]) -> tuple[list[str], list[str]]:
    """(what stops the import, what the import will leave to fill in), in words."""
    stops = [f"More than one column goes to {place_text(key, variables)}: keep one." for key in check.claimed_twice]
    if not check.has_result:
        stops.append("Choose the column that holds the measured result.")
    gaps = [f"No column goes to '{name}': its cells will be empty, and every row will need a value for it."
            for name in check.unmapped_variables]
    return stops, gaps


def recode_heading(column: str, variable: str, count: int) -> str:
    which = (f"1 value of '{column}' is not a level" if count == 1
             else f"{count:,} values of '{column}' are not levels")
    return (f"{which} of '{variable}'. Choose the level each one means; "
            "a value kept as is is imported and flagged.")


def level_choice(level: str | None) -> str:
    return "Keep as is (needs attention)" if level is None else level


def marks_text(marks: dict[str, DecimalMark]) -> str:
    """Which decimal mark was detected, in a few words."""
    commas = [column for column, mark in marks.items() if mark is DecimalMark.COMMA]
    if not commas:
        return "Numbers read with a decimal point."
    if len(commas) == len(marks):
        return "Numbers read with a decimal comma (detected)."
    return "Decimal comma detected in: " + ", ".join(commas) + "; a decimal point in the other columns."


def preview_summary(preview: ImportPreview) -> str:
    """What the import will do, before it is done."""
    rows = len(preview.checks)
    counts = (f"{preview.count(RowStatus.OK)} usable for the model, {preview.count(RowStatus.PENDING)} pending "
              f"(no result), {preview.count(RowStatus.INVALID)} need attention")
    if preview.rows_replaced:
        return (f"The {counted(preview.rows_replaced, 'experiment')} in the table will be replaced by "
                f"{'this row' if rows == 1 else f'these {rows:,} rows'}: {counts}.")
    return f"{counted(rows, 'row')} will be added: {counts}."


def import_button(preview: ImportPreview) -> str:
    rows = len(preview.checks)
    if preview.rows_replaced:
        return f"Replace {counted(preview.rows_replaced, 'row')} with {rows:,}"
    return f"Add {counted(rows, 'row')}"


def import_account(report: ImportReport, empty_rows_skipped: int = 0) -> str:
    """What an import did: "Added 26 experiments." or "Replaced 22 rows with 26.", and what needs attention."""
    if report.rows_replaced:
        parts = [f"Replaced {counted(report.rows_replaced, 'row')} with {report.rows_added:,}."]
    else:
        parts = [f"Added {counted(report.rows_added, 'experiment')}."]
    if report.invalid_rows:
        parts.append(f"{report.invalid_rows:,} {'needs' if report.invalid_rows == 1 else 'need'} attention; "
                     "see the Status column.")
    if empty_rows_skipped:
        parts.append(f"{counted(empty_rows_skipped, 'empty row')} of the file skipped.")
    return " ".join(parts)


# -- a new variable in a table with experiments ------------------------------------------------------
def fill_question(variable: str, rows: int) -> str:
    which = "The experiment in the table has" if rows == 1 else f"The {rows:,} experiments in the table have"
    return (f"{which} no value for '{variable}'. If they were all run at the "
            f"same {variable}, give that value. Otherwise choose **Not recorded**: those experiments then need "
            "attention and the model leaves them out until you fill in their values.")


def fill_done(variable: str, rows: int, value: object | None) -> str:
    if value is None:
        return (f"Added variable '{variable}'. Its value is not recorded for the {counted(rows, 'existing experiment')}: "
                "they need attention and the model leaves them out until you fill it in.")
    return f"Added variable '{variable}', with {value} for the {counted(rows, 'existing experiment')}."
