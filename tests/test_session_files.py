"""Session files that travel: signed .pkl, JSON, versions and migrations, compression, foreign files.

Real files in tmp_path, real child processes, no mocks.
"""

from __future__ import annotations

import json
import os
import pickle
import stat
import struct
import zlib
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from alchemist.errors import ForeignFileError, SessionFileError
from alchemist.files import json_tree
from alchemist.files.container import (
    MAGIC,
    MAX_SESSION_FILE_BYTES,
    MAX_UNPACKED_BYTES,
    decode_session_file,
    encode_session_file,
)
from alchemist.files.kinds import inspect_session_file
from alchemist.files.migrations import CURRENT_FORMAT_VERSION, MIGRATIONS, migrate
from alchemist.files.nrel import import_alchemist_session
from alchemist.files.signing import LOCAL_KEY_FILE, KeyRing
from alchemist.files.strict_json import MAX_JSON_SESSION_FILE_BYTES, decode_session_json, encode_session_json
from alchemist.persistence import SessionStore, envelope_for, session_from_envelope
from alchemist.plain import utc_now
from ui.import_notes_words import note_lines
from tests.session_files_support import GOLDEN_DIR, GOLDEN_KEYS, golden_session, session_facts, shared_file, write_version

DAY = timedelta(days=1)
ALCHEMIST_COPY = GOLDEN_DIR / "alchemist_nrel_0.4.0_reaction_campaign.json"
NREL_FILES = [
    "alchemist_session/reaction_campaign_alchemist040.json",
    "alchemist_session_queue/catalyst_campaign_alchemist040.json",
    "alchemist_session_queue/two_objective_campaign_alchemist040.json",
]


@pytest.fixture(scope="module")
def golden():
    # Through its own state once: an int64 column of suggestions is kept as values (object dtype),
    # so the fixed point of save and load is what every format must reproduce exactly.
    from alchemist.session import Session

    return Session.from_state(golden_session().to_state())


@pytest.fixture
def store(tmp_path) -> SessionStore:
    return SessionStore(tmp_path / "cache", ttl=DAY)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def canonical(tree) -> str:
    """Plain data as text: arrays as their exact bytes (base64), other floats by repr, NaN and infinity named."""
    return json.dumps(json_tree.to_json_tree(tree, arrays_as_numbers=False), sort_keys=True)


def same_state(a, b) -> bool:
    """Bit for bit (numeric columns as their bytes), apart from the id a load gives."""
    sa, sb = a.to_state(), b.to_state()
    sa["id"] = sb["id"] = "-"
    return canonical(sa) == canonical(sb)


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


# -- keys ----------------------------------------------------------------------------------------
def test_local_key_is_made_once_owner_only_and_shared_by_stores(tmp_path, golden):
    first = SessionStore(tmp_path / "cache")
    key_file = tmp_path / "cache" / LOCAL_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = SessionStore(tmp_path / "cache")
    assert first.keys.newest == second.keys.newest
    assert second.read_file(first.export(golden)).origin == "own"
    assert "KeyRing" in repr(first.keys) and key_file.read_text().strip() not in repr(first.keys)


def test_a_key_readable_by_others_is_refused(tmp_path):
    SessionStore(tmp_path / "cache")
    os.chmod(tmp_path / "cache" / LOCAL_KEY_FILE, 0o644)
    with pytest.raises(PermissionError):
        SessionStore(tmp_path / "cache")


def test_key_rotation_newest_signs_all_verify(tmp_path, golden):
    old_ring = KeyRing.from_mapping({"2025-01": "an old secret of enough length"})
    old_file = SessionStore(tmp_path / "a", keys=old_ring).export(golden)
    rotated = KeyRing.from_mapping({"2025-01": "an old secret of enough length", "2026-11": "the new secret, also long"})
    assert rotated.newest == "2026-11"
    store = SessionStore(tmp_path / "b", keys=rotated)
    assert store.read_file(old_file).origin == "own"
    new_file = store.export(golden)
    assert inspect_session_file(new_file, rotated).key_id == "2026-11"
    with pytest.raises(ForeignFileError, match=r"another installation \(key id 2026-11\)"):
        SessionStore(tmp_path / "c", keys=old_ring).load_file(new_file)


@pytest.mark.parametrize("mapping, newest", [({}, None), ({"bad id!": "x" * 20}, None), ({"k": "short"}, None), ({"k": "x" * 20}, "other")])
def test_bad_key_rings_are_refused(mapping, newest):
    with pytest.raises(ValueError):
        KeyRing.from_mapping(mapping, newest)


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


