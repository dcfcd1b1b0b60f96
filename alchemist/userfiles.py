"""Every byte that comes from a user or from disk is read here, and only here.

Session files are `dill.dumps` of plain data (builtins only). They are read back without
`pickle.loads`: the opcodes are scanned first (no global, no object construction, a bounded
memo), then a pure-Python unpickler whose `find_class` refuses every global builds the tree,
and an iterative validator bounds its depth, item count and size before anything else sees
it. Tables (CSV, Excel) and variable lists (JSON, CSV) are size-checked and parsed with
messages a user can act on.
"""

from __future__ import annotations

import csv
import io
import json
import pickle
import pickletools
from typing import Any, Sequence

import dill
import pandas as pd

from alchemist.errors import FileFormatError, SessionFileError, VariableError
from alchemist.variables import KINDS, Variable, check_unique_names, make_variable

SESSION_FORMAT = "alchemist-session"
SESSION_FORMAT_VERSION = 1
MAX_SESSION_FILE_BYTES = 50 * 1024 * 1024
MAX_TABLE_FILE_BYTES = 20 * 1024 * 1024
MAX_VARIABLES_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 5_000_000
MAX_TOTAL_BYTES = 512 * 1024 * 1024

_PICKLE_PROTOCOL = 5
# Opcodes that only build builtin values. Anything else (globals, REDUCE, BUILD, NEWOBJ,
# persistent ids, extension codes, bytearray, sets) has no place in a session file.
_ALLOWED_OPCODES = frozenset(
    {
        "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "DUP",
        "NONE", "NEWTRUE", "NEWFALSE",
        "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4",
        "FLOAT", "BINFLOAT",
        "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8",
        "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
        "EMPTY_LIST", "APPEND", "APPENDS", "LIST",
        "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS",
        "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
        "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE", "GET", "BINGET", "LONG_BINGET",
    }
)
_MAX_INT_DIGITS = 400


class _RefuseGlobals(pickle._Unpickler):  # the pure-Python unpickler: its memo is a dict, not a table sized by the file
    def find_class(self, module: str, name: str) -> Any:
        raise SessionFileError("The file asks to load program code; it is not a session file and was not opened.")

    def persistent_load(self, pid: Any) -> Any:
        raise SessionFileError("The file refers to outside objects; it is not a session file.")


def _scan_opcodes(data: bytes) -> None:
    memo_limit = 0
    try:
        for opcode, arg, _pos in pickletools.genops(data):
            if opcode.name not in _ALLOWED_OPCODES:
                raise SessionFileError(
                    "The file contains instructions a session file never has"
                    f" ({opcode.name}); it may be harmful and was not opened."
                )
            memo_limit += 1
            if opcode.name in ("PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"):
                if not isinstance(arg, int) or arg < 0 or arg > memo_limit:
                    raise SessionFileError("The file is damaged (a reference points nowhere).")
            if opcode.name in ("INT", "LONG", "LONG1", "LONG4") and isinstance(arg, int):
                if arg.bit_length() > _MAX_INT_DIGITS * 3.33:
                    raise SessionFileError("The file holds a number too large for a session.")
    except SessionFileError:
        raise
    except Exception:
        raise SessionFileError("The file is damaged or is not a session file (it could not be read).") from None


def _check_plain(tree: Any, what: str = "file") -> None:
    """Iteratively check that a tree holds only builtin values, within depth, count and size limits."""
    nodes = 0
    total_bytes = 0
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise SessionFileError(f"The {what} holds more items than a session can have.")
        if depth > MAX_DEPTH:
            raise SessionFileError(f"The {what} is nested deeper than a session is.")
        kind = type(node)
        if node is None or kind is bool or kind is float:
            continue
        if kind is int:
            if node.bit_length() > 1024:
                raise SessionFileError(f"The {what} holds a number too large for a session.")
        elif kind is str or kind is bytes:
            total_bytes += len(node)
            if total_bytes > MAX_TOTAL_BYTES:
                raise SessionFileError(f"The {what} holds more data than a session can have.")
        elif kind is list:
            stack.extend((item, depth + 1) for item in node)
        elif kind is dict:
            for key, value in node.items():
                if type(key) is not str:
                    raise SessionFileError(f"The {what} has a key that is not text.")
                total_bytes += len(key)
                stack.append((value, depth + 1))
        else:
            raise SessionFileError(f"The {what} holds a value of a kind a session never has ({kind.__name__}).")


