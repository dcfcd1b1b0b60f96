"""The data editor's change set, turned into the plain table the library takes.

`st.data_editor` reports what the user did as {edited_rows, added_rows, deleted_rows}, by row
position in the frame it was shown. That format belongs to Streamlit, so it is read here and
the library only ever sees the resulting table.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd

from alchemist.experiments import ITERATION, NOISE
from alchemist.session import Session
from alchemist.variables import Variable, format_number, is_missing


def number_text(value: Any) -> Any:
    """A numeric cell as the editor shows it: a number as its shortest exact text, a gap as "", typed text as typed."""
    if isinstance(value, bool) or is_missing(value):
        return ""  # None would read "None" in a text column
    if isinstance(value, (int, float)):
        return format_number(float(value))
    return value


def numeric_columns(frame: pd.DataFrame, variables: Sequence[Variable], target: str | None = None) -> list[str]:
    """The columns of `frame` that hold numbers: numeric variables, the result, noise and iteration."""
    names = [v.name for v in variables if v.is_numeric] + [c for c in (target, NOISE, ITERATION) if c]
    return [c for c in frame.columns if c in names or (target is None and c not in {v.name for v in variables}
                                                        and pd.api.types.is_numeric_dtype(frame[c]))]


def display_cells(frame: pd.DataFrame, variables: Sequence[Variable], target: str | None = None) -> pd.DataFrame:
    """`frame` with its numeric columns as text, so a cell typed as `abc` shows and edits as `abc`.

    The editor's number columns drop text typed into them (the cell becomes empty): numeric
    columns are therefore edited as text, and the library reads each cell back as a number or
    keeps it as typed, flagged. Numbers are written exactly (the shortest text that reads back
    to the same float), so an untouched cell never changes.
    """
    shown = frame.astype(object).copy()
    for column in numeric_columns(frame, variables, target):
        # As an object Series: an empty list would make an empty column float again, which the
        # editor's text column refuses (an empty table of numeric variables).
        shown[column] = pd.Series([number_text(v) for v in frame[column].tolist()], index=shown.index, dtype=object)
    return shown.reset_index(drop=True)


def is_draft(changes: Mapping[str, Any]) -> bool:
    """Whether a change set only adds rows that are still empty ("+ Add row" pressed, nothing typed yet).

    Such a row is a draft: it is not an experiment until it holds a value, so it is neither stored
    nor reported as needing attention.
    """
    added = changes.get("added_rows") or []
    return (not changes.get("edited_rows") and not changes.get("deleted_rows")
            and all(_empty_row(row) for row in added))


def _empty_row(row: Any) -> bool:
    return not isinstance(row, dict) or all(is_missing(v) for v in row.values())


def apply_editor_changes(frame: pd.DataFrame, changes: Mapping[str, Any]) -> pd.DataFrame:
    """The table the user now sees: `changes` applied to the `frame` that was shown (left unchanged).

    Positions outside the frame and columns it does not have are ignored: the change set comes
    from the browser.
    """
    result = frame.astype(object).copy()
    n = len(result)
    for position, cells in (changes.get("edited_rows") or {}).items():
        row = int(position)
        if 0 <= row < n and isinstance(cells, dict):
            for column, value in cells.items():
                if column in result.columns:
                    result.iat[row, result.columns.get_loc(column)] = value
    deleted = sorted({int(p) for p in changes.get("deleted_rows") or [] if 0 <= int(p) < n})
    result = result.drop(index=result.index[deleted])
    added = [
        {c: v for c, v in row.items() if c in result.columns}
        for row in changes.get("added_rows") or []
        if isinstance(row, dict)
    ]
    added = [row for row in added if not _empty_row(row)]  # a row still empty is a draft, not an experiment
    if added:
        result = pd.concat([result, pd.DataFrame(added, columns=result.columns, dtype=object)], ignore_index=True)
    return result.reset_index(drop=True)


def edit_if_current(drawn: Session, current: Session | None, shown: pd.DataFrame, changes: Mapping[str, Any]) -> bool:
    """Apply a change set to the session, unless another tab replaced it since the table was drawn.

    Row positions in `changes` refer to `shown`, the table as drawn from `drawn`. When the current
    session is another object (it was changed elsewhere and reloaded), nothing is changed and the
    answer is False: the edit would land on other rows, or be saved over the other tab's work.
    """
    if current is not drawn:
        return False
    current.edit_experiments(apply_editor_changes(shown, changes))
    return True
