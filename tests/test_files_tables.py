"""Tables and variable lists read from a user: CSV, TSV and Excel experiments; variables as JSON or CSV.

Every failure is a FileFormatError with a message the user can act on; nothing else escapes.
"""

from __future__ import annotations

import io
import json
import random
import zipfile

import pandas as pd
import pytest

from alchemist.errors import FileFormatError
from alchemist.files.tables import MAX_TABLE_FILE_BYTES, read_table, table_to_csv
from alchemist.files.variable_files import MAX_VARIABLES_FILE_BYTES, read_variables, variables_to_csv, variables_to_json
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable


# =================================================================================================
# Tables
# =================================================================================================
def test_read_csv_keeps_numbers_and_text(catalyst_dir):
    path = catalyst_dir / "ALL_catalyst_experiments_ICP_SAR.csv"
    frame = read_table(path.read_bytes(), path.name)
    assert list(frame.columns) == ["Temperature", "SAR", "Metal Loading", "Zinc Fraction", "Output", "Iteration", "Reason"]
    assert len(frame) == 26
    assert frame["Temperature"].tolist()[0] == 369.4200075
    assert frame["Reason"].tolist()[0] == "Initial Design"


def test_read_semicolon_csv():
    data = "Temperature;Catalyst;Yield\n400;Low SAR;0.25\n410.5;High SAR;0.5\n".encode()
    frame = read_table(data, "runs.csv")
    assert list(frame.columns) == ["Temperature", "Catalyst", "Yield"]
    assert frame["Temperature"].tolist() == [400.0, 410.5]
    assert frame["Catalyst"].tolist() == ["Low SAR", "High SAR"]


def test_semicolon_csv_with_decimal_commas_is_kept_as_text_not_misread():
    frame = read_table("Temperature;Yield\n400;0,25\n410;0,5\n".encode(), "eu.csv")
    assert frame["Yield"].tolist() == ["0,25", "0,5"]  # reported later as 'not a number', never 25 or 0


def test_read_tab_separated_and_bom_and_windows_text():
    frame = read_table(b"T\tYield\n1\t2\n", "runs.tsv")
    assert frame.to_dict("list") == {"T": [1], "Yield": [2]}
    frame = read_table("\ufeffTemperature [°C],Yield\n400,1\n".encode("utf-8"), "excel-utf8.csv")
    assert list(frame.columns) == ["Temperature [°C]", "Yield"]
    frame = read_table("Temperature [°C],Note\n400,très bien\n".encode("cp1252"), "windows.csv")
    assert list(frame.columns) == ["Temperature [°C]", "Note"] and frame["Note"].tolist() == ["très bien"]


def test_blank_rows_and_index_columns_are_layout_not_data():
    data = b",T,Yield\n0,1,2\n,,\n2,3,4\n"
    frame = read_table(data, "with-index.csv")
    assert list(frame.columns) == ["T", "Yield"]
    assert frame.to_dict("list") == {"T": [1.0, 3.0], "Yield": [2.0, 4.0]}


def test_an_empty_result_column_is_kept_for_pending_experiments():
    # A plan of experiments to run has a result column with nothing in it yet.
    frame = read_table(b"Temperature,Output\n400,\n410,\n", "plan.csv")
    assert list(frame.columns) == ["Temperature", "Output"]
    assert len(frame) == 2 and frame["Output"].isna().all()


