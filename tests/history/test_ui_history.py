"""The app side of the history that runs without a browser: the editor's change set names the
columns a commit compares, and the words for every revision kind."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alchemist.examples import catalyst_example
from alchemist.history.diff import Comparison
from alchemist.history.revisions import RevisionKind
from alchemist.persistence import SessionStore
from alchemist.plain import utc_now
from ui import history_words
from ui.editor import apply_editor_changes
from ui.history import edited_columns


def test_an_editor_cell_edit_commits_its_columns_and_stores_what_a_whole_save_stores(tmp_path):
    store = SessionStore(tmp_path / "a", ttl=timedelta(days=1))
    other = SessionStore(tmp_path / "b", ttl=timedelta(days=1))
    session = catalyst_example()
    store.save(session)
    twin = catalyst_example()
    twin.id, twin.created = session.id, session.created
    other.save(twin)
    changes = {"edited_rows": {"3": {"Temperature": 399.0, "Note": "re-run"}}, "added_rows": [], "deleted_rows": []}
    assert edited_columns(changes) == ["Note", "Temperature"]
    for target, store_, columns in ((session, store, edited_columns(changes)), (twin, other, None)):
        target.edit_experiments(apply_editor_changes(target.experiments.frame, changes))
        store_.commit(target, columns=columns)
    fast = SessionStore(tmp_path / "a", ttl=timedelta(days=1)).get(session.id).to_state()
    whole = SessionStore(tmp_path / "b", ttl=timedelta(days=1)).get(session.id).to_state()
    for tree in (fast, whole):
        tree.pop("modified")
    # Each store's session recorded the edit at its own time: the same entries, other times.
    kinds = lambda tree: [entry["kind"] for entry in tree.pop("audit")["entries"]]  # noqa: E731
    assert kinds(fast) == kinds(whole) == [e.kind.value for e in session.audit.entries]
    assert fast == whole


def test_a_typo_committed_by_its_column_is_stored_as_typed(tmp_path):
    store = SessionStore(tmp_path / "a", ttl=timedelta(days=1))
    session = catalyst_example()
    store.save(session)
    changes = {"edited_rows": {"0": {"Temperature": "abc"}}, "added_rows": [], "deleted_rows": []}
    session.edit_experiments(apply_editor_changes(session.experiments.cells(), changes))
    assert session.experiments.typed == {"Temperature": {0: "abc"}}
    store.commit(session, columns=edited_columns(changes))
    again = SessionStore(tmp_path / "a", ttl=timedelta(days=1)).get(session.id)
    assert again.experiments.typed == {"Temperature": {0: "abc"}}


def test_rows_added_or_deleted_name_no_columns():
    assert edited_columns({"edited_rows": {"0": {"A": 1}}, "added_rows": [{"A": 2}]}) is None
    assert edited_columns({"edited_rows": {}, "deleted_rows": [1]}) is None
    assert edited_columns({}) is None


@pytest.mark.parametrize("kind, summary, expected", [
    (RevisionKind.EDIT_CELLS, {"cell": [11, "Temperature", 350.0], "cells": 1, "columns": ["Temperature"]},
     "Set Temperature in row 12 to 350"),
    (RevisionKind.EDIT_CELLS, {"cells": 3, "columns": ["A", "B"]}, "Edited 3 cells in A, B"),
    (RevisionKind.DELETE_VARIABLE, {"variables_removed": ["Pressure"]}, "Deleted variable 'Pressure'"),
    (RevisionKind.CHANGE_VARIABLE, {"variables_changed": ["P"], "renamed": ["P", "Pressure"]}, "Renamed variable 'P' to 'Pressure'"),
    (RevisionKind.ADD_ROWS, {"rows": [22, 24]}, "Added 2 experiments (24 now)"),
    (RevisionKind.RESTORE, {"target": 3, "label": "good"}, "Restored revision 3 (snapshot 'good')"),
    (RevisionKind.UNDO, {"target": 5, "target_kind": "rename", "target_summary": {"name": ["a", "b"]}},
     "Undid change 5: renamed the session to 'b'"),
    (RevisionKind.OTHER, {"parts": ["audit"]}, "Changed audit"),
])
def test_every_revision_kind_reads_as_a_sentence(kind, summary, expected):
    assert history_words.change_text(kind, summary) == expected


def test_times_and_comparisons_read_plainly():
    now = utc_now()
    assert history_words.when_text(now - timedelta(seconds=5), now) == "just now"
    assert history_words.when_text(now - timedelta(minutes=5), now) == "5 min ago"
    assert history_words.when_text(now - timedelta(days=40), now).endswith("UTC")
    lines = history_words.comparison_lines(Comparison(variables_removed=["Zinc"], rows_added=2, cells_changed=1,
                                                      columns_changed=["T"]))
    assert lines == ["Variables removed since: 'Zinc'", "2 experiments added since", "1 cell changed since, in T"]
    assert history_words.comparison_lines(Comparison()) == []
