"""Everything read from a user: tables, variable lists, and session files (the restricted decoder).

The hostile session files are real pickles that run a command when `pickle.loads` reads them.
Each test checks that our decoder refuses the file with SessionFileError AND that the file the
payload would create does not exist; a control then shows that the same bytes given to
`pickle.loads` do create it, so the test cannot pass because the payload was inert.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import pickle
import random
import struct
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path

import dill
import numpy as np
import pandas as pd
import pytest

from alchemist.errors import FileFormatError, SessionFileError
from alchemist.examples import catalyst_example
from alchemist.persistence import envelope_for
from alchemist.plain import utc_now
from alchemist.userfiles import (
    MAX_DEPTH,
    MAX_SESSION_FILE_BYTES,
    MAX_TABLE_FILE_BYTES,
    MAX_VARIABLES_FILE_BYTES,
    SESSION_FORMAT,
    SESSION_FORMAT_VERSION,
    _RefuseGlobals,
    decode_session_file,
    encode_session_file,
    read_table,
    read_variables,
    session_file_payload,
    table_to_csv,
    variables_to_csv,
    variables_to_json,
)
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable



# pickletools warns about escapes in the random bytes it is given; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")


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


# =================================================================================================
# Session files: the restricted decoder
# =================================================================================================
@pytest.fixture(scope="module")
def valid_file() -> bytes:
    return encode_session_file(envelope_for(catalyst_example(), utc_now(), timedelta(days=1)))


def test_valid_file_decodes(valid_file):
    envelope = decode_session_file(valid_file)
    assert envelope["format"] == SESSION_FORMAT and envelope["format_version"] == SESSION_FORMAT_VERSION
    assert envelope["session"]["name"] == "Catalyst screening (example)"


def test_encoder_writes_no_global_or_object_opcodes(valid_file):
    import pickletools

    names = {opcode.name for opcode, _, _ in pickletools.genops(session_file_payload(valid_file))}
    assert not names & {"GLOBAL", "STACK_GLOBAL", "INST", "OBJ", "REDUCE", "BUILD", "NEWOBJ", "NEWOBJ_EX"}


# -- hostile pickles ---------------------------------------------------------------------------------
def _payloads(marker: Path) -> dict[str, tuple[bytes, callable]]:
    """name -> (bytes, control): control(bytes) is what an unsafe loader does with them."""
    cmd = f"touch '{marker}'".encode()
    code = f"open({str(marker)!r}, 'w').close()".encode()

    def binunicode(text: bytes) -> bytes:
        return b"X" + struct.pack("<I", len(text)) + text

    class System:
        def __reduce__(self):
            return (os.system, (cmd.decode(),))

    class Subprocess:
        def __reduce__(self):
            return (subprocess.call, (["touch", str(marker)],))

    class Exec:
        def __reduce__(self):
            return (builtins.exec, (code.decode(),))

    # A valid-looking envelope from a real session, with the payload deep inside the experiment table.
    envelope = envelope_for(catalyst_example(), utc_now(), timedelta(days=1))
    envelope["session"]["experiments"]["table"]["columns"][2]["data"] = {"dtype": "f8", "shape": [1], "data": System()}

    # A function defined outside any importable module, so dill pickles its code by value.
    namespace: dict = {}
    exec(f"import os\ndef hook():\n    return os.system({cmd.decode()!r})\n", namespace)
    hidden_function = namespace["hook"]

    load = pickle.loads
    return {
        "GLOBAL+REDUCE os.system": (b"\x80\x02cos\nsystem\n" + binunicode(cmd) + b"\x85R.", load),
        "STACK_GLOBAL+REDUCE os.system": (
            b"\x80\x04" + binunicode(b"os") + binunicode(b"system") + b"\x93" + binunicode(cmd) + b"\x85R.", load,
        ),
        "INST os.system": (b"\x80\x02(" + binunicode(cmd) + b"ios\nsystem\n.", load),
        "OBJ os.system": (b"\x80\x02(cos\nsystem\n" + binunicode(cmd) + b"o.", load),
        "protocol 0 GLOBAL os.system": (b"cos\nsystem\n(V" + cmd + b"\ntR.", load),
        "subprocess.call (protocol 2, GLOBAL)": (pickle.dumps(Subprocess(), protocol=2), load),
        "subprocess.call (protocol 5, STACK_GLOBAL)": (pickle.dumps(Subprocess(), protocol=5), load),
        "builtins.exec (GLOBAL)": (pickle.dumps(Exec(), protocol=2), load),
        "builtins.exec (dill, STACK_GLOBAL)": (dill.dumps(Exec(), protocol=5), load),
        "payload nested in a valid envelope": (dill.dumps(envelope, protocol=5), load),
        "dill-pickled function in an envelope": (
            dill.dumps({"format": SESSION_FORMAT, "format_version": 1, "session": {"hook": hidden_function}}, recurse=True),
            lambda data: dill.loads(data)["session"]["hook"](),
        ),
        "dill-pickled function": (dill.dumps(hidden_function, recurse=True), lambda data: dill.loads(data)()),
    }


PAYLOAD_NAMES = [
    "GLOBAL+REDUCE os.system",
    "STACK_GLOBAL+REDUCE os.system",
    "INST os.system",
    "OBJ os.system",
    "protocol 0 GLOBAL os.system",
    "subprocess.call (protocol 2, GLOBAL)",
    "subprocess.call (protocol 5, STACK_GLOBAL)",
    "builtins.exec (GLOBAL)",
    "builtins.exec (dill, STACK_GLOBAL)",
    "payload nested in a valid envelope",
    "dill-pickled function in an envelope",
    "dill-pickled function",
]


def test_payload_list_is_complete(tmp_path):
    assert list(_payloads(tmp_path / "m")) == PAYLOAD_NAMES


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_hostile_pickle_is_refused_and_runs_nothing(tmp_path, name):
    marker = tmp_path / "pwned"
    data, control = _payloads(marker)[name]

    with pytest.raises(SessionFileError):
        decode_session_file(data)
    assert not marker.exists(), "the payload ran"

    # Defence in depth: the unpickler alone (without the opcode scan) refuses every global too.
    if data[:1] == b"\x80":
        with pytest.raises(SessionFileError):
            _RefuseGlobals(io.BytesIO(data)).load()
        assert not marker.exists(), "the payload ran in the restricted unpickler"

    # Control: an unsafe loader does run it, so the refusal above is what kept the marker away.
    control(data)
    assert marker.exists(), "the payload is inert; this test would prove nothing"


@pytest.mark.parametrize(
    "data, what",
    [
        (b"\x80\x04(X\x01\x00\x00\x00a\x94.", "MARK left open"),
        (b"\x80\x04P0\n.", "PERSID"),
        (b"\x80\x04N\x94Q.", "BINPERSID"),
        (b"\x80\x04\x82\x01.", "EXT1"),
        (b"\x80\x04\x8f.", "EMPTY_SET"),
        (b"\x80\x05\x96\x03\x00\x00\x00\x00\x00\x00\x00abc.", "BYTEARRAY8"),
        (b"\x80\x05\x97.", "NEXT_BUFFER"),
        (b"\x80\x04}\x94N\x94b.", "BUILD"),
        (b"\x80\x04]\x94)\x81.", "NEWOBJ"),
    ],
)
def test_opcodes_a_session_never_has_are_refused(data, what):
    with pytest.raises(SessionFileError):
        decode_session_file(data)


# -- damaged and hostile-shaped files ----------------------------------------------------------------
def test_empty_file():
    with pytest.raises(SessionFileError, match="empty"):
        decode_session_file(b"")


def test_not_bytes():
    with pytest.raises(SessionFileError):
        decode_session_file("a string")  # type: ignore[arg-type]


def test_truncated_at_every_offset(valid_file):
    for end in range(len(valid_file)):
        with pytest.raises(SessionFileError):
            decode_session_file(valid_file[:end])


def test_random_files():
    rng = random.Random(7)
    for i in range(500):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400)))
        data = (b"\x80" + bytes([rng.randrange(6)]) + body) if i % 2 else body
        with pytest.raises(SessionFileError):
            decode_session_file(data)


def test_corrupted_bytes_of_a_valid_file_give_our_error_or_a_valid_envelope(valid_file):
    rng = random.Random(3)
    refused = 0
    for _ in range(400):
        data = bytearray(valid_file)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            envelope = decode_session_file(bytes(data))
        except SessionFileError:
            refused += 1
            continue
        assert isinstance(envelope, dict) and isinstance(envelope["session"], dict)
    assert refused > 100


def test_oversize_file_is_refused_before_parsing():
    data = b"\x80\x05" + b"N" * MAX_SESSION_FILE_BYTES
    with pytest.raises(SessionFileError, match="session files can be at most"):
        decode_session_file(data)
    with pytest.raises(SessionFileError, match="at most"):
        decode_session_file(b"\x80\x05N.", max_bytes=3)


def _envelope_around(inner_pickle_ops: bytes) -> bytes:
    """A protocol-4 pickle of {'format':..., 'format_version': 1, 'session': {'x': <inner>}}."""

    def su(text: str) -> bytes:
        raw = text.encode()
        return b"\x8c" + bytes([len(raw)]) + raw

    return (
        b"\x80\x04}(" + su("format") + su(SESSION_FORMAT) + su("format_version") + b"K\x01"
        + su("session") + b"}(" + su("x") + inner_pickle_ops + b"u" + b"u."
    )


def test_hand_built_envelope_helper_is_valid():
    envelope = decode_session_file(_envelope_around(b"K\x05"))
    assert envelope["session"] == {"x": 5}


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 100_000])
def test_deep_nesting(depth):
    # MARK ... EMPTY_LIST, then LIST closes each mark: lists nested `depth` deep.
    with pytest.raises(SessionFileError, match="nested deeper"):
        decode_session_file(_envelope_around(b"(" * depth + b"]" + b"l" * depth))


def test_self_referencing_list():
    # a = []; a.append(a): endless depth through one shared object.
    with pytest.raises(SessionFileError, match="nested deeper"):
        decode_session_file(_envelope_around(b"]\x94h\x00a"))


def test_shared_references_cannot_describe_a_huge_tree():
    # 1000 ints, referenced 1000 times, referenced 10 times: 10 million items from a 5 kB file.
    inner = list(range(1000))
    data = pickle.dumps({"format": SESSION_FORMAT, "format_version": 1, "session": {"x": [[inner] * 1000] * 10}}, protocol=5)
    assert len(data) < 10_000
    with pytest.raises(SessionFileError, match="more items"):
        decode_session_file(data)


@pytest.mark.parametrize(
    "bomb",
    [
        b"\x80\x04N" + b"r" + struct.pack("<I", 0xFFFFFFF0) + b".",  # LONG_BINPUT
        b"\x80\x04" + b"j" + struct.pack("<I", 0xFFFFFFF0) + b".",  # LONG_BINGET
        b"\x80\x04Np4000000000\n.",  # PUT
        b"\x80\x04N\x94" * 3 + b"g4000000000\n.",  # GET
        b"\x80\x04N\x94" + b"r" + struct.pack("<I", 2_000_000) + b"0]q\x00.",  # BINPUT after a big LONG_BINPUT
    ],
)
def test_memo_bombs_allocate_nothing(bomb):
    # CPython's C unpickler sizes its memo table from the largest index a file names:
    # an 11-byte file commits gigabytes. Our decoder must refuse it without allocating.
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(SessionFileError):
            decode_session_file(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, f"decoding an {len(bomb)}-byte file allocated {peak / 1e6:.0f} MB"


@pytest.mark.parametrize(
    "inner, fragment",
    [
        (b")", "kind a session never has (tuple)"),
        (b"}K\x01K\x02s", "key that is not text"),
        (b"\x8a\xff" + b"\x01" * 255, "too large"),
        (b"I" + b"9" * 5000 + b"\n", ""),
    ],
)
def test_values_a_session_never_holds(inner, fragment):
    with pytest.raises(SessionFileError) as info:
        decode_session_file(_envelope_around(inner))
    assert fragment in info.value.message


@pytest.mark.parametrize(
    "envelope, fragment",
    [
        ([1, 2], "no session inside"),
        ({"format": "something-else", "format_version": 1, "session": {}}, "no session inside"),
        ({"format": SESSION_FORMAT, "session": {}}, "which format version"),
        ({"format": SESSION_FORMAT, "format_version": True, "session": {}}, "which format version"),
        ({"format": SESSION_FORMAT, "format_version": "1", "session": {}}, "which format version"),
        ({"format": SESSION_FORMAT, "format_version": 9, "session": {}}, "Update ALchemist"),
        ({"format": SESSION_FORMAT, "format_version": 0, "session": {}}, "unknown format version"),
        ({"format": SESSION_FORMAT, "format_version": 1, "session": [1]}, "holds no session"),
        ({"format": SESSION_FORMAT, "format_version": 1}, "holds no session"),
    ],
)
def test_envelope_checks(envelope, fragment):
    with pytest.raises(SessionFileError) as info:
        decode_session_file(pickle.dumps(envelope, protocol=5))
    assert fragment in info.value.message


def test_protocol_2_bytes_need_a_global_and_are_refused():
    # Why the encoder uses protocol 5: protocol 2 writes bytes via _codecs.encode (a global).
    data = dill.dumps({"format": SESSION_FORMAT, "format_version": 1, "session": {"b": b"\x00"}}, protocol=2)
    with pytest.raises(SessionFileError):
        decode_session_file(data)


def test_encoder_refuses_non_plain_state():
    for bad in ({"a": np.float64(1.0)}, {"a": (1, 2)}, {1: "x"}, {"a": pd.DataFrame()}):
        with pytest.raises(SessionFileError):
            encode_session_file(bad)


def test_read_table_counts_the_empty_rows_it_skips() -> None:
    frame = read_table(b"a,b\n1,2\n,\n\n3,4\n,\n", "runs.csv")
    assert frame["a"].tolist() == [1, 3]
    # pandas itself drops blank lines; rows of empty cells are skipped here and counted.
    assert frame.attrs["empty_rows_skipped"] == 2
