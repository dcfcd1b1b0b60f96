"""Import a JSON session file written by NREL's ALchemist (0.3 / 0.4, session format 1.x).

What maps comes across: the session name, the variables with units and descriptions, every
experiment with its result, noise, iteration and reason (as the row's note), staged
experiments as pending rows, and the kernel choice. Everything else is listed for the user in
words (`not_mapped`), never dropped silently: rows that do not fit stay in the table, marked.

The bytes are parsed strictly (alchemist.files.strict_json, with the NaN tokens ALchemist's
writer uses) and bounded like any session file before this module maps the tree.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from alchemist import limits
from alchemist.errors import AlchemistError, LimitError, SessionFileError, VariableError
from alchemist.experiments import ITERATION, NOISE, NOTE_ALIASES
from alchemist.files.bounds import check_plain, checked_bytes
from alchemist.files.strict_json import MAX_JSON_SESSION_FILE_BYTES, parse_json_bytes
from alchemist.files.variable_files import ENTRY_FIELDS, variable_from_entry
from alchemist.model import ModelSettings
from alchemist.session import DEFAULT_NAME, Session, clean_session_name
from alchemist.variables import check_unique_names

SUPPORTED_MAJOR = 1
# Columns the experiment table takes besides variables and the result (matched case-insensitively there too).
_TABLE_COLUMNS = {NOISE.lower(), ITERATION.lower(), *NOTE_ALIASES}
_KNOWN_KEYS = {
    "version", "metadata", "audit_log", "search_space", "experiments", "staged_experiments",
    "outcome_constraints", "objective_metadata", "control", "last_suggestions", "provenance",
    "config", "model_config",
}
_KERNELS = {"rbf": "rbf", "rationalquadratic": "rq"}


def _short(value: Any, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(value: Any) -> int:
    return len(value) if isinstance(value, (list, dict)) else (0 if value in (None, "", False) else 1)


def parse_alchemist_session(data: Any) -> dict:
    """The JSON document of an NREL ALchemist session file, strictly parsed (NaN tokens allowed: its writer uses them)."""
    data = checked_bytes(data, MAX_JSON_SESSION_FILE_BYTES, "ALchemist session file")
    tree = parse_json_bytes(data, "ALchemist session file", allow_nan=True)
    if not isinstance(tree, dict):
        raise SessionFileError("The ALchemist session file does not hold a session (it is not a JSON object).")
    check_plain(tree, "ALchemist session file")
    return tree


def import_alchemist_session(data: bytes) -> tuple[Session, list[str]]:
    """(a new session, what could not be mapped in words); raises SessionFileError naming the part at fault."""
    tree = parse_alchemist_session(data)
    try:
        return _import(tree)
    except (SessionFileError, LimitError):
        raise
    except AlchemistError as error:
        raise SessionFileError(f"The ALchemist session could not be imported: {error.message}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, ArithmeticError):
        raise SessionFileError("The ALchemist session could not be imported: a part of it has an unexpected form.") from None


def _import(tree: dict) -> tuple[Session, list[str]]:
    notes: list[str] = []
    if "search_space" not in tree or "experiments" not in tree:
        raise SessionFileError("This JSON file is not an ALchemist session: it has no search_space or no experiments.")
    _check_version(tree.get("version"), notes)

    # -- metadata --------------------------------------------------------------------------
    metadata = tree.get("metadata") if isinstance(tree.get("metadata"), dict) else {}
    if "metadata" in tree and not isinstance(tree.get("metadata"), dict):
        notes.append("The metadata part is not an object and was not read.")
    name = metadata.get("name")
    try:
        session = Session.new(clean_session_name(name) if name is not None else DEFAULT_NAME)
    except VariableError as error:
        session = Session.new()
        notes.append(f"Session name {_short(name)!r} could not be used ({error.message}); the session is called '{DEFAULT_NAME}'.")
    for key in ("description", "author"):
        if isinstance(metadata.get(key), str) and metadata[key].strip():
            notes.append(f"Metadata '{key}' was not imported: {_short(metadata[key])!r}.")
    if metadata.get("tags"):
        notes.append(f"Metadata 'tags' were not imported: {_short(metadata['tags'])}.")
    if metadata.get("created_at") or metadata.get("last_modified"):
        notes.append(
            f"ALchemist's timestamps (created {_short(metadata.get('created_at'), 32)}) carry no time zone and were not "
            "imported; the new session's times are the time of this import (UTC)."
        )
    extra_metadata = sorted(set(metadata) - {"session_id", "name", "created_at", "last_modified", "description", "author", "tags"})
    if extra_metadata:
        notes.append("Metadata fields not imported: " + ", ".join(_short(k, 30) for k in extra_metadata) + ".")

    # -- variables -------------------------------------------------------------------------
    space = tree.get("search_space")
    if not isinstance(space, dict) or not isinstance(space.get("variables"), list) or not space["variables"]:
        raise SessionFileError("The search_space of the ALchemist session lists no variables.")
    variables = []
    for position, entry in enumerate(space["variables"], start=1):
        try:
            variable = variable_from_entry(entry)
            check_unique_names([*variables, variable])
        except VariableError as error:
            label = entry.get("name") if isinstance(entry, dict) else None
            notes.append(f"Variable {position} ({_short(label, 40)!r}) of the search space was not imported: {error.message}")
            continue
        variables.append(variable)
        if isinstance(entry, dict):
            extra = sorted(set(entry) - ENTRY_FIELDS)
            if extra:
                notes.append(f"Variable '{variable.name}': field(s) {', '.join(_short(k, 30) for k in extra)} not imported.")
    if not variables:
        raise SessionFileError("None of the variables in the ALchemist session's search_space could be imported.")
    for key in ("derived_variables", "constraints"):
        if _count(space.get(key)):
            notes.append(f"{_count(space[key])} {key.replace('_', ' ')} of the search space not imported (this app has none).")
    extra = sorted(set(space) - {"variables", "derived_variables", "constraints"})
    if extra:
        notes.append("Search-space fields not imported: " + ", ".join(_short(k, 30) for k in extra) + ".")

    # -- experiments -----------------------------------------------------------------------
    experiments = tree.get("experiments")
    if not isinstance(experiments, dict) or not isinstance(experiments.get("data", []), list):
        raise SessionFileError("The experiments part of the ALchemist session is not in the expected form.")
    records = experiments.get("data", [])
    if len(records) > limits.current().max_experiments:
        raise LimitError(
            f"The ALchemist session has {len(records):,} experiments; at most {limits.current().max_experiments:,} can be "
            "imported (limit max_experiments).",
            "max_experiments",
        )
    targets = experiments.get("target_columns") or ["Output"]
    if not isinstance(targets, list) or not all(isinstance(t, str) and t for t in targets):
        raise SessionFileError("The experiments' target_columns in the ALchemist session are not a list of names.")
    target = targets[0]
    if len(targets) > 1:
        notes.append(
            f"This app models one result: '{target}' was imported; the result column(s) "
            + ", ".join(f"'{_short(t, 40)}'" for t in targets[1:]) + " were not (their values are not in the table)."
        )
    for variable in variables:
        session.add_variable(variable)
    _check_items(records, "experiments")
    known = [v.name for v in variables]
    rows, others = _records(records, "experiment", notes, {*known, target})
    if rows:
        frame = pd.DataFrame(rows)
        if target not in frame.columns:
            frame[target] = None
            notes.append(f"No experiment has a value for the result '{target}'; all are pending.")
        missing = [v.name for v in variables if v.name not in frame.columns]
        for name in missing:
            frame[name] = None
            notes.append(f"No experiment has a value for '{name}'; the cells are empty and marked.")
        report = session.add_experiments(frame, target=target)
        ignored = [c for c in [*report.ignored_columns, *others] if c not in targets[1:]]
        if ignored:
            notes.append("Experiment column(s) not imported: " + _names(ignored) + ".")
        if report.invalid_rows:
            notes.append(f"{report.invalid_rows} experiment(s) do not fit the variables; they were kept and are marked in the Status column.")
    n_total = experiments.get("n_total")
    if isinstance(n_total, int) and n_total != len(records):
        notes.append(f"The file says it has {n_total} experiments but holds {len(records)}; all {len(records)} held were imported.")

    staged = tree.get("staged_experiments")
    if staged:
        staged = staged if isinstance(staged, list) else [staged]
        _check_items(staged, "staged experiments")
        staged_rows, extra = _records(staged, "staged experiment", notes, set(known))
        if staged_rows:
            frame = pd.DataFrame(staged_rows)
            if all(name in frame.columns for name in known):
                session.add_pending(frame[known], "staged in ALchemist")
                notes.append(f"{len(frame)} staged experiment(s) were imported as pending rows (no result yet).")
                if extra:
                    notes.append("Staged-experiment column(s) not imported: " + _names(extra) + ".")
            else:
                notes.append(f"{len(frame)} staged experiment(s) were not imported: they do not give every variable.")

    # -- model and the rest ----------------------------------------------------------------
    _model(tree.get("model_config"), tree.get("config"), session, notes)
    audit = tree.get("audit_log")
    if isinstance(audit, dict) and _count(audit.get("entries")):
        notes.append(f"{_count(audit['entries'])} audit-log entries were not imported.")
    if isinstance(audit, dict) and audit.get("experiment_data") not in (None, records):
        notes.append("The audit log's copy of the experiment data differs from the experiments; the experiments were imported.")
    for key, words in (
        ("outcome_constraints", "outcome constraint(s)"),
        ("objective_metadata", "objective setting(s)"),
        ("last_suggestions", "last suggestion(s)"),
        ("provenance", "provenance record(s)"),
    ):
        if _count(tree.get(key)):
            notes.append(f"{_count(tree[key])} {words} not imported.")
    control = tree.get("control")
    if isinstance(control, dict) and any(control.get(k) for k in ("requested_at", "requested_by", "reported_at", "reported_by", "detail")):
        notes.append("The remote-control state of the ALchemist session was not imported.")
    unknown = sorted(set(tree) - _KNOWN_KEYS)
    if unknown:
        notes.append("Parts of the file this import does not know, not imported: " + ", ".join(_short(k, 30) for k in unknown) + ".")
    return session, notes


def _check_version(version: Any, notes: list[str]) -> None:
    if version is None:
        notes.append("The file states no ALchemist session version; it was read as version 1.x.")
        return
    match = re.fullmatch(r"(\d{1,4})(?:\.\d{1,4}){0,2}", str(version).strip()) if isinstance(version, (str, int)) else None
    if not match:
        raise SessionFileError(f"The ALchemist session's version {_short(version, 20)!r} is not a version number.")
    if int(match.group(1)) != SUPPORTED_MAJOR:
        raise SessionFileError(
            f"The ALchemist session has format version {_short(version, 20)}; this import reads version "
            f"{SUPPORTED_MAJOR}.x. Save it from an ALchemist that writes {SUPPORTED_MAJOR}.x, or ask for an update."
        )


def _check_items(records: list, what: str) -> None:
    """LimitError if the records hold more values (records x keys) than max_file_items, before any frame is built."""
    allowed = limits.current().max_file_items
    items = sum(len(record) if isinstance(record, dict) else 1 for record in records)
    if items > allowed:
        raise LimitError(
            f"The ALchemist session's {what} hold {items:,} values (records x keys); at most {allowed:,} can be imported "
            "(limit max_file_items). Remove columns or experiments you do not need in ALchemist and save again.",
            "max_file_items",
        )


def _records(records: list, what: str, notes: list[str], known: set[str]) -> tuple[list[dict], list[str]]:
    """(the records' cells of the `known` columns, the other column names in order of first appearance).

    Only known columns go into a row: a frame of the union of every record's keys would have one
    column per stray key (20,000 records with a key each are 400 million cells).
    """
    rows: list[dict] = []
    others: dict[str, None] = {}
    for position, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            notes.append(f"{what.capitalize()} {position} is not a record ({type(record).__name__}) and could not be imported.")
            continue
        row = {}
        for key, value in record.items():
            if key in known or str(key).lower() in _TABLE_COLUMNS:
                row[key] = _cell(value)
            else:
                others[str(key)] = None
        rows.append(row)
    return rows, list(others)


def _names(names: list[str], shown: int = 10) -> str:
    """Up to `shown` quoted names, then how many more: a note stays readable whatever a file holds."""
    text = ", ".join(f"'{_short(name, 40)}'" for name in names[:shown])
    return text + (f" and {len(names) - shown:,} more" if len(names) > shown else "")


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # a list or an object in a cell: kept as text, so it is seen and marked


def _model(model_config: Any, config: Any, session: Session, notes: list[str]) -> None:
    seed = config.get("random_state") if isinstance(config, dict) else None
    settings = session.model_settings
    if isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**32:
        settings = ModelSettings(kernel=settings.kernel, n_restarts=settings.n_restarts, seed=seed, warp_outputs=settings.warp_outputs)
    if isinstance(config, dict):
        rest = {k: v for k, v in config.items() if k != "random_state"}
        if rest:
            notes.append("ALchemist settings not imported: " + ", ".join(f"{_short(k, 30)}={_short(v, 20)}" for k, v in rest.items()) + ".")
    if isinstance(model_config, dict) and model_config:
        kernel_name = str(model_config.get("kernel", "")).strip()
        nu = _matern_nu(model_config)
        key = None
        if kernel_name.lower() == "matern":
            key = {1.5: "matern32", 2.5: "matern52"}.get(nu)
        else:
            key = _KERNELS.get(kernel_name.lower())
        if key:
            settings = ModelSettings(kernel=key, n_restarts=settings.n_restarts, seed=settings.seed, warp_outputs=settings.warp_outputs)
        else:
            notes.append(f"ALchemist's kernel {_short(kernel_name, 30)!r}{f' (nu={nu})' if nu else ''} has no match here; the default kernel is used.")
        backend = _short(model_config.get("backend", "?"), 20)
        notes.append(
            f"The trained model ({backend}, {_short(kernel_name, 20) or 'kernel not given'}) was not imported: its fitted "
            "hyperparameters and metrics are ALchemist's own. Train a model here on the Model page."
        )
    session.model_settings = settings


def _matern_nu(model_config: dict) -> float | None:
    for part in ("hyperparameters", "kernel_params"):
        params = model_config.get(part)
        if isinstance(params, dict):
            nu = params.get("k2__nu", params.get("nu"))
            if isinstance(nu, (int, float)) and not isinstance(nu, bool) and math.isfinite(nu):
                return float(nu)
    return None
