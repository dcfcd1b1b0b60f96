"""Pickles that can only be plain data: written with builtins only, read without running anything.

A payload is never given to `pickle.loads`. Reading it takes three steps:

  1. the opcodes are scanned: nothing but builtin values (no global, no object construction,
     no persistent id or extension code), memo references that point backwards, bounded numbers;
  2. the pure-Python unpickler, whose `find_class` refuses every global, builds the tree
     (its memo is a dict, not a table sized by the largest index a file names);
  3. the tree's depth, item count and size are bounded (alchemist.files.bounds).

That holds for our own signed files too: a signature says where a file comes from, not that it
is safe. Standard library only: the limited child process runs this decoder.
"""

from __future__ import annotations

import io
import pickle
import pickletools
from typing import Any

from alchemist.errors import SessionFileError
from alchemist.files.bounds import MAX_INT_BITS, check_plain

PICKLE_PROTOCOL = 5  # protocol 2 would write bytes through _codecs.encode, a global
# Opcodes that only build builtin values. Anything else (globals, REDUCE, BUILD, NEWOBJ,
# persistent ids, extension codes, bytearray, sets) has no place in a session file.
ALLOWED_OPCODES = frozenset(
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
_MEMO_OPCODES = frozenset({"PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"})
_INT_OPCODES = frozenset({"INT", "LONG", "LONG1", "LONG4"})


class RefuseGlobals(pickle._Unpickler):  # the pure-Python unpickler: its memo is a dict, not a table sized by the file
    def find_class(self, module: str, name: str) -> Any:
        raise SessionFileError("The file asks to load program code; it is not a session file and was not opened.")

    def persistent_load(self, pid: Any) -> Any:
        raise SessionFileError("The file refers to outside objects; it is not a session file.")


def scan_opcodes(data: bytes) -> None:
    """Raise SessionFileError unless every opcode only builds builtin values, within bounds."""
    memo_limit = 0
    try:
        for opcode, arg, _pos in pickletools.genops(data):
            if opcode.name not in ALLOWED_OPCODES:
                raise SessionFileError(
                    "The session data contain instructions a session file never has"
                    f" ({opcode.name}); the file may be harmful and was not opened."
                )
            memo_limit += 1
            if opcode.name in _MEMO_OPCODES:
                if not isinstance(arg, int) or arg < 0 or arg > memo_limit:
                    raise SessionFileError("The session data are damaged (a reference points nowhere).")
            if opcode.name in _INT_OPCODES and isinstance(arg, int) and arg.bit_length() > MAX_INT_BITS:
                raise SessionFileError("The session data hold a number too large for a session.")
    except SessionFileError:
        raise
    except Exception:
        raise SessionFileError("The session data are damaged (they could not be read).") from None


def dumps_plain(tree: Any) -> bytes:
    """The pickle of a plain tree (checked first): builtins only, so no global opcode is written."""
    check_plain(tree, "session")
    return pickle.dumps(tree, protocol=PICKLE_PROTOCOL)


def loads_plain(raw: bytes) -> Any:
    """The plain tree in a pickle, running none of it; raises SessionFileError."""
    if raw[:1] != b"\x80":
        raise SessionFileError("The session data are not in the expected form (they are not a pickle).")
    scan_opcodes(raw)
    try:
        tree = RefuseGlobals(io.BytesIO(raw)).load()
    except SessionFileError:
        raise
    except RecursionError:
        raise SessionFileError("The session data are nested deeper than a session is.") from None
    except Exception:
        raise SessionFileError("The session data are damaged (they could not be read).") from None
    check_plain(tree, "session data")
    return tree
