"""Session files, the restricted decoder: hostile pickles, damaged and hostile-shaped files.

The hostile session files are real pickles that run a command when `pickle.loads` reads them.
Each test checks that our decoder refuses the file with SessionFileError AND that the file the
payload would create does not exist; a control then shows that the same bytes given to
`pickle.loads` do create it, so the test cannot pass because the payload was inert.
"""

from __future__ import annotations

import builtins
import io
import os
import pickle
import random
import struct
import subprocess
from datetime import timedelta
from pathlib import Path

import dill
import numpy as np
import pandas as pd
import pytest

from alchemist.errors import SessionFileError
from alchemist.examples import catalyst_example
from alchemist.files.bounds import MAX_DEPTH
from alchemist.files.container import MAX_SESSION_FILE_BYTES, decode_session_file, encode_session_file, session_file_payload
from alchemist.files.migrations import CURRENT_FORMAT_VERSION, SESSION_FORMAT
from alchemist.files.safe_pickle import RefuseGlobals
from alchemist.persistence import envelope_for
from alchemist.plain import utc_now

# pickletools warns about escapes in the random bytes it is given; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")


# =================================================================================================
# Session files: the restricted decoder
# =================================================================================================
@pytest.fixture(scope="module")
def valid_file() -> bytes:
    return encode_session_file(envelope_for(catalyst_example(), utc_now(), timedelta(days=1)))


def test_valid_file_decodes(valid_file):
    envelope = decode_session_file(valid_file)
    assert envelope["format"] == SESSION_FORMAT and envelope["format_version"] == CURRENT_FORMAT_VERSION
    assert envelope["session"]["name"] == "Catalyst screening (example)"


def test_encoder_writes_no_global_or_object_opcodes(valid_file):
    import pickletools

    names = {opcode.name for opcode, _, _ in pickletools.genops(session_file_payload(valid_file))}
    assert not names & {"GLOBAL", "STACK_GLOBAL", "INST", "OBJ", "REDUCE", "BUILD", "NEWOBJ", "NEWOBJ_EX"}


# -- hostile pickles ---------------------------------------------------------------------------------
def _payloads(marker: Path) -> dict[str, tuple[bytes, callable]]:
    """name -> (bytes, control): control(bytes) is what an unsafe loader does with them."""
    cmd = f"touch '{marker}'".encode()
    code = f"open({str(marker)!r}, 'w').close()".encode()

    def binunicode(text: bytes) -> bytes:
        return b"X" + struct.pack("<I", len(text)) + text

    class System:
        def __reduce__(self):
            return (os.system, (cmd.decode(),))

    class Subprocess:
        def __reduce__(self):
            return (subprocess.call, (["touch", str(marker)],))

    class Exec:
        def __reduce__(self):
            return (builtins.exec, (code.decode(),))

    # A valid-looking envelope from a real session, with the payload deep inside the experiment table.
    envelope = envelope_for(catalyst_example(), utc_now(), timedelta(days=1))
    envelope["session"]["experiments"]["table"]["columns"][2]["data"] = {"dtype": "f8", "shape": [1], "data": System()}

    # A function defined outside any importable module, so dill pickles its code by value.
    namespace: dict = {}
    exec(f"import os\ndef hook():\n    return os.system({cmd.decode()!r})\n", namespace)
    hidden_function = namespace["hook"]

    load = pickle.loads
    return {
        "GLOBAL+REDUCE os.system": (b"\x80\x02cos\nsystem\n" + binunicode(cmd) + b"\x85R.", load),
        "STACK_GLOBAL+REDUCE os.system": (
            b"\x80\x04" + binunicode(b"os") + binunicode(b"system") + b"\x93" + binunicode(cmd) + b"\x85R.", load,
        ),
        "INST os.system": (b"\x80\x02(" + binunicode(cmd) + b"ios\nsystem\n.", load),
        "OBJ os.system": (b"\x80\x02(cos\nsystem\n" + binunicode(cmd) + b"o.", load),
        "protocol 0 GLOBAL os.system": (b"cos\nsystem\n(V" + cmd + b"\ntR.", load),
        "subprocess.call (protocol 2, GLOBAL)": (pickle.dumps(Subprocess(), protocol=2), load),
        "subprocess.call (protocol 5, STACK_GLOBAL)": (pickle.dumps(Subprocess(), protocol=5), load),
        "builtins.exec (GLOBAL)": (pickle.dumps(Exec(), protocol=2), load),
        "builtins.exec (dill, STACK_GLOBAL)": (dill.dumps(Exec(), protocol=5), load),
        "payload nested in a valid envelope": (dill.dumps(envelope, protocol=5), load),
        "dill-pickled function in an envelope": (
            dill.dumps({"format": SESSION_FORMAT, "format_version": 1, "session": {"hook": hidden_function}}, recurse=True),
            lambda data: dill.loads(data)["session"]["hook"](),
        ),
        "dill-pickled function": (dill.dumps(hidden_function, recurse=True), lambda data: dill.loads(data)()),
    }