def check_plain_state(state: Any) -> None:
    """Raise unless `state` is plain data a session file may hold; used before every write."""
    _check_plain(state, "session")


def encode_session_file(envelope: dict) -> bytes:
    _check_plain(envelope, "session")
    return dill.dumps(envelope, protocol=_PICKLE_PROTOCOL)


def decode_session_file(data: bytes, max_bytes: int = MAX_SESSION_FILE_BYTES) -> dict:
    """Read a session file's envelope from bytes, running none of its content; raises SessionFileError."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise SessionFileError("No file content was given.")
    data = bytes(data)
    if len(data) == 0:
        raise SessionFileError("The file is empty.")
    if len(data) > max_bytes:
        raise SessionFileError(
            f"The file is {len(data) / 1e6:.1f} MB; session files can be at most {max_bytes / 1e6:.0f} MB."
        )
    if data[:1] != b"\x80":
        raise SessionFileError("This is not an ALchemist session file (.pkl).")
    _scan_opcodes(data)
    try:
        envelope = _RefuseGlobals(io.BytesIO(data)).load()
    except SessionFileError:
        raise
    except RecursionError:
        raise SessionFileError("The file is nested deeper than a session is.") from None
    except Exception:
        raise SessionFileError("The file is damaged or is not a session file (it could not be read).") from None
    _check_plain(envelope)
    if not isinstance(envelope, dict) or envelope.get("format") != SESSION_FORMAT:
        raise SessionFileError("This file was not written by ALchemist: it has no session inside.")
    version = envelope.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SessionFileError("The file does not say which format version it has.")
    if version > SESSION_FORMAT_VERSION:
        raise SessionFileError(
            f"The file has format version {version}; this app reads up to version {SESSION_FORMAT_VERSION}. "
            "Update ALchemist to open it."
        )
    if version < 1:
        raise SessionFileError(f"The file claims an unknown format version ({version}).")
    if not isinstance(envelope.get("session"), dict):
        raise SessionFileError("The file holds no session.")
    return envelope


# -- tables --------------------------------------------------------------------------------
def _check_size(data: bytes, limit: int, what: str) -> None:
    if len(data) == 0:
        raise FileFormatError(f"The {what} is empty.")
    if len(data) > limit:
        raise FileFormatError(f"The {what} is {len(data) / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB.")


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """Read an uploaded CSV or Excel table; every cell as given (numbers as numbers, the rest as text)."""
    _check_size(data, MAX_TABLE_FILE_BYTES, "file")
    lower = filename.lower()
    try:
        if lower.endswith((".xlsx", ".xlsm")):
            if not data.startswith(b"PK"):
                raise FileFormatError("The file is named .xlsx but is not an Excel workbook.")
            frame = pd.read_excel(io.BytesIO(data), engine="openpyxl")
        elif lower.endswith((".csv", ".txt", ".tsv")):
            text = _decode_text(data)
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
    # A fully empty row in a spreadsheet is layout, not an experiment.
    return frame.dropna(axis=0, how="all").reset_index(drop=True)


def _decode_text(data: bytes) -> str:
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


def table_to_csv(frame: pd.DataFrame) -> bytes:
    # repr-exact floats: float_format None lets pandas write the shortest round-tripping text.
    return frame.to_csv(index=False).encode("utf-8")


# -- variables -----------------------------------------------------------------------------
_ALCHEMIST_TYPES = {"real": "continuous", "integer": "integer", "categorical": "categorical", "discrete": "discrete"}
_CSV_FIELDS = ["name", "type", "min", "max", "values", "unit", "description"]


def read_variables(data: bytes, filename: str) -> list[Variable]:
    """Read a variable list from our JSON or CSV, or from ALchemist's search-space JSON."""
    _check_size(data, MAX_VARIABLES_FILE_BYTES, "variables file")
    text = _decode_text(data)
    lower = filename.lower()
    if lower.endswith(".json"):
        try:
            parsed = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:
            raise FileFormatError(f"The file is not valid JSON: {str(error)[:200]}") from None
        if isinstance(parsed, dict) and isinstance(parsed.get("variables"), list):
            parsed = parsed["variables"]  # ALchemist sessions and our export wrap the list
        if not isinstance(parsed, list):
            raise FileFormatError("The JSON file must hold a list of variables.")
        entries = parsed
    elif lower.endswith(".csv"):
        entries = [_csv_entry(row) for row in csv.DictReader(io.StringIO(text))]
    else:
        raise FileFormatError("Upload a .json or .csv variables file.")
    if not entries:
        raise FileFormatError("The file lists no variables.")
    variables = []
    for position, entry in enumerate(entries, start=1):
        try:
            variables.append(_variable_from_entry(entry))
        except VariableError as error:
            raise FileFormatError(f"Variable {position} in the file: {error.message}") from None
    try:
        check_unique_names(variables)
    except VariableError as error:
        raise FileFormatError(error.message) from None
    return variables


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in a variables file")