# -- compression and sizes -------------------------------------------------------------------------
def test_compression_shrinks_a_large_session_and_auto_picks_it(store):
    envelope = envelope_for(golden_session(train=False), utc_now(), DAY)
    envelope["session"]["padding"] = "repetitive text " * 100_000
    sizes = {c: len(encode_session_file(envelope, store.keys, c)) for c in ("none", "zlib", "lzma", "auto")}
    assert sizes["zlib"] < sizes["none"] / 20 and sizes["lzma"] < sizes["none"] / 20
    assert sizes["auto"] == sizes["zlib"]
    for compression in ("zlib", "lzma"):
        assert decode_session_file(encode_session_file(envelope, store.keys, compression)) == envelope


def _container(payload: bytes, unpacked: int, code: int) -> bytes:
    body = MAGIC + struct.pack(">HBB", 2, code, 0) + struct.pack(">QQ", unpacked, len(payload)) + payload
    return body + bytes(32)


def test_a_decompression_bomb_stops_at_the_stated_size():
    import tracemalloc

    bomb = zlib.compress(b"\x00" * 200_000_000, 9)  # 200 MB of zeros in about 200 kB
    assert len(bomb) < 300_000
    tracemalloc.start()
    try:
        with pytest.raises(SessionFileError, match="more than the file header says"):
            decode_session_file(_container(bomb, 1000, 1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000
    with pytest.raises(SessionFileError, match="unpack to .* the limit is"):
        decode_session_file(_container(bomb, 200_000_000 * 10, 1))


def test_saving_a_session_too_large_to_load_again_is_refused(store):
    envelope = envelope_for(golden_session(train=False), utc_now(), DAY)
    envelope["session"]["noise"] = os.urandom(MAX_SESSION_FILE_BYTES + 1000)  # incompressible
    with pytest.raises(SessionFileError, match="too large to save as a file"):
        encode_session_file(envelope, store.keys)
    envelope["session"]["noise"] = bytes(MAX_UNPACKED_BYTES + 1)
    with pytest.raises(SessionFileError, match="too large to save as a file"):
        encode_session_file(envelope, store.keys)
    envelope["session"]["noise"] = "x" * MAX_JSON_SESSION_FILE_BYTES
    with pytest.raises(SessionFileError, match="too large to save as JSON"):
        encode_session_json(envelope)


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


# -- ALchemist (NREL) sessions ---------------------------------------------------------------------
def alchemist_bytes() -> bytes:
    return ALCHEMIST_COPY.read_bytes()


def test_the_shared_alchemist_file_is_kept_as_a_golden_copy():
    assert ALCHEMIST_COPY.read_bytes() == shared_file(NREL_FILES[0]).read_bytes()


def test_import_an_alchemist_0_4_session(store):
    loaded = store.read_file(alchemist_bytes(), "reaction_campaign_alchemist040.json")
    assert loaded.origin == "alchemist" and loaded.info.kind == "alchemist"
    session, not_mapped = loaded.session, note_lines(loaded.notes)
    assert session.name == "Untitled Session"
    assert [(v.name, v.kind, v.unit, v.description) for v in session.variables] == [
        ("Temperature", "continuous", "°C", "bath temperature"),
        ("Time", "integer", "h", "reaction time"),
        ("Solvent", "categorical", "", "solvent"),
        ("Loading", "continuous", "mol%", ""),
    ]
    assert session.variables[2].levels == ("MeCN", "DMF", "Toluene")
    frame = session.experiments.frame
    source = json.loads(alchemist_bytes())["experiments"]["data"]
    assert len(frame) == len(source) == 12 and session.target == "Output"
    assert frame["Output"].tolist() == [row["Output"] for row in source]
    assert frame["Temperature"].tolist() == [row["Temperature"] for row in source]
    assert frame["Iteration"].tolist() == list(range(12)) and set(frame["Note"]) == {"Manual"}
    assert frame["Noise"].tolist() == [2.25] * 12
    assert session.statuses() == ["ok"] * 12
    assert session.model_settings.kernel == "matern32" and session.model_settings.seed == 42
    assert any("trained model" in n for n in not_mapped)
    assert any(e.origin == "NREL ALchemist" and e.original_time == "2026-11-25T17:19:39.739965" for e in session.audit)  # times kept as written
    session.train()  # the import is a usable campaign


def test_alchemist_import_lists_what_it_cannot_map():
    tree = json.loads(alchemist_bytes())
    tree["metadata"]["name"] = "Reaction campaign"
    tree["metadata"]["description"] = "a description"
    tree["experiments"]["target_columns"] = ["Output", "Selectivity"]
    for i, row in enumerate(tree["experiments"]["data"]):
        row["Selectivity"] = 0.5
        row["Operator"] = "AB"
    tree["experiments"]["data"][3]["Temperature"] = "warm"
    tree["experiments"]["data"].append(["not", "a", "record"])
    tree["search_space"]["variables"].append({"name": "Bad", "type": "real", "min": 5, "max": 1})
    tree["search_space"]["constraints"] = [{"expr": "Temperature < 100"}]
    tree["staged_experiments"] = [{"Temperature": 50.0, "Time": 3, "Solvent": "DMF", "Loading": 1.0}]
    tree["last_suggestions"] = [{"Temperature": 60.0}]
    tree["future_part"] = {"x": 1}
    tree["experiments"]["data"][0]["Noise"] = float("nan")
    text = json.dumps(tree)  # Python's json writes a NaN token
    assert "NaN" in text
    session, not_mapped = import_alchemist_session(text.encode())
    words = "\n".join(note_lines(not_mapped))
    assert session.name == "Reaction campaign"
    assert session.details.description == "a description"
    assert session.experiments.results == ("Selectivity",)  # a second result column is kept
    for fragment in ("'Operator'", "Experiments that are not records, not imported: 1", "Variable 5 ('Bad')",
                     "1 input constraint", "1 last suggestion", "future_part", "Experiments that do not fit the variables: 1"):
        assert fragment in words, fragment
    assert len(session.experiments) == 12 + 1  # 12 rows kept (one marked), 1 staged as pending
    from alchemist.problems import CellProblem, ProblemKind, RowStatus

    assert session.check_rows()[3].problems[0] == CellProblem("Temperature", ProblemKind.NOT_A_NUMBER, "warm")
    assert session.statuses()[-1] is RowStatus.PENDING
    assert pd.isna(session.experiments.frame["Noise"].tolist()[0])


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda t: t.update(version="9.0.0"), "format version 9.0.0"),
        (lambda t: t.update(version=[1]), "not a version number"),
        (lambda t: t.pop("search_space"), "no search_space"),
        (lambda t: t["search_space"].update(variables=[]), "lists no variables"),
        (lambda t: t["experiments"].update(data={"a": 1}), "experiments part"),
        (lambda t: t["experiments"].update(target_columns="Output"), "target_columns"),
    ],
)
def test_alchemist_files_that_cannot_be_imported(change, fragment):
    tree = json.loads(alchemist_bytes())
    change(tree)
    with pytest.raises(SessionFileError, match=fragment):
        import_alchemist_session(json.dumps(tree).encode())


