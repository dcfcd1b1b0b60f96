"""Hostile files at every file entry point (issue 7): each is refused or handled within bounded work.

Each case runs in a child Python with RLIMIT_AS = 1.5 GB and RLIMIT_CPU = 30 s (tests.adversarial.child);
the test asserts the child's answer (the refusal, or the correct reading) and that the child finished
inside those limits, from its kernel-measured resource usage.
The hostile files are generated in tmp_path; run with -s to see the measured figures.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.adversarial.child import run_in_child

READ_TABLE = """
import json, sys
from alchemist.errors import FileFormatError, LimitError
from alchemist.files.tables import read_table
path = sys.argv[1]
try:
    frame = read_table(open(path, "rb").read(), path)
    print(json.dumps({"shape": list(frame.shape), "columns": list(map(str, frame.columns))[:5], "first": [v.item() if hasattr(v, "item") else v for v in frame.iloc[0]]}, default=str))
except LimitError as error:
    print(json.dumps({"limit": error.limit, "message": error.message}))
"""


def _xlsx(path: Path, cells: dict[str, object]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    for reference, value in cells.items():
        book.active[reference] = value
    book.save(path)
    return path


def test_an_xlsx_with_cells_at_a1_and_xfd1048576_is_refused_before_it_is_read(tmp_path):
    path = _xlsx(tmp_path / "corners.xlsx", {"A1": "Temperature", "XFD1048576": 1})
    assert path.stat().st_size < 10_000
    answer = run_in_child("xlsx_corners", READ_TABLE, str(path))
    assert answer["limit"] == "max_table_columns" and "16,384" in answer["message"]


def test_an_xlsx_spanning_a_million_rows_is_refused_before_it_is_read(tmp_path):
    path = _xlsx(tmp_path / "tall.xlsx", {"A1": "Temperature", "B1": "Yield", "K1048576": 1})
    answer = run_in_child("xlsx_tall", READ_TABLE, str(path))
    assert answer["limit"] == "max_table_cells" and "1,048,576 rows" in answer["message"]


def test_an_xlsx_of_wide_rows_is_refused_before_it_is_read(tmp_path):
    # A small file whose rows each reach column 1,000: the grid pandas would fill is 6 million cells.
    cells: dict[str, object] = {"A1": "Temperature"}
    cells.update({f"ALL{row}": row for row in range(1, 6_001)})
    path = _xlsx(tmp_path / "wide.xlsx", cells)
    answer = run_in_child("xlsx_wide_rows", READ_TABLE, str(path))
    assert answer["limit"] == "max_table_cells"


def test_a_sheet_within_the_limits_is_still_read(tmp_path):
    path = _xlsx(tmp_path / "ok.xlsx", {"A1": "Temperature", "B1": "Yield", "A2": 400, "B2": 0.5, "A3": 410, "B3": 0.6})
    answer = run_in_child("xlsx_ok", READ_TABLE, str(path))
    assert answer["shape"] == [2, 2] and answer["columns"] == ["Temperature", "Yield"]


def test_a_million_column_csv_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(b",".join(b"c%d" % i for i in range(1_000_000)) + b"\n")
    assert path.stat().st_size > 5_000_000
    answer = run_in_child("csv_million_columns", READ_TABLE, str(path))
    assert answer["limit"] == "max_table_columns" and "1,000,000" in answer["message"]


def test_a_csv_line_wider_than_its_header_is_refused_before_it_is_parsed(tmp_path):
    # pandas turns the extra fields of a first data row into an index, in quadratic time (>120 s here).
    path = tmp_path / "late_wide.csv"
    path.write_bytes(b"Temperature\n" + b"1," * 1_000_000 + b"\n")
    answer = run_in_child("csv_wide_second_line", READ_TABLE, str(path))
    assert answer["limit"] == "max_table_columns" and "1,000,001 fields" in answer["message"]


def test_a_utf16_csv_is_read_as_text_not_misread(tmp_path):
    text = "Temperature\tSolvent\tYield\r\n400\tMéCN\t0.5\r\n410\tDMF\t0.75\r\n"
    for encoding, name in (("utf-16", "bom.csv"), ("utf-16-le", "le.csv"), ("utf-16-be", "be.csv")):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        answer = run_in_child(f"csv_{encoding}", READ_TABLE, str(path))
        assert answer["shape"] == [2, 3] and answer["columns"] == ["Temperature", "Solvent", "Yield"]
        assert answer["first"] == [400, "MéCN", 0.5]


NREL = """
import json, sys
from alchemist.files.nrel import import_alchemist_session
session, notes = import_alchemist_session(open(sys.argv[1], "rb").read())
frame = session.experiments.frame
print(json.dumps({"rows": len(frame), "columns": list(map(str, frame.columns)), "notes": [vars(n) for n in notes]}))
"""


def test_an_nrel_session_with_a_stray_key_in_every_record_imports_within_bounds(tmp_path):
    records = [{"Temperature": 300 + i % 200, "Output": i / 100, "Iteration": 0, f"stray_{i}": 1} for i in range(20_000)]
    tree = {
        "version": "1.1.0",
        "search_space": {"variables": [{"name": "Temperature", "type": "Real", "min": 300, "max": 500}]},
        "experiments": {"data": records, "target_columns": ["Output"]},
    }
    path = tmp_path / "stray.json"
    path.write_text(json.dumps(tree))
    answer = run_in_child("nrel_stray_keys", NREL, str(path))
    assert answer["rows"] == 20_000 and not any(c.startswith("stray_") for c in answer["columns"])
    (note,) = [n for n in answer["notes"] if n["kind"] == "experiment_columns"]
    assert "stray_0" in note["names"] and len(note["names"]) == 10 and note["count"] == 20_000


def test_an_nrel_session_over_the_item_limit_is_refused_before_a_frame_is_built(tmp_path):
    records = [{"Temperature": 400, "Output": 1.0, **{f"k{j}": j for j in range(60)}} for _ in range(2_000)]
    tree = {
        "version": "1.1.0",
        "search_space": {"variables": [{"name": "Temperature", "type": "Real", "min": 300, "max": 500}]},
        "experiments": {"data": records},
    }
    path = tmp_path / "items.json"
    path.write_text(json.dumps(tree))
    code = """
    import json, os, sys
    os.environ["ALCHEMIST_LIMIT_MAX_FILE_ITEMS"] = "100000"
    from alchemist import limits
    limits.configure(limits.Limits.from_settings())
    from alchemist.errors import LimitError
    from alchemist.files.nrel import import_alchemist_session
    try:
        import_alchemist_session(open(sys.argv[1], "rb").read())
        print(json.dumps({}))
    except LimitError as error:
        print(json.dumps({"limit": error.limit, "message": error.message}))
    """
    answer = run_in_child("nrel_item_limit", code, str(path))
    assert answer["limit"] == "max_file_items" and "124,000" in answer["message"]


def test_foreign_files_at_once_start_at_most_max_children(tmp_path):
    # Four 'Load anyway' of a small lzma file that unpacks to 300,000 lists: two are held in
    # progress (their places taken), the next two are refused at once; then two real decodes run
    # side by side, each in a child of memory_per_operation_bytes, and the whole stays in bounds.
    code = """
    import json, sys, threading
    from alchemist import limits
    from alchemist.errors import LimitError, SessionFileError
    from alchemist.files.child import child_slot, decode_session_file_in_child
    data = open(sys.argv[1], "rb").read()
    refused = []
    with child_slot(), child_slot():
        for _ in range(2):
            try:
                decode_session_file_in_child(data)
            except LimitError as error:
                refused.append(error.limit)
    outcomes = []
    def load():
        try:
            decode_session_file_in_child(data)
            outcomes.append("loaded")
        except LimitError as error:
            outcomes.append(error.limit)
        except SessionFileError as error:
            outcomes.append("refused: " + error.message)
    threads = [threading.Thread(target=load) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    import resource
    own = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"refused": refused, "outcomes": outcomes, "max_children": limits.current().max_children,
                      "parent_mb": own.ru_maxrss / 1024, "parent_cpu_s": own.ru_utime + own.ru_stime}))
    """
    path = tmp_path / "foreign.pkl"
    writer = """
    import sys
    from datetime import timedelta
    from alchemist.files.container import encode_session_file
    from alchemist.persistence import envelope_for
    from alchemist.plain import utc_now
    from tests.session_files_support import golden_session
    envelope = envelope_for(golden_session(train=False), utc_now(), timedelta(days=1))
    envelope["session"]["padding"] = [[0] for _ in range(300_000)]
    open(sys.argv[1], "wb").write(encode_session_file(envelope, compression="lzma"))
    print("{}")
    """
    run_in_child("write_foreign_pkl", writer, str(path))
    assert path.stat().st_size < 200_000
    answer = run_in_child("foreign_children", code, str(path))
    assert answer["max_children"] == 2 and answer["refused"] == ["max_children", "max_children"]
    print(f"  of which the app process itself: peak RSS {answer['parent_mb']:.0f} MB, CPU {answer['parent_cpu_s']:.2f} s")
    assert len(answer["outcomes"]) == 2 and all(o == "loaded" or o.startswith("refused") for o in answer["outcomes"])


def test_a_variables_json_with_a_400_digit_integer_is_refused_in_words(tmp_path):
    path = tmp_path / "variables.json"
    path.write_text('[{"name": "T", "type": "Real", "min": 0, "max": %s}]' % ("9" * 400))
    code = """
    import json, sys
    from alchemist.errors import FileFormatError
    from alchemist.files.variable_files import read_variables
    try:
        read_variables(open(sys.argv[1], "rb").read(), "variables.json")
        print(json.dumps({}))
    except FileFormatError as error:
        print(json.dumps({"message": error.message}))
    """
    answer = run_in_child("variables_400_digits", code, str(path))
    assert "more than 309 digits" in answer["message"]


def test_csv_downloads_neutralise_formula_cells(tmp_path):
    code = """
    import json
    import pandas as pd
    from alchemist.files.tables import table_to_csv
    from alchemist.files.variable_files import variables_to_csv
    from alchemist.variables import CategoricalVariable
    frame = pd.DataFrame({"Note": ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "@SUM(1)", "+1+1", "-2-3", "plain"],
                          "Yield": [-1.5, 2.0, -3e-5, 4.0, 5.0, 6.0]})
    lines = table_to_csv(frame).decode().splitlines()
    names = variables_to_csv([CategoricalVariable("Solvent", levels=("=1+1", "DMF"))]).decode().splitlines()
    print(json.dumps({"lines": lines, "variables": names}))
    """
    answer = run_in_child("formula_injection", code)
    assert answer["lines"][1:] == [
        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-1.5",
        "'=cmd|' /C calc'!A0,2.0",
        "'@SUM(1),-3e-05",
        "'+1+1,4.0",
        "'-2-3,5.0",
        "plain,6.0",
    ]
    assert "'=1+1|DMF" in answer["variables"][1]


def test_any_finite_float_round_trips_through_pkl_and_json(tmp_path):
    code = """
    import json, math
    from datetime import timedelta
    import pandas as pd
    from alchemist.files.container import decode_session_file, encode_session_file
    from alchemist.files.strict_json import decode_session_json, encode_session_json
    from alchemist.persistence import envelope_for
    from alchemist.plain import utc_now
    from alchemist.session import Session
    from alchemist.variables import ContinuousVariable
    values = [1e155, -1e155, 1.7976931348623157e308, 5e-324, -0.0, 0.1 + 0.2]
    session = Session.new("floats")
    session.add_variable(ContinuousVariable("T", low=0, high=1))
    session.add_experiments(pd.DataFrame({"T": [0.5] * len(values), "Output": values}), target="Output")
    envelope = envelope_for(session, utc_now(), timedelta(days=1))
    back = [decode_session_file(encode_session_file(envelope)), decode_session_json(encode_session_json(envelope))]
    print(json.dumps({"same": [b == envelope for b in back],
                      "reprs": [repr(v) for v in values]}))
    """
    answer = run_in_child("finite_floats", code)
    assert answer["same"] == [True, True]
