"""The data editor's change set, turned into the plain table the library takes.

`st.data_editor` reports what the user did as {edited_rows, added_rows, deleted_rows}, by row
position in the frame it was shown. That format belongs to Streamlit, so it is read here and
the library only ever sees the resulting table.
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from alchemist.session import Session


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
