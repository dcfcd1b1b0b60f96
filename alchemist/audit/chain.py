"""The hash chain over audit entries: sealing a new entry, and finding the first one that was tampered with.

Each entry's hash is SHA-256 over the canonical JSON of all its other fields (keys sorted, no
white space, UTF-8, floats by repr), which include the hash of the entry before it. So an entry
edited after it was recorded no longer matches its own hash; one removed leaves a gap in the
numbers and a link that points nowhere; two swapped are out of order.

What a chain cannot show: someone who rewrites an entry and recomputes every hash after it, or
who removes the newest entries. The chain needs no secret, so it detects changes, it does not
prevent them; the exports print the newest hash (the head) so that a copy kept elsewhere (a lab
notebook) pins the whole trail.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Sequence

from alchemist.audit.entries import AuditEntry

# An entry's canonical JSON beyond this is shrunk at recording: its largest inputs and outputs
# are replaced by their digest (see `shrink`). Keeps thousands of entries in a few megabytes.
MAX_ENTRY_BYTES = 4_096


class BreakReason(StrEnum):
    CHANGED = "changed"  # the entry's content does not match its hash: edited after it was recorded
    MISSING = "missing"  # the numbers jump to this entry: the entries before it were removed
    OUT_OF_ORDER = "out_of_order"  # the number repeats or goes back: entries were moved or copied
    LINK = "link"  # its link does not match the entry before: that one was replaced (hash recomputed)


@dataclass(frozen=True)
class AuditBreak:
    """The first entry where the chain breaks: its number as stored, its position, and why."""

    number: int  # the number the broken entry carries
    position: int  # its place in the trail, 0-based
    reason: BreakReason
    expected: int  # the number that belonged at that place


def canonical(tree: Any) -> bytes:
    return json.dumps(tree, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def digest(tree: Any) -> str:
    """SHA-256 of plain data's canonical JSON: how an entry names a table or a list it does not keep."""
    return hashlib.sha256(canonical(tree)).hexdigest()


def seal(entry: AuditEntry) -> AuditEntry:
    """The entry with its hash computed over everything else."""
    return replace(entry, hash=digest(entry.content()))


def shrink(inputs: dict, outputs: dict, limit: int = MAX_ENTRY_BYTES) -> tuple[dict, dict]:
    """Inputs and outputs whose canonical JSON fits `limit`: the largest values are replaced, one by one,
    by {"omitted": <its size in bytes>, "digest": <its SHA-256>}, which still pins what they were."""
    inputs, outputs = dict(inputs), dict(outputs)
    while len(canonical([inputs, outputs])) > limit:
        sizes = [(len(canonical(v)), part, key) for part in (inputs, outputs) for key, v in part.items()
                 if not (isinstance(v, dict) and "omitted" in v)]
        if not sizes:
            break
        size, part, key = max(sizes, key=lambda item: item[0])
        part[key] = {"omitted": size, "digest": digest(part[key])}
    return inputs, outputs


def verify(entries: Sequence[AuditEntry], first_number: int, anchor: str) -> AuditBreak | None:
    """The first broken entry, or None when every entry matches its hash, its number and its link.

    `first_number` and `anchor` are where the kept entries start: 1 and the genesis hash for a
    trail that never dropped an entry, else the number and hash after the last one dropped.
    """
    previous_hash = anchor
    later = {entry.number for entry in entries}
    for position, entry in enumerate(entries):
        expected = first_number + position
        if digest(entry.content()) != entry.hash:
            return AuditBreak(entry.number, position, BreakReason.CHANGED, expected)
        if entry.number > expected:
            # The entry that belongs here comes later: moved. Nowhere: removed.
            reason = BreakReason.OUT_OF_ORDER if expected in later else BreakReason.MISSING
            return AuditBreak(entry.number, position, reason, expected)
        if entry.number < expected:
            return AuditBreak(entry.number, position, BreakReason.OUT_OF_ORDER, expected)
        if entry.previous_hash != previous_hash:
            return AuditBreak(entry.number, position, BreakReason.LINK, expected)
        previous_hash = entry.hash
    return None
