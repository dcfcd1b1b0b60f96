"""One entry of a session's audit trail: what was done, with which inputs, giving which outputs.

An entry is small plain data (digests and counts, not whole tables), so that a trail of
thousands of entries stays a fraction of a session file. Inputs and outputs hold only None,
bool, int, finite float, text, lists and text-keyed mappings: exactly what canonical JSON
writes, so an entry's hash is the same whether the session travels as .pkl or as JSON.

An entry can come from another program's log (NREL's ALchemist writes one): `origin` names
the program and `original_time` keeps that program's time as it wrote it, possibly without
a time zone, next to `time`, the moment it entered this trail (always UTC).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np

from alchemist.errors import SessionFileError
from alchemist.plain import timestamp_from_state, timestamp_to_state

# The hash an opening entry links to: no entry came before it.
GENESIS = "0" * 64
MAX_NOTE_LENGTH = 2_000
MAX_ORIGIN_LENGTH = 100
MAX_ORIGINAL_TIME_LENGTH = 64
MAX_TEXT_VALUE = 500  # one text value inside inputs or outputs (a variable name, a level, a cell)
MAX_PAYLOAD_DEPTH = 6
_HASH_LENGTH = 64


class AuditKind(StrEnum):
    FIT = "fit"  # a model was trained
    SUGGESTIONS = "suggestions"  # a batch of next experiments was proposed
    PENDING = "pending"  # experiments were planned: suggestions or a design added without a result
    RESULT = "result"  # results were entered (or changed) in the experiment table
    DATA_IMPORT = "data_import"  # experiments were imported from a file
    TEMPLATE = "template"  # the session was started from a template
    NOTE = "note"  # a user's note, about the session or about an earlier entry
    IMPORTED = "imported"  # an entry of another program's log that maps to none of the kinds above


def plain_value(value: Any) -> Any:
    """A table cell or a number as the plain value an entry keeps: numpy scalars as Python ones,
    NaN as None (a gap), infinities as text (canonical JSON has no infinity), long text cut."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    return str(value)[:MAX_TEXT_VALUE]


def check_payload(tree: Any, what: str, depth: int = 0) -> None:
    """Raise SessionFileError unless `tree` is plain data an entry may hold (see the module doc)."""
    if depth > MAX_PAYLOAD_DEPTH:
        raise SessionFileError(f"An audit entry's {what} are nested too deeply.")
    kind = type(tree)
    if tree is None or kind is bool or kind is int or kind is str:
        return
    if kind is float:
        if not math.isfinite(tree):
            raise SessionFileError(f"An audit entry's {what} hold a number that is not finite.")
        return
    if kind is list:
        for item in tree:
            check_payload(item, what, depth + 1)
        return
    if kind is dict:
        for key, item in tree.items():
            if type(key) is not str:
                raise SessionFileError(f"An audit entry's {what} have a key that is not text.")
            check_payload(item, what, depth + 1)
        return
    raise SessionFileError(f"An audit entry's {what} hold a value of kind {kind.__name__}.")


@dataclass(frozen=True)
class AuditEntry:
    """One recorded step. `hash` seals every other field, `previous_hash` the entry before it."""

    number: int  # 1, 2, 3, ... in the order recorded; numbers go on after old entries are dropped
    time: datetime  # when it was recorded, UTC
    kind: AuditKind
    inputs: dict[str, Any]  # what it started from: data revision, settings, seed, ...
    outputs: dict[str, Any]  # what it gave: digests, counts, values
    note: str = ""  # a note written with the entry
    origin: str = ""  # "" for this app; the program otherwise, e.g. "NREL ALchemist"
    original_time: str | None = None  # the origin's own time, as it wrote it (maybe without a zone)
    previous_hash: str = GENESIS
    hash: str = ""

    def content(self) -> dict:
        """Every field but the hash, as plain data: what the hash is computed over."""
        return {
            "number": self.number,
            "time": timestamp_to_state(self.time),
            "kind": self.kind.value,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "note": self.note,
            "origin": self.origin,
            "original_time": self.original_time,
            "previous_hash": self.previous_hash,
        }

    def to_state(self) -> dict:
        return {**self.content(), "hash": self.hash}

    @classmethod
    def from_state(cls, state: Any) -> "AuditEntry":
        """An entry from a file, checked for form only: whether it was changed is `verify`'s question."""
        if not isinstance(state, dict):
            raise SessionFileError("An audit entry in the file is not a mapping.")
        number = state.get("number")
        if type(number) is not int or number < 1:
            raise SessionFileError("An audit entry in the file has no valid number.")
        try:
            kind = AuditKind(state.get("kind"))
        except ValueError:
            raise SessionFileError(f"Audit entry {number} in the file is of an unknown kind.") from None
        inputs, outputs = state.get("inputs"), state.get("outputs")
        if not isinstance(inputs, dict) or not isinstance(outputs, dict):
            raise SessionFileError(f"Audit entry {number} in the file has no inputs or outputs.")
        check_payload(inputs, "inputs")
        check_payload(outputs, "outputs")
        note, origin, original = state.get("note", ""), state.get("origin", ""), state.get("original_time")
        if not isinstance(note, str) or len(note) > MAX_NOTE_LENGTH:
            raise SessionFileError(f"Audit entry {number} in the file has a note that is not short text.")
        if not isinstance(origin, str) or len(origin) > MAX_ORIGIN_LENGTH:
            raise SessionFileError(f"Audit entry {number} in the file names its origin in a form not expected.")
        if original is not None and (not isinstance(original, str) or len(original) > MAX_ORIGINAL_TIME_LENGTH):
            raise SessionFileError(f"Audit entry {number} in the file has an original time that is not short text.")
        hashes = state.get("previous_hash"), state.get("hash")
        if not all(isinstance(h, str) and len(h) == _HASH_LENGTH for h in hashes):
            raise SessionFileError(f"Audit entry {number} in the file has no valid hashes.")
        return cls(
            number=number,
            time=timestamp_from_state(state.get("time")),
            kind=kind,
            inputs=inputs,
            outputs=outputs,
            note=note,
            origin=origin,
            original_time=original,
            previous_hash=hashes[0],
            hash=hashes[1],
        )
