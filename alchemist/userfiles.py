"""Every byte that comes from a user or from disk is read here, and only here.

Session files (.pkl, format version 2) are a header, a payload and a signature:

    magic  b"\\x89ALCHEMIST\\r\\n\\x1a\\n"   14 bytes (a version-1 file starts with b"\\x80" instead)
    format version       u16, big-endian      (fixed position in every version)
    compression          u8                   0 none, 1 zlib, 2 lzma (xz)
    key id length, key id  u8 + ASCII         empty: unsigned
    unpacked length      u64                  checked before anything is unpacked
    payload length       u64
    payload              the pickled envelope (plain data only), maybe compressed
    MAC                  32 bytes             HMAC-SHA256 of everything before it; zeros if unsigned

The payload is never given to `pickle.loads`: the opcodes are scanned first (no global, no
object construction, a bounded memo), then a pure-Python unpickler whose `find_class` refuses
every global builds the tree, and an iterative validator bounds its depth, item count and size
before anything else sees it. That holds for our own signed files too: a signature says where
a file comes from, not that it is safe. Files not signed by this installation are decoded, if
the user agrees, by the same decoder in a child process with memory, CPU and time limits
(`decode_session_file_in_child`); its answer comes back as JSON and is checked again here.

Version 1 files (a bare pickle of the envelope) and the JSON form (alchemist.interchange) are
read too. Tables (CSV, Excel) and variable lists (JSON, CSV) are size-checked and parsed with
messages a user can act on.
"""

from __future__ import annotations

import csv
import io
import json
import lzma
import math
import os
import pickle
import pickletools
import signal
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from alchemist import interchange
from alchemist.errors import FileFormatError, SessionFileError, VariableError
from alchemist.migrations import CURRENT_FORMAT_VERSION, SESSION_FORMAT, newer_version_message
from alchemist.signing import MAC_BYTES, KeyRing, is_key_id

if TYPE_CHECKING:  # pandas and the variables are imported when a table is read: the child decoder needs neither
    import pandas as pd

    from alchemist.variables import Variable

SESSION_FORMAT_VERSION = CURRENT_FORMAT_VERSION
MAX_SESSION_FILE_BYTES = 50 * 1024 * 1024  # a .pkl as stored or uploaded
MAX_JSON_SESSION_FILE_BYTES = 100 * 1024 * 1024  # JSON writes each float as text: about twice the .pkl
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # a .pkl payload after decompression
MAX_UPLOAD_BYTES = max(MAX_SESSION_FILE_BYTES, MAX_JSON_SESSION_FILE_BYTES)
MAX_TABLE_FILE_BYTES = 20 * 1024 * 1024
MAX_VARIABLES_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 5_000_000
MAX_TOTAL_BYTES = 512 * 1024 * 1024

MAGIC = b"\x89ALCHEMIST\r\n\x1a\n"
_FIXED = struct.Struct(">HBB")  # format version, compression, key id length
_LENGTHS = struct.Struct(">QQ")  # unpacked length, payload length
COMPRESSIONS = {"none": 0, "zlib": 1, "lzma": 2}
_COMPRESSION_NAMES = {code: name for name, code in COMPRESSIONS.items()}
# "auto" compresses payloads above this size with zlib: fast, and float columns shrink a little.
AUTO_COMPRESS_ABOVE = 256 * 1024
_LZMA_MEMLIMIT = 128 * 1024 * 1024

# The child process that decodes files not signed by this installation.
CHILD_MEMORY_BYTES = 2 * 1024 * 1024 * 1024
CHILD_CPU_SECONDS = 60
CHILD_TIMEOUT_SECONDS = 90.0
_MAX_CHILD_ANSWER_BYTES = 2 * MAX_UNPACKED_BYTES  # bytes come back as base64 (4/3), numbers as text

