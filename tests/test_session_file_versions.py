"""Session file versions: a golden file for each, its writer, migrations, newer versions refused.

Real files in tmp_path, real child processes, no mocks.
"""

from __future__ import annotations

import json
import pickle
import struct

import pytest

from alchemist.errors import ForeignFileError, SessionFileError
from alchemist.files.container import MAGIC, decode_session_file
from alchemist.files.kinds import inspect_session_file
from alchemist.files.migrations import CURRENT_FORMAT_VERSION, MIGRATIONS, migrate
from alchemist.files.strict_json import decode_session_json
from alchemist.persistence import SessionStore, session_from_envelope
from alchemist.plain import utc_now
from tests.session_files_support import GOLDEN_DIR, GOLDEN_KEYS, session_facts, write_version
from tests.session_store_support import DAY, same_state


# -- versions ------------------------------------------------------------------------------------
def golden_versions() -> list[int]:
    return sorted(int(p.stem.split("_v")[1]) for p in GOLDEN_DIR.glob("session_v*.pkl"))


def test_there_is_a_golden_file_for_every_version():
    assert golden_versions() == list(range(1, CURRENT_FORMAT_VERSION + 1))
    assert sorted(MIGRATIONS) == list(range(1, CURRENT_FORMAT_VERSION))


@pytest.mark.parametrize("version", range(1, CURRENT_FORMAT_VERSION + 1))
def test_golden_file_of_every_version_loads_to_its_facts(tmp_path, version):
    data = (GOLDEN_DIR / f"session_v{version}.pkl").read_bytes()
    expected = json.loads((GOLDEN_DIR / f"session_v{version}.facts.json").read_text(encoding="utf-8"))
    envelope = decode_session_file(data)
    assert envelope["format_version"] == version
    assert json.loads(json.dumps(session_facts(session_from_envelope(envelope)), ensure_ascii=False)) == expected
    # Through the store: our test key makes a signed golden file "own"; version 1 is unsigned.
    store = SessionStore(tmp_path / "cache", keys=GOLDEN_KEYS)
    if version == 1:
        with pytest.raises(ForeignFileError, match="unsigned"):
            store.load_file(data)
    loaded = store.read_file(data, allow_foreign=version == 1)
    assert loaded.origin == ("unsigned" if version == 1 else "own")
    facts = json.loads(json.dumps(session_facts(loaded.session), ensure_ascii=False))
    assert facts.pop("id") != expected.pop("id")
    assert facts == expected


def test_golden_json_loads_to_the_same_facts():
    data = (GOLDEN_DIR / f"session_v{CURRENT_FORMAT_VERSION}.json").read_bytes()
    expected = json.loads((GOLDEN_DIR / f"session_v{CURRENT_FORMAT_VERSION}.facts.json").read_text(encoding="utf-8"))
    session = session_from_envelope(decode_session_json(data))
    assert json.loads(json.dumps(session_facts(session), ensure_ascii=False)) == expected


@pytest.mark.parametrize("version", [1, CURRENT_FORMAT_VERSION])  # the writers this code still has
def test_the_golden_writer_of_every_version_writes_what_its_golden_file_holds(tmp_path, version):
    data = write_version(version, tmp_path)
    written = json.loads((tmp_path / f"session_v{version}.facts.json").read_text(encoding="utf-8"))
    golden = json.loads((GOLDEN_DIR / f"session_v{version}.facts.json").read_text(encoding="utf-8"))
    info = inspect_session_file(data, GOLDEN_KEYS)
    assert (info.kind, info.origin) == (("pkl-v1", "unsigned") if version == 1 else ("pkl", "own"))
    assert decode_session_file(data)["format_version"] == version
    loaded = SessionStore(tmp_path / "cache", keys=GOLDEN_KEYS).read_file(data, allow_foreign=version == 1)
    facts = json.loads(json.dumps(session_facts(loaded.session), ensure_ascii=False))
    assert facts.pop("id") != written.pop("id")
    assert facts == written
    # The campaign is the golden one; the model's fit follows the model code of the day.
    for key in ("model", "suggestions", "id"):
        golden.pop(key)
        written.pop(key, None)
    assert written == golden


def test_a_cached_version_1_file_is_read_once_and_rewritten_signed(store):
    data = (GOLDEN_DIR / "session_v1.pkl").read_bytes()
    envelope = decode_session_file(data)
    envelope.update(last_accessed=utc_now().isoformat(), expires_at=(utc_now() + DAY).isoformat())
    path = store.sessions_dir / f"{envelope['session']['id']}.pkl"
    path.write_bytes(pickle.dumps(envelope, protocol=5))  # a version-1 cache file, as the old app wrote it
    session = store.get(envelope["session"]["id"])
    assert session is not None and session.name.startswith("Golden")
    assert not path.exists(), "converted to the new layout"
    assert inspect_session_file(store.path_of(session.id).read_bytes(), store.keys).origin == "own"
    assert SessionStore(store.root, ttl=DAY).get(session.id).name == session.name


def test_a_newer_version_is_refused_saying_which_is_needed(store, golden):
    data = bytearray(store.export(golden))
    struct.pack_into(">H", data, len(MAGIC), CURRENT_FORMAT_VERSION + 1)
    for attempt in (bytes(data), pickle.dumps({"format": "alchemist-session", "format_version": 9, "session": {}}, protocol=5)):
        with pytest.raises(SessionFileError) as info:
            store.load_file(attempt, allow_foreign=True)
        assert "Update ALchemist to a release that reads format version" in info.value.message
    tree = json.loads(store.export(golden, "json"))
    tree["format_version"] = CURRENT_FORMAT_VERSION + 1
    with pytest.raises(SessionFileError, match=f"format version {CURRENT_FORMAT_VERSION + 1}"):
        store.load_file(json.dumps(tree).encode())
    tree["format_version"] = CURRENT_FORMAT_VERSION
    tree["session"]["state_version"] = 2
    with pytest.raises(SessionFileError, match="layout version 2"):
        store.load_file(json.dumps(tree).encode())


def test_unknown_extra_fields_are_reported_not_fatal(store, golden):
    tree = json.loads(store.export(golden, "json"))
    tree["comment"] = "added by hand"
    tree["session"]["colour"] = "blue"
    loaded = store.read_file(json.dumps(tree).encode(), "s.json")
    assert same_state(loaded.session, golden)
    assert any("'comment'" in note for note in loaded.notes) and any("'colour'" in note for note in loaded.notes)


def test_migration_steps_are_applied_in_order():
    envelope, notes = migrate({"format": "alchemist-session", "format_version": 1, "session": {"state_version": 1}})
    assert envelope["format_version"] == CURRENT_FORMAT_VERSION and notes == []