@pytest.mark.parametrize("relative", NREL_FILES)
def test_import_session_takes_every_nrel_alchemist_0_4_file(store, relative):
    # The files ALchemist 0.4.0 itself wrote, from shared/: the one entry point of Load Session takes them.
    data = shared_file(relative).read_bytes()
    tree = json.loads(data)
    before = snapshot(store.root)
    loaded = store.read_file(data, Path(relative).name)
    assert snapshot(store.root) == before, "read_file writes nothing"
    assert loaded.origin == "alchemist" and loaded.notes
    session = loaded.session
    assert [v.name for v in session.variables] == [v["name"] for v in tree["search_space"]["variables"]]
    assert session.target == tree["experiments"]["target_columns"][0]
    measured = [s for s in session.statuses() if not s.startswith(("pending", "excluded"))]  # excluded: a failed run
    assert len(measured) == len(tree["experiments"]["data"])
    new_id = store.import_session(data, Path(relative).name)
    stored = store.get(new_id)
    assert stored is not None and stored.name == session.name and len(stored.experiments) == len(session.experiments)


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


def _key_id_of(folder: str, connection) -> None:
    connection.send(KeyRing.local(folder).newest)


def test_processes_starting_at_once_agree_on_one_local_key(tmp_path):
    import multiprocessing

    context = multiprocessing.get_context("fork")
    pipes, processes = [], []
    for _ in range(6):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_key_id_of, args=(str(tmp_path / "cache"), send))
        processes.append(process)
        pipes.append(receive)
    for process in processes:
        process.start()
    ids = {pipe.recv() for pipe in pipes}
    for process in processes:
        process.join(10)
    assert len(ids) == 1 and ids == {KeyRing.local(tmp_path / "cache").newest}
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [LOCAL_KEY_FILE]