_PICKLE_PROTOCOL = 5
# Opcodes that only build builtin values. Anything else (globals, REDUCE, BUILD, NEWOBJ,
# persistent ids, extension codes, bytearray, sets) has no place in a session file.
_ALLOWED_OPCODES = frozenset(
    {
        "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "DUP",
        "NONE", "NEWTRUE", "NEWFALSE",
        "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4",
        "FLOAT", "BINFLOAT",
        "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8",
        "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
        "EMPTY_LIST", "APPEND", "APPENDS", "LIST",
        "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS",
        "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
        "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE", "GET", "BINGET", "LONG_BINGET",
    }
)
_MAX_INT_DIGITS = 400


class _RefuseGlobals(pickle._Unpickler):  # the pure-Python unpickler: its memo is a dict, not a table sized by the file
    def find_class(self, module: str, name: str) -> Any:
        raise SessionFileError("The file asks to load program code; it is not a session file and was not opened.")

    def persistent_load(self, pid: Any) -> Any:
        raise SessionFileError("The file refers to outside objects; it is not a session file.")


def _scan_opcodes(data: bytes) -> None:
    memo_limit = 0
    try:
        for opcode, arg, _pos in pickletools.genops(data):
            if opcode.name not in _ALLOWED_OPCODES:
                raise SessionFileError(
                    "The session data contain instructions a session file never has"
                    f" ({opcode.name}); the file may be harmful and was not opened."
                )
            memo_limit += 1
            if opcode.name in ("PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"):
                if not isinstance(arg, int) or arg < 0 or arg > memo_limit:
                    raise SessionFileError("The session data are damaged (a reference points nowhere).")
            if opcode.name in ("INT", "LONG", "LONG1", "LONG4") and isinstance(arg, int):
                if arg.bit_length() > _MAX_INT_DIGITS * 3.33:
                    raise SessionFileError("The session data hold a number too large for a session.")
    except SessionFileError:
        raise
    except Exception:
        raise SessionFileError("The session data are damaged (they could not be read).") from None


def _check_plain(tree: Any, what: str = "file") -> None:
    """Iteratively check that a tree holds only builtin values, within depth, count and size limits."""
    nodes = 0
    total_bytes = 0
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise SessionFileError(f"The {what} holds more items than a session can have.")
        if depth > MAX_DEPTH:
            raise SessionFileError(f"The {what} is nested deeper than a session is.")
        kind = type(node)
        if node is None or kind is bool or kind is float:
            continue
        if kind is int:
            if node.bit_length() > 1024:
                raise SessionFileError(f"The {what} holds a number too large for a session.")
        elif kind is str or kind is bytes:
            total_bytes += len(node)
            if total_bytes > MAX_TOTAL_BYTES:
                raise SessionFileError(f"The {what} holds more data than a session can have.")
        elif kind is list:
            stack.extend((item, depth + 1) for item in node)
        elif kind is dict:
            for key, value in node.items():
                if type(key) is not str:
                    raise SessionFileError(f"The {what} has a key that is not text.")
                total_bytes += len(key)
                stack.append((value, depth + 1))
        else:
            raise SessionFileError(f"The {what} holds a value of a kind a session never has ({kind.__name__}).")


def check_plain_state(state: Any) -> None:
    """Raise unless `state` is plain data a session file may hold; used before every write."""
    _check_plain(state, "session")


# -- writing -------------------------------------------------------------------------------
def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _too_large_to_save(size: int, limit: int, what: str) -> SessionFileError:
    return SessionFileError(
        f"This session is too large to save as a file: {what} would be {_mb(size)}, and a file of more "
        f"than {_mb(limit)} could not be loaded again. Delete experiments you no longer need, or save as JSON."
        if what != "the JSON file" else
        f"This session is too large to save as JSON: the file would be {_mb(size)}, and a JSON session "
        f"file of more than {_mb(limit)} could not be loaded again. Save it as .pkl instead."
    )


