"""The audit trail: what a campaign records, the hash chain catching edited, removed and moved entries,
notes, the size bound, and the trail travelling in .pkl and JSON session files (real files, no mocks)."""

from __future__ import annotations

import json
from copy import deepcopy
from datetime import datetime, timedelta, timezone

import pytest

from alchemist.audit import MAX_ENTRIES, AuditError, AuditKind, AuditTrail, BreakReason
from alchemist.audit.chain import MAX_ENTRY_BYTES, canonical, digest, seal
from alchemist.audit.hooks import table_digest
from alchemist.design import initial_design
from alchemist.errors import SessionFileError
from alchemist.files.strict_json import decode_session_json, encode_session_json
from alchemist.persistence import SessionStore, envelope_for, session_from_envelope
from alchemist.session import Session
from alchemist.templates.presets import reaction_optimisation
from tests.session_files_support import GOLDEN_DIR, golden_session

DAY = timedelta(days=1)


def kinds(session: Session) -> list[AuditKind]:
    return [entry.kind for entry in session.audit]


def test_a_campaign_records_every_step_with_inputs_and_outputs(recorded):
    assert kinds(recorded) == [
        AuditKind.DATA_IMPORT, AuditKind.FIT, AuditKind.SUGGESTIONS, AuditKind.PENDING, AuditKind.RESULT, AuditKind.NOTE,
    ]
    assert [entry.number for entry in recorded.audit] == [1, 2, 3, 4, 5, 6]
    fit, suggestions = recorded.audit[1], recorded.audit[2]
    assert fit.inputs["data_revision"] == suggestions.inputs["data_revision"]
    assert fit.inputs["settings"] == recorded.model_settings.to_state() and fit.inputs["seed"] == 0
    assert fit.outputs["used"] == 22
    assert suggestions.inputs["settings"]["acquisition"] == "ei"
    assert suggestions.inputs["seed"] == 1 + 22  # the effective seed: the setting plus the results so far
    assert suggestions.outputs["count"] == 3 and len(suggestions.outputs["points"]) == 3
    assert recorded.verify_audit() is None


def test_a_planned_experiment_links_to_its_suggestion_and_the_result_shows_suggested_versus_actual(recorded):
    suggestions, pending, result = recorded.audit[2], recorded.audit[3], recorded.audit[4]
    assert pending.inputs["suggestions"] == suggestions.number and pending.outputs["linked"] == 3
    links = recorded.audit.links
    assert [link.row for link in links] == [22, 23, 24] and [link.point for link in links] == [0, 1, 2]
    assert all(link.entry == suggestions.number for link in links)
    assert [link.suggested for link in links] == suggestions.outputs["points"]
    assert result.inputs["table"] == table_digest(recorded.experiments.frame)
    (item,) = result.outputs["results"]
    assert item["row"] == 24 and item["value"] == 0.5 and item["previous"] is None
    assert item["suggestion"] == suggestions.number and item["point"] == 2
    assert item["suggested"] == suggestions.outputs["points"][1]
    assert item["actual"]["Temperature"] == 401.0 != item["suggested"]["Temperature"]
    assert item["actual"]["Catalyst"] == item["suggested"]["Catalyst"]


def test_links_follow_their_rows_through_edits_and_a_replacing_import_drops_them(recorded):
    session = deepcopy(recorded)
    frame = session.experiments.frame
    session.edit_experiments(frame.drop(index=[0, 1]).reset_index(drop=True))  # two rows above removed
    assert [link.row for link in session.audit.links] == [20, 21, 22]
    frame = session.experiments.frame.copy()
    frame.loc[22, session.target] = 0.25
    session.edit_experiments(frame)
    item = session.audit[-1].outputs["results"][0]
    assert item["row"] == 23 and item["point"] == 3 and item["suggested"] == recorded.audit.links[2].suggested
    session.edit_experiments(session.experiments.frame.drop(index=[21]).reset_index(drop=True))
    assert [(link.row, link.point) for link in session.audit.links] == [(20, 0), (21, 2)]
    session.add_experiments(recorded.experiments.frame.iloc[:3], replace=True)
    assert session.audit.links == [] and session.audit[-1].kind is AuditKind.DATA_IMPORT
    assert session.verify_audit() is None


def test_a_design_added_as_pending_links_to_the_entry_that_planned_it():
    session = Session.from_template(reaction_optimisation(), "Design")
    design = initial_design(session.variables, 4, method="lhs", seed=0)
    session.add_pending(design, note="Initial design")
    planned = session.audit[-1]
    assert planned.kind is AuditKind.PENDING and planned.inputs["suggestions"] is None
    assert [(link.entry, link.point) for link in session.audit.links] == [(planned.number, i) for i in range(4)]


