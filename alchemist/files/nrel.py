"""Import a JSON session file written by NREL's ALchemist (0.3 / 0.4, session format 1.x).

What maps comes across: the session's name, description, author and tags; the variables with
units and descriptions; every experiment with its results, noise, iteration and reason (as the
row's note); every item of the work queue as a row in its state (alchemist.files.nrel_queue);
the kernel choice and the seed (alchemist.files.nrel_model). What does not map is returned as
typed records (alchemist.files.nrel_notes), never dropped silently: rows that do not fit stay
in the table, marked.

ALchemist's own loader goes by which keys are present, and so does this import: writers that
stamp "1.1.0" differ (an older one writes no `target_columns`, no provenance and bare `NaN`
tokens in cells). The bytes are parsed strictly (alchemist.files.strict_json, with the NaN
tokens) and bounded like any session file before the tree is mapped.
"""

from __future__ import annotations

import json
import re
from typing import Any, Sequence

import pandas as pd

from alchemist import limits
from alchemist.errors import AlchemistError, LimitError, SessionFileError, VariableError
from alchemist.experiments import ITERATION, NOISE, NOTE, NOTE_ALIASES
from alchemist.files.bounds import check_plain, checked_bytes
from alchemist.files.nrel_history import import_history
from alchemist.files.nrel_model import map_model
from alchemist.files.nrel_notes import ImportNotes, NotMapped, NotMappedKind
from alchemist.files.nrel_queue import PROVENANCE_COLUMN, Placement, place_queue, read_queue
from alchemist.files.nrel_rules import exclude_failed, map_constraints, map_objectives
from alchemist.files.nrel_values import cell
from alchemist.files.strict_json import MAX_JSON_SESSION_FILE_BYTES, parse_json_bytes
from alchemist.files.variable_files import ENTRY_FIELDS, variable_from_entry
from alchemist.session import DEFAULT_NAME, Session, clean_session_name
from alchemist.session_details import check_author, check_description, check_tags
from alchemist.variables import Variable, check_unique_names

SUPPORTED_MAJOR = 1
# Columns ALchemist keeps beside the variables and results (its loader's "bookkeeping" columns).
_SIDE = {"noise": NOISE, "iteration": ITERATION, **{alias: NOTE for alias in NOTE_ALIASES}}
_BOOKKEEPING = {"Noise", "Iteration", "Reason", PROVENANCE_COLUMN}
_KNOWN_KEYS = {
    "version", "metadata", "audit_log", "search_space", "experiments", "staged_experiments",
    "outcome_constraints", "objective_metadata", "control", "last_suggestions", "provenance",
    "config", "model_config",
}
_METADATA_MAPPED = {"name", "description", "author", "tags"}
_METADATA_TIMES = ("created_at", "last_modified")


def parse_alchemist_session(data: Any) -> dict:
    """The JSON document of an NREL ALchemist session file, strictly parsed (NaN tokens allowed: its writer uses them)."""
    data = checked_bytes(data, MAX_JSON_SESSION_FILE_BYTES, "ALchemist session file")
    tree = parse_json_bytes(data, "ALchemist session file", allow_nan=True)
    if not isinstance(tree, dict):
        raise SessionFileError("The ALchemist session file does not hold a session (it is not a JSON object).")
    check_plain(tree, "ALchemist session file")
    return tree