def encode_session_file(envelope: dict, keys: KeyRing | None = None, compression: str = "auto") -> bytes:
    """A version-2 session file: header, pickled envelope (plain data only), HMAC with the ring's newest key.

    `compression` is "auto" (zlib above AUTO_COMPRESS_ABOVE), "none", "zlib" or "lzma". Raises
    SessionFileError if the file could not be loaded again (over a size limit).
    """
    _check_plain(envelope, "session")
    if compression not in ("auto", *COMPRESSIONS):
        raise ValueError(f"unknown compression {compression!r}")
    raw = pickle.dumps(envelope, protocol=_PICKLE_PROTOCOL)  # builtins only: no global opcode is written
    if len(raw) > MAX_UNPACKED_BYTES:
        raise _too_large_to_save(len(raw), MAX_UNPACKED_BYTES, "its data")
    if compression == "auto":
        compression = "zlib" if len(raw) > AUTO_COMPRESS_ABOVE else "none"
    if compression == "zlib":
        payload = zlib.compress(raw, 6)
    elif compression == "lzma":
        payload = lzma.compress(raw, format=lzma.FORMAT_XZ, preset=6)
    else:
        payload = raw
    version = envelope.get("format_version", CURRENT_FORMAT_VERSION)
    key_id = b""
    if keys is not None:
        key_id = keys.newest.encode("ascii")
    header = MAGIC + _FIXED.pack(version, COMPRESSIONS[compression], len(key_id)) + key_id + _LENGTHS.pack(len(raw), len(payload))
    body = header + payload
    mac = keys.sign(body)[1] if keys is not None else bytes(MAC_BYTES)
    data = body + mac
    if len(data) > MAX_SESSION_FILE_BYTES:
        raise _too_large_to_save(len(data), MAX_SESSION_FILE_BYTES, "the file")
    return data


def encode_session_json(envelope: dict) -> bytes:
    """The JSON form of a session file (see alchemist.interchange): same envelope, readable text."""
    _check_plain(envelope, "session")
    data = interchange.dumps(interchange.to_json_tree(envelope)).encode("utf-8")
    if len(data) > MAX_JSON_SESSION_FILE_BYTES:
        raise _too_large_to_save(len(data), MAX_JSON_SESSION_FILE_BYTES, "the JSON file")
    return data


# -- reading: the container ----------------------------------------------------------------
@dataclass(frozen=True)
class FileInfo:
    """What a session file's outside says, read without unpickling anything."""

    kind: str  # "pkl" (version 2 container), "pkl-v1" (bare pickle), "json"
    format_version: int | None  # from the header; None for version 1 and JSON (stated inside)
    origin: str  # "own" (signature verified), "unsigned", "foreign" (unknown key id), "mismatch" (bad MAC), "json"
    key_id: str | None = None
    compression: str = "none"


@dataclass(frozen=True)
class _Container:
    version: int
    compression: str
    key_id: str
    unpacked_length: int
    body_end: int
    payload: bytes
    mac: bytes


def _check_size(data: Any, limit: int, what: str = "file") -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise SessionFileError("No file content was given.")
    data = bytes(data)
    if len(data) == 0:
        raise SessionFileError(f"The {what} is empty.")
    if len(data) > limit:
        raise SessionFileError(f"The {what} is {_mb(len(data))}; session files can be at most {limit / 1e6:.0f} MB.")
    return data


