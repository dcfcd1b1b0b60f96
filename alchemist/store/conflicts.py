"""A change refused because it meets another tab's, in words that name where they meet."""

from __future__ import annotations

from alchemist.errors import ConflictError
from alchemist.history.patch import PatchConflict


def conflict_error(conflict: PatchConflict) -> ConflictError:
    """The refusal of a change that meets another tab's, naming where they meet."""
    path = conflict.path
    place = "the session"
    if path[:3] == ["experiments", "table", "columns"] and len(path) > 3 and isinstance(path[3], list):
        column = path[3][1]
        place = ("the number of experiments (rows were added or deleted)" if conflict.reason == "size" else
                 f"the column '{column}'" if conflict.reason == "missing" else f"values in the column '{column}'")
    elif path[:1] == ["experiments"]:
        place = "the experiments table"
    elif path[:1] == ["variables"]:
        op = conflict.op or {}
        name = (path[1][1] if len(path) > 1 and isinstance(path[1], list)
                else op.get("old") if path[-1] == "name" and isinstance(op.get("old"), str) else None)
        place = f"the variable '{name}'" if name else "the variables"
    elif path:
        place = {"name": "the session name", "model": "the model", "suggestions": "the suggestions"}.get(
            str(path[0]), f"the {str(path[0]).replace('_', ' ')}")
    return ConflictError(f"This change was not applied: {place} changed in another tab or window since you "
                         "opened it, and your change touches the same part. Nothing was overwritten.")
