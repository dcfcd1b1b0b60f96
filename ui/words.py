"""Every sentence the app makes from library data: row problems, statuses, model state, import reports.

The library returns typed values; this module alone decides how they read on screen, so a
wording change never touches the library and no code ever parses a sentence back.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Sequence

from alchemist.display import display_decimals
from alchemist.errors import (
    AlchemistError, ChangeKind, ChangeNeedsConfirmation, ForeignFileError, LimitError, StorageError, StorageReason,
)
from alchemist.files.bounds import megabytes, whole_megabytes
from alchemist.model import KERNELS, FitProgress, FittedHyperparameter, ModelSettings, Parameter, Unit
from alchemist.problems import CellProblem, ProblemKind, RowCheck, RowStatus
from alchemist.session import ModelState, ModelStatus
from alchemist.variables import format_number
from ui.plurals import counted

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
    subset = f", using a representative {status.n_used:,} of them" if 0 < status.n_used < status.n_train else ""
    trained = f"{counted(status.n_train, 'experiment')}{subset}"
    if status.state is ModelState.TRAINED:
        return f"Trained on {trained}"
    return f"Out of date (trained on {trained})"


def model_settings_text(settings: ModelSettings) -> str:
    """The settings a model was trained with, e.g. "Matérn 5/2 kernel · 5 restarts · seed 0 · skewed results transformed"."""
    restarts = counted(settings.n_restarts, "restart")
    warp = "skewed results transformed" if settings.warp_outputs else "results not transformed"
    return f"{KERNELS[settings.kernel]} kernel · {restarts} · seed {settings.seed} · {warp}"


def settings_changes(trained: ModelSettings, shown: ModelSettings) -> list[str]:
    """What the settings on screen change from those the model was trained with, one phrase each."""
    changes = []
    if trained.kernel != shown.kernel:
        changes.append(f"kernel {KERNELS[trained.kernel]} → {KERNELS[shown.kernel]}")
    if trained.n_restarts != shown.n_restarts:
        changes.append(f"restarts {trained.n_restarts} → {shown.n_restarts}")
    if trained.seed != shown.seed:
        changes.append(f"seed {trained.seed} → {shown.seed}")
    if trained.warp_outputs != shown.warp_outputs:
        changes.append("transform of skewed results " + ("off → on" if shown.warp_outputs else "on → off"))
    return changes


def fit_progress(report: FitProgress) -> str:
    """A running fit, e.g. "Tried 120 settings · 4 s (stops at 60 s at the latest)"."""
    return (f"Tried {report.evaluations} sets of model parameters · {report.elapsed_seconds:.0f} s "
            f"(stops at {report.budget_seconds:.0f} s at the latest, keeping the best found)")


def table_edit(changes: dict) -> str:
    """What an edit of the experiments table did, from the data editor's change set,
    e.g. "Edited 2 cells (Temperature, Note); deleted 1 row."."""
    edited = changes.get("edited_rows") or {}
    cells = sum(len(row) for row in edited.values())
    columns = sorted({column for row in edited.values() for column in row})
    parts = []
    if cells:
        parts.append(f"edited {counted(cells, 'cell')} ({', '.join(columns)})")
    for key, verb in (("added_rows", "added"), ("deleted_rows", "deleted")):
        count = len(changes.get(key) or ())
        if count:
            parts.append(f"{verb} {counted(count, 'row')}")
    text = "; ".join(parts) or "changed nothing"
    return text[0].upper() + text[1:] + "."


def fold_progress(done: int, folds: int) -> str:
    """Cross-validation under way, e.g. "Predicting fold 3 of 10 from the other folds"."""
    return f"Predicting fold {min(done + 1, folds)} of {folds} from the other folds"


def search_progress(found: int, wanted: int) -> str:
    """The suggestion search under way, e.g. "Searching for experiment 2 of 5 (1 found)"."""
    return f"Searching the space for experiment {min(found + 1, wanted)} of {wanted} ({found} found)"


def model_notes(stopped_early: bool, reduced_on_load: bool, used: int, total: int, fit_seconds: float) -> list[str]:
    """What a chemist should know about how the current model was made, one sentence each."""
    notes = []
    if stopped_early:
        notes.append(f"Training reached its time limit ({fit_seconds:.0f} s) and kept the best model found by "
                     "then. It may predict a little less well; fewer optimiser restarts make training quicker.")
    if reduced_on_load:
        notes.append(f"This model was saved on an installation that used more experiments than this one handles "
                     f"exactly: it now uses a representative {used} of the {total} experiments, with the "
                     "parameters it was saved with. Train again to refit it here.")
    return notes


# -- session files: why one is not opened, in a chemist's words ----------------------------------
_TRUST = " Open it only if you trust where it comes from: it is then read in a separate, protected process."


def foreign_file_text(reason: str) -> str:
    """Why the app asks before reading a file (an alchemist.errors.ForeignFileError reason); no key ids."""
    if reason == "foreign":
        return ("This session file was signed by another installation of ALchemist (another computer or "
                "server), not by this one." + _TRUST)
    if reason == "mismatch":
        return "This session file was changed after it was saved here, or it is damaged." + _TRUST
    return ("This session file is unsigned: nothing shows that it was saved by this installation (it may "
            "come from an older version of ALchemist, or not be an ALchemist file at all)." + _TRUST)


def load_failure(name: str, error: AlchemistError) -> tuple[str, str | None]:
    """A file that could not be opened: the sentence for the user, and the reader's own words, if any,
    as details for whoever looks after the installation (they name file internals)."""
    if isinstance(error, LimitError):
        return f"'{name}' could not be loaded: {error.message}", None
    if isinstance(error, ForeignFileError):
        return f"'{name}' could not be loaded. {foreign_file_text(error.reason)}", None
    return (f"'{name}' could not be loaded: it is not a session file ALchemist can open, or it is damaged. "
            "Nothing was changed.", error.message)


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
        if record.unit is Unit.VARIABLE:
            unit = record.variable_unit or f"same units as {record.variable}"  # a variable without a stated unit
        else:
            unit = unit_text[record.unit]
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


def reason_lines(reasons: Sequence[str]) -> list[str]:
    """Why each suggestion was chosen, one line per reason with the numbers of its suggestions
    (e.g. "**1, 2, 4**: largest expected gain"): readable in full at any width, unlike a table column."""
    numbers: dict[str, list[int]] = {}
    for number, reason in enumerate(reasons, start=1):
        numbers.setdefault(reason_text(reason), []).append(number)
    return [f"**{', '.join(map(str, found))}**: {text}" for text, found in numbers.items()]


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


def duration(span: timedelta) -> str:
    """A time to live for reading: "7 days", "1 day", "12 hours"."""
    hours = span.total_seconds() / 3600
    if hours >= 24:
        days = round(hours / 24)
        return counted(days, 'day')
    whole = max(1, round(hours))
    return counted(whole, 'hour')


def slice_caption(source, pinned: bool) -> str:
    """Where the landscape's slice is (an alchemist.landscape.SliceSource), above its controls."""
    from alchemist.landscape import SliceSource

    if pinned:
        return "The other variables are held at the values below (pinned)."
    where = {
        SliceSource.SUGGESTION: "the first suggested experiment",
        SliceSource.BEST: "the best experiment so far",
        SliceSource.MIDDLE: "the middle of their ranges",
    }[SliceSource(source)]
    return f"The other variables are held at {where}; move them to look elsewhere, or pin the slice."