def test_a_changed_result_is_recorded_with_what_it_was(recorded):
    session = deepcopy(recorded)
    frame = session.experiments.frame.copy()
    before = frame.loc[3, session.target]
    frame.loc[3, session.target] = 0.75
    session.edit_experiments(frame)
    item = session.audit[-1].outputs["results"][0]
    assert (item["row"], item["previous"], item["value"], item["suggestion"]) == (4, before, 0.75, None)
    count = len(session.audit)
    session.edit_experiments(session.experiments.frame.copy())  # nothing changed: nothing recorded
    assert len(session.audit) == count


# -- tamper detection --------------------------------------------------------------------------------
def json_file(session: Session) -> dict:
    """The JSON session file of `session`, as the parsed document a user could edit."""
    envelope = envelope_for(session, session.modified, DAY)
    return json.loads(encode_session_json(envelope))


def load_json(document: dict) -> Session:
    return session_from_envelope(decode_session_json(json.dumps(document).encode()))


def entries_of(document: dict) -> list:
    return document["session"]["audit"]["entries"]


def test_an_edited_entry_is_named(recorded):
    document = json_file(recorded)
    entries_of(document)[2]["outputs"]["count"] = 2  # someone "corrects" the suggestions
    broken = load_json(document).verify_audit()
    assert (broken.number, broken.position, broken.reason) == (3, 2, BreakReason.CHANGED)


def test_an_edited_note_is_named(recorded):
    document = json_file(recorded)
    entries_of(document)[5]["note"] = "Fitted after the April batch."
    broken = load_json(document).verify_audit()
    assert (broken.number, broken.reason) == (6, BreakReason.CHANGED)


def test_a_removed_entry_is_named_by_the_one_after_it(recorded):
    document = json_file(recorded)
    del entries_of(document)[3]
    broken = load_json(document).verify_audit()
    assert (broken.number, broken.reason, broken.expected) == (5, BreakReason.MISSING, 4)


def test_reordered_entries_are_named(recorded):
    document = json_file(recorded)
    entries = entries_of(document)
    entries[1], entries[2] = entries[2], entries[1]
    broken = load_json(document).verify_audit()
    assert (broken.number, broken.position, broken.reason, broken.expected) == (3, 1, BreakReason.OUT_OF_ORDER, 2)


def test_an_entry_rewritten_with_a_fresh_hash_is_caught_by_the_next_link(recorded):
    session = deepcopy(recorded)
    forged = session.audit[1].__class__(**{**session.audit[1].__dict__, "outputs": {"used": 99}})
    session.audit._entries[1] = seal(forged)  # its own hash is right again, the next entry's link is not
    broken = session.verify_audit()
    assert (broken.number, broken.reason) == (3, BreakReason.LINK)


def test_a_renumbered_copy_is_out_of_order(recorded):
    session = deepcopy(recorded)
    session.audit._entries.append(session.audit[0])
    broken = session.verify_audit()
    assert (broken.number, broken.position, broken.reason) == (1, 6, BreakReason.OUT_OF_ORDER)


# -- notes -------------------------------------------------------------------------------------------
def test_notes_are_entries_of_their_own_about_an_earlier_entry(recorded):
    session = deepcopy(recorded)
    note = session.audit.annotate(3, "  Batch sent to the lab on Monday.  ")
    assert note.kind is AuditKind.NOTE and note.inputs == {"entry": 3} and note.note == "Batch sent to the lab on Monday."
    assert [n.note for n in session.audit.notes_for(3)] == ["Batch sent to the lab on Monday."]
    assert [n.note for n in session.audit.notes_for(2)] == ["Fitted after the March batch."]
    with pytest.raises(AuditError, match="no entry 99"):
        session.audit.annotate(99, "x")
    with pytest.raises(AuditError, match="Write the note"):
        session.audit.annotate(3, "   ")
    assert session.verify_audit() is None


