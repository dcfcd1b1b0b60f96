"""Which column of an uploaded table holds which variable, the result, noise, iteration or note: as data.

Labs name their columns as they like: `Temperature [°C]`, `temperature (C)`, `Metal_Loading`, or
ALchemist's own `Output`, `Noise`, `Iteration`, `Reason`. A proposal matches each file column to
at most one place in the experiment table, with a score and the reason for the match, so the page
can preselect it and the user can correct it. A confirmed mapping is remembered per session
(`remembered`: file column -> destination key), so the next file with those columns maps itself.

No sentence is made here; the app words the reasons (ui/import_words.py).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from alchemist.errors import ExperimentError, SessionFileError

if TYPE_CHECKING:  # pandas is imported when a table is mapped
    import pandas as pd

    from alchemist.variables import Variable

# A remembered mapping is a few dozen names at most; these bound what a session file may carry.
MAX_REMEMBERED = 500
MAX_KEY_LENGTH = 300
# Below this similarity of two normalised names, a column is not proposed for a variable.
MIN_SIMILARITY = 0.75
_VARIABLE_PREFIX = "variable:"
_FURTHER_RESULT_PREFIX = "result:"


class Destination(StrEnum):
    """Where a file column goes in the experiment table."""

    VARIABLE = "variable"
    RESULT = "result"
    FURTHER_RESULT = "further result"  # another objective's or outcome limit's column (issue 11)
    NOISE = "noise"
    ITERATION = "iteration"
    NOTE = "note"
    IGNORED = "ignored"


# Places named by a column of the table: a variable, or a further result column.
_NAMED = {Destination.VARIABLE: _VARIABLE_PREFIX, Destination.FURTHER_RESULT: _FURTHER_RESULT_PREFIX}


class MatchReason(StrEnum):
    """Why a column was matched where it was."""

    REMEMBERED = "remembered"  # this session mapped a column of that name before
    EXACT = "exact"  # the very name
    SAME_NAME = "same name"  # the same name up to case, spacing, underscores and a unit in () or []
    LEVELS = "levels"  # the column's values are the variable's levels, or its name is in every level
    ALCHEMIST = "alchemist"  # one of ALchemist's own column names (Output, Noise, Iteration, Reason, Note)
    SIMILAR = "similar"  # a similar name (a typo, an abbreviation)
    ONLY_NUMBER = "only number"  # the one numeric column left over, taken as the result
    CHOSEN = "chosen"  # the user chose it
    NONE = "none"  # nothing matched: the column is left out


@dataclass(frozen=True)
class ColumnMatch:
    """One file column and where it goes; `variable` is set for Destination.VARIABLE; `score` in [0, 1]."""

    column: str
    destination: Destination
    variable: str | None = None
    score: float = 0.0
    reason: MatchReason = MatchReason.NONE

    @property
    def key(self) -> str:
        """The destination as one string (for a picker and for the remembered mapping)."""
        return destination_key(self.destination, self.variable)


def destination_key(destination: Destination, variable: str | None = None) -> str:
    prefix = _NAMED.get(destination)
    return prefix + (variable or "") if prefix else destination.value


def parse_key(key: str) -> tuple[Destination, str | None]:
    """(destination, column name) from a key made by destination_key; ExperimentError when it is none."""
    for destination, prefix in _NAMED.items():
        if key.startswith(prefix):
            return destination, key[len(prefix):]
    try:
        return Destination(key), None
    except ValueError:
        raise ExperimentError(f"'{key[:60]}' is not a place in the experiment table.") from None


_UNIT = re.compile(r"\s*[\(\[\{][^\(\)\[\]\{\}]*[\)\]\}]\s*$")
_SEPARATORS = re.compile(r"[\s_\-\.:/]+")


def normalise_name(name: object) -> str:
    """A column or variable name for comparison: no unit in () or [] at its end, case-folded, one space between words.

    "Temperature [°C]", "temperature (C)" and " TEMPERATURE " all give "temperature";
    "Metal_Loading" and "metal-loading" give "metal loading".
    """
    text = unicodedata.normalize("NFKC", str(name)).strip()
    for _ in range(2):  # "Flow (mL/min) [set]": at most two trailing units
        stripped = _UNIT.sub("", text)
        if not stripped:
            break
        text = stripped
    return _SEPARATORS.sub(" ", text).strip().casefold()


def _compact(name: str) -> str:
    return name.replace(" ", "")


# ALchemist's own columns (NREL's ALchemist writes Output, Noise, Iteration and Reason).
_ALCHEMIST_NAMES = {
    "output": Destination.RESULT,
    "noise": Destination.NOISE,
    "iteration": Destination.ITERATION,
    "reason": Destination.NOTE,
    "note": Destination.NOTE,
    "notes": Destination.NOTE,
    "comment": Destination.NOTE,
    "comments": Destination.NOTE,
}


def _values_are_levels(values: Sequence[Any], levels: Sequence[str]) -> bool:
    present = {str(v).strip() for v in values if v is not None and v == v and str(v).strip()}
    return bool(present) and present <= set(levels)


def _candidates(
    column: str, variables: Sequence[Variable], result: str, values: Sequence[Any] | None
) -> list[tuple[float, Destination, str | None, MatchReason]]:
    """Every place `column` could go, with a score; the best ones are taken first."""
    found: list[tuple[float, Destination, str | None, MatchReason]] = []
    name = normalise_name(column)
    for variable in variables:
        target = normalise_name(variable.name)
        if column == variable.name:
            found.append((1.0, Destination.VARIABLE, variable.name, MatchReason.EXACT))
        elif name == target or _compact(name) == _compact(target) or normalise_name(variable.label) == name:
            found.append((0.95, Destination.VARIABLE, variable.name, MatchReason.SAME_NAME))
        elif variable.kind == "categorical" and values is not None and _values_are_levels(values, variable.levels):
            found.append((0.9, Destination.VARIABLE, variable.name, MatchReason.LEVELS))
        elif variable.kind == "categorical" and name and all(name in normalise_name(level) for level in variable.levels):
            found.append((0.85, Destination.VARIABLE, variable.name, MatchReason.LEVELS))
        else:
            similarity = difflib.SequenceMatcher(None, _compact(name), _compact(target)).ratio()
            if similarity >= MIN_SIMILARITY:
                found.append((0.8 * similarity, Destination.VARIABLE, variable.name, MatchReason.SIMILAR))
    if column == result:
        found.append((1.0, Destination.RESULT, None, MatchReason.EXACT))
    elif name == normalise_name(result):
        found.append((0.95, Destination.RESULT, None, MatchReason.SAME_NAME))
    own = _ALCHEMIST_NAMES.get(name)
    if own is not None:
        found.append((0.9, own, None, MatchReason.ALCHEMIST))
    return found


def propose_mapping(
    frame: pd.DataFrame,
    variables: Sequence[Variable],
    result: str = "Output",
    remembered: Mapping[str, str] | None = None,
    further: Sequence[str] = (),
) -> list[ColumnMatch]:
    """A match for every column of `frame`, in the file's order; each place in the table is taken once.

    `result` is the name the session uses for its result column; `remembered` maps file columns
    to destination keys confirmed before (a remembered place that no longer exists is passed over);
    `further` names the session's other result columns (objectives and outcome limits).
    The best-scored matches are taken first; a column left without one is IGNORED. When no column
    is the result by name, the one numeric column left over is proposed (as guess_target did).
    """
    import pandas as pd

    remembered = remembered or {}
    names = {v.name for v in variables}
    scored: list[tuple[float, int, str, Destination, str | None, MatchReason]] = []
    for position, column in enumerate(map(str, frame.columns)):
        key = remembered.get(column)
        if key is not None:
            try:
                destination, variable = parse_key(key)
            except ExperimentError:
                destination, variable = Destination.IGNORED, None
            if destination is Destination.VARIABLE and variable not in names:
                pass
            elif destination is Destination.FURTHER_RESULT and variable not in further:
                pass
            else:
                scored.append((1.1, position, column, destination, variable, MatchReason.REMEMBERED))
        values = frame[column].head(200).tolist() if column in frame else None
        for score, destination, variable, reason in _candidates(column, variables, result, values):
            scored.append((score, position, column, destination, variable, reason))
        for name in further:
            if column == name:
                scored.append((1.0, position, column, Destination.FURTHER_RESULT, name, MatchReason.EXACT))
            elif normalise_name(column) == normalise_name(name):
                scored.append((0.95, position, column, Destination.FURTHER_RESULT, name, MatchReason.SAME_NAME))
    scored.sort(key=lambda item: (-item[0], item[1]))
    taken: dict[str, ColumnMatch] = {}
    places: set[str] = set()
    for score, _, column, destination, variable, reason in scored:
        place = destination_key(destination, variable)
        if column in taken or (destination is not Destination.IGNORED and place in places):
            continue
        taken[column] = ColumnMatch(column, destination, variable, min(score, 1.0), reason)
        places.add(place)
    if Destination.RESULT.value not in places:
        spare = [
            str(c) for c in frame.columns
            if str(c) not in taken and pd.api.types.is_numeric_dtype(frame[c])
        ]
        if len(spare) == 1:
            taken[spare[0]] = ColumnMatch(spare[0], Destination.RESULT, None, 0.5, MatchReason.ONLY_NUMBER)
    return [taken.get(str(c)) or ColumnMatch(str(c), Destination.IGNORED) for c in frame.columns]


def choose(matches: Sequence[ColumnMatch], column: str, key: str) -> list[ColumnMatch]:
    """`matches` with `column` sent to the place `key` by the user (other columns unchanged)."""
    destination, variable = parse_key(key)
    return [
        ColumnMatch(m.column, destination, variable, 1.0, MatchReason.CHOSEN) if m.column == column and m.key != key else m
        for m in matches
    ]


@dataclass(frozen=True)
class MappingCheck:
    """What keeps a mapping from being imported, or makes rows need attention, as data."""

    claimed_twice: tuple[str, ...]  # destination keys more than one column is sent to
    unmapped_variables: tuple[str, ...]  # variables no column fills: their cells will be missing
    has_result: bool

    @property
    def can_import(self) -> bool:
        return not self.claimed_twice and self.has_result


def check_mapping(matches: Sequence[ColumnMatch], variables: Sequence[Variable]) -> MappingCheck:
    keys = [m.key for m in matches if m.destination is not Destination.IGNORED]
    twice = tuple(sorted({k for k in keys if keys.count(k) > 1}))
    filled = {m.variable for m in matches if m.destination is Destination.VARIABLE}
    return MappingCheck(
        claimed_twice=twice,
        unmapped_variables=tuple(v.name for v in variables if v.name not in filled),
        has_result=any(m.destination is Destination.RESULT for m in matches),
    )


def apply_mapping(frame: pd.DataFrame, matches: Sequence[ColumnMatch], variables: Sequence[Variable]) -> tuple[pd.DataFrame, str]:
    """The file's table with the experiment table's column names, and the name of its result column.

    Variables no column fills get an empty column (their rows will need a value); ignored columns
    are left out. The result column keeps the file's name (a fresh table takes it, e.g. 'Yield').
    Raises ExperimentError when the mapping cannot be imported (see check_mapping).
    """
    import pandas as pd

    from alchemist.experiments import ITERATION, NOISE, NOTE

    check = check_mapping(matches, variables)
    if check.claimed_twice:
        raise ExperimentError("More than one column is mapped to the same place: " + ", ".join(check.claimed_twice) + ".")
    if not check.has_result:
        raise ExperimentError("Choose which column of the file holds the result.")
    side = {Destination.NOISE: NOISE, Destination.ITERATION: ITERATION, Destination.NOTE: NOTE}
    columns: dict[str, Any] = {}
    result = ""
    for match in matches:
        if match.destination is Destination.VARIABLE:
            columns[match.variable] = frame[match.column]
        elif match.destination is Destination.RESULT:
            result = match.column
            columns[match.column] = frame[match.column]
        elif match.destination is Destination.FURTHER_RESULT:
            columns[match.variable] = frame[match.column]
        elif match.destination in side:
            columns[side[match.destination]] = frame[match.column]
    for name in check.unmapped_variables:
        columns[name] = pd.Series([None] * len(frame), index=frame.index, dtype="object")
    ordered = [v.name for v in variables] + [c for c in columns if c not in {v.name for v in variables}]
    mapped = pd.DataFrame({name: columns[name] for name in ordered}, index=frame.index)
    return mapped, result


def numeric_columns(matches: Sequence[ColumnMatch], variables: Sequence[Variable]) -> list[str]:
    """The file columns that go to a numeric place (a numeric variable, the result, noise, iteration)."""
    numeric = {v.name for v in variables if v.is_numeric}
    return [
        m.column for m in matches
        if m.destination in (Destination.RESULT, Destination.FURTHER_RESULT, Destination.NOISE, Destination.ITERATION)
        or (m.destination is Destination.VARIABLE and m.variable in numeric)
    ]


def remember(remembered: Mapping[str, str], matches: Sequence[ColumnMatch]) -> dict[str, str]:
    """The remembered mapping updated with a confirmed one (newest first, bounded by MAX_REMEMBERED)."""
    updated = {m.column: m.key for m in matches if len(m.column) <= MAX_KEY_LENGTH}
    for column, key in remembered.items():
        if column not in updated and len(updated) < MAX_REMEMBERED:
            updated[column] = key
    return dict(list(updated.items())[:MAX_REMEMBERED])


def remembered_from_state(state: Any) -> dict[str, str]:
    """A session file's remembered mapping (absent in older files: empty); SessionFileError when malformed."""
    if state is None:
        return {}
    if (
        not isinstance(state, dict)
        or len(state) > MAX_REMEMBERED
        or not all(isinstance(k, str) and isinstance(v, str) and len(k) <= MAX_KEY_LENGTH and len(v) <= MAX_KEY_LENGTH
                   for k, v in state.items())
    ):
        raise SessionFileError("The remembered column mapping in the file is not in the expected form.")
    for key in state.values():
        try:
            parse_key(key)
        except ExperimentError:
            raise SessionFileError("The remembered column mapping in the file names an unknown place.") from None
    return dict(state)
