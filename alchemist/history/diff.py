"""What changed, as data: the kind and summary of a revision (from its patch), and the comparison
of two sessions (a past revision with now) that the History page shows."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from alchemist.history.revisions import RevisionKind
from alchemist.session import Session

# How many names or cells a summary lists; the counts are always whole.
SUMMARY_NAMES = 10


def describe(ops: list[dict]) -> tuple[RevisionKind, dict]:
    """The kind of change a patch makes and its summary: plain data for the app to put into words."""
    summary: dict[str, Any] = {"parts": sorted({op["path"][0] for op in ops if op["path"]})}
    added: list[str] = []
    removed: list[str] = []
    changed: list[str] = []
    columns: list[str] = []
    cells = 0
    cell = None
    by_position: dict[int, str] = {}  # variables changed in place, named by their old name when it changed
    for op in ops:
        path = op["path"]
        if not path:
            continue
        if path[0] == "variables":
            if len(path) == 1 and op["op"] == "splice":
                old = {v.get("name") for v in op["old"] if isinstance(v, dict)}
                new = {v.get("name") for v in op["new"] if isinstance(v, dict)}
                added += sorted(str(n) for n in new - old)
                removed += sorted(str(n) for n in old - new)
                changed += sorted(str(n) for n in old & new)
            elif len(path) > 1:
                step = path[1]
                if isinstance(step, list):
                    changed.append(step[1])
                elif path[2:] == ["name"] and "old" in op and "new" in op:
                    by_position[step] = str(op["old"])
                    summary["renamed"] = [str(op["old"]), str(op["new"])]
                else:
                    by_position.setdefault(step, f"#{step}")
            else:
                changed.append("*")
        elif path[0] == "experiments":
            if path[1:] == ["table", "n_rows"] and "old" in op and "new" in op:
                summary["rows"] = [op["old"], op["new"]]
            elif len(path) >= 5 and path[1:3] == ["table", "columns"] and isinstance(path[3], list) and path[4] == "data":
                name = path[3][1]
                if name not in columns:
                    columns.append(name)
                if op["op"] == "splice":
                    width = 8 if isinstance(op["old"], bytes) else 1
                    n = max(len(op["old"]), len(op["new"])) // width
                    cells += n
                    if n == 1 and len(op["old"]) == len(op["new"]):
                        cell = [op["at"] // width, name, _cell_value(op["new"])]
        elif path[0] == "name" and "old" in op and "new" in op:
            summary["name"] = [op["old"], op["new"]]
    changed += by_position.values()
    for key, names in (("variables_added", added), ("variables_removed", removed), ("variables_changed", changed)):
        if names:
            summary[key] = list(dict.fromkeys(names))[:SUMMARY_NAMES]
    if columns:
        summary["columns"] = columns[:SUMMARY_NAMES]
        summary["cells"] = cells
        if cell is not None and cells == 1:
            summary["cell"] = cell
    return _kind(summary), summary


def _cell_value(new: Any) -> Any:
    if isinstance(new, bytes) and len(new) == 8:
        return struct.unpack("<d", new)[0]
    if isinstance(new, list) and len(new) == 1:
        return new[0]
    return None


def _kind(summary: dict) -> RevisionKind:
    parts = set(summary["parts"])
    if "variables" in parts:
        if summary.get("variables_added") and not summary.get("variables_removed") and not summary.get("variables_changed"):
            return RevisionKind.ADD_VARIABLE
        if summary.get("variables_removed") and not summary.get("variables_added") and not summary.get("variables_changed"):
            return RevisionKind.DELETE_VARIABLE
        if len(summary.get("variables_changed", [])) == 1 and not summary.get("variables_added") and not summary.get("variables_removed"):
            return RevisionKind.CHANGE_VARIABLE
        return RevisionKind.VARIABLES
    if "rows" in summary:
        before, after = summary["rows"]
        return RevisionKind.ADD_ROWS if after > before else RevisionKind.DELETE_ROWS
    if "experiments" in parts:
        return RevisionKind.EDIT_CELLS
    if "name" in parts:
        return RevisionKind.RENAME
    if "model" in parts:
        return RevisionKind.TRAIN
    if "suggestions" in parts:
        return RevisionKind.SUGGEST
    if parts & {"model_settings", "suggestion_settings", "validation"}:
        return RevisionKind.SETTINGS
    return RevisionKind.OTHER


# -- comparing two sessions ----------------------------------------------------------------------
@dataclass
class Comparison:
    """How session `new` differs from session `old` (experiments compared row by row, by position)."""

    variables_added: list[str] = field(default_factory=list)
    variables_removed: list[str] = field(default_factory=list)
    variables_changed: list[str] = field(default_factory=list)
    rows_added: int = 0
    rows_removed: int = 0
    cells_changed: int = 0
    columns_changed: list[str] = field(default_factory=list)
    name_changed: tuple[str, str] | None = None
    model_changed: bool = False
    settings_changed: bool = False

    @property
    def same(self) -> bool:
        return not (self.variables_added or self.variables_removed or self.variables_changed or self.rows_added
                    or self.rows_removed or self.cells_changed or self.name_changed or self.model_changed
                    or self.settings_changed)


def compare(old: Session, new: Session) -> Comparison:
    result = Comparison()
    before = {v.name: v.to_state() for v in old.variables}
    after = {v.name: v.to_state() for v in new.variables}
    result.variables_added = [n for n in after if n not in before]
    result.variables_removed = [n for n in before if n not in after]
    result.variables_changed = [n for n in after if n in before and before[n] != after[n]]
    a, b = old.experiments.frame, new.experiments.frame
    result.rows_added = max(0, len(b) - len(a))
    result.rows_removed = max(0, len(a) - len(b))
    common = min(len(a), len(b))
    for column in [c for c in b.columns if c in a.columns]:
        x = a[column].iloc[:common].astype(object).reset_index(drop=True)
        y = b[column].iloc[:common].astype(object).reset_index(drop=True)
        differ = int((~((x == y) | (x.isna() & y.isna()))).sum())
        if differ:
            result.cells_changed += differ
            result.columns_changed.append(str(column))
    if old.name != new.name:
        result.name_changed = (old.name, new.name)
    result.model_changed = (old.model_fingerprint != new.model_fingerprint
                            or (old.model is None) != (new.model is None))
    result.settings_changed = (old.model_settings.to_state() != new.model_settings.to_state()
                               or old.suggestion_settings.to_state() != new.suggestion_settings.to_state())
    return result


def changed_cells(old: Session, new: Session) -> pd.DataFrame:
    """True where a cell of `new`'s experiments differs from `old`'s at the same position (for highlighting)."""
    a, b = old.experiments.frame, new.experiments.frame
    mask = pd.DataFrame(True, index=b.index, columns=b.columns)
    common = min(len(a), len(b))
    for column in b.columns:
        if column in a.columns:
            x = a[column].iloc[:common].astype(object).to_numpy()
            y = b[column].iloc[:common].astype(object).to_numpy()
            same = (x == y) | (pd.isna(x) & pd.isna(y))
            mask.iloc[:common, mask.columns.get_loc(column)] = ~same
    return mask
