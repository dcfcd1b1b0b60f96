"""Session files round trip: every format holds exactly the same state, and a failed load changes nothing.

Real files in tmp_path, no mocks.
"""

from __future__ import annotations

import json
import struct

import pytest

from alchemist.errors import SessionFileError
from alchemist.files.container import MAGIC
from alchemist.files.kinds import inspect_session_file
from alchemist.files.migrations import CURRENT_FORMAT_VERSION
from tests.session_files_support import session_facts
from tests.session_store_support import same_state, snapshot


def facts_without_id(session) -> dict:
    facts = json.loads(json.dumps(session_facts(session), ensure_ascii=False))
    facts.pop("id")
    return facts


# -- round trips -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt, compression", [("pkl", "none"), ("pkl", "zlib"), ("pkl", "lzma"), ("pkl", "auto"), ("json", None)])
def test_every_format_holds_exactly_the_same_state(store, golden, fmt, compression):
    data = store.export(golden, fmt, compression) if compression else store.export(golden, fmt)
    loaded = store.read_file(data, f"x.{fmt}")
    assert loaded.origin == ("json" if fmt == "json" else "own")
    assert loaded.notes == []
    assert loaded.session.id != golden.id
    assert same_state(loaded.session, golden), "state differs after the round trip"
    assert facts_without_id(loaded.session) == facts_without_id(golden)


def test_json_and_pkl_give_the_same_state_bit_for_bit(store, golden):
    from_pkl = store.load_file(store.export(golden, "pkl"))
    from_json = store.load_file(store.export(golden, "json"), "s.json")
    assert same_state(from_pkl, from_json)


def test_json_is_readable_exact_and_utc(store, golden):
    text = store.export(golden, "json").decode("utf-8")
    tree = json.loads(text)  # standard JSON: no NaN tokens
    assert tree["format"] == "alchemist-session" and tree["format_version"] == CURRENT_FORMAT_VERSION
    assert tree["session"]["name"] == golden.name and "°C" in text  # UTF-8, not escaped
    columns = {c["name"]: c for c in tree["session"]["experiments"]["table"]["columns"]}
    assert columns["Yield"]["data"]["values"] == [0.30000000000000004, 0.5, "NaN", 1e-300, 0.75, "Infinity", "-Infinity", 0.25]
    assert columns["Noise"]["data"]["values"][-1] == 5e-324
    for key in ("created_at", "last_accessed", "expires_at"):
        assert tree[key].endswith("+00:00")
    assert tree["session"]["created"] == "2026-11-25T17:00:00.123456+00:00"


def test_json_diffs_line_by_line(store, golden):
    before = store.export(golden, "json").decode().splitlines()
    from alchemist.session import Session

    changed = Session.from_state(golden.to_state())
    changed.name = "Renamed"
    after = store.export(changed, "json").decode().splitlines()
    differing = [(a, b) for a, b in zip(before, after) if a != b and not a.startswith((' "last_accessed"', ' "expires_at"'))]
    assert len(before) == len(after) and len(differing) == 1 and "Renamed" in differing[0][1]


def test_pkl_starts_with_magic_version_and_key_id(store, golden):
    data = store.export(golden)
    assert data.startswith(MAGIC)
    version, compression, key_length = struct.unpack_from(">HBB", data, len(MAGIC))
    assert version == CURRENT_FORMAT_VERSION and compression in (0, 1, 2)
    assert data[len(MAGIC) + 4: len(MAGIC) + 4 + key_length].decode() == store.keys.newest
    info = inspect_session_file(data, store.keys)
    assert (info.kind, info.format_version, info.origin, info.key_id) == ("pkl", CURRENT_FORMAT_VERSION, "own", store.keys.newest)


def test_cache_files_are_signed_and_get_reads_them(store, golden):
    store.save(golden)
    data = store.path_of(golden.id).read_bytes()
    assert inspect_session_file(data, store.keys).origin == "own"
    assert same_state(store.get(golden.id), golden)


# -- nothing lost ----------------------------------------------------------------------------------
def test_a_failed_load_changes_nothing_and_names_the_part(store, golden):
    store.save(golden)
    before = snapshot(store.root)
    data = store.export(golden, compression="zlib")
    cases = {
        data[:40]: "header",
        data[:-10]: "signature",
        data[:-200]: "session data",
        b"\x89ALCHEMIST\r\n\x1a\x00" + data[14:]: "magic",
        data + b"extra": "after its signature",
        b'{"format": "alchemist-session", "format_version": 2, "session": {"state_version": 1, "id": "x"}}': "no valid id",
    }
    for bad, part in cases.items():
        with pytest.raises(SessionFileError) as info:
            store.import_session(bad, allow_foreign=True)
        assert part in info.value.message, (part, info.value.message)
    assert snapshot(store.root) == before