def number_format(variable) -> str:
    """A printf format for the variable's values at its shown precision ("%.1f"; "%d" for integers)."""
    decimals = display_decimals(variable)
    return "%d" if variable.kind == "integer" else f"%.{decimals}f"


def size(n_bytes: int) -> str:
    """A file's size, e.g. "20.3 MB" (1 MB = 2**20 bytes everywhere in the app, as in config.toml)."""
    return megabytes(n_bytes)


def size_limit(limit_bytes: int) -> str:
    """A size limit, e.g. "20 MB"."""
    return f"{whole_megabytes(limit_bytes)} MB"


def measured(value: float) -> str:
    """A result or a prediction for reading: 4 significant digits (0.565, 1.234e+05), not 17."""
    return f"{value:.4g}"


def spread(value: float) -> str:
    """An uncertainty (a standard deviation): 2 significant digits (0.0019), as a lab reports one."""
    return f"{value:.2g}"


_STORAGE_PROBLEMS = {
    StorageReason.DISK_FULL: "the server's disk is full.",
    StorageReason.READ_ONLY: "the server's session folder cannot be written (read-only, or no permission).",
    StorageReason.DISK: "the server's disk failed.",
    StorageReason.CACHE_FULL: "the server's session cache is full.",
    StorageReason.BUSY: "the session kept changing while it was read (another tab or a colleague is working on it).",
    StorageReason.UNREACHABLE: "the session storage cannot be reached (network or storage service down).",
    StorageReason.CREDENTIALS: "the session storage refused the app's credentials ([store_options] key and secret in secrets).",
    StorageReason.NO_BUCKET: "the bucket named in the store URL does not exist.",
    StorageReason.REFUSED: "the session storage refused the request.",
}


def storage_problem(error: StorageError | LimitError) -> str:
    """Why a change could not be stored, as the end of "... could not be saved yet: <this>"."""
    if isinstance(error, StorageError):
        return _STORAGE_PROBLEMS[error.reason]
    return error.message


ROWS_LISTED = 12  # a longer list of rows ends in "and N more"


def row_list(rows: Sequence[int]) -> str:
    """ "row 3", "rows 1, 2, 3 and 18 more": 0-based positions, counted from 1 as the table shows them."""
    shown = ", ".join(str(r + 1) for r in rows[:ROWS_LISTED])
    more = f" and {len(rows) - ROWS_LISTED:,} more" if len(rows) > ROWS_LISTED else ""
    return f"{'row' if len(rows) == 1 else 'rows'} {shown}{more}"


def confirmation_text(needs: ChangeNeedsConfirmation) -> str:
    """What a change of the variables would do to the experiments, asked before it is made."""
    n, rows = len(needs.rows), row_list(needs.rows)
    if needs.change is ChangeKind.DELETE_VARIABLE:
        return f"Deleting '{needs.variable}' removes its values from {counted(n, 'experiment')}: {rows}."
    if needs.change is ChangeKind.IMPORT_VARIABLES:
        dropped = ""
        if needs.dropped:
            columns = "column {} with its values" if len(needs.dropped) == 1 else "columns {} with their values"
            dropped = f"removes the {columns.format(', '.join(needs.dropped))} and "
        return f"Importing these variables {dropped}affects {counted(n, 'experiment')}: {rows}."
    kept = "It stays in the table, marked, but a model will not use it." if n == 1 else \
        "They stay in the table, marked, but a model will not use them."
    return f"This change makes {counted(n, 'experiment')} invalid: {rows}. {kept}"
