"""The metadata and the notes of an NREL ALchemist import: description, author, tags; what is not mapped, in words.

From the files NREL ALchemist 0.4.0 itself wrote (shared/, see tests/nrel_support.py), and variants of them.
"""

from __future__ import annotations

import pytest

from alchemist.files.nrel_notes import NotMappedKind as K
from ui.import_notes_words import note_lines
from tests.nrel_support import CATALYST, QUEUE_FILES, imported, tree_of


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


def test_every_kind_of_note_has_words():
    from alchemist.files.nrel_notes import NotMapped

    for kind in K:
        text = note_lines([NotMapped(kind, ("a", "b"), 3, "why")])[0]
        assert isinstance(text, str) and len(text) > 10, kind
