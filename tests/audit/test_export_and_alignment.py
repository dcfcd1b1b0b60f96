"""The lab-notebook exports (Markdown and JSON) and the row alignment that carries links through table edits."""

from __future__ import annotations

import json
from copy import deepcopy
from datetime import datetime, timezone

import pandas as pd
import pytest

from alchemist.audit.export import AUDIT_FORMAT, to_json, to_markdown
from alchemist.audit.provenance import ProvenanceLink, align_rows, follow_links

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def test_markdown_holds_every_entry_the_check_and_the_head(recorded):
    text = to_markdown(recorded.audit, recorded.name, NOW)
    assert text.startswith("# Audit trail: Catalyst screening (example)\n")
    assert "Exported 2026-11-30T12:00:00+00:00 (UTC)" in text and "6 entries, numbers 1 to 6." in text
    assert "Chain check: intact." in text and f"Newest hash (head): `{recorded.audit.head}`" in text
    for title in ("Experiments imported", "Model fit", "Suggestions", "Experiments planned", "Results entered", "Note"):
        assert f": {title}\n" in text
    assert "- Note added in entry 6 (" in text and "Fitted after the March batch." in text
    # Suggested versus actual, for the result entered against a suggestion.
    assert "Row 24: 0.5 (before: none); suggested by entry 3, point 2. Suggested → actual: Temperature " in text
    assert "→ 401.0" in text
    assert recorded.id not in text  # a session id is a secret


def test_markdown_names_the_broken_entry_and_shows_user_text_literally(recorded):
    session = deepcopy(recorded)
    session.audit.annotate(1, "see [here](http://evil.example) ![x](http://evil.example/i.png) *now*")
    text = to_markdown(session.audit, "Run `1` <b>", NOW)
    assert "# Audit trail: Run \\`1\\` \\<b\\>" in text
    assert "see \\[here\\](http://evil.example) \\!\\[x\\](http://evil.example/i.png) \\*now\\*" in text
    forged = session.audit[2].__class__(**{**session.audit[2].__dict__, "note": "forged"})
    session.audit._entries[2] = forged
    assert "Chain check: BROKEN at entry 3 (position 3): its content no longer matches its hash" in to_markdown(session.audit, "x")


def test_json_export_holds_the_trail_the_check_and_no_session_id(recorded):
    document = json.loads(to_json(recorded.audit, recorded.name, NOW))
    assert document["format"] == AUDIT_FORMAT and document["format_version"] == 1
    assert document["head"] == recorded.audit.head and document["check"] is None
    assert [e["number"] for e in document["entries"]] == [1, 2, 3, 4, 5, 6]
    assert document["entries"] == [e.to_state() for e in recorded.audit]
    assert len(document["links"]) == 3
    assert recorded.id not in json.dumps(document)


def test_an_empty_trail_exports():
    from alchemist.audit import AuditTrail

    assert "No entries yet." in to_markdown(AuditTrail(), "Empty", NOW)
    assert json.loads(to_json(AuditTrail(), "Empty", NOW))["entries"] == []


# -- alignment ---------------------------------------------------------------------------------------
def table(values: list) -> pd.DataFrame:
    return pd.DataFrame({"x": [float(v) if v is not None else None for v in values], "note": [str(v) for v in values]})


@pytest.mark.parametrize("old, new, expected", [
    ([1, 2, 3, 4], [1, 2, 3, 4], [0, 1, 2, 3]),  # same rows
    ([1, 2, 3, 4], [1, 9, 3, 4], [0, 1, 2, 3]),  # a cell edited: same number of rows, same places
    ([1, 2, 3, 4], [1, 3, 4], [0, 2, 3]),  # a row removed in the middle
    ([1, 2, 3, 4], [2, 3, 4], [1, 2, 3]),  # the first row removed
    ([1, 2, 3, 4], [1, 2, 3], [0, 1, 2]),  # the last row removed
    ([1, 2, 3, 4], [1, 4], [0, 3]),  # two rows together removed
    ([1, 2, 3], [1, 2, 3, 5], [0, 1, 2, None]),  # a row added at the end
    ([1, 2, 2, 3], [1, 2, 3], [0, 1, 3]),  # a duplicate removed: either copy will do
    ([1, 2, 3, 4, 5], [1, 9, 4, 5], [0, None, 3, 4]),  # removed and edited between the same rows: no guess
    ([], [1, 2], [None, None]),
    ([1, 2], [], []),
])
def test_rows_are_aligned_across_an_edit(old, new, expected):
    assert align_rows(table(old), table(new)) == expected


def test_links_move_with_their_rows_and_leave_with_them():
    links = [ProvenanceLink(1, 3, 0, {"x": 2.0}), ProvenanceLink(3, 3, 1, {"x": 4.0})]
    moved = follow_links(links, align_rows(table([1, 2, 3, 4]), table([1, 3, 4])))
    assert moved == [ProvenanceLink(2, 3, 1, {"x": 4.0})]


def test_a_row_removed_from_a_large_table_is_found():
    old = pd.DataFrame({"x": range(100_000), "y": [1.5] * 100_000})
    new = old.drop(index=[50_000]).reset_index(drop=True)
    aligned = align_rows(old, new)
    assert aligned[49_999] == 49_999 and aligned[50_000] == 50_001 and len(aligned) == 99_999
