"""Numbers as labs write them: a decimal point or a decimal comma, with or without thousands separators.

A German or French spreadsheet saved as CSV writes `373,80` (and `1.234,5`); pandas reads such
cells as text. Here the decimal mark is detected per column from its cells (a user may override it
for the whole file), and text cells are turned into numbers by that mark. A cell that is not a
number under the mark is left exactly as it was, so the experiment table keeps and flags it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    import pandas as pd


class DecimalMark(StrEnum):
    POINT = "point"  # 1,234.5
    COMMA = "comma"  # 1.234,5


_SPACES = "\u00a0\u202f '"  # thousands separators besides the other mark: (no-break) spaces, apostrophe
_GROUPED_SPACE = re.compile(r"[+-]?\d{1,3}([\u00a0\u202f ']\d{3})+([.,]\d+)?")
_COMMA_DECIMAL = re.compile(r"[+-]?\d*,\d+([eE][+-]?\d+)?")  # 373,80  ,5  1,5e-3
_COMMA_GROUPED = re.compile(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?")  # 1.234  1.234.567,8
_POINT_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")  # 1,234  1,234,567.8
_PLAIN = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_number(text: str, mark: DecimalMark) -> float | None:
    """The number `text` writes under `mark`, or None when it is not one (then the cell stays as typed)."""
    text = text.strip()
    if _GROUPED_SPACE.fullmatch(text):
        text = "".join(ch for ch in text if ch not in _SPACES)
    if mark is DecimalMark.COMMA:
        if _COMMA_GROUPED.fullmatch(text):
            text = text.replace(".", "").replace(",", ".")
        elif _COMMA_DECIMAL.fullmatch(text):
            text = text.replace(",", ".")
        elif "," in text:
            return None
    elif _POINT_GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not _PLAIN.fullmatch(text):
        return None
    number = float(text)
    return number if number == number and abs(number) != float("inf") else None


def _evidence(values: Sequence[Any]) -> tuple[int, int]:
    """(cells that only a decimal comma explains, cells that only a decimal point explains)."""
    comma = point = 0
    for value in values:
        if not isinstance(value, str):
            continue
        text = value.strip()
        if re.fullmatch(r"[+-]?\d*,\d+([eE][+-]?\d+)?", text) and not re.fullmatch(r"[+-]?\d{1,3},\d{3}", text):
            comma += 1  # 373,80 or 0,5: a comma with other than three digits after it is a decimal comma
        elif re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+,\d+", text):
            comma += 1
        elif re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+\.\d+", text) or re.fullmatch(r"[+-]?\d*\.\d+", text) and not re.fullmatch(r"[+-]?\d{1,3}\.\d{3}", text):
            point += 1
    return comma, point


_SIMPLE = {
    # Text with the mark and digits only (no thousands separator, no exponent): the common case,
    # turned into a number in bulk; every other text goes through parse_number.
    DecimalMark.POINT: re.compile(r"[+-]?(\d+\.?\d*|\.\d+)"),
    DecimalMark.COMMA: re.compile(r"[+-]?(\d+|\d*,\d+)"),
}


def _read_column(values: list[Any], mark: DecimalMark) -> list[Any]:
    simple = _SIMPLE[mark]
    read: list[Any] = []
    for value in values:
        if not isinstance(value, str):
            read.append(value)
            continue
        text = value.strip()
        if simple.fullmatch(text):
            read.append(float(text.replace(",", ".")) if mark is DecimalMark.COMMA else float(text))
        else:
            number = parse_number(value, mark)
            read.append(value if number is None else number)
    return read


def detect_decimal_marks(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, DecimalMark]:
    """The decimal mark of each column, from its text cells; a column without evidence follows the file's majority.

    A column pandas already read as numbers has a decimal point. "1,234" alone is ambiguous (a
    thousand and more with a point, about one with a comma): it follows the other columns.
    """
    import pandas as pd

    own: dict[str, DecimalMark | None] = {}
    for column in columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series):
            own[column] = DecimalMark.POINT if (series.dropna() % 1 != 0).any() else None
            continue
        comma, point = _evidence(series.head(5000).tolist())
        own[column] = DecimalMark.COMMA if comma > point else DecimalMark.POINT if point > comma else None
    marks = [m for m in own.values() if m is not None]
    majority = DecimalMark.COMMA if marks.count(DecimalMark.COMMA) > marks.count(DecimalMark.POINT) else DecimalMark.POINT
    return {column: mark or majority for column, mark in own.items()}


def file_mark(marks: dict[str, DecimalMark]) -> DecimalMark:
    """The mark most columns use (a decimal point when none tells)."""
    values = list(marks.values())
    return DecimalMark.COMMA if values.count(DecimalMark.COMMA) > values.count(DecimalMark.POINT) else DecimalMark.POINT


def read_numbers(frame: pd.DataFrame, marks: dict[str, DecimalMark]) -> pd.DataFrame:
    """A copy of `frame` where each text cell of a column in `marks` that is a number under its mark is that number.

    Other cells are kept as they are: a typo stays as typed, for the experiment table to flag.
    """
    import pandas as pd

    result = frame.copy()
    for column, mark in marks.items():
        series = result[column]
        if pd.api.types.is_numeric_dtype(series):
            continue
        result[column] = pd.Series(_read_column(series.tolist(), mark), index=series.index, dtype="object")
    return result
