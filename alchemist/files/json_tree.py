"""The JSON form of a session file: the same plain-data tree as the .pkl, readable and diffable.

A session's state holds dict, list, str, bytes, int, float, bool and None. JSON has no bytes
and no NaN or infinity, so three forms stand in for them, each a dict with one "$" key:

    {"$float": "NaN" | "Infinity" | "-Infinity"}   a non-finite float outside a numeric array
    {"$bytes": "<base64>"}                          bytes that are not a numeric array
    {"$dict": {...}}                                a dict that would otherwise look like a form

and a numeric array ({"dtype": "f8", "shape": [...], "data": <little-endian float64 bytes>})
is written as its numbers, {"dtype": "f8", "shape": [...], "values": [1.5, "NaN", ...]}, where
text in "values" can only mean a non-finite float. Floats are written with repr, which reads
back to the same bits. The mapping is exact both ways for every plain tree.

Pure logic, standard library only: the limited child process that decodes foreign files uses
it to hand its result back. Parsing JSON bytes from a user happens in alchemist.files.strict_json.
"""

from __future__ import annotations

import base64
import json
import math
import sys
from array import array
from typing import Any

from alchemist.files.bounds import MAX_DEPTH

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_ARRAY_KEYS = frozenset({"dtype", "shape", "values"})
_FORM_KEYS = frozenset({"$float", "$bytes", "$dict"})


class JsonTreeError(ValueError):
    """The JSON tree is not a valid rendering of plain data; the message says where."""


def _float_name(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _floats_from_bytes(data: bytes) -> list[float]:
    values = array("d")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


def _bytes_from_floats(values: list[float]) -> bytes:
    packed = array("d", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _is_array_state(node: dict) -> bool:
    if set(node) != {"dtype", "shape", "data"} or node["dtype"] != "f8":
        return False
    shape, data = node["shape"], node["data"]
    if type(data) is not bytes or type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        return False
    return len(data) == 8 * math.prod(shape)


def to_json_tree(node: Any, depth: int = 0, arrays_as_numbers: bool = True) -> Any:
    """Plain data -> a tree json.dumps can write without NaN, infinity or bytes.

    With arrays_as_numbers=False numeric arrays stay bytes (base64): faster, for machine use.
    """
    if depth > MAX_DEPTH:
        raise JsonTreeError("the data are nested too deeply")
    kind = type(node)
    if node is None or kind is bool or kind is int or kind is str:
        return node
    if kind is float:
        return node if math.isfinite(node) else {"$float": _float_name(node)}
    if kind is bytes:
        return {"$bytes": base64.b64encode(node).decode("ascii")}
    if kind is list:
        return [to_json_tree(item, depth + 1, arrays_as_numbers) for item in node]
    if kind is dict:
        if arrays_as_numbers and _is_array_state(node):
            values = [v if math.isfinite(v) else _float_name(v) for v in _floats_from_bytes(node["data"])]
            return {"dtype": "f8", "shape": list(node["shape"]), "values": values}
        rendered = {key: to_json_tree(value, depth + 1, arrays_as_numbers) for key, value in node.items()}
        keys = set(node)
        if keys == _ARRAY_KEYS or (len(keys) == 1 and keys <= _FORM_KEYS):
            return {"$dict": rendered}  # would be read back as a form: wrap it
        return rendered
    raise JsonTreeError(f"a value of kind {kind.__name__} has no JSON form")


def from_json_tree(node: Any, path: str = "file", depth: int = 0) -> Any:
    """The inverse of to_json_tree; raises JsonTreeError naming the place in the file."""
    if depth > MAX_DEPTH:
        raise JsonTreeError(f"{path} is nested too deeply")
    kind = type(node)
    if node is None or kind is bool or kind is int or kind is str or kind is float:
        return node
    if kind is list:
        return [from_json_tree(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node)]
    if kind is not dict:
        raise JsonTreeError(f"{path} holds a value of kind {kind.__name__}")
    keys = set(node)
    if len(keys) == 1 and keys <= _FORM_KEYS:
        (form, value), = node.items()
        if form == "$float":
            if value not in _NONFINITE:
                raise JsonTreeError(f"{path} names an unknown number {str(value)[:20]!r}")
            return _NONFINITE[value]
        if form == "$bytes":
            if type(value) is not str:
                raise JsonTreeError(f"{path} has bytes that are not text")
            try:
                return base64.b64decode(value.encode("ascii"), validate=True)
            except (ValueError, UnicodeEncodeError):
                raise JsonTreeError(f"{path} has bytes that are not valid base64") from None
        if type(value) is not dict:
            raise JsonTreeError(f"{path} wraps something that is not an object")
        return {k: from_json_tree(v, f"{path}.{k}", depth + 1) for k, v in value.items()}
    if keys == _ARRAY_KEYS and node["dtype"] == "f8":
        shape, values = node["shape"], node["values"]
        if type(shape) is not list or not all(type(n) is int and 0 <= n < 2**40 for n in shape):
            raise JsonTreeError(f"{path} has an invalid array shape")
        if type(values) is not list or len(values) != math.prod(shape):
            raise JsonTreeError(f"{path} has {len(values) if type(values) is list else 'no'} values for shape {shape}")
        numbers = []
        for value in values:
            if type(value) is float or (type(value) is int and abs(value) < 2**53):
                numbers.append(float(value))
            elif type(value) is str and value in _NONFINITE:
                numbers.append(_NONFINITE[value])
            else:
                raise JsonTreeError(f"{path} holds a value that is not a number: {str(value)[:20]!r}")
        return {"dtype": "f8", "shape": list(shape), "data": _bytes_from_floats(numbers)}
    return {key: from_json_tree(value, f"{path}.{key}", depth + 1) for key, value in node.items()}


def _scalar(node: Any) -> bool:
    return node is None or type(node) in (str, int, float, bool)


def dumps(tree: Any) -> str:
    """JSON text for a json tree: nested objects indented, lists of plain values on one line each
    (a 100,000-row column stays one line, so a diff shows which column changed)."""
    parts: list[str] = []
    _write(tree, 0, parts)
    parts.append("\n")
    return "".join(parts)


def _write(node: Any, level: int, out: list[str]) -> None:
    if type(node) is dict:
        if not node:
            out.append("{}")
            return
        pad = "\n" + " " * (level + 1)
        out.append("{")
        for index, (key, value) in enumerate(node.items()):
            out.append(("," if index else "") + pad + json.dumps(key, ensure_ascii=False) + ": ")
            _write(value, level + 1, out)
        out.append("\n" + " " * level + "}")
    elif type(node) is list and not all(_scalar(item) for item in node):
        pad = "\n" + " " * (level + 1)
        out.append("[")
        for index, item in enumerate(node):
            out.append(("," if index else "") + pad)
            _write(item, level + 1, out)
        out.append("\n" + " " * level + "]")
    else:
        out.append(json.dumps(node, ensure_ascii=False, allow_nan=False))
