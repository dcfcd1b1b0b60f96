"""Every sentence the app makes from library data: row problems, statuses, model state, import reports.

The library returns typed values; this module alone decides how they read on screen, so a
wording change never touches the library and no code ever parses a sentence back.
"""

from __future__ import annotations

import re
from typing import Sequence

from alchemist.experiments import ImportReport
from alchemist.model import FittedHyperparameter, Parameter, Unit
from alchemist.problems import CellProblem, ProblemKind, RowCheck, RowStatus
from alchemist.session import ModelState, ModelStatus
from alchemist.variables import format_number

PENDING_TEXT = "pending: no result yet"
EXCLUDED_TEXT = "excluded from the model (kept in the table)"
STATUS_ICONS = {RowStatus.OK: "✅", RowStatus.PENDING: "⏳", RowStatus.INVALID: "⚠️", RowStatus.EXCLUDED: "🚫"}


# The characters that start Markdown (and Streamlit's own :color[...] and $math$) constructs:
# links and images need "[", autolinks "<" or a bare "://" or "www.", emphasis and code * _ ~ `.
# Sentence punctuation (. , ' : ( )) is left alone so messages read and compare as written.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]<>#$|~])")
_BARE_LINK = re.compile(r"(?i)(://|www\.)")


def plain(text: object) -> str:
    """`text` (a name, a cell, a message holding them) escaped so Markdown shows it literally.

    Users name variables, columns and sessions and type cells: "[x](http://evil)" or a remote
    image must read as those characters, never become a link or load an image.
    """
    escaped = _MARKDOWN_SYNTAX.sub(r"\\\1", str(text)).replace("\n", " ")
    return _BARE_LINK.sub(lambda m: m.group(1).replace("/", "\\/").replace(".", "\\."), escaped)


def _number(value: object) -> str:
    return format_number(float(value))  # type: ignore[arg-type]


def problem_text(problem: CellProblem) -> str:
    """One cell's problem, e.g. "Temperature: 500 is outside 350 to 450"."""
    kind = problem.kind
    if kind is ProblemKind.MISSING:
        reason = "missing value"
    elif kind is ProblemKind.NOT_A_NUMBER:
        reason = f"'{problem.value}' is not a number"
    elif kind is ProblemKind.NOT_WHOLE:
        reason = f"{_number(problem.value)} is not a whole number"
    elif kind is ProblemKind.OUT_OF_RANGE:
        reason = f"{_number(problem.value)} is outside {_number(problem.low)} to {_number(problem.high)}"
    elif kind is ProblemKind.NOT_A_LEVEL:
        reason = f"unknown level '{problem.value}'"
    elif kind is ProblemKind.NOT_ALLOWED:
        reason = f"{_number(problem.value)} is not one of {', '.join(_number(v) for v in problem.allowed)}"
    elif kind is ProblemKind.NEGATIVE:
        reason = "must not be negative"
    elif kind is ProblemKind.TOO_LARGE:
        reason = f"{_number(problem.value)} is too large (at most {problem.high:g} in size); check for a typo"
    else:  # a new kind must get its words here before it reaches the screen
        raise ValueError(f"No wording for the problem kind {kind!r}")
    return f"{problem.column}: {reason}"


def status_text(check: RowCheck) -> str:
    """A row's status in words: "ok", "pending: no result yet", or its problems joined by "; "."""
    if check.status is RowStatus.OK:
        return "ok"
    if check.status is RowStatus.PENDING:
        return PENDING_TEXT
    if check.status is RowStatus.EXCLUDED:
        return EXCLUDED_TEXT
    return "; ".join(problem_text(p) for p in check.problems)


def status_cell(check: RowCheck) -> str:
    """The Status column's cell: an icon, then the status in words."""
    return f"{STATUS_ICONS[check.status]} {status_text(check)}"


def table_summary(checks: list[RowCheck]) -> str:
    """How many experiments the model can use, how many wait for a result, how many need fixing."""
    count = {status: sum(1 for c in checks if c.status is status) for status in RowStatus}
    return (
        f"**{len(checks)}** experiments · **{count[RowStatus.OK]}** usable for the model · "
        f"**{count[RowStatus.PENDING]}** pending · **{count[RowStatus.INVALID]}** need attention"
        + (f" · **{count[RowStatus.EXCLUDED]}** excluded" if count[RowStatus.EXCLUDED] else "")
    )


def model_status_text(status: ModelStatus) -> str:
    if status.state is ModelState.NONE:
        return "No model"
    subset = f", using a representative {status.n_used} of them" if 0 < status.n_used < status.n_train else ""
    if status.state is ModelState.TRAINED:
        return f"Trained on {status.n_train} experiments{subset}"
    return f"Out of date (trained on {status.n_train} experiments{subset})"