PAYLOAD_NAMES = [
    "GLOBAL+REDUCE os.system",
    "STACK_GLOBAL+REDUCE os.system",
    "INST os.system",
    "OBJ os.system",
    "protocol 0 GLOBAL os.system",
    "subprocess.call (protocol 2, GLOBAL)",
    "subprocess.call (protocol 5, STACK_GLOBAL)",
    "builtins.exec (GLOBAL)",
    "builtins.exec (dill, STACK_GLOBAL)",
    "payload nested in a valid envelope",
    "dill-pickled function in an envelope",
    "dill-pickled function",
]


def test_payload_list_is_complete(tmp_path):
    assert list(_payloads(tmp_path / "m")) == PAYLOAD_NAMES


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_hostile_pickle_is_refused_and_runs_nothing(tmp_path, name):
    marker = tmp_path / "pwned"
    data, control = _payloads(marker)[name]

    with pytest.raises(SessionFileError):
        decode_session_file(data)
    assert not marker.exists(), "the payload ran"

    # Defence in depth: the unpickler alone (without the opcode scan) refuses every global too.
    if data[:1] == b"\x80":
        with pytest.raises(SessionFileError):
            RefuseGlobals(io.BytesIO(data)).load()
        assert not marker.exists(), "the payload ran in the restricted unpickler"

    # Control: an unsafe loader does run it, so the refusal above is what kept the marker away.
    control(data)
    assert marker.exists(), "the payload is inert; this test would prove nothing"


@pytest.mark.parametrize(
    "data, what",
    [
        (b"\x80\x04(X\x01\x00\x00\x00a\x94.", "MARK left open"),
        (b"\x80\x04P0\n.", "PERSID"),
        (b"\x80\x04N\x94Q.", "BINPERSID"),
        (b"\x80\x04\x82\x01.", "EXT1"),
        (b"\x80\x04\x8f.", "EMPTY_SET"),
        (b"\x80\x05\x96\x03\x00\x00\x00\x00\x00\x00\x00abc.", "BYTEARRAY8"),
        (b"\x80\x05\x97.", "NEXT_BUFFER"),
        (b"\x80\x04}\x94N\x94b.", "BUILD"),
        (b"\x80\x04]\x94)\x81.", "NEWOBJ"),
    ],
)
def test_opcodes_a_session_never_has_are_refused(data, what):
    with pytest.raises(SessionFileError):
        decode_session_file(data)


# -- damaged and hostile-shaped files ----------------------------------------------------------------
def test_empty_file():
    with pytest.raises(SessionFileError, match="empty"):
        decode_session_file(b"")


def test_not_bytes():
    with pytest.raises(SessionFileError):
        decode_session_file("a string")  # type: ignore[arg-type]


def test_truncated_at_every_offset(valid_file):
    for end in range(len(valid_file)):
        with pytest.raises(SessionFileError):
            decode_session_file(valid_file[:end])


def test_random_files():
    rng = random.Random(7)
    for i in range(500):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400)))
        data = (b"\x80" + bytes([rng.randrange(6)]) + body) if i % 2 else body
        with pytest.raises(SessionFileError):
            decode_session_file(data)


def test_corrupted_bytes_of_a_valid_file_give_our_error_or_a_valid_envelope(valid_file):
    rng = random.Random(3)
    refused = 0
    for _ in range(400):
        data = bytearray(valid_file)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            envelope = decode_session_file(bytes(data))
        except SessionFileError:
            refused += 1
            continue
        assert isinstance(envelope, dict) and isinstance(envelope["session"], dict)
    assert refused > 100


def test_oversize_file_is_refused_before_parsing():
    data = b"\x80\x05" + b"N" * MAX_SESSION_FILE_BYTES
    with pytest.raises(SessionFileError, match="session files can be at most"):
        decode_session_file(data)
    with pytest.raises(SessionFileError, match="at most"):
        decode_session_file(b"\x80\x05N.", max_bytes=3)


def _envelope_around(inner_pickle_ops: bytes) -> bytes:
    """A protocol-4 pickle of {'format':..., 'format_version': 1, 'session': {'x': <inner>}}."""

    def su(text: str) -> bytes:
        raw = text.encode()
        return b"\x8c" + bytes([len(raw)]) + raw

    return (
        b"\x80\x04}(" + su("format") + su(SESSION_FORMAT) + su("format_version") + b"K\x01"
        + su("session") + b"}(" + su("x") + inner_pickle_ops + b"u" + b"u."
    )


