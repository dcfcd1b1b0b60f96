"""A session's audit trail: entries chained by hashes, notes on them, and the provenance of planned experiments.

The trail is part of the session: it is saved, loaded, exported and imported with it (the
"audit" key of the session state; a file without it loads with an empty trail).

Bound: a session keeps at most MAX_ENTRIES entries. Recording one more drops the oldest; the
trail then remembers how many were dropped and the hash of the last one dropped (its anchor), so
the entries kept are still checked link by link from there, and numbers go on where they were.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator, Sequence

from alchemist.audit.chain import AuditBreak, seal, shrink, verify
from alchemist.audit.entries import (
    GENESIS, MAX_NOTE_LENGTH, MAX_ORIGIN_LENGTH, MAX_ORIGINAL_TIME_LENGTH, AuditEntry, AuditKind, check_payload,
)
from alchemist.audit.provenance import ProvenanceLink, links_from_state
from alchemist.errors import AlchemistError, SessionFileError
from alchemist.plain import utc_now

MAX_ENTRIES = 2_000


class AuditError(AlchemistError):
    """A note cannot be added as asked (no such entry, text too long)."""


class AuditTrail:
    """The entries of one session, oldest first; iterate it, index it or take `entries`."""

    def __init__(self, entries: Sequence[AuditEntry] = (), dropped: int = 0, anchor: str = GENESIS,
                 links: Sequence[ProvenanceLink] = ()) -> None:
        self._entries: list[AuditEntry] = list(entries)
        self.dropped = dropped  # entries dropped from the start to keep the bound
        self.anchor = anchor  # the hash the first kept entry links to
        self.links: list[ProvenanceLink] = list(links)

    # -- reading ---------------------------------------------------------------------------
    @property
    def entries(self) -> tuple[AuditEntry, ...]:
        return tuple(self._entries)

    def __iter__(self) -> Iterator[AuditEntry]:
        return iter(tuple(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> AuditEntry:
        return self._entries[index]

    @property
    def head(self) -> str:
        """The newest entry's hash: a copy of it kept elsewhere pins the whole trail."""
        return self._entries[-1].hash if self._entries else self.anchor

    @property
    def next_number(self) -> int:
        return self._entries[-1].number + 1 if self._entries else self.dropped + 1

    def entry(self, number: int) -> AuditEntry | None:
        return next((e for e in self._entries if e.number == number), None)

    def notes_for(self, number: int) -> list[AuditEntry]:
        """The note entries written about entry `number`, oldest first."""
        return self.notes_by_entry().get(number, [])

    def notes_by_entry(self) -> dict[int, list[AuditEntry]]:
        """Every note entry, under the number of the entry it is about (one pass over the trail)."""
        notes: dict[int, list[AuditEntry]] = {}
        for entry in self._entries:
            about = entry.inputs.get("entry")
            if entry.kind is AuditKind.NOTE and type(about) is int:
                notes.setdefault(about, []).append(entry)
        return notes

    def link_for(self, row: int) -> ProvenanceLink | None:
        return next((link for link in self.links if link.row == row), None)

    def verify(self) -> AuditBreak | None:
        """The first broken entry, or None when the chain is whole (see alchemist.audit.chain)."""
        return verify(self._entries, self.dropped + 1, self.anchor)

    # -- writing ---------------------------------------------------------------------------
    def record(self, kind: AuditKind, inputs: dict[str, Any], outputs: dict[str, Any], note: str = "",
               origin: str = "", original_time: str | None = None, time: datetime | None = None) -> AuditEntry:
        """Append one entry, sealed to the one before it; a large input or output is kept as its digest."""
        check_payload(inputs, "inputs")
        check_payload(outputs, "outputs")
        inputs, outputs = shrink(inputs, outputs)
        entry = seal(AuditEntry(
            number=self.next_number,
            time=time or utc_now(),
            kind=kind,
            inputs=inputs,
            outputs=outputs,
            note=note[:MAX_NOTE_LENGTH],
            origin=origin[:MAX_ORIGIN_LENGTH],
            original_time=None if original_time is None else original_time[:MAX_ORIGINAL_TIME_LENGTH],
            previous_hash=self.head,
        ))
        self._entries.append(entry)
        if len(self._entries) > MAX_ENTRIES:
            gone = self._entries.pop(0)
            self.dropped += 1
            self.anchor = gone.hash
        return entry

    def annotate(self, number: int, text: str) -> AuditEntry:
        """Add a user's note about entry `number`, as an entry of its own: the chain stays sealed."""
        text = text.strip()
        if not text:
            raise AuditError("Write the note first.")
        if len(text) > MAX_NOTE_LENGTH:
            raise AuditError(f"A note can have at most {MAX_NOTE_LENGTH:,} characters.")
        if self.entry(number) is None:
            raise AuditError(f"There is no entry {number} in the audit trail.")
        return self.record(AuditKind.NOTE, {"entry": number}, {}, note=text)

    # -- state -----------------------------------------------------------------------------
    def to_state(self, n_rows: int | None = None) -> dict:
        """The trail as plain data; with `n_rows`, only links to rows a table of that size has (what
        the reader accepts, should the table have been replaced without the links following it)."""
        links = [link for link in self.links if n_rows is None or link.row < n_rows]
        return {
            "entries": [entry.to_state() for entry in self._entries],
            "dropped": self.dropped,
            "anchor": self.anchor,
            "links": [link.to_state() for link in links],
        }

    @classmethod
    def from_state(cls, state: Any, n_rows: int) -> "AuditTrail":
        """The trail in a file (None: a file from before audit trails, so an empty one). Checked for
        form only: a trail that was tampered with loads, and `verify` names where."""
        if state is None:
            return cls()
        if not isinstance(state, dict) or not isinstance(state.get("entries"), list):
            raise SessionFileError("The audit trail in the file is not in the expected form.")
        if len(state["entries"]) > MAX_ENTRIES:
            raise SessionFileError(f"The audit trail in the file has more than {MAX_ENTRIES:,} entries.")
        dropped, anchor = state.get("dropped", 0), state.get("anchor", GENESIS)
        if type(dropped) is not int or dropped < 0 or not isinstance(anchor, str) or len(anchor) != len(GENESIS):
            raise SessionFileError("The audit trail in the file is not in the expected form.")
        entries = [AuditEntry.from_state(item) for item in state["entries"]]
        return cls(entries, dropped, anchor, links_from_state(state.get("links", []), n_rows))
