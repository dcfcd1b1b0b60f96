"""Values of a file column that are not the levels of the categorical variable it fills, and their recoding.

A lab's file may write a category its own way: ALchemist's discrete example writes the catalyst as
its SAR (80, 280) where the categorical example has the levels "Low SAR" and "High SAR". The
user says which level each value means; a value left alone is imported as it is and flagged.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Mapping, Sequence

from alchemist.files.mapping import ColumnMatch, Destination, normalise_name
from alchemist.variables import Variable, is_missing, level_text

if TYPE_CHECKING:
    import pandas as pd

# More distinct unknown values than this are not a different spelling of a few levels: no recoding offered.
MAX_RECODED_VALUES = 20


def unknown_values(frame: pd.DataFrame, matches: Sequence[ColumnMatch], variables: Sequence[Variable]) -> dict[str, list[str]]:
    """For each file column that fills a categorical variable: its distinct values that are not levels (first seen first).

    A column with more than MAX_RECODED_VALUES such values is left out (nothing to recode by hand).
    """
    levels = {v.name: set(v.levels) for v in variables if v.kind == "categorical"}
    found: dict[str, list[str]] = {}
    for match in matches:
        if match.destination is not Destination.VARIABLE or match.variable not in levels:
            continue
        unknown: dict[str, None] = {}
        for value in frame[match.column].tolist():
            if not is_missing(value) and level_text(value) not in levels[match.variable]:
                unknown[level_text(value)] = None
                if len(unknown) > MAX_RECODED_VALUES:
                    break
        if unknown and len(unknown) <= MAX_RECODED_VALUES:
            found[match.column] = list(unknown)
    return found


def suggest_level(value: str, levels: Sequence[str]) -> str | None:
    """The level `value` most likely means (same name up to case and spacing, or a close spelling), or None."""
    names = {normalise_name(level): level for level in levels}
    key = normalise_name(value)
    if key in names:
        return names[key]
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.8)
    return names[close[0]] if close else None


def recode(frame: pd.DataFrame, recoding: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """A copy of `frame` where, in each column of `recoding`, a value with a chosen level becomes that level."""
    result = frame.copy()
    for column, levels in recoding.items():
        if column in result and levels:
            result[column] = [
                levels.get(level_text(v), v) if not is_missing(v) else v for v in result[column].tolist()
            ]
    return result