def _parse_container(data: bytes) -> _Container:
    start = len(MAGIC)
    if len(data) < start + _FIXED.size:
        raise SessionFileError("The file is cut short inside its header.")
    version, code, key_length = _FIXED.unpack_from(data, start)
    if version > CURRENT_FORMAT_VERSION:
        raise SessionFileError(newer_version_message(version))
    if version < 2:
        raise SessionFileError(f"The file header names format version {version}, which has no header: the header is damaged.")
    if code not in _COMPRESSION_NAMES:
        raise SessionFileError(f"The file header names an unknown compression (code {code}): the header is damaged.")
    position = start + _FIXED.size
    if len(data) < position + key_length + _LENGTHS.size:
        raise SessionFileError("The file is cut short inside its header.")
    try:
        key_id = data[position:position + key_length].decode("ascii")
    except UnicodeDecodeError:
        key_id = "\ufffd"
    if key_length and not is_key_id(key_id):
        raise SessionFileError("The key id in the file header is not valid: the header is damaged.")
    position += key_length
    unpacked, payload_length = _LENGTHS.unpack_from(data, position)
    position += _LENGTHS.size
    if unpacked > MAX_UNPACKED_BYTES:
        raise SessionFileError(
            f"The file header says its session data unpack to {_mb(unpacked)}; the limit is {_mb(MAX_UNPACKED_BYTES)}."
        )
    if code == 0 and unpacked != payload_length:
        raise SessionFileError("The file header gives two different sizes for uncompressed data: the header is damaged.")
    body_end = position + payload_length
    if len(data) < body_end:
        raise SessionFileError(f"The file is cut short: its session data end {body_end - len(data):,} bytes early.")
    if len(data) < body_end + MAC_BYTES:
        raise SessionFileError("The file is cut short inside its signature.")
    if len(data) > body_end + MAC_BYTES:
        raise SessionFileError(f"The file has {len(data) - body_end - MAC_BYTES:,} unexpected bytes after its signature.")
    mac = data[body_end:]
    if not key_length and mac != bytes(MAC_BYTES):
        raise SessionFileError("The file names no key but carries a signature: its signature part is damaged.")
    return _Container(version, _COMPRESSION_NAMES[code], key_id, unpacked, body_end, data[position:body_end], mac)


def _is_json(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def inspect_session_file(data: Any, keys: KeyRing | None = None) -> FileInfo:
    """Where a file comes from (its kind, version, signature), reading only its outside; raises SessionFileError."""
    data = _check_size(data, MAX_UPLOAD_BYTES)
    if data.startswith(MAGIC):
        if len(data) > MAX_SESSION_FILE_BYTES:
            _check_size(data, MAX_SESSION_FILE_BYTES)
        container = _parse_container(data)
        if not container.key_id:
            origin = "unsigned"
        elif keys is None or container.key_id not in keys:
            origin = "foreign"
        else:
            origin = "own" if keys.verify(container.key_id, data[:container.body_end], container.mac) else "mismatch"
        return FileInfo("pkl", container.version, origin, container.key_id or None, container.compression)
    if data[:1] == b"\x80":
        _check_size(data, MAX_SESSION_FILE_BYTES)
        return FileInfo("pkl-v1", None, "unsigned")
    if _is_json(data):
        return FileInfo("json", None, "json")
    if data[:1] == MAGIC[:1]:
        raise SessionFileError("This is not an ALchemist session file: its first bytes (the magic) are wrong or damaged.")
    raise SessionFileError("This is not an ALchemist session file (.pkl or .json): its first bytes (the magic) are not those of one.")


def _unpack(container: _Container) -> bytes:
    payload = container.payload
    if container.compression == "none":
        return payload
    try:
        if container.compression == "zlib":
            decompressor = zlib.decompressobj()
            raw = decompressor.decompress(payload, container.unpacked_length + 1)
            complete = decompressor.eof and not decompressor.unused_data and not decompressor.unconsumed_tail
        else:
            decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_XZ, memlimit=_LZMA_MEMLIMIT)
            raw = decompressor.decompress(payload, max_length=container.unpacked_length + 1)
            complete = decompressor.eof and not decompressor.unused_data
    except (zlib.error, lzma.LZMAError, MemoryError):
        raise SessionFileError(f"The compressed session data ({container.compression}) are damaged.") from None
    if len(raw) > container.unpacked_length:
        raise SessionFileError("The compressed session data unpack to more than the file header says: the file is damaged or harmful.")
    if not complete or len(raw) != container.unpacked_length:
        raise SessionFileError(f"The compressed session data ({container.compression}) are damaged or cut short.")
    return raw


def session_file_payload(data: Any) -> bytes:
    """The pickled envelope inside a .pkl session file (unpacked, not unpickled): for inspection and tests."""
    data = _check_size(data, MAX_SESSION_FILE_BYTES)
    return _unpack(_parse_container(data)) if data.startswith(MAGIC) else data


