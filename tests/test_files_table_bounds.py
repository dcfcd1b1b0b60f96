"""Work bounds of uploaded tables (issue 7): sheet size and CSV shape counted before parsing,
sheet picking, text encodings, and formula cells neutralised in CSV downloads. Real files in memory."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from alchemist import limits
from alchemist.errors import FileFormatError, LimitError, SessionFileError
from alchemist.files.bounds import check_reads_back
from alchemist.files.sheets import check_sheet_size, sheet_names
from alchemist.files.tables import decode_text, neutralise_formula, read_table, restore_formula, table_to_csv
from alchemist.files.variable_files import read_variables, variables_to_csv
from alchemist.variables import CategoricalVariable, DiscreteVariable


@pytest.fixture
def small_limits():
    before = limits.current()
    limits.configure(limits.Limits(max_table_cells=100, max_table_columns=10))
    yield limits.current()
    limits.configure(before)


def _workbook(**sheets: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


def test_sheet_names_are_listed_and_a_named_sheet_is_read():
    data = _workbook(Plan=pd.DataFrame({"T": [1.0]}), Runs=pd.DataFrame({"T": [400.0, 410.0], "Yield": [0.5, 0.6]}))
    assert sheet_names(data) == ["Plan", "Runs"]
    assert read_table(data, "book.xlsx").to_dict("list") == {"T": [1.0]}
    assert read_table(data, "book.xlsx", sheet="Runs").to_dict("list") == {"T": [400.0, 410.0], "Yield": [0.5, 0.6]}
    with pytest.raises(FileFormatError, match="no sheet named 'Missing'"):
        read_table(data, "book.xlsx", sheet="Missing")


def test_a_sheet_over_the_column_or_cell_limit_is_refused_naming_the_limit(small_limits):
    wide = _workbook(S=pd.DataFrame({f"c{i}": [1] for i in range(11)}))
    with pytest.raises(LimitError) as info:
        read_table(wide, "wide.xlsx")
    assert info.value.limit == "max_table_columns" and "column 11" in info.value.message
    tall = _workbook(S=pd.DataFrame({"a": range(30), "b": range(30), "c": range(30), "d": range(30)}))
    with pytest.raises(LimitError) as info:
        check_sheet_size(tall)
    assert info.value.limit == "max_table_cells" and "at least 26 rows x 4 columns" in info.value.message
    assert check_sheet_size(_workbook(S=pd.DataFrame({"a": range(9), "b": range(9)}))) == "S"


def test_a_csv_over_the_column_or_cell_limit_is_refused_before_parsing(small_limits):
    with pytest.raises(LimitError) as info:
        read_table(",".join(f"c{i}" for i in range(11)).encode() + b"\n", "wide.csv")
    assert info.value.limit == "max_table_columns" and "11 columns" in info.value.message
    with pytest.raises(LimitError) as info:
        read_table(b"a;b;c;d;e\n" + b"1;2;3;4;5\n" * 30, "tall.csv")
    assert info.value.limit == "max_table_cells"
    with pytest.raises(LimitError, match="A line of the table has 12 fields"):
        read_table(b"a\n" + b"1," * 11 + b"\n", "late.csv")
    # A quoted header with separators inside counts as the columns it is.
    assert read_table(b'"a,b",c\n1,2\n', "q.csv").columns.tolist() == ["a,b", "c"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252"])
def test_text_is_decoded_whatever_its_encoding(encoding):
    text = "Température;Yield\n400;0,5\n"
    assert decode_text(text.encode(encoding)) == text


def test_formula_cells_are_neutralised_and_numbers_are_not():
    for text in ["=1+1", "+A1", "-2-3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"]:
        assert neutralise_formula(text) == "'" + text and restore_formula("'" + text) == text
    for value in ["-5", "+1e3", "-0.25", "plain", "'quoted", -1.5, 3, None]:
        assert neutralise_formula(value) == value
    frame = pd.DataFrame({"Note": ["=cmd|' /C calc'!A0", "ok"], "Yield": [-1.5, 2.0], "=Name": ["-", "x"]})
    back = read_table(table_to_csv(frame), "back.csv")
    assert back.columns.tolist() == ["Note", "Yield", "'=Name"]
    assert back["Note"].tolist() == ["'=cmd|' /C calc'!A0", "ok"] and back["Yield"].tolist() == [-1.5, 2.0]


def test_variable_csv_with_formula_like_cells_still_round_trips():
    variables = [CategoricalVariable("Solvent", levels=("=1+1", "-DMF")), DiscreteVariable("Dose", values=(-2.0, 1.0))]
    data = variables_to_csv(variables)
    assert b"'=1+1" in data and b"'-2.0|1.0" in data
    assert read_variables(data, "variables.csv") == variables


def test_a_variables_json_with_a_number_beyond_float_range_is_refused_in_words():
    for number in ("9" * 400, "9" * 309, "1e400"):
        with pytest.raises(FileFormatError, match="not valid JSON"):
            read_variables(b'[{"name": "T", "type": "Real", "min": 0, "max": %s}]' % number.encode(), "v.json")


def test_the_writer_refuses_what_its_reader_refuses():
    def reader(data: bytes) -> None:
        raise SessionFileError("a bound the writer forgot")

    assert check_reads_back(b"ok", lambda data: None, ".pkl") == b"ok"
    with pytest.raises(SessionFileError, match="not saved as .pkl: the file would not load again \\(a bound the writer forgot\\)"):
        check_reads_back(b"x", reader, ".pkl")