def test_read_xlsx(tmp_path):
    source = pd.DataFrame(
        {
            "Temperature": [400.0, 410.5, "warm"],
            "Catalyst": ["Low SAR", "High SAR", "Low SAR"],
            "Output": [0.123456789012345, None, 0.3],
            "Iteration": [0, 1, 1],
            "Reason": ["Initial Design", "EI", None],
        }
    )
    path = tmp_path / "runs.xlsx"
    source.to_excel(path, index=False, engine="openpyxl")
    frame = read_table(path.read_bytes(), "Runs.XLSX")
    assert list(frame.columns) == list(source.columns)
    assert frame["Temperature"].tolist() == [400, 410.5, "warm"]
    assert frame["Output"].tolist()[0] == 0.123456789012345
    assert pd.isna(frame["Output"].tolist()[1])
    assert frame["Reason"].tolist()[:2] == ["Initial Design", "EI"]


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_excel(buffer, index=False, engine="openpyxl")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, name, fragment",
    [
        (b"", "runs.csv", "empty"),
        (b"", "runs.xlsx", "empty"),
        (b"\n\n\n", "runs.csv", "could not be read"),
        (b"a,b\n1,2\n", "runs.pdf", "Upload a .csv or .xlsx"),
        (b"a,b\n1,2\n", "runs", "Upload a .csv or .xlsx"),
        (b"Temperature,Yield\n400,1\n", "runs.xlsx", "not an Excel workbook"),
        (_zip_bytes({"hello.txt": b"not a workbook"}), "runs.xlsx", "could not be read"),
        (_xlsx_bytes()[:400], "truncated.xlsx", "could not be read"),
        (b"\x89PNG\r\n\x1a\n\x81\x8d\x8f\x90\x9d" * 20, "image.csv", "not text"),
        (b'a,b\n"1,2\n', "unclosed-quote.csv", "could not be read"),
    ],
)
def test_bad_tables_give_file_format_error(data, name, fragment):
    with pytest.raises(FileFormatError) as info:
        read_table(data, name)
    assert fragment in info.value.message