def import_summary(report: ImportReport) -> str:
    parts = [f"Added {report.rows_added} experiment(s) with target '{report.target}'."]
    if report.invalid_rows:
        parts.append(f"{report.invalid_rows} row(s) need attention; see the Status column.")
    if report.ignored_columns:
        parts.append("Columns not used: " + ", ".join(report.ignored_columns) + ".")
    return " ".join(parts)


def plural(count: int, noun: str) -> str:
    """"**3** experiments", "**1** variable": a bold count with its noun."""
    return f"**{count}** {noun}{'' if count == 1 else 's'}"


_PARAMETER_TEXT = {
    Parameter.SIGNAL_VARIANCE: "Signal variance",
    Parameter.NOISE_VARIANCE: "Noise variance (learned)",
    Parameter.RQ_SHAPE: "Rational quadratic shape α",
    Parameter.OUTPUT_POWER: "Output power transform λ (Yeo-Johnson)",
}


def hyperparameter_rows(records: Sequence[FittedHyperparameter], target: str) -> list[dict[str, object]]:
    """The fitted hyperparameters as table rows: what each is, its value, and its unit in words."""
    unit_text = {
        Unit.ONE_HOT: "level indicator (0 to 1); large = the level matters little",
        Unit.NONE: "",
        Unit.TARGET_SQUARED: f"({target} units)²",
        Unit.MODEL_SQUARED: "relative to the spread of the results (scaled)",
    }
    rows = []
    for record in records:
        if record.parameter is Parameter.LENGTH_SCALE:
            name = f"Length scale: {record.variable}" + (f" = {record.level}" if record.level else "")
        else:
            name = _PARAMETER_TEXT[record.parameter]
        unit = record.variable_unit if record.unit is Unit.VARIABLE else unit_text[record.unit]
        rows.append({"Parameter": name, "Value": record.value, "Unit": unit})
    return rows


# -- suggestions: the policy, the reasons, when to stop ------------------------------------------
def policy_sentence(budget: int | None) -> str:
    """The automatic policy in one sentence a chemist understands."""
    if budget is None:
        return ("**Automatic** explores where the model expects the largest gain over its best prediction "
                "so far, and refines the best conditions once little is left to gain; state how many experiments "
                "you plan in total and it will also spend the last 10% refining.")
    return (f"**Automatic** explores where the model expects the largest gain over its best prediction, "
            f"then spends the last 10% of your {budget} experiments refining the best conditions.")


def reason_text(reason: str) -> str:
    """Why one suggestion was chosen (an alchemist.acquisition.Reason value), in a few words."""
    from alchemist.acquisition import Reason

    return {
        Reason.CHOSEN: "your chosen acquisition",
        Reason.EXPLORE: "largest expected gain",
        Reason.REFINE: "budget nearly spent: refine the best",
        Reason.LITTLE_LEFT: "little left to find: refine the best",
        Reason.WIDENED: "model unsure of itself: exploring wider",
        Reason.REPLICATE: "repeat: results are noisy here",
    }[Reason(reason)]


def reason_notes(reasons: Sequence[str]) -> list[str]:
    """The longer explanations the page shows under the table, once per reason that needs one."""
    from alchemist.acquisition import Reason

    notes = []
    present = {Reason(r) for r in reasons}
    if Reason.WIDENED in present:
        notes.append("The model predicted its own experiments worse than its error bars claim (leave-one-out), "
                     "so its uncertainty was widened for this search: it explores more instead of trusting itself.")
    if Reason.REPLICATE in present:
        notes.append("The model learned that results scatter a lot between repeats, so repeating a measured "
                     "experiment tells more than a new one; it is suggested on purpose.")
    return notes


def stopping_reading(verdict: str, margin: float, target: str, goal: str) -> str:
    """The plain-language reading of the advice (an alchemist.analysis.stopping.Verdict value)."""
    from alchemist.analysis.stopping import Verdict

    change = "improve" if goal == "maximize" else "lower"
    amount = measured(margin)
    verdict = Verdict(verdict)
    if verdict is Verdict.DONE:
        return f"Further experiments are unlikely to {change} {target} by more than {amount}: you can stop."
    if verdict is Verdict.LIKELY_DONE:
        return (f"Further experiments will probably not {change} {target} by more than {amount}; "
                "a few more would confirm it.")
    return f"Another experiment still has a fair chance to {change} {target} by more than {amount}: continue."


def sensitivity_note(subsets: int) -> str:
    """The note on uncertainty under the sensitivity bars."""
    extra = (f", and how much they change when the model is refitted on {subsets} random subsets of the experiments"
             if subsets else "")
    return ("Bars: the share of the variation of the predicted result that each variable takes part in "
            "(alone or with others); the dot, its share on its own. Whiskers show how much the figures move "
            f"with the sampling{extra}: a guide for the eye, not a confidence interval. With few experiments, "
            "read them as a ranking, not as exact shares.")


def measured(value: float) -> str:
    """A result or a prediction for reading: 4 significant digits (0.565, 1.234e+05), not 17."""
    return f"{value:.4g}"
