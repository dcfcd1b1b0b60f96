"""The outside of an .xlsx workbook: its sheet names and the size of a sheet, read before any cell is materialised.

An .xlsx is a zip of XML parts. pandas (through openpyxl) builds a full grid from the first to the
last cell a sheet names, so a 1.6 kB file with one cell at A1 and one at XFD1048576 asks for
17 billion cells. Here the sheet's XML is streamed and its cells counted, and the span (last row x
last column) and the cells present are checked against alchemist.limits before pandas sees it.

Standard library only: zipfile and the expat parser (which refuses entity-expansion bombs since
expat 2.4; external entities are never fetched by ElementTree).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from io import BytesIO
from xml.etree import ElementTree

from alchemist.files.bounds import MB
from alchemist import limits
from alchemist.errors import FileFormatError, LimitError

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d{1,7})")
# The unpacked XML of a workbook is about 30 bytes per cell present; this factor of the cell limit
# bounds what streaming may read before a count is known (a zip bomb of shared strings, say).
_XML_BYTES_PER_CELL = 64
_XML_BYTES_FIXED = 4 * 1024 * 1024  # styles, theme and the other parts every workbook has


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _open(data: bytes) -> zipfile.ZipFile:
    try:
        book = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileFormatError("The file could not be read as a table: it is not a complete Excel workbook.") from None
    budget = limits.current().max_table_cells * _XML_BYTES_PER_CELL + _XML_BYTES_FIXED
    unpacked = sum(info.file_size for info in book.infolist())
    if unpacked > budget:
        raise LimitError(
            f"The workbook unpacks to {unpacked / MB:,.0f} MB, more than the {budget / MB:,.0f} MB its cell limit "
            f"(max_table_cells = {limits.current().max_table_cells:,}) allows. Save the sheet you need as CSV, or split it.",
            "max_table_cells",
        )
    return book


def _parse(book: zipfile.ZipFile, name: str) -> ElementTree.Element:
    try:
        with book.open(name) as part:
            return ElementTree.parse(part).getroot()
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError):
        raise FileFormatError(f"The workbook is damaged: its part {name[:80]} could not be read.") from None


def _sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name: path of its XML part in the zip}, in the workbook's order."""
    workbook = _parse(book, "xl/workbook.xml")
    targets: dict[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in book.namelist():
        for relation in _parse(book, "xl/_rels/workbook.xml.rels").iter(f"{_PKG_REL}Relationship"):
            target = relation.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets[relation.get("Id", "")] = path
    parts: dict[str, str] = {}
    for position, sheet in enumerate(workbook.iter(f"{_MAIN}sheet"), start=1):
        parts[sheet.get("name", f"Sheet{position}")] = targets.get(sheet.get(f"{_REL}id", ""), f"xl/worksheets/sheet{position}.xml")
    if not parts:
        raise FileFormatError("The workbook has no sheets.")
    return parts


def sheet_names(data: bytes) -> list[str]:
    """The names of an .xlsx workbook's sheets, in order (for a sheet picker); nothing of the cells is read."""
    with _open(data) as book:
        return list(_sheet_parts(book))


def check_sheet_size(data: bytes, sheet: str | None = None) -> str:
    """The name of the sheet to read (the first if `sheet` is None), once its size is within the limits.

    Streams the sheet's XML counting cells; raises LimitError (naming max_table_columns or
    max_table_cells) as soon as the span or the count exceeds a limit, before pandas reads anything.
    """
    bounds = limits.current()
    with _open(data) as book:
        parts = _sheet_parts(book)
        if sheet is None:
            sheet = next(iter(parts))
        if sheet not in parts:
            raise FileFormatError(f"The workbook has no sheet named {sheet[:60]!r}.")
        last_row = last_column = present = 0
        row = column = 0
        try:
            with book.open(parts[sheet]) as part:
                parser = ElementTree.iterparse(part, events=("start", "end"))
                rows_parent = None
                for event, element in parser:
                    tag = element.tag
                    if event == "start":
                        if tag == f"{_MAIN}sheetData":
                            rows_parent = element
                        elif tag == f"{_MAIN}row":
                            number = element.get("r")
                            row = int(number) if number and number.isdigit() else row + 1
                            column = 0
                        elif tag == f"{_MAIN}c":
                            match = _CELL_REF.fullmatch(element.get("r") or "")
                            column = _column_number(match.group(1)) if match else column + 1
                            if match:
                                row = max(row, int(match.group(2)))
                            present += 1
                            last_row, last_column = max(last_row, row), max(last_column, column)
                            _check(last_row, last_column, present, bounds)
                    elif tag == f"{_MAIN}row" and rows_parent is not None:
                        rows_parent.remove(element)  # a streamed row is counted; keeping it would hold the sheet
        except FileNotFoundError:
            raise FileFormatError("The workbook is damaged: a sheet it lists is missing.") from None
        except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError):
            raise FileFormatError(f"The workbook is damaged: the sheet {sheet[:60]!r} could not be read.") from None
    return sheet


def _check(last_row: int, last_column: int, present: int, bounds: limits.Limits) -> None:
    if last_column > bounds.max_table_columns:
        raise LimitError(
            f"The sheet reaches column {last_column:,}; at most {bounds.max_table_columns:,} columns can be read "
            "(limit max_table_columns). Delete the cells far to the right (or save only the table as CSV) and upload again.",
            "max_table_columns",
        )
    # pandas fills the grid from A1 to the last cell: the span is the work, not the cells present.
    if last_row * last_column > bounds.max_table_cells or present > bounds.max_table_cells:
        raise LimitError(
            f"The sheet spans at least {last_row:,} rows x {last_column:,} columns; at most {bounds.max_table_cells:,} cells can "
            "be read (limit max_table_cells). Delete cells far below or to the right of the table, or split it, and upload again.",
            "max_table_cells",
        )
