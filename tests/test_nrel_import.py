"""Issue 14: everything NREL ALchemist 0.4.0 writes, imported: the work queue, provenance, constraints,
several objectives, the audit log and the metadata; both layouts that stamp "1.1.0".

The files ALchemist itself wrote live in shared/ beside the checkout (`shared_file` fails the test when
they are missing); variants of the older writer are made from them in tmp_path.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest

from alchemist.files.nrel import import_alchemist_session
from alchemist.files.nrel_notes import NotMappedKind as K
from alchemist.files.nrel_queue import FAILED_MARK, RUNNING_MARK
from alchemist.files.nrel_values import numbers_in, output_cells
from alchemist.persistence import SessionStore
from alchemist.problems import RowStatus
from tests.session_files_support import shared_file
from ui.import_notes_words import note_lines

CATALYST = "alchemist_session_queue/catalyst_campaign_alchemist040.json"
TWO_OBJECTIVES = "alchemist_session_queue/two_objective_campaign_alchemist040.json"
QUEUE_FILES = [CATALYST, TWO_OBJECTIVES]


def tree_of(relative: str) -> dict:
    return json.loads(shared_file(relative).read_bytes())


def imported(tree: dict):
    return import_alchemist_session(json.dumps(tree).encode())


def same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def rows_with(session, values: dict) -> list[int]:
    frame = session.experiments.frame
    return [i for i in range(len(frame)) if all(same(frame[name].iat[i], value) for name, value in values.items())]


@pytest.fixture
def store(tmp_path) -> SessionStore:
    return SessionStore(tmp_path / "cache", ttl=timedelta(days=1))


# -- the work queue --------------------------------------------------------------------------------
@pytest.mark.parametrize("relative", QUEUE_FILES)
def test_every_queue_item_lands_in_the_table_in_its_state(relative):
    tree = tree_of(relative)
    session, _ = imported(tree)
    frame, statuses = session.experiments.frame, session.statuses()
    data, queue = tree["experiments"]["data"], tree["staged_experiments"]
    states = sorted(item["status"] for item in queue)
    assert len(queue) == 3 and states in (["done", "pending", "running"], ["done", "failed", "pending"])
    # The done item's row is already among the experiments (its id in ProvenanceId): it is not doubled.
    assert len(frame) == len(data) + sum(item["status"] != "done" for item in queue)
    for item in queue:
        if item["status"] == "done":
            (row,) = rows_with(session, item["actual_inputs"])
            assert statuses[row] is RowStatus.OK
            outputs = item["output"] if isinstance(item["output"], dict) else {session.target: item["output"]}
            assert frame[session.target].iat[row] == outputs[session.target]
            continue
        (row,) = rows_with(session, item["inputs"])
        note = frame["Note"].iat[row]
        assert math.isnan(frame[session.target].iat[row])
        assert note.startswith(item["reason"])
        if item["status"] == "pending":
            assert statuses[row] is RowStatus.PENDING and RUNNING_MARK not in note and FAILED_MARK not in note
        elif item["status"] == "running":
            assert statuses[row] is RowStatus.PENDING and RUNNING_MARK in note
        else:
            assert FAILED_MARK in note and item["error"] in note
            assert statuses[row] is RowStatus.EXCLUDED and frame["Exclusion reason"].iat[row] == item["error"]
    # Pending and running rows are work in flight: suggestions keep away from them; a failed one is out of the model.
    pending = session.pending_points()
    assert len(pending) == sum(item["status"] in ("pending", "running") for item in queue)
    assert len(session.training_data()[1]) == len(data)


def test_a_done_item_missing_from_the_experiments_becomes_a_measured_row():
    tree = tree_of(CATALYST)
    done = next(item for item in tree["staged_experiments"] if item["status"] == "done")
    tree["experiments"]["data"] = tree["experiments"]["data"][:-1]  # the row it produced is gone
    session, _ = imported(tree)
    (row,) = rows_with(session, done["actual_inputs"])
    assert session.statuses()[row] is RowStatus.OK and session.experiments.frame["Output"].iat[row] == done["output"]
    assert session.experiments.frame["Iteration"].iat[row] == 1


def test_the_older_bare_queue_layout_gives_pending_rows_with_their_reason():
    tree = tree_of(CATALYST)
    tree["staged_experiments"] = [
        {**item["inputs"], "_reason": "qEI batch"} for item in tree["staged_experiments"]
    ]
    session, notes = imported(tree)
    for item in tree["staged_experiments"]:
        values = {k: v for k, v in item.items() if not k.startswith("_")}
        rows = rows_with(session, values)
        assert [session.experiments.frame["Note"].iat[r] for r in rows][-1] == "qEI batch"
        assert session.statuses()[rows[-1]] in (RowStatus.PENDING, RowStatus.OK)
    assert K.QUEUE_ITEMS not in {n.kind for n in notes}


def test_an_unknown_queue_status_is_kept_as_a_pending_row_and_named():
    tree = tree_of(CATALYST)
    tree["staged_experiments"][2]["status"] = "paused"
    session, notes = imported(tree)
    (row,) = rows_with(session, tree["staged_experiments"][2]["inputs"])
    assert session.statuses()[row] is RowStatus.PENDING
    (note,) = [n for n in notes if n.kind is K.QUEUE_STATUS]
    assert note.names == ("paused",) and note.count == 1


# -- the older writer that also stamps "1.1.0" -------------------------------------------------------
def older_writer(tree: dict) -> str:
    """The file as ALchemist's earlier 1.1.0 writer wrote it: no target_columns, provenance, control or
    outcome constraints, no ProvenanceId or actual_inputs, a list as a result, NaN tokens in empty cells."""
    for key in ("provenance", "outcome_constraints", "control"):
        tree.pop(key, None)
    tree["experiments"].pop("target_columns")
    for row in [*tree["experiments"]["data"], *tree["audit_log"]["experiment_data"]]:  # the writer copies the same table
        row.pop("ProvenanceId")
        row["Noise"] = float("nan")
    for item in tree["staged_experiments"]:
        item.pop("actual_inputs"), item.pop("plot")
        if isinstance(item["output"], dict):
            item["output"] = list(item["output"].values())
    text = json.dumps(tree)
    assert "NaN" in text
    return text


@pytest.mark.parametrize("relative", QUEUE_FILES)
def test_the_older_layout_infers_the_results_and_finds_the_done_row_by_its_place(relative):
    tree = tree_of(relative)
    targets = tree["experiments"]["target_columns"]
    data = tree["experiments"]["data"]
    done = next(item for item in tree["staged_experiments"] if item["status"] == "done")
    session, notes = import_alchemist_session(older_writer(tree).encode())
    assert session.target == targets[0]
    frame = session.experiments.frame
    assert len(frame) == len(data) + 2, "the done item is found at its dataset_ref, not added again"
    assert frame[session.target].iat[done["dataset_ref"]] == data[done["dataset_ref"]][targets[0]]
    assert frame["Noise"].isna().all(), "a NaN token is an empty cell"
    assert {K.QUEUE_OUTPUTS, K.ROWS_INVALID, K.NOT_A_RECORD, K.AUDIT_DATA_DIFFERS}.isdisjoint(n.kind for n in notes)


# -- values as its writers write them ----------------------------------------------------------------
def test_an_output_is_a_number_a_mapping_or_a_list():
    assert output_cells(0.5, ["Output"]) == ({"Output": 0.5}, [])
    assert output_cells({"Yield": 75.1, "Cost": 72.5, "Purity": 1.0}, ["Yield", "Cost"]) == ({"Yield": 75.1, "Cost": 72.5}, ["Purity"])
    assert output_cells([75.1, 72.5], ["Yield", "Cost"]) == ({"Yield": 75.1, "Cost": 72.5}, [])
    assert output_cells(float("nan"), ["Output"]) == ({}, []) and output_cells(None, ["Output"]) == ({}, [])


def test_hyperparameter_text_is_read_for_numbers_and_never_evaluated(tmp_path):
    hyper = tree_of(CATALYST)["model_config"]["hyperparameters"]
    assert numbers_in(hyper["lengthscale"])[:2] == (0.009262302872949409, 16.561318777195368)
    assert len(numbers_in(hyper["lengthscale"])) == 6 and numbers_in(hyper["noise"]) == (0.0041794933672211305,)
    marker = tmp_path / "evaluated"
    tree = tree_of(TWO_OBJECTIVES)
    tree["model_config"]["hyperparameters"]["models"] = f"__import__('pathlib').Path({str(marker)!r}).touch() or [1.5e-3]"
    session, notes = imported(tree)
    assert not marker.exists()
    (fit,) = [n for n in notes if n.kind is K.MODEL_FIT]
    assert "models" in fit.names
    assert session.model_settings.kernel == "matern52", "nu=2.5 from training_config.kernel_params"


# -- metadata ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("relative", QUEUE_FILES)
def test_description_author_and_tags_are_kept_and_travel_with_the_session(relative, store):
    tree = tree_of(relative)
    session, notes = imported(tree)
    meta = tree["metadata"]
    assert session.name == meta["name"]
    assert (session.details.description, session.details.author, list(session.details.tags)) == (
        meta["description"], meta["author"], meta["tags"])
    assert K.METADATA_FIELDS not in {n.kind for n in notes}
    for fmt in ("json", "pkl"):
        again = store.load_file(store.export(session, fmt), f"x.{fmt}")
        assert again.details == session.details


def test_metadata_that_does_not_fit_is_named_not_imported():
    tree = tree_of(CATALYST)
    tree["metadata"]["tags"] = "catalyst"  # not a list
    tree["metadata"]["author"] = "x" * 500
    session, notes = imported(tree)
    (note,) = [n for n in notes if n.kind is K.METADATA_FIELDS]
    assert set(note.names) == {"tags", "author"}
    assert session.details.tags == () and session.details.author == ""
    assert session.details.description == tree["metadata"]["description"]


def test_a_session_file_from_before_details_loads_with_empty_ones(store):
    session, _ = imported(tree_of(CATALYST))
    state = session.to_state()
    del state["details"]
    from alchemist.session import Session

    assert Session.from_state(state).details.description == ""


# -- notes ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("relative", QUEUE_FILES)
def test_the_notes_are_short_and_grouped(relative):
    session, notes = imported(tree_of(relative))
    kinds = [n.kind for n in notes]
    assert len(kinds) == len(set(kinds)), "one line per kind"
    lines = note_lines(notes)
    assert all(len(line) < 300 for line in lines), lines
    # Mapped now, so never named: the queue, the metadata, the provenance column.
    assert {K.QUEUE_ITEMS, K.QUEUE_FIELDS, K.QUEUE_OUTPUTS, K.EXPERIMENT_COLUMNS, K.METADATA_FIELDS}.isdisjoint(kinds)
    assert not any("ProvenanceId" in line or "description" in line for line in lines)


def test_the_catalyst_file_round_trips_through_our_formats(store):
    session, _ = imported(tree_of(CATALYST))
    for fmt in ("json", "pkl"):
        again = store.load_file(store.export(session, fmt), f"x.{fmt}")
        assert again.experiments.frame.equals(session.experiments.frame)
        assert again.statuses() == session.statuses() and again.details == session.details


# -- audit log, provenance, queue states in the audit trail ----------------------------------------
@pytest.mark.parametrize("relative", QUEUE_FILES)
def test_the_audit_log_and_provenance_become_imported_entries_with_their_times(relative, store):
    tree = tree_of(relative)
    session, notes = imported(tree)
    imported_entries = [e for e in session.audit if e.origin == "NREL ALchemist"]
    assert all(e.kind.value == "imported" for e in imported_entries)
    times = [e.original_time for e in imported_entries]
    # Every entry of ALchemist's log, with its own (zone-less) time as written, in order.
    log = tree["audit_log"]["entries"]
    assert [t for t in times if t in {e["timestamp"] for e in log}] == [e["timestamp"] for e in log]
    by_type = [e.inputs.get("entry_type") for e in imported_entries]
    assert by_type.count("session") == 1 and by_type.count("queue_item") == 3
    session_entry = imported_entries[by_type.index("session")]
    assert session_entry.original_time == tree["metadata"]["created_at"]
    assert session_entry.inputs["last_modified"] == tree["metadata"]["last_modified"]
    # The provenance record is the audit log's experiment_completed entry: kept once, with its delta as written.
    (completed,) = [e for e in imported_entries if e.inputs.get("entry_type") == "experiment_completed"]
    record = tree["provenance"][0]
    assert completed.inputs["parameters"]["delta"] == record["delta"]
    assert completed.inputs["parameters"]["suggested"] == record["suggested"]
    queue_states = {e.inputs["id"]: e.inputs["status"] for e in imported_entries if e.inputs.get("entry_type") == "queue_item"}
    assert queue_states == {item["id"]: item["status"] for item in tree["staged_experiments"]}
    assert session.verify_audit() is None
    assert {K.AUDIT_ENTRIES, K.PROVENANCE}.isdisjoint(n.kind for n in notes)
    for fmt in ("json", "pkl"):
        again = store.load_file(store.export(session, fmt), f"x.{fmt}")
        assert again.audit.to_state() == session.audit.to_state() and again.verify_audit() is None


@pytest.mark.parametrize("relative", QUEUE_FILES)
def test_queue_rows_are_linked_to_the_batch_that_suggested_them(relative):
    tree = tree_of(relative)
    session, _ = imported(tree)
    (batch,) = [e for e in session.audit if e.inputs.get("entry_type") == "acquisition_locked"]
    links = {link.row: link for link in session.audit.links}
    names = [v.name for v in session.variables]
    for place, item in enumerate(tree["staged_experiments"]):
        values = item["actual_inputs"] if item["status"] == "done" else item["inputs"]
        (row,) = rows_with(session, values)
        link = links[row]
        assert (link.entry, link.point) == (batch.number, place)
        assert link.suggested == {n: item["inputs"][n] for n in names}, "the suggestion, beside the row as run"


def test_botorch_number_lists_in_the_log_become_numbers():
    tree = tree_of(CATALYST)
    session, _ = imported(tree)
    (model,) = [e for e in session.audit if e.inputs.get("entry_type") == "model_locked"]
    hyper = model.inputs["parameters"]["hyperparameters"]
    assert hyper["noise"] == [0.0041794933672211305] and len(hyper["lengthscale"]) == 6
    assert hyper["additive_kernels"] == "['MaternKernel(3 dims)', 'MaternKernel(3 dims)']", "other text stays text"


def test_nan_tokens_and_odd_values_in_the_log_are_kept_as_plain_data():
    tree = tree_of(TWO_OBJECTIVES)
    tree["provenance"][0]["id"] = "another"  # no longer the audit log's entry: recorded on its own
    tree["provenance"][0]["delta"]["Temperature"] = float("nan")
    tree["audit_log"]["entries"][0]["parameters"] = {"deep": [[[[[[[1]]]]]]], "inf": float("inf")}
    tree["audit_log"]["entries"].append("not an entry")
    session, notes = import_alchemist_session(json.dumps(tree).encode())
    (own,) = [e for e in session.audit if e.inputs.get("entry_type") == "provenance"]
    assert own.inputs["delta"]["Temperature"] is None and own.original_time == tree["provenance"][0]["timestamp"]
    assert session.audit[2].inputs["parameters"]["inf"] == "Infinity"
    (skipped,) = [n for n in notes if n.kind is K.AUDIT_ENTRIES]
    assert skipped.count == 1


# -- objectives, outcome constraints, input constraints --------------------------------------------
def test_both_objectives_the_outcome_constraint_and_the_input_constraint_are_mapped(store):
    tree = tree_of(TWO_OBJECTIVES)
    session, notes = imported(tree)
    assert [(o.name, o.direction, o.at_least, o.at_most) for o in session.objectives] == [
        ("Yield", "maximize", 30.0, None), ("Cost", "minimize", None, None)]
    (constraint,) = session.constraints
    assert (constraint.as_dict(), constraint.relation, constraint.rhs, constraint.name) == (
        {"Temperature": 1.0, "Residence Time": 2.0}, "<=", 180.0, "thermal_exposure")
    frame = session.experiments.frame
    data = tree["experiments"]["data"]
    for column in ("Yield", "Cost"):
        assert frame[column].tolist()[: len(data)] == [row[column] for row in data], column
    assert not any(session.constraint_violations()), "ALchemist's runs respect the constraint"
    assert {K.CONSTRAINTS, K.OUTCOME_CONSTRAINTS, K.OBJECTIVES, K.RESULT_COLUMNS}.isdisjoint(n.kind for n in notes)
    front = session.pareto_front()
    assert len(front) == len(data)
    for fmt in ("json", "pkl"):
        again = store.load_file(store.export(session, fmt), f"x.{fmt}")
        assert again.objectives == session.objectives and again.constraints == session.constraints
        assert again.exclusion_log == session.exclusion_log and len(again.exclusion_log) == 1
        assert again.experiments.frame.equals(frame) and again.statuses() == session.statuses()
        assert again.audit.to_state() == session.audit.to_state() and again.details == session.details


@pytest.mark.parametrize("relative", QUEUE_FILES)
def test_the_notes_name_only_what_is_truly_not_mapped(relative):
    session, notes = imported(tree_of(relative))
    # ALchemist's run settings (verbose, auto_train), its fitted model and the results' labels/units have no place here.
    assert {n.kind for n in notes} == {K.SETTINGS, K.MODEL_FIT, K.OBJECTIVE_LABELS}
    (settings,) = [n for n in notes if n.kind is K.SETTINGS]
    assert settings.names == ("verbose=True", "auto_train=False", "auto_train_threshold=5")


def test_a_constraint_that_does_not_fit_is_named_and_the_rest_imported():
    tree = tree_of(TWO_OBJECTIVES)
    tree["search_space"]["constraints"] += [
        {"type": "inequality", "coefficients": {"Pressure": 1.0}, "rhs": 3.0, "name": "no_such_variable"},
        {"type": "nonlinear", "expression": "T**2 < 9", "name": "curved"},
    ]
    tree["outcome_constraints"].append({"objective_name": "Purity", "bound_type": "lower", "value": 0.9})
    session, notes = imported(tree)
    assert [c.name for c in session.constraints] == ["thermal_exposure"]
    named = {name for n in notes if n.kind is K.CONSTRAINTS for name in n.names}
    assert named == {"no_such_variable", "curved"}
    (outcome,) = [n for n in notes if n.kind is K.OUTCOME_CONSTRAINTS]
    assert outcome.names == ("Purity",) and session.objectives[0].at_least == 30.0


def test_one_result_takes_the_goal_of_alchemists_last_batch():
    tree = tree_of(CATALYST)
    for entry in tree["audit_log"]["entries"]:
        if entry["entry_type"] == "acquisition_locked":
            entry["parameters"]["parameters"]["goal"] = "minimize"
    session, _ = imported(tree)
    assert session.objectives == [] and session.suggestion_settings.goal == "minimize"


# -- any damage gives a clean refusal or a session that saves ---------------------------------------
ODD_VALUES = [None, float("nan"), float("inf"), "", "x", 0, -1, True, [], {}, [None], {"a": None}, 1e308, "[1, 2, nan]"]


def _nodes(tree, path=()):
    yield path
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _nodes(value, (*path, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree[:4]):
            yield from _nodes(value, (*path, index))


@pytest.mark.parametrize("relative", QUEUE_FILES)
def test_a_damaged_file_is_refused_cleanly_or_imported_into_a_session_that_saves(relative, store):
    import random

    from alchemist.errors import LimitError, SessionFileError

    original = tree_of(relative)
    paths = [p for p in _nodes(original) if p]
    rng = random.Random(14)
    refused = 0
    for trial in range(50):
        tree = json.loads(json.dumps(original))
        for _ in range(3):
            *parent, last = rng.choice(paths)
            node = tree
            try:
                for key in parent:
                    node = node[key]
                node[last] = rng.choice(ODD_VALUES)
            except (KeyError, IndexError, TypeError):
                continue
        try:
            session, notes = import_alchemist_session(json.dumps(tree).encode())
        except (SessionFileError, LimitError):
            refused += 1
            continue
        note_lines(notes)
        again = store.load_file(store.export(session, "json"), "x.json")
        assert len(again.experiments) == len(session.experiments), trial
    assert refused < 25, "most damage leaves a session to import"


def test_every_kind_of_note_has_words():
    from alchemist.files.nrel_notes import NotMapped

    for kind in K:
        text = note_lines([NotMapped(kind, ("a", "b"), 3, "why")])[0]
        assert isinstance(text, str) and len(text) > 10, kind


def test_a_long_queue_lands_whole_in_the_table_and_the_trail_keeps_its_bound():
    from alchemist.audit import MAX_ENTRIES
    from alchemist.files.nrel_history import MAX_IMPORTED

    tree = tree_of(CATALYST)
    item = tree["staged_experiments"][2]
    tree["staged_experiments"] = [{**item, "id": f"item-{i}", "inputs": {**item["inputs"], "Temperature": 350 + i / 100}}
                                  for i in range(MAX_IMPORTED + 500)]
    session, notes = imported(tree)
    assert len(session.experiments) == len(tree["experiments"]["data"]) + MAX_IMPORTED + 500
    assert len(session.pending_points()) == MAX_IMPORTED + 500
    (history,) = [n for n in notes if n.kind is K.QUEUE_HISTORY]
    assert history.count == 500 and len(session.audit) <= MAX_ENTRIES
    # the newest items, and the row its provenance record names (its queue item is gone from this queue)
    assert len(session.audit.links) == MAX_IMPORTED + 1 and session.verify_audit() is None
