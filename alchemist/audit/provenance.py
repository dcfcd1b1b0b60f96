"""Which audit entry produced each planned experiment, and which results were entered in a table edit.

A row added by `Session.add_pending` gets a link to the entry that produced it (the batch of
suggestions it came from, or the planned design), with its place in that batch and the variable
values as suggested. Links are a side list keyed by row position, not a column: the experiment
table and its files stay as they are. A table edit hands the library only the new table, so
`align_rows` finds, for each new row, the row it was before the edit:

* same number of rows: row i is row i (cells were edited, nothing added or removed);
* otherwise the longest common run at the start and at the end are matched, and what lies
  between them only when it has as many rows on both sides (then position by position).

The data editor commits every change at once, so an edit is one change (cells, rows removed, or
rows added at the end) and the match is exact. For a change set that removes and edits between
the same rows, the rows between are left unmatched: a link is dropped rather than moved to the
wrong experiment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from alchemist.audit.entries import plain_value
from alchemist.errors import SessionFileError

# Bounds on what the links keep in a session: at most this many linked rows, and this many
# suggested values over all of them. Rows planned beyond either bound get no link (the entry that
# planned them says how many were linked).
MAX_LINKS = 5_000
MAX_LINKED_VALUES = 100_000
# A result entry lists at most this many rows in detail; it counts and digests all of them.
MAX_ROWS_LISTED = 20


@dataclass(frozen=True)
class ProvenanceLink:
    row: int  # the experiment's position in the table now, 0-based
    entry: int  # the audit entry that produced it
    point: int  # its place in that entry's batch, 0-based
    suggested: dict[str, Any]  # the variable values as suggested

    def to_state(self) -> list:
        return [self.row, self.entry, self.point, self.suggested]

    @classmethod
    def from_state(cls, state: Any) -> "ProvenanceLink":
        if not isinstance(state, list) or len(state) != 4:
            raise SessionFileError("A provenance link in the file is not in the expected form.")
        row, entry, point, suggested = state
        if not all(type(v) is int and v >= 0 for v in (row, entry, point)) or not isinstance(suggested, dict):
            raise SessionFileError("A provenance link in the file is not in the expected form.")
        if not all(isinstance(k, str) and (v is None or type(v) in (str, int, float, bool)) for k, v in suggested.items()):
            raise SessionFileError("A provenance link in the file holds values of an unknown kind.")
        return cls(row, entry, point, suggested)


@dataclass(frozen=True)
class EnteredResult:
    """A result that a table edit set (previous None) or changed, on one row."""

    row: int  # position in the table after the edit, 0-based
    previous: Any  # the result before, None when there was none
    value: Any
    actual: dict[str, Any]  # the row's variable values as they are now
    link: ProvenanceLink | None


def row_values(frame: pd.DataFrame, row: int, names: Sequence[str]) -> dict[str, Any]:
    return {name: plain_value(frame[name].iat[row]) for name in names if name in frame.columns}


def rows_values(frame: pd.DataFrame, rows: Sequence[int], names: Sequence[str]) -> list[dict[str, Any]]:
    """`row_values` of many rows, a column at a time (a cell at a time costs a millisecond a row)."""
    present = [name for name in names if name in frame.columns]
    places = np.asarray(rows, dtype=int)
    columns = [[plain_value(v) for v in frame[name].to_numpy()[places].tolist()] for name in present]
    return [dict(zip(present, cells)) for cells in zip(*columns)] if present else [{} for _ in places]


def _column_keys(series: pd.Series) -> np.ndarray:
    # A number hashes alike in a float column and in a text column (where a cell that does not
    # parse keeps the column as text); the text of a text cell is hashed besides.
    if series.dtype == np.float64:
        return pd.util.hash_array(series.to_numpy())
    cells = series.tolist()
    numbers = np.array([float(v) if type(v) in (int, float) else np.nan for v in cells], dtype=float)
    text = np.array([v if isinstance(v, str) else "" for v in cells], dtype=object)
    return pd.util.hash_array(numbers) * np.uint64(1_000_003) + pd.util.hash_array(text)


def row_keys(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row, the same in every process (pandas' hash with its fixed key)."""
    keys = np.zeros(len(frame), dtype=np.uint64)
    for name in frame.columns:
        keys = keys * np.uint64(1_000_003) + _column_keys(frame[name])  # wraps around, as a hash may
    return keys


