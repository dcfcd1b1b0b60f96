"""NREL ALchemist's audit log and provenance, imported as audit entries with their times, linked to the rows.

From the files NREL ALchemist 0.4.0 itself wrote (shared/, see tests/nrel_support.py), and variants of them.
"""

from __future__ import annotations

import json

import pytest

from alchemist.files.nrel import import_alchemist_session
from alchemist.files.nrel_notes import NotMappedKind as K
from tests.nrel_support import CATALYST, QUEUE_FILES, TWO_OBJECTIVES, imported, rows_with, tree_of


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