def _unpickle_plain(raw: bytes) -> Any:
    if raw[:1] != b"\x80":
        raise SessionFileError("The session data are not in the expected form (they are not a pickle).")
    _scan_opcodes(raw)
    try:
        tree = _RefuseGlobals(io.BytesIO(raw)).load()
    except SessionFileError:
        raise
    except RecursionError:
        raise SessionFileError("The session data are nested deeper than a session is.") from None
    except Exception:
        raise SessionFileError("The session data are damaged (they could not be read).") from None
    _check_plain(tree, "session data")
    return tree


def decode_session_file(data: Any, max_bytes: int = MAX_SESSION_FILE_BYTES) -> dict:
    """A .pkl session file's envelope (as stored: not migrated), running none of its content.

    Reads version 1 and 2 without looking at the signature (see inspect_session_file for that).
    Raises SessionFileError naming the part of the file at fault.
    """
    data = _check_size(data, max_bytes)
    if data.startswith(MAGIC):
        container = _parse_container(data)
        envelope = _unpickle_plain(_unpack(container))
        stated = envelope.get("format_version") if isinstance(envelope, dict) else None
        _check_envelope(envelope)
        if stated != container.version:
            raise SessionFileError(
                f"The file header says format version {container.version} but the session data say {stated}: the file is damaged."
            )
        return envelope
    if data[:1] != b"\x80":
        raise SessionFileError("This is not an ALchemist session file (.pkl).")
    envelope = _unpickle_plain(data)
    _check_envelope(envelope)
    if envelope["format_version"] != 1:
        raise SessionFileError(
            f"The file has no header but says format version {envelope['format_version']}; only version 1 files have none."
        )
    return envelope


def _check_envelope(envelope: Any) -> None:
    from alchemist.migrations import check_envelope

    check_envelope(envelope)


# -- reading: JSON -------------------------------------------------------------------------
class _JsonProblem(ValueError):
    pass


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise _JsonProblem(f"the key {key[:40]!r} appears twice in one object")
        result[key] = value
    return result


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _JsonProblem(f"the number {text[:30]} is too large")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise _JsonProblem(f"a number has more than {_MAX_INT_DIGITS} digits")
    return int(text)


def parse_json_bytes(data: bytes, what: str, allow_nan: bool = False) -> Any:
    """Strict JSON from a user: UTF-8, no duplicate keys, finite numbers of bounded size, bounded nesting.

    `allow_nan` accepts the NaN/Infinity tokens Python's json writes (other programs' files).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SessionFileError(f"The {what} is not UTF-8 text (byte {error.start:,} is not valid).") from None

    def constant(name: str) -> float:
        if allow_nan:
            return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[name]
        raise _JsonProblem(f"{name} is not allowed in JSON (this file format writes it as {{\"$float\": \"{name}\"}})")

    try:
        return json.loads(
            text,
            object_pairs_hook=_refuse_duplicates,
            parse_float=_finite_float,
            parse_int=_bounded_int,
            parse_constant=constant,
        )
    except _JsonProblem as problem:
        raise SessionFileError(f"The {what} is not valid: {problem}.") from None
    except json.JSONDecodeError as error:
        raise SessionFileError(f"The {what} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}).") from None
    except RecursionError:
        raise SessionFileError(f"The {what} is nested deeper than a session is.") from None
    except (ValueError, MemoryError, OverflowError):
        raise SessionFileError(f"The {what} is not valid JSON.") from None


def decode_session_json(data: Any) -> dict:
    """The envelope of a JSON session file (as stored: not migrated); raises SessionFileError."""
    data = _check_size(data, MAX_JSON_SESSION_FILE_BYTES)
    tree = parse_json_bytes(data, "JSON session file")
    if not isinstance(tree, dict) or tree.get("format") != SESSION_FORMAT:
        raise SessionFileError("This JSON file is not an ALchemist session: it has no \"format\": \"alchemist-session\".")
    try:
        envelope = interchange.from_json_tree(tree)
    except interchange.InterchangeError as error:
        raise SessionFileError(f"The JSON session file is not valid: {error}.") from None
    _check_plain(envelope, "JSON session file")
    _check_envelope(envelope)
    return envelope


def looks_like_alchemist_nrel(data: bytes) -> bool:
    """A JSON file written by NREL's ALchemist (a session with a search space), judged from its first bytes."""
    head = data[:4096]
    return _is_json(data) and b'"search_space"' in data[:1_000_000] and b'"alchemist-session"' not in head