def align_rows(old: pd.DataFrame, new: pd.DataFrame) -> list[int | None]:
    """For each row of `new`, its position in `old` before the edit, or None (see the module doc)."""
    n, m = len(old), len(new)
    if n == m:
        return list(range(m))
    if n == 0 or m == 0:
        return [None] * m
    a, b = row_keys(old), row_keys(new)
    shortest = min(n, m)
    differs = np.flatnonzero(a[:shortest] != b[:shortest])
    prefix = int(differs[0]) if len(differs) else shortest
    room = shortest - prefix
    tail_differs = np.flatnonzero(a[n - room:][::-1] != b[m - room:][::-1]) if room else np.array([], dtype=int)
    suffix = int(tail_differs[0]) if len(tail_differs) else room
    aligned: list[int | None] = list(range(prefix))
    middle_old, middle_new = n - prefix - suffix, m - prefix - suffix
    if middle_old == middle_new:
        aligned += list(range(prefix, prefix + middle_new))
    else:
        aligned += [None] * middle_new
    aligned += list(range(n - suffix, n))
    return aligned


def follow_links(links: Sequence[ProvenanceLink], aligned: Sequence[int | None]) -> list[ProvenanceLink]:
    """The links after an edit: each moves with its row; a row removed takes its link along."""
    by_old = {link.row: link for link in links}
    moved = []
    for row, before in enumerate(aligned):
        link = by_old.get(before) if before is not None else None
        if link is not None:
            moved.append(ProvenanceLink(row, link.entry, link.point, link.suggested))
    return moved


def _candidates(old: pd.Series, new: pd.Series, aligned: Sequence[int | None]) -> np.ndarray:
    """Rows of `new` whose result may differ from the one before: all but the numbers that are equal."""
    places = np.array([-1 if a is None else a for a in aligned], dtype=int)
    if old.dtype != np.float64 or new.dtype != np.float64 or len(old) == 0:
        return np.arange(len(new))
    before = old.to_numpy()[np.maximum(places, 0)]
    after = new.to_numpy()
    with np.errstate(invalid="ignore"):
        same = (before == after) | (np.isnan(before) & np.isnan(after))
    return np.flatnonzero(~same | (places < 0))


def entered_results(
    old: pd.DataFrame, new: pd.DataFrame, aligned: Sequence[int | None], target: str,
    names: Sequence[str], links: Sequence[ProvenanceLink],
) -> list[EnteredResult]:
    """The results a table edit set or changed, with each row's link (`links` as after the edit)."""
    by_row = {link.row: link for link in links}
    before = old[target] if target in old.columns else pd.Series([None] * len(old), dtype=object)
    after = new[target]
    found = []
    for row in _candidates(before, after, aligned):
        row = int(row)
        value = plain_value(after.iat[row])
        if value is None:
            continue
        previous = plain_value(before.iat[aligned[row]]) if aligned[row] is not None else None
        if previous == value:
            continue
        found.append(EnteredResult(row, previous, value, row_values(new, row, names), by_row.get(row)))
    return found


def links_from_state(state: Any, n_rows: int) -> list[ProvenanceLink]:
    if not isinstance(state, list) or len(state) > MAX_LINKS:
        raise SessionFileError("The provenance links in the file are not in the expected form.")
    links = [ProvenanceLink.from_state(item) for item in state]
    rows = [link.row for link in links]
    if len(set(rows)) != len(rows) or any(row >= n_rows for row in rows):
        raise SessionFileError("The provenance links in the file point to experiments the table does not have.")
    if sum(len(link.suggested) for link in links) > MAX_LINKED_VALUES:
        raise SessionFileError("The provenance links in the file hold more values than a session keeps.")
    return links
