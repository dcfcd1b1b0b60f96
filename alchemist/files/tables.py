"""Uploaded tables of experiments (CSV, TSV, Excel): size-checked, parsed, every cell as given.

Cells are not checked here: the experiment table (alchemist.experiments) checks each row
against the variables and keeps what does not fit, marked.
"""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING

from alchemist import limits
from alchemist.errors import FileFormatError, LimitError
from alchemist.files.bounds import megabytes, whole_megabytes

if TYPE_CHECKING:  # pandas is imported when a table is read
    import pandas as pd

MAX_TABLE_FILE_BYTES = 20 * 1024 * 1024


def check_upload_size(data: bytes, limit: int, what: str) -> None:
    """FileFormatError if an uploaded table or list is empty or over `limit` bytes."""
    if len(data) == 0:
        raise FileFormatError(f"The {what} is empty.")
    if len(data) > limit:
        raise FileFormatError(f"The {what} is {megabytes(len(data))}; the limit is {whole_megabytes(limit)} MB.")


def _utf16_order(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when the bytes look like UTF-16 without a byte-order mark, else None.

    Text in a Latin script written as UTF-16 has a NUL in every other byte (Excel's "Unicode text"
    export, PowerShell's redirection); decoded as cp1252 it would silently become garbage columns.
    """
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 0.6 * half and even == 0:
        return "utf-16-le"
    if even >= 0.6 * half and odd == 0:
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> str:
    """Text of an uploaded file: UTF-32/UTF-16 (by byte-order mark or NUL pattern), UTF-8 (with or without BOM), else Windows-1252."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-32",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        order = _utf16_order(data)
        encodings = (order,) if order else ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError(f"The file is not text (it is not {' or '.join(e.upper() for e in encodings)}).")


def check_text_table_size(text: str, sep: str) -> None:
    """LimitError if a CSV's first line has more columns, or its lines x columns more cells, than the limits allow.

    Counted before parsing: pandas allocates per column, so a 10 MB file of one line with a million
    separators costs gigabytes.
    """
    bounds = limits.current()
    first_line = text[: text.find("\n")] if "\n" in text else text
    columns = len(next(csv.reader([first_line], delimiter=sep), []))
    if columns > bounds.max_table_columns:
        raise LimitError(
            f"The table's first line has {columns:,} columns; at most {bounds.max_table_columns:,} can be read "
            "(limit max_table_columns). Keep only the columns of the experiments and upload again.",
            "max_table_columns",
        )
    # A later line wider than the header costs pandas quadratic time (its extra fields become an
    # index): every line is bounded too. Only a line longer than the column limit in characters
    # can have more fields than it, so a regex finds the few candidates in C, at any file length.
    for match in re.finditer("[^\n]{%d,}" % bounds.max_table_columns, text):
        fields = match.group().count(sep) + 1  # quoted separators count too: an upper bound
        if fields > bounds.max_table_columns:
            raise LimitError(
                f"A line of the table has {fields:,} fields; at most {bounds.max_table_columns:,} columns can be read "
                "(limit max_table_columns). Check the separators of that line and upload again.",
                "max_table_columns",
            )
    lines = text.count("\n") + 1
    if lines * columns > bounds.max_table_cells:
        raise LimitError(
            f"The table has {lines:,} lines x {columns:,} columns; at most {bounds.max_table_cells:,} cells can be read "
            "(limit max_table_cells). Split it, or keep fewer columns, and upload again.",
            "max_table_cells",
        )


def _sniff_separator(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def read_table(data: bytes, filename: str, sheet: str | None = None) -> pd.DataFrame:
    """Read an uploaded CSV or Excel table; every cell as given (numbers as numbers, the rest as text).

    `sheet` names the sheet of a workbook to read (alchemist.files.sheets.sheet_names lists them);
    None reads the first. Raises LimitError before parsing if the table is over a cell or column limit.
    """
    import pandas as pd

    from alchemist.files.sheets import check_sheet_size

    check_upload_size(data, MAX_TABLE_FILE_BYTES, "file")
    lower = filename.lower()
    try:
        if lower.endswith((".xlsx", ".xlsm")):
            if not data.startswith(b"PK"):
                raise FileFormatError("The file is named .xlsx but is not an Excel workbook.")
            sheet = check_sheet_size(data, sheet)
            frame = pd.read_excel(io.BytesIO(data), engine="openpyxl", sheet_name=sheet)
        elif lower.endswith((".csv", ".txt", ".tsv")):
            text = decode_text(data)
            sep = "\t" if lower.endswith(".tsv") else _sniff_separator(text)
            check_text_table_size(text, sep)
            frame = pd.read_csv(io.StringIO(text), sep=sep, skipinitialspace=True)
        else:
            raise FileFormatError("Upload a .csv or .xlsx file.")
    except (FileFormatError, LimitError):
        raise
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError, KeyError) as error:
        raise FileFormatError(f"The file could not be read as a table: {str(error).splitlines()[0][:200]}") from None
    except Exception:
        raise FileFormatError("The file could not be read as a table.") from None
    # A named column stays even when empty (e.g. the result column of planned experiments);
    # spreadsheet layout columns have no header and are dropped below.
    frame.columns = [str(c).strip() for c in frame.columns]
    unnamed = [c for c in frame.columns if c.startswith("Unnamed:")]
    frame = frame.drop(columns=unnamed)
    if frame.shape[1] == 0:
        raise FileFormatError("The file has no columns.")
    # A fully empty row in a spreadsheet is layout, not an experiment; it is skipped, and counted
    # in attrs["empty_rows_skipped"] so the page can say so.
    kept = frame.dropna(axis=0, how="all").reset_index(drop=True)
    kept.attrs["empty_rows_skipped"] = len(frame) - len(kept)
    return kept


# A spreadsheet takes a cell that starts with one of these as a formula (=HYPERLINK(...), =cmd|...).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise_formula(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, prefixed with a single quote (OWASP); anything else as is.

    Numbers stay numbers, and so does text that is a plain number ("-5", "+1e3"): a spreadsheet
    reads it as that number, never as a formula.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore_formula(value: str) -> str:
    """The text neutralise_formula was given: a leading quote before a formula prefix is removed."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES) else value


def table_to_csv(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV that read_table reads back exactly, except text cells a spreadsheet would run as a
    formula: those are written with a leading single quote (see neutralise_formula)."""
    import pandas as pd

    safe = frame.copy()
    for position, kind in enumerate(frame.dtypes):
        # Text lives in object columns (mixed cells) and, from pandas 3, in string columns.
        if kind == object or pd.api.types.is_string_dtype(kind):
            safe.isetitem(position, safe.iloc[:, position].map(neutralise_formula))
    safe.columns = [neutralise_formula(str(name)) for name in frame.columns]
    # repr-exact floats: float_format None lets pandas write the shortest round-tripping text.
    return safe.to_csv(index=False).encode("utf-8")