def parse_alchemist_session(data: Any) -> dict:
    """The JSON document of an NREL ALchemist session file, strictly parsed (NaN tokens allowed: its writer uses them)."""
    data = _check_size(data, MAX_JSON_SESSION_FILE_BYTES, "ALchemist session file")
    tree = parse_json_bytes(data, "ALchemist session file", allow_nan=True)
    if not isinstance(tree, dict):
        raise SessionFileError("The ALchemist session file does not hold a session (it is not a JSON object).")
    _check_plain(tree, "ALchemist session file")
    return tree


# -- reading in a limited child process ----------------------------------------------------
# Runs this module's own decoder in a fresh interpreter: isolated (-I), without site-packages
# (-S), with an empty environment. The package is registered by path so that neither its
# __init__ nor pandas or scikit-learn are imported there.
_CHILD_BOOT = (
    "import sys, types\n"
    "package = types.ModuleType('alchemist'); package.__path__ = [sys.argv[1]]; sys.modules['alchemist'] = package\n"
    "import alchemist.userfiles\n"
    "alchemist.userfiles._child_main(sys.argv[2:])\n"
)


def decode_session_file_in_child(
    data: Any,
    memory_bytes: int = CHILD_MEMORY_BYTES,
    cpu_seconds: int = CHILD_CPU_SECONDS,
    timeout: float = CHILD_TIMEOUT_SECONDS,
) -> dict:
    """decode_session_file, run in a child process with memory, CPU and time limits.

    The child's answer is JSON (alchemist.interchange), parsed strictly and checked again here.
    A crash, a hang or an exhausted limit in the child ends as SessionFileError; nothing of the
    child's survives but the plain data it returns.
    """
    data = _check_size(data, MAX_SESSION_FILE_BYTES)
    package_dir = os.path.dirname(os.path.abspath(__file__))
    command = [sys.executable, "-I", "-S", "-c", _CHILD_BOOT, package_dir, str(int(memory_bytes)), str(int(cpu_seconds))]
    try:
        finished = subprocess.run(
            command, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env={}, cwd="/",
        )
    except subprocess.TimeoutExpired:
        raise SessionFileError(
            f"Reading the file took longer than {timeout:.0f} s and was stopped; the session data are damaged or harmful."
        ) from None
    except OSError:
        raise SessionFileError("The file could not be read: the safe reader could not be started.") from None
    code = finished.returncode
    if code != 0:
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            why = "it needed more computing time than a session file may"
        elif code in (-signal.SIGSEGV, -signal.SIGBUS, -signal.SIGABRT, -signal.SIGILL, -signal.SIGFPE):
            why = "the session data crashed the reader"
        else:
            why = f"the reader stopped with code {code}"
        raise SessionFileError(f"The file was not opened: {why}. The session data are damaged or harmful.")
    if len(finished.stdout) > _MAX_CHILD_ANSWER_BYTES:
        raise SessionFileError("The file was not opened: its session data describe far more than a session holds.")
    answer = parse_json_bytes(finished.stdout, "answer of the safe reader") if finished.stdout else None
    if not isinstance(answer, dict) or not (("error" in answer) ^ ("envelope" in answer)):
        raise SessionFileError("The file was not opened: the safe reader gave no usable answer.")
    if "error" in answer:
        message = answer["error"]
        if not isinstance(message, str) or not message:
            raise SessionFileError("The file was not opened: the safe reader gave no usable answer.")
        raise SessionFileError("".join(c for c in message[:400] if c.isprintable()))
    try:
        envelope = interchange.from_json_tree(answer["envelope"])
    except interchange.InterchangeError:
        raise SessionFileError("The file was not opened: the safe reader gave no usable answer.") from None
    _check_plain(envelope, "session data")
    _check_envelope(envelope)
    return envelope


