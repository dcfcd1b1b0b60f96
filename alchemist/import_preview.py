"""What an import will do, row by row, before anything is added: the file mapped and its numbers read.

The page shows this preview (each row's status and problems, how many rows it adds or replaces)
and imports exactly the rows it showed: the preview's frame is what goes into the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import pandas as pd

from alchemist.experiment_import import ImportReport
from alchemist.experiments import ExperimentTable
from alchemist.files.levels import recode
from alchemist.files.mapping import ColumnMatch, apply_mapping, numeric_columns, remember
from alchemist.files.numbers import DecimalMark, detect_decimal_marks, read_numbers
from alchemist.problems import RowCheck, RowStatus
from alchemist.variables import Variable

if TYPE_CHECKING:
    from alchemist.session import Session


@dataclass(frozen=True)
class ImportPreview:
    """The rows an import adds (the table's column names, numbers read), each with its status and problems."""

    frame: pd.DataFrame
    result: str
    checks: tuple[RowCheck, ...]
    marks: dict[str, DecimalMark]  # the decimal mark used for each numeric file column
    rows_replaced: int  # the rows now in the table that the import takes the place of (0 when it adds)

    def count(self, status: RowStatus) -> int:
        return sum(1 for check in self.checks if check.status is status)


def decimal_marks(frame: pd.DataFrame, matches: Sequence[ColumnMatch], variables: Sequence[Variable],
                  chosen: DecimalMark | None = None) -> dict[str, DecimalMark]:
    """The decimal mark of each file column that goes to a numeric place: detected, or `chosen` for all."""
    columns = numeric_columns(matches, variables)
    if chosen is not None:
        return {column: chosen for column in columns}
    return detect_decimal_marks(frame, columns)


def preview_import(session: Session, frame: pd.DataFrame, matches: Sequence[ColumnMatch],
                   marks: dict[str, DecimalMark], replace: bool,
                   recoding: Mapping[str, Mapping[str, str]] | None = None) -> ImportPreview:
    """What importing `frame` mapped by `matches` would do; raises ExperimentError (or LimitError) when it cannot.

    `marks` are the decimal marks of numeric file columns; `recoding` the level chosen for values
    of a categorical column that are not levels (alchemist.files.levels).
    """
    mapped, result = apply_mapping(recode(read_numbers(frame, marks), recoding or {}), matches, session.variables)
    trial = ExperimentTable(session.variables, result, mapped.reset_index(drop=True))
    return ImportPreview(
        frame=mapped.reset_index(drop=True),
        result=result,
        checks=tuple(trial.check_rows(session.variables)),
        marks=dict(marks),
        rows_replaced=len(session.experiments) if replace else 0,
    )


def import_previewed(session: Session, preview: ImportPreview, matches: Sequence[ColumnMatch], replace: bool) -> ImportReport:
    """Import the previewed rows and remember the mapping for the next file with these columns."""
    report = session.add_experiments(preview.frame, target=preview.result, replace=replace)
    session.import_mapping = remember(session.import_mapping, matches)
    return report
