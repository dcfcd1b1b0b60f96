"""Variable lists in files: our JSON and CSV, and ALchemist's search-space JSON (read and written).

One entry of a list, from any of these files or from an NREL ALchemist session's search space,
becomes a variable through `variable_from_entry`.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any, Sequence

from alchemist.errors import FileFormatError, VariableError
from alchemist.files.strict_json import bounded_int, finite_float
from alchemist.files.tables import check_upload_size, decode_text, neutralise_formula, restore_formula

if TYPE_CHECKING:  # the variables are imported when a list is read
    from alchemist.variables import Variable

MAX_VARIABLES_FILE_BYTES = 1024 * 1024
# ALchemist's type names -> ours; our files are written with ALchemist's names, so ALchemist reads them too.
ALCHEMIST_TYPES = {"real": "continuous", "integer": "integer", "categorical": "categorical", "discrete": "discrete"}
ENTRY_FIELDS = frozenset({"name", "type", "kind", "min", "max", "low", "high", "values", "levels", "allowed_values", "unit", "description"})
_CSV_FIELDS = ["name", "type", "min", "max", "values", "unit", "description"]


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in a variables file")


def _float_sized_int(text: str) -> int:
    # A bound or value of a variable becomes a float: an integer beyond float range (400 digits) is
    # refused here in words instead of overflowing in float() later as a traceback.
    value = bounded_int(text)
    try:
        float(value)
    except OverflowError:
        raise ValueError(f"the number {text[:20]}... is too large for a variable") from None
    return value


def _strict_loads(text: str) -> Any:
    return json.loads(text, parse_constant=_refuse_constant, parse_int=_float_sized_int, parse_float=finite_float)


def read_variables(data: bytes, filename: str) -> list[Variable]:
    """Read a variable list from our JSON or CSV, or from ALchemist's search-space JSON."""
    from alchemist.variables import check_unique_names

    check_upload_size(data, MAX_VARIABLES_FILE_BYTES, "variables file")
    text = decode_text(data)
    lower = filename.lower()
    if lower.endswith(".json"):
        try:
            parsed = _strict_loads(text)
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
            variables.append(variable_from_entry(entry))
        except VariableError as error:
            raise FileFormatError(f"Variable {position} in the file: {error.message}") from None
    try:
        check_unique_names(variables)
    except VariableError as error:
        raise FileFormatError(error.message) from None
    return variables


def _csv_entry(row: dict) -> dict:
    # restore_formula undoes the quote variables_to_csv puts before a cell a spreadsheet would run.
    entry: dict[str, Any] = {k.strip().lower(): restore_formula((v or "").strip()) for k, v in row.items() if k}
    values = entry.get("values", "")
    parsed = None
    if values.startswith("["):  # written as a JSON list when a level contains the separator
        try:
            parsed = _strict_loads(values)
        except (ValueError, RecursionError):
            parsed = None
    if isinstance(parsed, list):
        entry["values"] = parsed
    else:
        entry["values"] = [v.strip() for v in values.split("|")] if values else []
    return entry


def variable_from_entry(entry: Any) -> Variable:
    """A variable from one entry of a variable list (ours or ALchemist's, JSON or CSV); raises VariableError.

    Fields outside ENTRY_FIELDS are ignored here; a caller that reports them can compare with it.
    """
    from alchemist.variables import KINDS, make_variable

    if not isinstance(entry, dict):
        raise VariableError("each variable must be an object with a name and a type.")
    raw_type = str(entry.get("type", entry.get("kind", ""))).strip().lower()
    kind = ALCHEMIST_TYPES.get(raw_type, raw_type)
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
    reverse = {v: k.capitalize() if k != "real" else "Real" for k, v in ALCHEMIST_TYPES.items()}
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
    """Our variable list as CSV: one row a variable; levels joined by '|', or a JSON list when a level holds one."""
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
        writer.writerow({key: neutralise_formula(value) for key, value in row.items()})
    return buffer.getvalue().encode("utf-8")
