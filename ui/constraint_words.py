"""Every sentence about constraints, objectives and excluded experiments (issue 11)."""

from __future__ import annotations

from typing import Sequence

from alchemist.constraints import (
    ConditionalRule,
    ForbiddenCombination,
    LinearConstraint,
    MixtureConstraint,
    Violation,
    ViolationKind,
)
from alchemist.objectives import Objective, Pick, PickReason
from alchemist.variables import format_number
from ui.plurals import counted

KIND_LABELS = {
    "linear": "Linear limit (a·x + b·y ≤ c)",
    "mixture": "Mixture (components sum to a total)",
    "forbidden": "Forbidden combination of levels",
    "conditional": "Rule (if a level, then a value)",
}
RELATION_LABELS = {"<=": "≤", ">=": "≥", "==": "="}
DIRECTION_LABELS = {"maximize": "Maximise", "minimize": "Minimise", None: "Limit only"}


def _term(name: str, a: float, first: bool) -> str:
    sign = "" if first and a >= 0 else ("− " if a < 0 else "+ ")
    size = abs(a)
    return f"{sign}{'' if size == 1 else format_number(size) + '·'}{name}"


def constraint_text(constraint: object) -> str:
    """One line per constraint, in the variables' own names and units."""
    label = f"{constraint.name}: " if getattr(constraint, "name", "") else ""
    if isinstance(constraint, LinearConstraint):
        terms = " ".join(_term(n, a, i == 0) for i, (n, a) in enumerate(constraint.coefficients))
        return f"{label}{terms} {RELATION_LABELS[constraint.relation]} {format_number(constraint.rhs)}"
    if isinstance(constraint, MixtureConstraint):
        limit = f", at most {constraint.max_active} of them non-zero" if constraint.max_active else ""
        return f"{label}{' + '.join(constraint.components)} = {format_number(constraint.total)}{limit}"
    if isinstance(constraint, ForbiddenCombination):
        levels = " and ".join(f"{n} = {_level(v)}" for n, v in constraint.levels)
        return f"{label}never {levels} together"
    if isinstance(constraint, ConditionalRule):
        if constraint.then_low == constraint.then_high:
            then = f"{constraint.then_variable} = {format_number(constraint.then_low)}"
        else:
            then = f"{constraint.then_variable} from {format_number(constraint.then_low)} to {format_number(constraint.then_high)}"
        return f"{label}if {constraint.if_variable} = {_level(constraint.if_level)}, then {then}"
    raise ValueError(f"No wording for the constraint {constraint!r}")


def _level(value: object) -> str:
    return format_number(value) if isinstance(value, float) else str(value)


def violation_text(violation: Violation, constraints: Sequence[object]) -> str:
    """What a row breaks, e.g. "breaks x1 + x2 ≤ 8 by 7"."""
    what = constraint_text(constraints[violation.constraint])
    if violation.kind is ViolationKind.FORBIDDEN:
        return f"is a forbidden combination ({what})"
    if violation.kind is ViolationKind.MIXTURE_ACTIVE:
        return f"has {counted(int(violation.amount), 'non-zero component')} too many ({what})"
    if violation.kind is ViolationKind.MIXTURE_TOTAL:
        return f"does not add up ({what}; off by {format_number(violation.amount)})"
    return f"breaks {what} (by {format_number(violation.amount)})"


def flagged_rows_text(flags: Sequence[Sequence[Violation]], constraints: Sequence[object], limit: int = 20) -> list[str]:
    """One line per experiment that breaks a constraint (it still trains the model)."""
    lines = []
    for row, found in enumerate(flags):
        if found:
            lines.append(f"Row {row + 1} " + "; ".join(violation_text(v, constraints) for v in found))
    if len(lines) > limit:
        lines = lines[:limit] + [f"… and {len(lines) - limit} more"]
    return lines


def objective_text(objective: Objective) -> str:
    parts = [] if objective.direction is None else [f"{DIRECTION_LABELS[objective.direction].lower()} {objective.name}"]
    if objective.at_least is not None:
        parts.append(f"{objective.name} ≥ {format_number(objective.at_least)}")
    if objective.at_most is not None:
        parts.append(f"{objective.name} ≤ {format_number(objective.at_most)}")
    return ", ".join(parts)


def objectives_text(objectives: Sequence[Objective]) -> str:
    return "; ".join(objective_text(o) for o in objectives)


def pick_text(pick: Pick, target: str, direction: str) -> str:
    if pick.reason is PickReason.EMPTY:
        return "No point has values for these columns yet."
    if pick.reason is PickReason.NONE_MEETS_LIMITS:
        return "No point meets these limits; relax them to see the trade-off."
    best = "lowest" if direction == "minimize" else "highest"
    return f"Of {counted(pick.n_meeting, 'point')} meeting the limits, this one has the {best} {target}."