def _csv_entry(row: dict) -> dict:
    entry: dict[str, Any] = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
    values = entry.get("values", "")
    parsed = None
    if values.startswith("["):  # written as a JSON list when a level contains the separator
        try:
            parsed = json.loads(values, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            parsed = None
    if isinstance(parsed, list):
        entry["values"] = parsed
    else:
        entry["values"] = [v.strip() for v in values.split("|")] if values else []
    return entry


def _variable_from_entry(entry: Any) -> Variable:
    if not isinstance(entry, dict):
        raise VariableError("each variable must be an object with a name and a type.")
    raw_type = str(entry.get("type", entry.get("kind", ""))).strip().lower()
    kind = _ALCHEMIST_TYPES.get(raw_type, raw_type)
    if kind not in KINDS:
        raise VariableError(f"unknown type '{raw_type}'. Use Real/continuous, Integer, Categorical or Discrete.")
    name = entry.get("name")
    if not isinstance(name, str):
        raise VariableError("a variable has no name.")
    low = entry.get("min", entry.get("low"))
    high = entry.get("max", entry.get("high"))
    values = entry.get("values", entry.get("levels"))
    if kind == "discrete":
        values = entry.get("allowed_values", values)
    if isinstance(low, str) and low == "" or isinstance(high, str) and high == "":
        low, high = (None if low == "" else low), (None if high == "" else high)
    return make_variable(
        kind,
        name,
        unit=entry.get("unit", "") or "",
        description=entry.get("description", "") or "",
        low=low,
        high=high,
        levels=values if kind == "categorical" else None,
        values=values if kind == "discrete" else None,
    )


def variables_to_json(variables: Sequence[Variable]) -> bytes:
    """Our variable list as JSON; ALchemist's type names are used so ALchemist can read it too."""
    reverse = {v: k.capitalize() if k != "real" else "Real" for k, v in _ALCHEMIST_TYPES.items()}
    entries = []
    for variable in variables:
        entry: dict[str, Any] = {"name": variable.name, "type": reverse[variable.kind]}
        if variable.kind in ("continuous", "integer"):
            entry.update(min=variable.low, max=variable.high)
        elif variable.kind == "categorical":
            entry["values"] = list(variable.levels)
        else:
            entry["allowed_values"] = list(variable.values)
        entry.update(unit=variable.unit, description=variable.description)
        entries.append(entry)
    return json.dumps(entries, indent=2, ensure_ascii=False).encode("utf-8")


def variables_to_csv(variables: Sequence[Variable]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_FIELDS)
    writer.writeheader()
    for variable in variables:
        row = {"name": variable.name, "type": variable.kind, "unit": variable.unit, "description": variable.description}
        if variable.kind in ("continuous", "integer"):
            row.update(min=repr(variable.low), max=repr(variable.high))
        elif variable.kind == "categorical":
            if any("|" in level for level in variable.levels) or variable.levels[0].startswith("["):
                row["values"] = json.dumps(list(variable.levels), ensure_ascii=False)
            else:
                row["values"] = "|".join(variable.levels)
        else:
            row["values"] = "|".join(repr(v) for v in variable.values)
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")