def import_alchemist_session(data: bytes) -> tuple[Session, list[NotMapped]]:
    """(a new session, what could not be mapped); raises SessionFileError naming the part at fault."""
    tree = parse_alchemist_session(data)
    try:
        return _import(tree)
    except (SessionFileError, LimitError):
        raise
    except AlchemistError as error:
        raise SessionFileError(f"The ALchemist session could not be imported: {error.message}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, ArithmeticError):
        raise SessionFileError("The ALchemist session could not be imported: a part of it has an unexpected form.") from None


def _import(tree: dict) -> tuple[Session, list[NotMapped]]:
    notes = ImportNotes()
    if "search_space" not in tree or "experiments" not in tree:
        raise SessionFileError("This JSON file is not an ALchemist session: it has no search_space or no experiments.")
    _check_version(tree.get("version"), notes)
    session = _session(tree.get("metadata"), notes)
    variables = _variables(tree.get("search_space"), notes)
    names = [v.name for v in variables]

    experiments = tree.get("experiments")
    if not isinstance(experiments, dict) or not isinstance(experiments.get("data", []), list):
        raise SessionFileError("The experiments part of the ALchemist session is not in the expected form.")
    records = experiments.get("data", [])
    _check_count(len(records), "experiments")
    targets = _targets(experiments.get("target_columns"), records, names)
    _check_items(records, "experiments")
    rows, others = _records(records, notes, {*names, *targets})
    staged = tree.get("staged_experiments")
    items = []
    if staged not in (None, [], {}):
        _check_count(len(staged) if isinstance(staged, list) else 1, "work-queue items")
        _check_items(staged if isinstance(staged, list) else [staged], "work-queue items", nested=True)
        items = read_queue(staged, targets, notes)
    added, placements = place_queue(items, rows, names)

    for variable in variables:
        session.add_variable(variable)
    map_objectives(tree, session, targets, notes)  # before the rows: the further result columns come in with them
    table = rows + added
    if table:
        _add_rows(session, table, names, targets, others, notes)
    n_total = experiments.get("n_total")
    if type(n_total) is int and n_total != len(records):
        notes.add(NotMappedKind.COUNT_MISMATCH, count=n_total)
    space = tree.get("search_space")
    map_constraints(space.get("constraints") if isinstance(space, dict) else None, session, notes)
    exclude_failed(session, placements)

    _rest(tree, session, notes)
    _suggestions(tree.get("last_suggestions"), placements, session, notes)
    import_history(tree, session, placements, [row.get(PROVENANCE_COLUMN) for row in rows], notes)
    return session, notes.records()


def _check_version(version: Any, notes: ImportNotes) -> None:
    if version is None:
        notes.add(NotMappedKind.NO_VERSION, count=1)
        return
    match = re.fullmatch(r"(\d{1,4})(?:\.\d{1,4}){0,2}", str(version).strip()) if isinstance(version, (str, int)) else None
    if not match:
        raise SessionFileError(f"The ALchemist session's version {str(version)[:20]!r} is not a version number.")
    if int(match.group(1)) != SUPPORTED_MAJOR:
        raise SessionFileError(
            f"The ALchemist session has format version {str(version)[:20]}; this import reads version "
            f"{SUPPORTED_MAJOR}.x. Save it from an ALchemist that writes {SUPPORTED_MAJOR}.x, or ask for an update."
        )


def _session(metadata: Any, notes: ImportNotes) -> Session:
    """A new session named as in ALchemist's metadata, with its description, author and tags."""
    if metadata is not None and not isinstance(metadata, dict):
        notes.add(NotMappedKind.METADATA_FIELDS, ["metadata"])
    metadata = metadata if isinstance(metadata, dict) else {}
    name = metadata.get("name")
    try:
        session = Session.new(clean_session_name(name) if name is not None else DEFAULT_NAME)
    except VariableError as error:
        session = Session.new()
        notes.add(NotMappedKind.SESSION_NAME, [str(name)], detail=error.message)
    kept = {}
    for key, check, empty in (("description", check_description, ""), ("author", check_author, ""), ("tags", check_tags, [])):
        try:
            kept[key] = check(metadata.get(key) if metadata.get(key) is not None else empty)
        except VariableError:
            notes.add(NotMappedKind.METADATA_FIELDS, [key])
    session.describe(kept.get("description", ""), kept.get("author", ""), kept.get("tags", ()))
    extra = sorted(set(metadata) - _METADATA_MAPPED - set(_METADATA_TIMES) - {"session_id"})
    if extra:
        notes.add(NotMappedKind.METADATA_FIELDS, extra)
    return session


def _variables(space: Any, notes: ImportNotes) -> list[Variable]:
    if not isinstance(space, dict) or not isinstance(space.get("variables"), list) or not space["variables"]:
        raise SessionFileError("The search_space of the ALchemist session lists no variables.")
    variables: list[Variable] = []
    for position, entry in enumerate(space["variables"], start=1):
        try:
            variable = variable_from_entry(entry)
            check_unique_names([*variables, variable])
        except VariableError as error:
            label = entry.get("name") if isinstance(entry, dict) else None
            notes.add(NotMappedKind.VARIABLE, [f"{position} ('{label}')"], detail=error.message)
            continue
        variables.append(variable)
        if isinstance(entry, dict):
            extra = sorted(set(entry) - ENTRY_FIELDS)
            if extra:
                notes.add(NotMappedKind.VARIABLE_FIELDS, [f"{variable.name}: {k}" for k in extra])
    if not variables:
        raise SessionFileError("None of the variables in the ALchemist session's search_space could be imported.")
    derived = space.get("derived_variables")
    if derived:
        found = derived if isinstance(derived, list) else [derived]
        notes.add(NotMappedKind.DERIVED_VARIABLES, [d.get("name", "?") for d in found if isinstance(d, dict)], count=len(found))
    extra = sorted(set(space) - {"variables", "derived_variables", "constraints"})
    if extra:
        notes.add(NotMappedKind.SEARCH_SPACE_FIELDS, extra)
    return variables


def _targets(declared: Any, records: list, names: Sequence[str]) -> list[str]:
    """The result columns: as declared, or (an older writer declares none) as ALchemist's loader infers them."""
    if declared is not None:
        if not isinstance(declared, list) or not declared or not all(isinstance(t, str) and t for t in declared):
            raise SessionFileError("The experiments' target_columns in the ALchemist session are not a list of names.")
        return list(dict.fromkeys(declared))
    columns: dict[str, None] = {}
    for record in records[:1000]:  # the columns are the same in every record ALchemist writes
        if isinstance(record, dict):
            columns.update(dict.fromkeys(str(k) for k in record))
    inferred = [c for c in columns if c not in names and c not in _BOOKKEEPING and c.lower() not in _SIDE]
    return inferred or ["Output"]


def _check_count(count: int, what: str) -> None:
    if count > limits.current().max_experiments:
        raise LimitError(
            f"The ALchemist session has {count:,} {what}; at most {limits.current().max_experiments:,} can be "
            "imported (limit max_experiments).",
            "max_experiments",
        )


def _check_items(records: list, what: str, nested: bool = False) -> None:
    """LimitError if the records hold more values (records x keys) than max_file_items, before any frame is built."""
    allowed = limits.current().max_file_items
    items = 0
    for record in records:
        items += len(record) if isinstance(record, dict) else 1
        if nested and isinstance(record, dict):
            items += sum(len(v) for v in record.values() if isinstance(v, (dict, list)))
    if items > allowed:
        raise LimitError(
            f"The ALchemist session's {what} hold {items:,} values (records x keys); at most {allowed:,} can be imported "
            "(limit max_file_items). Remove columns or experiments you do not need in ALchemist and save again.",
            "max_file_items",
        )


def _records(records: list, notes: ImportNotes, known: set[str]) -> tuple[list[dict], list[str]]:
    """(each record's cells of the known columns, under our names; the other column names in order of first appearance).

    Only known columns go into a row: a frame of the union of every record's keys would have one
    column per stray key (20,000 records with a key each are 400 million cells).
    """
    rows: list[dict] = []
    others: dict[str, None] = {}
    for record in records:
        if not isinstance(record, dict):
            notes.add(NotMappedKind.NOT_A_RECORD, count=1)
            continue
        row: dict[str, Any] = {}
        for key, value in record.items():
            side = _SIDE.get(str(key).lower())
            if key in known or key == PROVENANCE_COLUMN:
                row[key] = cell(value)
            elif side is not None and side not in row:
                row[side] = cell(value)
            else:
                others[str(key)] = None
        rows.append(row)
    return rows, list(others)


def _add_rows(session: Session, table: list[dict], names: list[str], targets: list[str], others: list[str],
              notes: ImportNotes) -> None:
    frame = pd.DataFrame(table)
    target = targets[0]
    empty = [n for n in [*names, target] if n not in frame.columns]
    for name in empty:
        frame[name] = None
    if empty:
        notes.add(NotMappedKind.EMPTY_COLUMNS, empty)
    columns = [*names, *[t for t in targets if t in frame.columns], *[c for c in (NOISE, ITERATION, NOTE) if c in frame.columns]]
    report = session.add_experiments(frame[columns], target=target)
    ignored = [c for c in [*report.ignored_columns, *others] if c not in targets]
    if ignored:
        notes.add(NotMappedKind.EXPERIMENT_COLUMNS, ignored)
    if report.invalid_rows:
        notes.add(NotMappedKind.ROWS_INVALID, count=report.invalid_rows)


def _rest(tree: dict, session: Session, notes: ImportNotes) -> None:
    """The parts besides variables, experiments, queue, rules and history: model, labels, copies, unknown parts."""
    session.model_settings = map_model(tree.get("model_config"), tree.get("config"), session.model_settings, notes)
    labels = tree.get("objective_metadata")
    if isinstance(labels, dict) and labels:
        notes.add(NotMappedKind.OBJECTIVE_LABELS, list(labels))
    audit = tree.get("audit_log")
    experiments = tree.get("experiments")
    copy = audit.get("experiment_data") if isinstance(audit, dict) else None
    # Compared as text: NaN, ALchemist's empty cell, is unequal to itself.
    if copy not in (None, []) and json.dumps(copy, sort_keys=True) != json.dumps(experiments.get("data"), sort_keys=True):
        notes.add(NotMappedKind.AUDIT_DATA_DIFFERS, count=1)
    unknown = sorted(set(tree) - _KNOWN_KEYS)
    if unknown:
        notes.add(NotMappedKind.UNKNOWN_PARTS, unknown)


def _suggestions(last: Any, placements: list[Placement], session: Session, notes: ImportNotes) -> None:
    """ALchemist keeps its last batch of suggestions apart from the queue; those not in the queue are named."""
    if not isinstance(last, list) or not last:
        return
    names = [v.name for v in session.variables]
    queued = {tuple(repr(p.item.inputs.get(n)) for n in names) for p in placements}
    missing = sum(1 for s in last if not isinstance(s, dict) or tuple(repr(cell(s.get(n))) for n in names) not in queued)
    if missing:
        notes.add(NotMappedKind.LAST_SUGGESTIONS, count=missing)
