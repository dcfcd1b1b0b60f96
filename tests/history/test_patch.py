"""Patches between state trees: what diff writes, apply reproduces, invert takes back, and a
patch made on an older tree is applied where it belongs or refused, never applied elsewhere."""

from __future__ import annotations

import struct

import pytest

from alchemist.history.patch import PatchConflict, apply_ops, diff_states, invert, same, valid_ops


def column(name: str, values: list[float]) -> dict:
    return {"name": name, "encoding": "f8", "data": struct.pack(f"<{len(values)}d", *values)}


def tree(columns: list[dict], name: str = "S", n_rows: int = 3, **extra) -> dict:
    return {"id": "a" * 32, "modified": "t0", "name": name,
            "experiments": {"target": "Yield", "table": {"n_rows": n_rows, "columns": columns}}, **extra}


def round_trip(old: dict, new: dict) -> list[dict]:
    ops = diff_states(old, new)
    assert valid_ops(ops)
    strip = lambda t: {k: v for k, v in t.items() if k not in ("id", "modified")}  # noqa: E731
    assert same(strip(apply_ops(old, ops)), strip(new))
    assert same(strip(apply_ops(apply_ops(old, ops), invert(ops))), strip(old))
    return ops


def test_a_one_cell_edit_is_an_eight_byte_splice_on_its_named_column():
    old = tree([column("T", [1.0, 2.0, 3.0]), column("P", [4.0, 5.0, 6.0])])
    new = tree([column("T", [1.0, 2.0, 3.0]), column("P", [4.0, 9.5, 6.0])])
    ops = round_trip(old, new)
    assert len(ops) == 1
    assert ops[0]["path"] == ["experiments", "table", "columns", ["name", "P"], "data"]
    assert (ops[0]["at"], len(ops[0]["old"]), len(ops[0]["new"])) == (8, 8, 8)


def test_untracked_keys_and_unchanged_trees_give_no_operations():
    old = tree([column("T", [1.0, float("nan"), 3.0])])
    new = {**tree([column("T", [1.0, float("nan"), 3.0])]), "id": "b" * 32, "modified": "t9"}
    assert diff_states(old, new) == []


def test_keys_added_removed_and_changed_round_trip():
    old = tree([], model={"a": 1}, settings={"x": [1, 2, 3]})
    new = tree([], name="Renamed", settings={"x": [1, 2, 3, 4]}, audit=[{"what": "new key"}])
    ops = round_trip(old, new)
    kinds = {tuple(map(str, op["path"])): ("old" in op, "new" in op) for op in ops}
    assert kinds[("model",)] == (True, False) and kinds[("audit",)] == (False, True)


def test_rows_added_and_deleted_are_splices():
    old = tree([column("T", [1.0, 2.0, 3.0]), {"name": "Note", "encoding": "list", "data": ["a", None, "c"]}])
    added = tree([column("T", [1.0, 2.0, 3.0, 4.0]), {"name": "Note", "encoding": "list", "data": ["a", None, "c", "d"]}], n_rows=4)
    deleted = tree([column("T", [1.0, 3.0]), {"name": "Note", "encoding": "list", "data": ["a", "c"]}], n_rows=2)
    for new in (added, deleted):
        ops = round_trip(old, new)
        assert all(len(op.get("old", b"")) <= 8 for op in ops if op["op"] == "splice")


def test_a_renamed_column_changes_its_name_not_its_data():
    old = tree([column("T", [1.0, 2.0, 3.0]), column("P", [4.0, 5.0, 6.0])])
    new = tree([column("T", [1.0, 2.0, 3.0]), column("Pressure", [4.0, 5.0, 6.0])])
    ops = round_trip(old, new)
    assert ops == [{"op": "set", "path": ["experiments", "table", "columns", 1, "name"], "old": "P", "new": "Pressure"}]


def test_an_inserted_column_is_one_splice_of_that_column():
    old = tree([column("T", [1.0, 2.0, 3.0]), column("P", [4.0, 5.0, 6.0])])
    new = tree([column("T", [1.0, 2.0, 3.0]), column("X", [0.0, 0.0, 0.0]), column("P", [4.0, 5.0, 6.0])])
    ops = round_trip(old, new)
    assert len(ops) == 1 and ops[0]["op"] == "splice" and [c["name"] for c in ops[0]["new"]] == ["X"]


def test_a_cell_edit_follows_its_column_when_another_change_moved_it():
    base = tree([column("T", [1.0, 2.0, 3.0]), column("P", [4.0, 5.0, 6.0])])
    edit = diff_states(base, tree([column("T", [1.0, 2.0, 3.0]), column("P", [4.0, 5.0, 7.0])]))
    # Another tab inserted a column before P: the edit still lands in P.
    other = tree([column("X", [0.0, 0.0, 0.0]), column("T", [1.0, 2.0, 3.0]), column("P", [4.0, 5.0, 6.0])])
    merged = apply_ops(other, edit)
    assert struct.unpack("<3d", merged["experiments"]["table"]["columns"][2]["data"]) == (4.0, 5.0, 7.0)
    assert other["experiments"]["table"]["columns"][2]["data"] == base["experiments"]["table"]["columns"][1]["data"], \
        "apply never changes the tree it is given"


@pytest.mark.parametrize("other, reason", [
    (tree([column("T", [1.0, 2.0, 3.0]), column("P", [4.0, 5.0, 8.0])]), "changed"),       # same cell, other value
    (tree([column("T", [1.0, 2.0, 3.0, 9.0]), column("P", [4.0, 5.0, 6.0, 9.0])], n_rows=4), "size"),  # rows added
    (tree([column("T", [1.0, 2.0, 3.0])]), "missing"),                                       # column deleted
])
def test_a_cell_edit_meeting_another_change_is_refused_naming_why(other, reason):
    base = tree([column("T", [1.0, 2.0, 3.0]), column("P", [4.0, 5.0, 6.0])])
    edit = diff_states(base, tree([column("T", [1.0, 2.0, 3.0]), column("P", [4.0, 5.0, 7.0])]))
    with pytest.raises(PatchConflict) as info:
        apply_ops(other, edit)
    assert info.value.reason == reason and ["name", "P"] in info.value.path


def test_valid_ops_refuses_malformed_operations():
    assert valid_ops([])
    for bad in (None, [{"op": "drop", "path": ["x"]}], [{"op": "set", "path": "x"}],
                [{"op": "splice", "path": ["x"], "at": -1, "size": 0, "old": [], "new": []}],
                [{"op": "splice", "path": ["x"], "at": 0, "size": 0, "old": b"", "new": []}],
                [{"op": "set", "path": [], "new": 1}]):
        assert not valid_ops(bad)