def _child_main(argv: list[str]) -> None:
    import resource

    memory_bytes, cpu_seconds = int(argv[0]), int(argv[1])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        data = sys.stdin.buffer.read(MAX_SESSION_FILE_BYTES + 1)
        envelope = decode_session_file(data)
        answer: dict = {"envelope": interchange.to_json_tree(envelope, arrays_as_numbers=False)}
    except SessionFileError as error:
        answer = {"error": error.message}
    except MemoryError:
        answer = {"error": "The file was not opened: its session data need more memory than a session file may use."}
    except RecursionError:
        answer = {"error": "The session data are nested deeper than a session is."}
    except Exception:  # anything else: the data are bad, and the parent says so
        answer = {"error": "The session data are damaged (they could not be read)."}
    sys.stdout.write(json.dumps(answer, allow_nan=False))
    sys.stdout.flush()


# -- tables --------------------------------------------------------------------------------
def _check_table_size(data: bytes, limit: int, what: str) -> None:
    if len(data) == 0:
        raise FileFormatError(f"The {what} is empty.")
    if len(data) > limit:
        raise FileFormatError(f"The {what} is {len(data) / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB.")


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """Read an uploaded CSV or Excel table; every cell as given (numbers as numbers, the rest as text)."""
    import pandas as pd

    _check_table_size(data, MAX_TABLE_FILE_BYTES, "file")
    lower = filename.lower()
    try:
        if lower.endswith((".xlsx", ".xlsm")):
            if not data.startswith(b"PK"):
                raise FileFormatError("The file is named .xlsx but is not an Excel workbook.")
            frame = pd.read_excel(io.BytesIO(data), engine="openpyxl")
        elif lower.endswith((".csv", ".txt", ".tsv")):
            text = _decode_text(data)
            sep = "\t" if lower.endswith(".tsv") else _sniff_separator(text)
            frame = pd.read_csv(io.StringIO(text), sep=sep, skipinitialspace=True)
        else:
            raise FileFormatError("Upload a .csv or .xlsx file.")
    except FileFormatError:
        raise
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError, KeyError) as error:
        raise FileFormatError(f"The file could not be read as a table: {str(error).splitlines()[0][:200]}") from None
    except Exception:
        raise FileFormatError("The file could not be read as a table.") from None
    # A named column stays even when empty (e.g. the result column of planned experiments);
    # spreadsheet layout columns have no header and are dropped below.
    frame.columns = [str(c).strip() for c in frame.columns]
    unnamed = [c for c in frame.columns if c.startswith("Unnamed:")]
    frame = frame.drop(columns=unnamed)
    if frame.shape[1] == 0:
        raise FileFormatError("The file has no columns.")
    # A fully empty row in a spreadsheet is layout, not an experiment; it is skipped, and counted
    # in attrs["empty_rows_skipped"] so the page can say so.
    kept = frame.dropna(axis=0, how="all").reset_index(drop=True)
    kept.attrs["empty_rows_skipped"] = len(frame) - len(kept)
    return kept


def _decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("The file is not text (it is not UTF-8 or Windows-1252).")


