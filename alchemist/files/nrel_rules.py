"""NREL ALchemist's campaign rules as ours: objectives, outcome constraints, input constraints, failed runs.

* Result columns (`target_columns`) become objectives. ALchemist saves no direction with them;
  it passes one with each batch it suggests (`goal` in its acquisition parameters), so the latest
  goal in its log or provenance gives them, and without one they are maximised (ALchemist's
  default). One result without limits stays the classic target, its goal the suggestion goal.
* An outcome constraint (`objective_name`, `bound_type` lower/upper, `value`) becomes that
  objective's `at_least` / `at_most`.
* A linear input constraint (`type` inequality: sum <= rhs, equality: sum == rhs) becomes a
  LinearConstraint; one that does not fit the variables is named in the notes.
* A failed queue item's row is excluded from the model, its error as the reason.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from alchemist.constraints import LinearConstraint
from alchemist.errors import AlchemistError
from alchemist.files.nrel_notes import ImportNotes, NotMappedKind
from alchemist.files.nrel_queue import Placement, QueueState
from alchemist.files.nrel_values import finite
from alchemist.objectives import Objective
from alchemist.session import Session

_RELATIONS = {"inequality": "<=", "equality": "=="}
_BOUNDS = {"lower": "at_least", "upper": "at_most"}


def _goal(tree: dict) -> Any:
    """The goal of ALchemist's latest suggested batch: in its audit log, else in its provenance."""
    log = tree.get("audit_log")
    entries = log.get("entries") if isinstance(log, dict) else None
    for entry in reversed(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or entry.get("entry_type") != "acquisition_locked":
            continue
        params = entry.get("parameters")
        inner = params.get("parameters") if isinstance(params, dict) else None
        if isinstance(inner, dict) and "goal" in inner:
            return inner["goal"]
    records = tree.get("provenance")
    for record in reversed(records if isinstance(records, list) else []):
        params = record.get("acq_params") if isinstance(record, dict) else None
        if isinstance(params, dict) and "goal" in params:
            return params["goal"]
    return None


def _directions(goal: Any, targets: Sequence[str]) -> list[str]:
    if isinstance(goal, str):
        goal = [goal] * len(targets)
    if not isinstance(goal, list) or len(goal) != len(targets):
        return ["maximize"] * len(targets)
    return [g.lower() if isinstance(g, str) and g.lower() in ("maximize", "minimize") else "maximize" for g in goal]


def map_objectives(tree: dict, session: Session, targets: Sequence[str], notes: ImportNotes) -> None:
    """Set the session's objectives (or its goal) from ALchemist's results, goal and outcome constraints.

    Called with the variables in place and the table still empty: the further result columns then
    enter the table with the experiments.
    """
    directions = _directions(_goal(tree), targets)
    limits: dict[str, dict[str, float]] = {name: {} for name in targets}
    raw = tree.get("outcome_constraints")
    for position, item in enumerate(raw if isinstance(raw, list) else ([raw] if raw else []), start=1):
        name = item.get("objective_name") if isinstance(item, dict) else None
        bound = _BOUNDS.get(item.get("bound_type")) if isinstance(item, dict) else None
        value = finite(item.get("value")) if isinstance(item, dict) else None
        if name in limits and bound and value is not None:
            limits[name][bound] = value
        else:
            notes.add(NotMappedKind.OUTCOME_CONSTRAINTS, [str(name) if name else f"#{position}"], count=1)
    if len(targets) == 1 and not limits[targets[0]]:
        session.suggestion_settings = replace(session.suggestion_settings, goal=directions[0])
        return
    try:
        session.set_objectives([Objective(name, direction, **limits[name]) for name, direction in zip(targets, directions)])
    except AlchemistError as error:
        notes.add(NotMappedKind.OBJECTIVES, targets, detail=error.message)
        mapped = [f"{name} {op}" for name in targets for op in limits[name]]
        if mapped:
            notes.add(NotMappedKind.OUTCOME_CONSTRAINTS, mapped)
        if len(targets) > 1:
            notes.add(NotMappedKind.RESULT_COLUMNS, targets[1:])


def map_constraints(constraints: Any, session: Session, notes: ImportNotes) -> None:
    """Add ALchemist's linear input constraints to the session; name those that do not map."""
    found = constraints if isinstance(constraints, list) else ([constraints] if constraints else [])
    for position, item in enumerate(found, start=1):
        label = str(item.get("name")) if isinstance(item, dict) and item.get("name") else f"#{position}"
        relation = _RELATIONS.get(str(item.get("type", "")).lower()) if isinstance(item, dict) else None
        coefficients = item.get("coefficients") if isinstance(item, dict) else None
        if relation is None or not isinstance(coefficients, dict):
            notes.add(NotMappedKind.CONSTRAINTS, [label], count=1)
            continue
        try:
            session.add_constraint(LinearConstraint(coefficients, relation, item.get("rhs"), name=label if item.get("name") else ""))
        except AlchemistError as error:
            notes.add(NotMappedKind.CONSTRAINTS, [label], count=1, detail=error.message)


def exclude_failed(session: Session, placements: Sequence[Placement]) -> None:
    """Keep each failed run's row out of the model, its error as the reason (the row stays, with its note)."""
    for placement in placements:
        if placement.item.state is QueueState.FAILED:
            session.exclude(placement.row, placement.item.error or "failed in NREL ALchemist")
