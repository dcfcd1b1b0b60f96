"""Session files not signed by this installation: named, loaded only when allowed, set aside in the cache.

Real files in tmp_path, real child processes, no mocks.
"""

from __future__ import annotations

import struct

import pytest

from alchemist.errors import ForeignFileError, SessionFileError
from alchemist.files.container import MAGIC, encode_session_file
from alchemist.files.kinds import inspect_session_file
from alchemist.persistence import SessionStore, envelope_for
from alchemist.plain import utc_now
from tests.session_store_support import DAY, same_state, snapshot


# -- foreign files ---------------------------------------------------------------------------------
def test_file_of_another_installation_is_named_and_loads_only_when_allowed(tmp_path, store, golden):
    other = SessionStore(tmp_path / "other")
    data = other.export(golden)
    before = snapshot(store.root)
    with pytest.raises(ForeignFileError) as info:
        store.load_file(data)
    assert info.value.reason == "foreign" and info.value.key_id == other.keys.newest
    assert f"signed by another installation (key id {other.keys.newest})" in info.value.message
    assert snapshot(store.root) == before
    loaded = store.read_file(data, allow_foreign=True)
    assert loaded.origin == "foreign" and same_state(loaded.session, golden)


def test_unsigned_files_are_named_as_such(store, golden):
    unsigned = encode_session_file(envelope_for(golden, utc_now(), DAY))
    with pytest.raises(ForeignFileError, match="unsigned") as info:
        store.load_file(unsigned)
    assert info.value.reason == "unsigned"
    assert same_state(store.load_file(unsigned, allow_foreign=True), golden)


def test_a_changed_byte_breaks_our_signature(store, golden):
    data = bytearray(store.export(golden, compression="none"))
    at = data.index("Golden".encode())
    data[at] = ord("X")
    with pytest.raises(ForeignFileError, match="changed after it was saved") as info:
        store.load_file(bytes(data))
    assert info.value.reason == "mismatch"
    changed = store.load_file(bytes(data), allow_foreign=True)  # the user's choice: read in the limited child
    assert changed.name.startswith("Xolden")


def test_a_valid_signature_over_a_malicious_payload_runs_nothing(tmp_path, store):
    marker = tmp_path / "pwned"
    command = f"touch {marker}".encode()
    payload = b"\x80\x04\x8c\x02os\x8c\x06system\x93X" + struct.pack("<I", len(command)) + command + b"\x85R."
    key_id = store.keys.newest.encode()
    body = MAGIC + struct.pack(">HBB", 2, 0, len(key_id)) + key_id + struct.pack(">QQ", len(payload), len(payload)) + payload
    data = body + store.keys.sign(body)[1]
    assert inspect_session_file(data, store.keys).origin == "own"
    with pytest.raises(SessionFileError, match="harmful|program code"):
        store.load_file(data)
    assert not marker.exists()


def test_a_cache_file_not_signed_by_the_store_is_set_aside(tmp_path, golden):
    store = SessionStore(tmp_path / "cache", ttl=DAY)
    other = SessionStore(tmp_path / "other", ttl=DAY)
    other.save(golden)
    planted = other.path_of(golden.id).read_bytes()
    store.path_of(golden.id).parent.mkdir(parents=True)
    store.path_of(golden.id).write_bytes(planted)
    with pytest.raises(SessionFileError, match="set aside .*another installation"):
        store.get(golden.id)
    assert [p.read_bytes() for p in store.quarantine_dir.iterdir()] == [planted]
    assert store.get(golden.id) is None
    store.sessions_dir.mkdir(exist_ok=True)
    (store.sessions_dir / f"{golden.id}.pkl").write_bytes(planted)  # the same in the layout from before
    with pytest.raises(SessionFileError, match="set aside .*another installation"):
        store.get(golden.id)
    assert sorted(p.read_bytes() for p in store.quarantine_dir.iterdir()) == [planted, planted]
    assert store.get(golden.id) is None
