"""NREL ALchemist's work queue, imported (issue 14): every item lands in the table in its state; a long queue.

From the files NREL ALchemist 0.4.0 itself wrote (shared/, see tests/nrel_support.py), and variants of them.
"""

from __future__ import annotations

import math

import pytest

from alchemist.files.nrel_notes import NotMappedKind as K
from alchemist.files.nrel_queue import FAILED_MARK, RUNNING_MARK
from alchemist.problems import RowStatus
from tests.nrel_support import CATALYST, QUEUE_FILES, imported, rows_with, tree_of


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
