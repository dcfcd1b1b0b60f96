"""Uploaded tables of experiments (CSV, TSV, Excel): size-checked, parsed, every cell as given.

Cells are not checked here: the experiment table (alchemist.experiments) checks each row
against the variables and keeps what does not fit, marked.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from alchemist.errors import FileFormatError

if TYPE_CHECKING:  # pandas is imported when a table is read
    import pandas as pd

MAX_TABLE_FILE_BYTES = 20 * 1024 * 1024


def check_upload_size(data: bytes, limit: int, what: str) -> None:
    """FileFormatError if an uploaded table or list is empty or over `limit` bytes."""
    if len(data) == 0:
        raise FileFormatError(f"The {what} is empty.")
    if len(data) > limit:
        raise FileFormatError(f"The {what} is {len(data) / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB.")


def decode_text(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without a byte-order mark), else Windows-1252."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("The file is not text (it is not UTF-8 or Windows-1252).")


def _sniff_separator(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """Read an uploaded CSV or Excel table; every cell as given (numbers as numbers, the rest as text)."""
    import pandas as pd

    check_upload_size(data, MAX_TABLE_FILE_BYTES, "file")
    lower = filename.lower()
    try:
        if lower.endswith((".xlsx", ".xlsm")):
            if not data.startswith(b"PK"):
                raise FileFormatError("The file is named .xlsx but is not an Excel workbook.")
            frame = pd.read_excel(io.BytesIO(data), engine="openpyxl")
        elif lower.endswith((".csv", ".txt", ".tsv")):
            text = decode_text(data)
            sep = "\t" if lower.endswith(".tsv") else _sniff_separator(text)
            frame = pd.read_csv(io.StringIO(text), sep=sep, skipinitialspace=True)
        else:
            raise FileFormatError("Upload a .csv or .xlsx file.")
    except FileFormatError:
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


def table_to_csv(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV that read_table reads back exactly."""
    # repr-exact floats: float_format None lets pandas write the shortest round-tripping text.
    return frame.to_csv(index=False).encode("utf-8")
