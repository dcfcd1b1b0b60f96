"""The cases of the hostile-input suite (tests/test_hostile_inputs.py): pickles that run code, memory and
crash bombs, damaged containers, versions and signatures, broken JSON, hostile NREL ALchemist files."""

from __future__ import annotations

import json
import lzma
import os
import pickle
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import dill

from alchemist.files.container import MAGIC, MAX_SESSION_FILE_BYTES
from alchemist.files.migrations import CURRENT_FORMAT_VERSION, SESSION_FORMAT
from alchemist.files.signing import KeyRing
from alchemist.files.strict_json import MAX_JSON_SESSION_FILE_BYTES
from tests.test_files_decoder import PAYLOAD_NAMES, _payloads


@dataclass
class Case:
    family: str
    name: str
    data: bytes
    allow_foreign: bool = True
    how: str = "load"  # "load": store.import_session, as Load Session does; "alchemist": the same, for NREL ALchemist files
    fragment: str | None = None  # must appear in the message: the part of the file at fault
    may_load: bool = False  # a damaged but harmless file may still load (e.g. a flipped bit in a name)
    marker: Path | None = None


def binunicode(text: bytes) -> bytes:
    return b"X" + struct.pack("<I", len(text)) + text


def short(text: str) -> bytes:
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def container(payload: bytes, *, version: int = 2, compression: int = 0, unpacked: int | None = None,
              keys: KeyRing | None = None, key_id: bytes | None = None, mac: bytes | None = None) -> bytes:
    kid = key_id if key_id is not None else (keys.newest.encode() if keys else b"")
    length = len(payload) if unpacked is None else unpacked
    body = MAGIC + struct.pack(">HBB", version, compression, len(kid)) + kid + struct.pack(">QQ", length, len(payload)) + payload
    if mac is None:
        mac = keys.sign(body)[1] if keys else bytes(32)
    return body + mac


def envelope_around(inner: bytes, version: int = 1) -> bytes:
    return (b"\x80\x04}(" + short("format") + short(SESSION_FORMAT) + short("format_version") + b"K" + bytes([version])
            + short("session") + b"}(" + short("x") + inner + b"u" + b"u.")