def _sniff_separator(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def table_to_csv(frame: pd.DataFrame) -> bytes:
    # repr-exact floats: float_format None lets pandas write the shortest round-tripping text.
    return frame.to_csv(index=False).encode("utf-8")


# -- variables -----------------------------------------------------------------------------
_ALCHEMIST_TYPES = {"real": "continuous", "integer": "integer", "categorical": "categorical", "discrete": "discrete"}
_CSV_FIELDS = ["name", "type", "min", "max", "values", "unit", "description"]


def read_variables(data: bytes, filename: str) -> list[Variable]:
    """Read a variable list from our JSON or CSV, or from ALchemist's search-space JSON."""
    from alchemist.variables import check_unique_names

    _check_table_size(data, MAX_VARIABLES_FILE_BYTES, "variables file")
    text = _decode_text(data)
    lower = filename.lower()
    if lower.endswith(".json"):
        try:
            parsed = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:
            raise FileFormatError(f"The file is not valid JSON: {str(error)[:200]}") from None
        if isinstance(parsed, dict) and isinstance(parsed.get("variables"), list):
            parsed = parsed["variables"]  # ALchemist sessions and our export wrap the list
        if not isinstance(parsed, list):
            raise FileFormatError("The JSON file must hold a list of variables.")
        entries = parsed
    elif lower.endswith(".csv"):
        entries = [_csv_entry(row) for row in csv.DictReader(io.StringIO(text))]
    else:
        raise FileFormatError("Upload a .json or .csv variables file.")
    if not entries:
        raise FileFormatError("The file lists no variables.")
    variables = []
    for position, entry in enumerate(entries, start=1):
        try:
            variables.append(_variable_from_entry(entry))
        except VariableError as error:
            raise FileFormatError(f"Variable {position} in the file: {error.message}") from None
    try:
        check_unique_names(variables)
    except VariableError as error:
        raise FileFormatError(error.message) from None
    return variables


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in a variables file")


def _csv_entry(row: dict) -> dict:
    entry: dict[str, Any] = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
    values = entry.get("values", "")
    parsed = None
    if values.startswith("["):  # written as a JSON list when a level contains the separator
        try:
            parsed = json.loads(values, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            parsed = None
    if isinstance(parsed, list):
        entry["values"] = parsed
    else:
        entry["values"] = [v.strip() for v in values.split("|")] if values else []
    return entry


def _variable_from_entry(entry: Any) -> Variable:
    from alchemist.variables import KINDS, make_variable

    if not isinstance(entry, dict):
        raise VariableError("each variable must be an object with a name and a type.")
    raw_type = str(entry.get("type", entry.get("kind", ""))).strip().lower()
    kind = _ALCHEMIST_TYPES.get(raw_type, raw_type)
    if kind not in KINDS:
        raise VariableError(f"unknown type '{raw_type}'. Use Real/continuous, Integer, Categorical or Discrete.")
    name = entry.get("name")
    if not isinstance(name, str):
        raise VariableError("a variable has no name.")
    low = entry.get("min", entry.get("low"))
    high = entry.get("max", entry.get("high"))
    values = entry.get("values", entry.get("levels"))
    if kind == "discrete":
        values = entry.get("allowed_values", values)
    if isinstance(low, str) and low == "" or isinstance(high, str) and high == "":
        low, high = (None if low == "" else low), (None if high == "" else high)
    return make_variable(
        kind,
        name,
        unit=entry.get("unit", "") or "",
        description=entry.get("description", "") or "",
        low=low,
        high=high,
        levels=values if kind == "categorical" else None,
        values=values if kind == "discrete" else None,
    )


def variables_to_json(variables: Sequence[Variable]) -> bytes:
    """Our variable list as JSON; ALchemist's type names are used so ALchemist can read it too."""
    reverse = {v: k.capitalize() if k != "real" else "Real" for k, v in _ALCHEMIST_TYPES.items()}
    entries = []
    for variable in variables:
        entry: dict[str, Any] = {"name": variable.name, "type": reverse[variable.kind]}
        if variable.kind in ("continuous", "integer"):
            entry.update(min=variable.low, max=variable.high)
        elif variable.kind == "categorical":
            entry["values"] = list(variable.levels)
        else:
            entry["allowed_values"] = list(variable.values)
        entry.update(unit=variable.unit, description=variable.description)
        entries.append(entry)
    return json.dumps(entries, indent=2, ensure_ascii=False).encode("utf-8")


def variables_to_csv(variables: Sequence[Variable]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_FIELDS)
    writer.writeheader()
    for variable in variables:
        row = {"name": variable.name, "type": variable.kind, "unit": variable.unit, "description": variable.description}
        if variable.kind in ("continuous", "integer"):
            row.update(min=repr(variable.low), max=repr(variable.high))
        elif variable.kind == "categorical":
            if any("|" in level for level in variable.levels) or variable.levels[0].startswith("["):
                row["values"] = json.dumps(list(variable.levels), ensure_ascii=False)
            else:
                row["values"] = "|".join(variable.levels)
        else:
            row["values"] = "|".join(repr(v) for v in variable.values)
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")

