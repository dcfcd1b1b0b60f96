"""Session file sizes: compression, decompression bombs, sessions too large to load again.

Real files in tmp_path, no mocks.
"""

from __future__ import annotations

import os
import struct
import zlib

import pytest

from alchemist.errors import SessionFileError
from alchemist.files.container import (
    MAGIC,
    MAX_SESSION_FILE_BYTES,
    MAX_UNPACKED_BYTES,
    decode_session_file,
    encode_session_file,
)
from alchemist.files.strict_json import MAX_JSON_SESSION_FILE_BYTES, encode_session_json
from alchemist.persistence import envelope_for
from alchemist.plain import utc_now
from tests.session_files_support import golden_session
from tests.session_store_support import DAY


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