def build_cases(marker_dir: Path, own_keys: KeyRing, valid_file: bytes, valid_json: bytes, alchemist_json: bytes) -> list[Case]:
    cases: list[Case] = []
    foreign_keys = KeyRing.from_mapping({"elsewhere-1": "a key of another installation entirely"})

    def marker(name: str) -> Path:
        return marker_dir / f"m{len(cases):03d}"

    # -- 1. pickles that run code, through every opcode family and through dill functions ------------
    for index, name in enumerate(PAYLOAD_NAMES):
        path = marker(name)
        data, _control = _payloads(path)[name]
        cases.append(Case("code: bare pickle (v1 form)", name, data, marker=path))
        path = marker(name)
        data, _control = _payloads(path)[name]
        cases.append(Case("code: valid signature over a malicious payload", name, container(data, keys=own_keys),
                          allow_foreign=False, marker=path))
        if index % 3 == 0:
            path = marker(name)
            data, _control = _payloads(path)[name]
            cases.append(Case("code: foreign signature, loaded after confirmation", name,
                              container(zlib.compress(data), compression=1, unpacked=len(data), keys=foreign_keys), marker=path))

    def command_for(path: Path) -> bytes:
        return f"touch {path}".encode()

    extra_code = {
        "NEWOBJ subprocess.Popen": lambda c: b"\x80\x04" + short("subprocess") + short("Popen") + b"\x93" + short("sh") + short("-c") + binunicode(c) + b"\x87\x85\x81.",
        "NEWOBJ_EX subprocess.Popen": lambda c: b"\x80\x04" + short("subprocess") + short("Popen") + b"\x93(" + short("sh") + short("-c") + binunicode(c) + b"l\x85}\x92.",
        "BUILD with __setstate__ (os._wrap_close)": lambda c: b"\x80\x04" + short("os") + short("system") + b"\x93" + binunicode(c) + b"\x85R}b.",
        "EXT1 registered extension": lambda c: b"\x80\x02\x82\x01" + binunicode(c) + b"\x85R.",
        "EXT2 registered extension": lambda c: b"\x80\x02\x83\x01\x00" + binunicode(c) + b"\x85R.",
        "EXT4 registered extension": lambda c: b"\x80\x02\x84\x01\x00\x00\x00" + binunicode(c) + b"\x85R.",
        "PERSID": lambda c: b"\x80\x02P" + c + b"\n.",
        "BINPERSID": lambda c: b"\x80\x02" + binunicode(c) + b"Q.",
        "getattr(__import__('os'), 'system')": lambda c: (
            b"\x80\x04" + short("builtins") + short("getattr") + b"\x93" + short("builtins") + short("__import__") + b"\x93"
            + short("os") + b"\x85R" + short("system") + b"\x86R" + binunicode(c) + b"\x85R."),
        "builtins.eval via memo (PUT then GET)": lambda c: (
            b"\x80\x04" + short("builtins") + short("eval") + b"\x93\x94h\x00" + binunicode(b"__import__('os').system('" + c + b"')") + b"\x85R."),
        "payload deep inside a valid-looking envelope": lambda c: envelope_around(
            b"}(" + short("rows") + b"](" + short("os") + short("system") + b"\x93" + binunicode(c) + b"\x85Re" + b"u"),
        "protocol 1 GLOBAL in BINSTRING": lambda c: b"cos\nsystem\nq\x00(U" + bytes([len(c)]) + c + b"tR.",
    }
    for name, build in extra_code.items():
        path = marker(name)
        cases.append(Case("code: bare pickle (v1 form)", name, build(command_for(path)), marker=path))
        path = marker(name)
        cases.append(Case("code: valid signature over a malicious payload", name, container(build(command_for(path)), keys=own_keys),
                          allow_foreign=False, marker=path))

    # A function and a class pickled by value with dill: they run when the app calls them.
    namespace: dict = {}
    path = marker("dill lambda")
    exec(f"import os\nhook = lambda: os.system('touch {path}')\nclass Evil:\n    def __reduce__(self):\n        return (os.system, ('touch {path}',))\n", namespace)
    cases.append(Case("code: dill by value", "lambda in an envelope",
                      dill.dumps({"format": SESSION_FORMAT, "format_version": 1, "session": {"validate": namespace["hook"]}}, recurse=True), marker=path))
    path = marker("dill class")
    namespace2: dict = {}
    exec(f"import os\nclass Evil:\n    def __reduce__(self):\n        return (os.system, ('touch {path}',))\n", namespace2)
    cases.append(Case("code: dill by value", "class with __reduce__", dill.dumps(namespace2["Evil"](), recurse=True), marker=path))
    cases.append(Case("code: dill by value", "class object by value", dill.dumps(namespace2["Evil"], recurse=True)))

    # -- 2. memory and crash bombs built only from numpy / pandas / pyarrow names -------------------------
    def reduce_call(module: str, name: str, args: bytes) -> bytes:
        return b"\x80\x04" + short(module) + short(name) + b"\x93" + args + b"R."

    numpy_bombs = {
        "ndarray 8 GB via _reconstruct + __setstate__": (
            b"\x80\x04" + short("numpy._core.multiarray") + short("_reconstruct") + b"\x93" + short("numpy") + short("ndarray") + b"\x93"
            + b"K\x00\x85C\x01b\x87R" + b"(K\x01J\x00\x00\x00@\x85" + short("numpy") + short("dtype") + b"\x93" + short("f8")
            + b"\x89\x88\x87R\x89C\x00tb."),
        "dtype __setstate__ with a bogus state": reduce_call("numpy", "dtype", short("O8") + b"\x85") [:-1] + b"(K\x03" + short("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tb.",
        "object array from raw pointer bytes": (
            b"\x80\x04" + short("numpy.core.multiarray") + short("_reconstruct") + b"\x93" + short("numpy") + short("ndarray") + b"\x93"
            + b"K\x00\x85C\x01b\x87R(K\x01K\x04\x85" + short("numpy") + short("dtype") + b"\x93" + short("O8") + b"\x89\x88\x87R\x89C \x41\x41\x41\x41\x41\x41\x41\x41" * 1 + b"tb."),
        "numpy.memmap of /etc/passwd": reduce_call("numpy", "memmap", short("/etc/passwd") + b"\x85"),
        "numpy.frombuffer of a huge count": reduce_call("numpy", "frombuffer", b"C\x08aaaaaaaa" + short("f8") + b"\x8a\x05\x00\x00\x00\x00\x01\x87"),
        "pandas Cython _unpickle_block": reduce_call("pandas._libs.internals", "_unpickle_block", b"NNK\x02\x87"),
        "pandas DataFrame with a crafted BlockManager": reduce_call("pandas.core.frame", "DataFrame", b")") ,
        "pyarrow array out-of-bounds buffers": reduce_call("pyarrow.lib", "_restore_array", b"N\x85"),
        "numpy.load of a path (pickle inside)": reduce_call("numpy", "load", short("/tmp/x.npy") + b"\x85"),
    }
    for name, data in numpy_bombs.items():
        cases.append(Case("bomb: numpy/pandas names", name, data))
        cases.append(Case("bomb: numpy/pandas names (signed by us)", name, container(data, keys=own_keys), allow_foreign=False))

    # -- 3. bombs with no global at all ----------------------------------------------------------------
    inner = list(range(1000))
    plain_bombs = {
        "memo bomb LONG_BINPUT": (b"\x80\x04N" + b"r" + struct.pack("<I", 0xFFFFFFF0) + b".", "reference"),
        "memo bomb LONG_BINGET": (b"\x80\x04" + b"j" + struct.pack("<I", 0xFFFFFFF0) + b".", "reference"),
        "memo bomb PUT text": (b"\x80\x04Np4000000000\n.", "reference"),
        "10 million items from shared references": (pickle.dumps({"format": SESSION_FORMAT, "format_version": 1, "session": {"x": [[inner] * 1000] * 10}}, protocol=5), "more items"),
        "100,000-deep nesting": (envelope_around(b"(" * 100_000 + b"]" + b"l" * 100_000), "nested deeper"),
        "self-referencing list": (envelope_around(b"]\x94h\x00a"), "nested deeper"),
        "a 2 MB integer (LONG4)": (b"\x80\x04\x8b" + struct.pack("<I", 2_000_000) + b"\x01" * 2_000_000 + b".", "too large"),
        "a 100,000-digit INT": (envelope_around(b"I" + b"9" * 100_000 + b"\n"), None),
        "a set (EMPTY_SET)": (b"\x80\x04\x8f.", "never has"),
        "bytearray (BYTEARRAY8)": (b"\x80\x05\x96\x03\x00\x00\x00\x00\x00\x00\x00abc.", "never has"),
        "NEXT_BUFFER out-of-band": (b"\x80\x05\x97.", "never has"),
    }
    for name, (data, fragment) in plain_bombs.items():
        cases.append(Case("bomb: no globals", name, data, fragment=fragment))
    cases.append(Case("bomb: no globals (signed by us)", "10 million items, signed",
                      container(plain_bombs["10 million items from shared references"][0], keys=own_keys), allow_foreign=False, fragment="more items"))

    # -- 4. the container: truncations, bit flips, magic, versions, signatures, sizes ------------------
    size = len(valid_file)
    for end in sorted({0, 1, 7, 13, 14, 15, 17, 20, 30, 40, 60, size // 4, size // 2, size - 200, size - 33, size - 32, size - 31, size - 1}):
        if 0 <= end < size:
            cases.append(Case("damaged: truncated", f"cut at byte {end} of {size}", valid_file[:end], allow_foreign=False))
    header_end = len(MAGIC) + 4 + valid_file[len(MAGIC) + 3] + 16
    flips = {
        "magic": 3, "version": len(MAGIC) + 1, "compression": len(MAGIC) + 2, "key id length": len(MAGIC) + 3,
        "key id": len(MAGIC) + 5, "unpacked length": header_end - 12, "payload length": header_end - 3,
        "payload start": header_end + 2, "payload middle": (header_end + size - 32) // 2, "payload end": size - 34, "MAC": size - 5,
    }
    for part, position in flips.items():
        flipped = bytearray(valid_file)
        flipped[position] ^= 0x10
        cases.append(Case("damaged: bit flip", f"one bit in the {part}", bytes(flipped), allow_foreign=False))
        cases.append(Case("damaged: bit flip, loaded after confirmation", f"one bit in the {part}", bytes(flipped), may_load=True))
    raw = pickle.dumps({"format": SESSION_FORMAT, "format_version": 2, "session": {"x": 1}}, protocol=5)
    cases += [
        Case("damaged: wrong magic", "PNG signature", b"\x89PNG\r\n\x1a\n" + valid_file[8:], fragment="magic"),
        Case("damaged: wrong magic", "zip file", b"PK\x03\x04" + valid_file[4:], fragment="magic"),
        Case("damaged: wrong magic", "text", b"hello, I am a session", fragment="magic"),
        Case("damaged: wrong magic", "empty", b"", fragment="empty"),
        Case("version: unknown", "header version 4", container(raw, version=CURRENT_FORMAT_VERSION + 1, keys=own_keys), fragment=f"format version {CURRENT_FORMAT_VERSION + 1}"),
        Case("version: unknown", "header version 65535", container(raw, version=65535), fragment="format version 65535"),
        Case("version: unknown", "header version 0", container(raw, version=0), fragment="header"),
        Case("version: unknown", "header version 1", container(raw, version=1), fragment="header"),
        Case("version: unknown", "envelope version 9 (no header)", pickle.dumps({"format": SESSION_FORMAT, "format_version": 9, "session": {}}, protocol=5), fragment="format version 9"),
        Case("version: unknown", "header 2 but envelope 1", container(pickle.dumps({"format": SESSION_FORMAT, "format_version": 1, "session": {}}, protocol=5)), fragment="header says format version 2"),
        Case("signature: foreign", "signed by another installation", container(raw, keys=foreign_keys), allow_foreign=False, fragment="another installation (key id elsewhere-1)"),
        Case("signature: missing", "version 2, unsigned", container(raw), allow_foreign=False, fragment="unsigned"),
        Case("signature: missing", "version 1, unsigned", pickle.dumps({"format": SESSION_FORMAT, "format_version": 1, "session": {}}, protocol=5), allow_foreign=False, fragment="unsigned"),
        Case("signature: forged", "our key id, a made-up MAC", container(raw, keys=own_keys, mac=b"\x01" * 32), allow_foreign=False, fragment="does not match"),
        Case("signature: forged", "no key id, but a MAC", container(raw, mac=b"\x01" * 32), fragment="signature"),
        Case("signature: forged", "key id with a newline", container(raw, key_id=b"evil\nid"), fragment="key id"),
        Case("size: oversize", f"{MAX_SESSION_FILE_BYTES // 2**20 + 1} MB .pkl", MAGIC + b"\x00" * MAX_SESSION_FILE_BYTES, fragment="at most"),
        Case("size: oversize", f"{MAX_JSON_SESSION_FILE_BYTES // 2**20 + 1} MB JSON", b"{" + b" " * MAX_JSON_SESSION_FILE_BYTES + b"}", fragment="at most"),
        Case("size: oversize", "extra bytes after the MAC", valid_file + b"\x00" * 1000, allow_foreign=False, fragment="after its signature"),
        Case("size: oversize", "header claims 10 GB unpacked", container(zlib.compress(raw), compression=1, unpacked=10 * 2**30), fragment="the limit is"),
    ]
    zeros = zlib.compress(b"\x00" * 100_000_000, 9)
    cases += [
        Case("bomb: decompression", "zlib: 100 MB of zeros, header says 1 kB", container(zeros, compression=1, unpacked=1000), fragment="more than the file header says"),
        Case("bomb: decompression", "zlib: 100 MB of zeros, signed by us", container(zeros, compression=1, unpacked=1000, keys=own_keys), allow_foreign=False, fragment="more than the file header says"),
        Case("bomb: decompression", "lzma: 100 MB of zeros, header says 1 kB", container(lzma.compress(b"\x00" * 100_000_000), compression=2, unpacked=1000), fragment="more than the file header says"),
        Case("bomb: decompression", "lzma: 1.5 GB dictionary", container(lzma.compress(raw, format=lzma.FORMAT_XZ, filters=[{"id": lzma.FILTER_LZMA2, "dict_size": 1536 * 2**20}]), compression=2, unpacked=len(raw)), fragment="compressed session data"),
        Case("bomb: decompression", "zlib garbage", container(b"\x78\x9c" + os.urandom(500), compression=1, unpacked=1000), fragment="compressed session data"),
        Case("bomb: decompression", "unknown compression code 7", container(raw, compression=7), fragment="compression"),
    ]

    # -- 5. broken JSON ------------------------------------------------------------------------------
    def with_change(change) -> bytes:
        copy = json.loads(valid_json)
        change(copy)
        return json.dumps(copy).encode()

    text = valid_json.decode()
    cases += [
        Case("json: NaN tokens", "NaN for a float", text.replace('"low": 300.0', '"low": NaN', 1).encode(), fragment="NaN is not allowed"),
        Case("json: NaN tokens", "Infinity in an array", text.replace('"NaN"', "Infinity", 1).encode(), fragment="Infinity is not allowed"),
        Case("json: NaN tokens", "-Infinity", text.replace('"high": 500.0', '"high": -Infinity', 1).encode(), fragment="-Infinity is not allowed"),
        Case("json: duplicate keys", "top-level format twice", text.replace(f'"format_version": {CURRENT_FORMAT_VERSION}', f'"format_version": {CURRENT_FORMAT_VERSION}, "format_version": 1', 1).encode(), fragment="appears twice"),
        Case("json: duplicate keys", "a variable's name twice", text.replace('"name": "Temperature"', '"name": "Temperature", "name": "Other"', 1).encode(), fragment="appears twice"),
        Case("json: deep nesting", "100,000 nested arrays", b'{"format": "alchemist-session", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", fragment="nested"),
        Case("json: deep nesting", "200 nested objects", b'{"format": "alchemist-session", "format_version": 2, "session": ' + b'{"a": ' * 200 + b"1" + b"}" * 200 + b"}", fragment="nested"),
        Case("json: huge numbers", "a 5,000-digit integer", text.replace('"low": 1,', '"low": ' + "9" * 5000 + ",", 1).encode(), fragment="digits"),
        Case("json: huge numbers", "1e999", text.replace('"low": 300.0', '"low": 1e999', 1).encode(), fragment="too large"),
        Case("json: huge numbers", "a huge array shape", with_change(lambda t: t["session"]["experiments"]["table"]["columns"][1]["data"].update(shape=[2**39])), fragment="values for shape"),
        Case("json: wrong types", "format_version as text", with_change(lambda t: t.update(format_version="2")), fragment="format version"),
        Case("json: wrong types", "session is a list", with_change(lambda t: t.update(session=[1, 2])), fragment="holds no session"),
        Case("json: wrong types", "variables is an object", with_change(lambda t: t["session"].update(variables={"a": 1})), fragment="variables"),
        Case("json: wrong types", "n_rows as text", with_change(lambda t: t["session"]["experiments"]["table"].update(n_rows="8")), fragment="experiments"),
        Case("json: wrong types", "text in a numeric array", with_change(lambda t: t["session"]["experiments"]["table"]["columns"][1]["data"]["values"].__setitem__(0, "nine")), fragment="not a number"),
        Case("json: wrong types", "bad base64", with_change(lambda t: t["session"].update(model={"$bytes": "%%%"})), fragment="base64"),
        Case("json: wrong types", "unknown $float", with_change(lambda t: t["session"].update(x={"$float": "Huge"})), fragment="unknown number"),
        Case("json: wrong types", "timestamp without a zone", with_change(lambda t: t["session"].update(created="2026-01-01T00:00:00")), fragment="UTC"),
        Case("json: wrong types", "session id is a path", with_change(lambda t: t["session"].update(id="../../etc/passwd")), fragment="id"),
        Case("json: broken", "cut in half", valid_json[: len(valid_json) // 2], fragment="not valid JSON"),
        Case("json: broken", "invalid UTF-8", valid_json[:50] + b"\xff\xfe" + valid_json[50:], fragment="UTF-8"),
        Case("json: broken", "an array, not an object", b"[1, 2, 3]", fragment="magic"),
        Case("json: broken", "another program's JSON", b'{"hello": "world"}', fragment="not an ALchemist session"),
    ]

    # -- 6. hostile NREL ALchemist files ---------------------------------------------------------
    def alchemist_change(change) -> bytes:
        copy = json.loads(alchemist_json)
        change(copy)
        return json.dumps(copy).encode()

    cases += [
        Case("alchemist import", "version 9.0.0", alchemist_change(lambda t: t.update(version="9.0.0")), how="alchemist", fragment="9.0.0"),
        Case("alchemist import", "deep nesting", b'{"version": "1.1.0", "search_space": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", how="alchemist", fragment="nested"),
        Case("alchemist import", "variables of the wrong type", alchemist_change(lambda t: t["search_space"].update(variables="all")), how="alchemist", fragment="search_space"),
        Case("alchemist import", "every variable invalid", alchemist_change(lambda t: t["search_space"].update(variables=[{"name": 5}])), how="alchemist", fragment="None of the variables"),
        Case("alchemist import", "rows as an object", alchemist_change(lambda t: t["experiments"].update(data={"0": {}})), how="alchemist", fragment="experiments"),
        Case("alchemist import", "duplicate keys", alchemist_json.replace(b'"version": "1.1.0"', b'"version": "1.1.0", "version": "1.0.0"', 1), how="alchemist", fragment="twice"),
    ]
    path = marker("alchemist pickle")
    # Named .json, read by its content: a pickle, refused by the decoder before anything runs.
    cases.append(Case("alchemist import", "a pickle given as ALchemist JSON", _payloads(path)["GLOBAL+REDUCE os.system"][0],
                      how="alchemist", fragment="harmful", marker=path))
    return cases