def test_oversize_table_is_refused_before_parsing():
    data = b"a\n" + b"1\n" * (MAX_TABLE_FILE_BYTES // 2)
    with pytest.raises(FileFormatError, match="MB; the limit is"):
        read_table(data, "big.csv")


def test_random_bytes_as_table_never_raise_anything_else():
    rng = random.Random(1)
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        for name in ("x.csv", "x.xlsx"):
            try:
                read_table(data, name)
            except FileFormatError:
                pass


def test_table_to_csv_round_trip_is_exact():
    frame = pd.DataFrame({"T": [0.1 + 0.2, 1 / 3, 1e-300], "Catalyst": ["a,b", 'say "hi"', "é"]})
    again = read_table(table_to_csv(frame), "export.csv")
    assert again["T"].tolist() == frame["T"].tolist()
    assert again["Catalyst"].tolist() == frame["Catalyst"].tolist()


# =================================================================================================
# Variable lists
# =================================================================================================
def test_read_alchemist_search_space(catalyst_dir):
    path = catalyst_dir / "catalyst_search_space.json"
    variables = read_variables(path.read_bytes(), path.name)
    assert variables == [
        ContinuousVariable("Temperature", low=350, high=450),
        CategoricalVariable("Catalyst", levels=("High SAR", "Low SAR")),
        ContinuousVariable("Metal Loading", low=0, high=5),
        ContinuousVariable("Zinc Fraction", low=0, high=1),
    ]


def test_read_alchemist_search_space_with_discrete(catalyst_dir):
    path = catalyst_dir / "catalyst_search_space_discrete.json"
    variables = read_variables(path.read_bytes(), path.name)
    assert variables[1] == DiscreteVariable("SAR", values=(80, 280))


def test_read_alchemist_session_json_wrapping_the_list():
    wrapped = {"metadata": {"name": "x"}, "variables": [{"name": "T", "type": "Integer", "min": 1, "max": 3}]}
    assert read_variables(json.dumps(wrapped).encode(), "session.json") == [IntegerVariable("T", low=1, high=3)]


ALL_KINDS = [
    ContinuousVariable("Temperature", unit="°C", description="Set point; \"bed\" reads 5 K lower", low=350.5, high=1 / 3 + 450),
    IntegerVariable("Cycles", unit="count", description="Regeneration cycles,\nsecond line", low=-2, high=12),
    CategoricalVariable("Catalyst", unit="", description="Zeolite", levels=("Low SAR", "High SAR", "Cu/Zn, 3:1")),
    DiscreteVariable("SAR", unit="mol/mol", description="Si/Al", values=(80, 280, 0.1 + 0.2)),
]


def test_our_json_export_round_trip():
    data = variables_to_json(ALL_KINDS)
    assert read_variables(data, "variables.json") == ALL_KINDS
    types = [entry["type"] for entry in json.loads(data)]
    assert types == ["Real", "Integer", "Categorical", "Discrete"]  # ALchemist's names, so ALchemist reads it


def test_our_csv_export_round_trip():
    assert read_variables(variables_to_csv(ALL_KINDS), "variables.csv") == ALL_KINDS


def test_csv_export_round_trip_of_levels_with_the_separator():
    variables = [CategoricalVariable("Mix", levels=("A|B", "C", "[D]"))]
    assert read_variables(variables_to_csv(variables), "variables.csv") == variables


def test_read_hand_written_csv():
    data = b"name,type,min,max,values,unit,description\nT,Real,0,10,,K,\nC,Categorical,,,a|b,,\nD,Categorical,,,[lo]|[hi],,\n"
    assert read_variables(data, "v.csv") == [
        ContinuousVariable("T", unit="K", low=0, high=10),
        CategoricalVariable("C", levels=("a", "b")),
        CategoricalVariable("D", levels=("[lo]", "[hi]")),
    ]


@pytest.mark.parametrize(
    "data, name, fragment",
    [
        (b"", "v.json", "empty"),
        (b"{not json", "v.json", "not valid JSON"),
        (b'[{"name": "T", "type": "Real", "min": NaN, "max": 1}]', "v.json", "not valid JSON"),
        (b'[{"name": "T", "type": "Real", "min": 0, "max": Infinity}]', "v.json", "not valid JSON"),
        (b'{"name": "T"}', "v.json", "must hold a list"),
        (b"[]", "v.json", "lists no variables"),
        (b'["T"]', "v.json", "Variable 1 in the file"),
        (b'[{"name": "T", "type": "Spline"}]', "v.json", "unknown type 'spline'"),
        (b'[{"type": "Real", "min": 0, "max": 1}]', "v.json", "has no name"),
        (b'[{"name": "C", "type": "Categorical", "values": 5}]', "v.json", "must be a list"),
        (b'[{"name": "C", "type": "Categorical", "values": {"a": 1, "b": 2}}]', "v.json", "must be a list"),
        (b'[{"name": "S", "type": "Discrete", "allowed_values": 1.5}]', "v.json", "must be a list"),
        (b'[{"name": "T", "type": "Real", "min": 2, "max": 1}]', "v.json", "below its maximum"),
        (b'[{"name": "T", "type": "Real", "min": 0, "max": 1}, {"name": "t", "type": "Integer", "min": 0, "max": 1}]',
         "v.json", "already a variable"),
        (b"[" * 100_000 + b"]" * 100_000, "v.json", "not valid JSON"),
        (b"name,type,min,max\nT,Real,,1\n", "v.csv", "Variable 1 in the file"),
        (b"name,type\n", "v.csv", "lists no variables"),
        (b"[]", "v.txt", "Upload a .json or .csv"),
    ],
)
def test_bad_variable_files_give_file_format_error(data, name, fragment):
    with pytest.raises(FileFormatError) as info:
        read_variables(data, name)
    assert fragment in info.value.message


def test_oversize_variables_file_is_refused():
    with pytest.raises(FileFormatError, match="the limit is"):
        read_variables(b" " * (MAX_VARIABLES_FILE_BYTES + 1), "v.json")


def test_read_table_counts_the_empty_rows_it_skips() :
    frame = read_table(b"a,b\n1,2\n,\n\n3,4\n,\n", "runs.csv")
    assert frame["a"].tolist() == [1, 3]
    # pandas itself drops blank lines; rows of empty cells are skipped here and counted.
    assert frame.attrs["empty_rows_skipped"] == 2
