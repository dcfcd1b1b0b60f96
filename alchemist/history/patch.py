"""Deltas between two session state trees: small, invertible, checked when applied.

A patch is a list of operations on the plain-data tree of `Session.to_state()`:

    {"op": "set", "path": [...], "old": value, "new": value}   ("old"/"new" absent: key absent)
    {"op": "splice", "path": [...], "at": i, "size": n, "old": seq, "new": seq}

A path step is a dict key (str), a list position (int) or ["name", text]: the element of a list
of records whose "name" is text. Named steps keep a cell edit on its column even when another
tab inserted or removed a column before it. `splice` works on lists and on bytes (float columns
are stored as raw bytes, so a one-cell edit is an 8-byte splice).

Every operation carries what it expects to find. Applying checks that first and raises
PatchConflict naming the place otherwise: a change made to an older copy is either applied to
the current tree exactly where it belongs or refused, never applied over someone else's work.
Applying never changes the tree it is given (containers on the path are copied).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

Path = list
# Keys of the session tree that every save changes or that name the copy, not the campaign:
# a revision's own time stands for "modified", and an export replaces "id".
UNTRACKED_KEYS = ("modified", "id")
# The audit trail records what happened, undos and restores included: taking a change back never
# takes back its record (the hash chain would call that a removal).
APPEND_ONLY_KEYS = ("audit",)
# Lists of records up to this length are diffed element by element when their names differ
# (a renamed variable changes one field, not the whole column).
_ELEMENTWISE_LIMIT = 64
_CHUNK = 4096


@dataclass
class PatchConflict(Exception):
    """The tree does not hold what an operation expects: it changed since the patch was made."""

    path: list
    reason: str  # "missing", "changed" or "size"
    op: dict | None = None  # the operation refused


def same(a: Any, b: Any) -> bool:
    """Equal as plain data, with NaN equal to NaN (a float that did not change is the same)."""
    if a is b:
        return True
    if type(a) is not type(b):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
            return a == b
        return False
    try:
        if a == b:
            return True
    except (TypeError, ValueError):
        pass
    if isinstance(a, float):
        return math.isnan(a) and math.isnan(b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return False


# -- diff ------------------------------------------------------------------------------------
def diff_states(old: dict, new: dict) -> list[dict]:
    """The operations that turn session tree `old` into `new` (untracked keys left out)."""
    old = {k: v for k, v in old.items() if k not in UNTRACKED_KEYS}
    new = {k: v for k, v in new.items() if k not in UNTRACKED_KEYS}
    ops: list[dict] = []
    _diff(old, new, [], ops)
    return ops


def _diff(old: Any, new: Any, path: list, ops: list[dict]) -> None:
    if same(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new:
                ops.append({"op": "set", "path": [*path, key], "old": old[key]})
            else:
                _diff(old[key], new[key], [*path, key], ops)
        for key in new:
            if key not in old:
                ops.append({"op": "set", "path": [*path, key], "new": new[key]})
    elif isinstance(old, bytes) and isinstance(new, bytes):
        _diff_bytes(old, new, path, ops)
    elif isinstance(old, list) and isinstance(new, list):
        _diff_list(old, new, path, ops)
    else:
        ops.append({"op": "set", "path": path, "old": old, "new": new})


def _names(items: list) -> list[str] | None:
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    if items and all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
        return names
    return None


def _diff_list(old: list, new: list, path: list, ops: list[dict]) -> None:
    names = _names(old)
    if names is not None and names == _names(new):
        for name, a, b in zip(names, old, new):
            _diff(a, b, [*path, ["name", name]], ops)
        return
    start = _common_prefix(old, new)
    end = _common_suffix(old, new, start)
    middle_old, middle_new = old[start:len(old) - end], new[start:len(new) - end]
    if (len(middle_old) == len(middle_new) <= _ELEMENTWISE_LIMIT
            and all(isinstance(x, (dict, list)) for x in (*middle_old, *middle_new))):
        for offset, (a, b) in enumerate(zip(middle_old, middle_new)):
            _diff(a, b, [*path, start + offset], ops)
        return
    ops.append({"op": "splice", "path": path, "at": start, "size": len(old), "old": middle_old, "new": middle_new})


def _common_prefix(old: list, new: list) -> int:
    n = min(len(old), len(new))
    i = 0
    while i < n and old[i:i + _CHUNK] == new[i:i + _CHUNK]:  # C-speed over equal stretches
        i += _CHUNK
    i = min(i, n)
    while i < n and same(old[i], new[i]):
        i += 1
    return i


def _common_suffix(old: list, new: list, prefix: int) -> int:
    n = min(len(old), len(new)) - prefix
    j = 0
    while j < n and same(old[len(old) - 1 - j], new[len(new) - 1 - j]):
        j += 1
    return j


def _diff_bytes(old: bytes, new: bytes, path: list, ops: list[dict]) -> None:
    a = np.frombuffer(old, dtype=np.uint8)
    b = np.frombuffer(new, dtype=np.uint8)
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    start = int(differ[0]) if len(differ) else n
    tail = np.flatnonzero(a[len(a) - (n - start):][::-1] != b[len(b) - (n - start):][::-1]) if n > start else []
    end = int(tail[0]) if len(tail) else n - start
    if len(a) == len(b):  # keep whole 8-byte cells together: a reader sees which cells changed
        start -= start % 8
        end -= end % 8
    ops.append({"op": "splice", "path": path, "at": start, "size": len(old),
                "old": old[start:len(old) - end], "new": new[start:len(new) - end]})


# -- apply and invert ------------------------------------------------------------------------
def apply_ops(tree: Any, ops: list[dict]) -> Any:
    """`tree` with the operations applied, in order; raises PatchConflict. `tree` is left unchanged."""
    for op in ops:
        try:
            tree = _update(tree, op["path"], 0, op)
        except PatchConflict as conflict:
            conflict.op = op
            raise
    return tree


def _update(node: Any, path: list, depth: int, op: dict) -> Any:
    if depth == len(path) - (1 if op["op"] == "set" else 0):
        return _leaf(node, path, depth, op)
    step = path[depth]
    index = _locate(node, step, path)
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[index] = _update(node[index], path, depth + 1, op)
    return copy


def _locate(node: Any, step: Any, path: list) -> Any:
    if isinstance(step, str):
        if isinstance(node, dict) and step in node:
            return step
    elif isinstance(step, int):
        if isinstance(node, list) and 0 <= step < len(node):
            return step
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, dict) and item.get(step[0]) == step[1]:
                return index
    raise PatchConflict(path, "missing")


def _leaf(node: Any, path: list, depth: int, op: dict) -> Any:
    if op["op"] == "splice":
        if not isinstance(node, (list, bytes)) or len(node) != op["size"]:
            raise PatchConflict(path, "size")
        at, old = op["at"], op["old"]
        if not same(node[at:at + len(old)], old):
            raise PatchConflict(path, "changed")
        return node[:at] + op["new"] + node[at + len(old):]
    key = path[depth]
    if not isinstance(node, dict if isinstance(key, str) else list):
        raise PatchConflict(path, "missing")
    if isinstance(key, str):
        present = key in node
        index = key
    else:
        index = key if isinstance(key, int) else None
        if index is None:
            try:
                index = _locate(node, key, path)
            except PatchConflict:
                index = None
        present = index is not None and 0 <= index < len(node)
    if ("old" in op) != present or (present and not same(node[index], op["old"])):
        raise PatchConflict(path, "changed")
    copy = dict(node) if isinstance(node, dict) else list(node)
    if "new" in op:
        if not present and not isinstance(copy, dict):
            raise PatchConflict(path, "missing")  # lists grow by splices only
        copy[index] = op["new"]
    elif isinstance(copy, dict):
        del copy[index]
    else:
        raise PatchConflict(path, "missing")
    return copy


def invert(ops: list[dict]) -> list[dict]:
    """The operations that undo `ops` (applied after them)."""
    undone = []
    for op in reversed(ops):
        back = {"op": op["op"], "path": op["path"]}
        if "new" in op:
            back["old"] = op["new"]
        if "old" in op:
            back["new"] = op["old"]
        if op["op"] == "splice":
            back.update(at=op["at"], size=op["size"] - len(op["old"]) + len(op["new"]))
        undone.append(back)
    return undone


def campaign_ops(ops: list[dict]) -> list[dict]:
    """`ops` without those on append-only parts of the tree: what undo, redo and restore apply."""
    return [op for op in ops if not (op["path"] and op["path"][0] in APPEND_ONLY_KEYS)]


def ops_bytes(ops: list[dict]) -> int:
    """A quick estimate of the operations' size (their values dominate it)."""
    return sum(_size(op.get("old")) + _size(op.get("new")) + 16 * len(op["path"]) + 32 for op in ops)


def _size(value: Any) -> int:
    if isinstance(value, (bytes, str)):
        return len(value)
    if isinstance(value, list):
        return sum(_size(v) for v in value) + 8
    if isinstance(value, dict):
        return sum(len(k) + _size(v) for k, v in value.items()) + 8
    return 8


# -- checking ops read from a file -------------------------------------------------------------
def valid_ops(ops: Any) -> bool:
    """Whether `ops` (from a file) has the form of a patch; the values are checked when applied."""
    if not isinstance(ops, list):
        return False
    for op in ops:
        if not isinstance(op, dict) or op.get("op") not in ("set", "splice") or not _valid_path(op.get("path")):
            return False
        if op["op"] == "splice":
            at, size, old, new = op.get("at"), op.get("size"), op.get("old"), op.get("new")
            if not (_count(at) and _count(size) and type(old) is type(new) and isinstance(old, (list, bytes))):
                return False
        elif not op["path"] or not set(op) <= {"op", "path", "old", "new"}:
            return False
    return True


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _valid_path(path: Any) -> bool:
    return isinstance(path, list) and len(path) <= 32 and all(
        isinstance(s, str) or _count(s) or (isinstance(s, list) and len(s) == 2 and all(isinstance(x, str) for x in s))
        for s in path
    )