# -- travel ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["pkl", "json"])
def test_the_trail_survives_save_and_load_in_both_formats(tmp_path, recorded, fmt):
    store = SessionStore(tmp_path / "cache", ttl=DAY)
    loaded = store.read_file(store.export(recorded, fmt), f"campaign.{fmt}").session
    assert [e.to_state() for e in loaded.audit] == [e.to_state() for e in recorded.audit]
    assert loaded.audit.links == recorded.audit.links and loaded.audit.head == recorded.audit.head
    assert loaded.verify_audit() is None
    # ... and it goes on: the next entry links to the last one loaded.
    loaded.audit.annotate(5, "Checked against the paper notebook.")
    assert loaded.verify_audit() is None and loaded.audit[-1].previous_hash == recorded.audit.head


def test_the_trail_survives_a_restart(tmp_path, recorded):
    session = deepcopy(recorded)
    SessionStore(tmp_path / "cache", ttl=DAY).save(session)
    restarted = SessionStore(tmp_path / "cache", ttl=DAY).get(session.id)  # a new store: a new process
    assert restarted.audit.head == session.audit.head and restarted.verify_audit() is None
    assert restarted.audit.links == session.audit.links


def test_files_from_before_audit_trails_load_with_an_empty_trail(recorded):
    state = recorded.to_state()
    del state["audit"]
    session = Session.from_state(state)
    assert len(session.audit) == 0 and session.audit.links == [] and session.verify_audit() is None
    golden = session_from_envelope(decode_session_json((GOLDEN_DIR / "session_v2.json").read_bytes()))
    assert len(golden.audit) == 0


@pytest.mark.parametrize("change, message", [
    (lambda a: a.update(entries="x"), "not in the expected form"),
    (lambda a: a["entries"][0].update(kind="deleted"), "unknown kind"),
    (lambda a: a["entries"][0].update(time="2026-01-01T10:00:00"), "not in UTC"),
    (lambda a: a["entries"][0]["outputs"].update(x={"$float": "NaN"}), "not finite"),
    (lambda a: a["entries"][0].update(hash="abc"), "no valid hashes"),
    (lambda a: a["links"].append([9999, 3, 0, {}]), "experiments the table does not have"),
    (lambda a: a.update(entries=a["entries"] * (MAX_ENTRIES // 6 + 1)), "more than"),
])
def test_a_trail_of_the_wrong_form_is_refused_in_words(recorded, change, message):
    document = json_file(recorded)
    change(document["session"]["audit"])
    with pytest.raises(SessionFileError, match=message):
        load_json(document)


# -- bounds ------------------------------------------------------------------------------------------
def test_the_trail_keeps_its_newest_entries_and_still_verifies():
    trail = AuditTrail()
    for i in range(MAX_ENTRIES + 5):
        trail.record(AuditKind.NOTE, {}, {"i": i})
    assert len(trail) == MAX_ENTRIES and trail.dropped == 5
    assert trail[0].number == 6 and trail[-1].number == MAX_ENTRIES + 5
    assert trail.verify() is None
    again = AuditTrail.from_state(json.loads(json.dumps(trail.to_state())), 0)
    assert again.verify() is None and again.next_number == MAX_ENTRIES + 6
    again._entries.pop(0)  # the oldest kept entry removed: its successor no longer links to the anchor
    assert again.verify().reason is BreakReason.MISSING


def test_a_large_entry_keeps_digests_instead_of_values():
    trail = AuditTrail()
    points = [{f"v{j}": float(j) for j in range(200)} for _ in range(50)]
    entry = trail.record(AuditKind.SUGGESTIONS, {"seed": 1}, {"count": 50, "points": points})
    assert len(canonical(entry.content())) <= MAX_ENTRY_BYTES + 600  # the fixed fields besides inputs and outputs
    assert entry.outputs["points"] == {"omitted": len(canonical(points)), "digest": digest(points)}
    assert entry.outputs["count"] == 50 and trail.verify() is None


def test_an_imported_entry_keeps_its_origin_and_its_time_as_written():
    trail = AuditTrail()
    entry = trail.record(AuditKind.IMPORTED, {"event": "lock_acquisition"}, {}, origin="NREL ALchemist",
                         original_time="2025-03-04T09:15:00", time=datetime(2026, 1, 1, tzinfo=timezone.utc))
    again = AuditTrail.from_state(json.loads(json.dumps(trail.to_state())), 0)
    assert again[0].origin == "NREL ALchemist" and again[0].original_time == "2025-03-04T09:15:00"
    assert again[0] == entry and again.verify() is None


def test_the_golden_session_records_and_keeps_its_trail():
    session = golden_session()
    assert [e.kind for e in session.audit] == [AuditKind.DATA_IMPORT, AuditKind.FIT, AuditKind.SUGGESTIONS]
    assert Session.from_state(session.to_state()).audit.head == session.audit.head