def test_hand_built_envelope_helper_is_valid():
    envelope = decode_session_file(_envelope_around(b"K\x05"))
    assert envelope["session"] == {"x": 5}


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 100_000])
def test_deep_nesting(depth):
    # MARK ... EMPTY_LIST, then LIST closes each mark: lists nested `depth` deep.
    with pytest.raises(SessionFileError, match="nested deeper"):
        decode_session_file(_envelope_around(b"(" * depth + b"]" + b"l" * depth))


def test_self_referencing_list():
    # a = []; a.append(a): endless depth through one shared object.
    with pytest.raises(SessionFileError, match="nested deeper"):
        decode_session_file(_envelope_around(b"]\x94h\x00a"))


def test_shared_references_cannot_describe_a_huge_tree():
    # 1000 ints, referenced 1000 times, referenced 10 times: 10 million items from a 5 kB file.
    inner = list(range(1000))
    data = pickle.dumps({"format": SESSION_FORMAT, "format_version": 1, "session": {"x": [[inner] * 1000] * 10}}, protocol=5)
    assert len(data) < 10_000
    with pytest.raises(SessionFileError, match="more items"):
        decode_session_file(data)


@pytest.mark.parametrize(
    "bomb",
    [
        b"\x80\x04N" + b"r" + struct.pack("<I", 0xFFFFFFF0) + b".",  # LONG_BINPUT
        b"\x80\x04" + b"j" + struct.pack("<I", 0xFFFFFFF0) + b".",  # LONG_BINGET
        b"\x80\x04Np4000000000\n.",  # PUT
        b"\x80\x04N\x94" * 3 + b"g4000000000\n.",  # GET
        b"\x80\x04N\x94" + b"r" + struct.pack("<I", 2_000_000) + b"0]q\x00.",  # BINPUT after a big LONG_BINPUT
    ],
)
def test_memo_bombs_allocate_nothing(bomb):
    # CPython's C unpickler sizes its memo table from the largest index a file names:
    # an 11-byte file commits gigabytes. Our decoder must refuse it without allocating.
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(SessionFileError):
            decode_session_file(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, f"decoding an {len(bomb)}-byte file allocated {peak / 1e6:.0f} MB"


@pytest.mark.parametrize(
    "inner, fragment",
    [
        (b")", "kind a session never has (tuple)"),
        (b"}K\x01K\x02s", "key that is not text"),
        (b"\x8a\xff" + b"\x01" * 255, "too large"),
        (b"I" + b"9" * 5000 + b"\n", ""),
    ],
)
def test_values_a_session_never_holds(inner, fragment):
    with pytest.raises(SessionFileError) as info:
        decode_session_file(_envelope_around(inner))
    assert fragment in info.value.message


@pytest.mark.parametrize(
    "envelope, fragment",
    [
        ([1, 2], "no session inside"),
        ({"format": "something-else", "format_version": 1, "session": {}}, "no session inside"),
        ({"format": SESSION_FORMAT, "session": {}}, "which format version"),
        ({"format": SESSION_FORMAT, "format_version": True, "session": {}}, "which format version"),
        ({"format": SESSION_FORMAT, "format_version": "1", "session": {}}, "which format version"),
        ({"format": SESSION_FORMAT, "format_version": 9, "session": {}}, "Update ALchemist"),
        ({"format": SESSION_FORMAT, "format_version": 0, "session": {}}, "unknown format version"),
        ({"format": SESSION_FORMAT, "format_version": 1, "session": [1]}, "holds no session"),
        ({"format": SESSION_FORMAT, "format_version": 1}, "holds no session"),
    ],
)
def test_envelope_checks(envelope, fragment):
    with pytest.raises(SessionFileError) as info:
        decode_session_file(pickle.dumps(envelope, protocol=5))
    assert fragment in info.value.message


def test_protocol_2_bytes_need_a_global_and_are_refused():
    # Why the encoder uses protocol 5: protocol 2 writes bytes via _codecs.encode (a global).
    data = dill.dumps({"format": SESSION_FORMAT, "format_version": 1, "session": {"b": b"\x00"}}, protocol=2)
    with pytest.raises(SessionFileError):
        decode_session_file(data)


def test_encoder_refuses_non_plain_state():
    for bad in ({"a": np.float64(1.0)}, {"a": (1, 2)}, {1: "x"}, {"a": pd.DataFrame()}):
        with pytest.raises(SessionFileError):
            encode_session_file(bad)
