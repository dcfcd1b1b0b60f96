"""Where a stored session's objects are, on any storage (alchemist.store.blobs): keys and listings.

    sessions/<id>/checkpoint    the signed session file with the history kept so far, at revision H
    sessions/<id>/rev-<n>       one signed revision record for each n > H (n zero-padded, so they list in order)
    sessions/<id>/seen          empty; written when the session is opened, at most once a minute
    quarantine/<id>.<UTC time>  an unreadable checkpoint or record, set aside for a look

Every object is written whole: object storage has no append and no rename. A revision object is
created only if absent, and that creation is the compare-and-swap of a save (alchemist.store.timeline).

Sessions cached before this layout (the folder of a laptop install) are files beside these
folders: `sessions/<id>.pkl` (the checkpoint), `<id>.log` (its records appended), `<id>.seen`. They
are read in place and converted on first open (alchemist.store.legacy), and swept like the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from alchemist.session import is_session_id
from alchemist.store.blobs import BlobInfo

SESSIONS = "sessions/"
QUARANTINE = "quarantine/"
CHECKPOINT = "checkpoint"
SEEN = "seen"
REV_PREFIX = "rev-"
REV_DIGITS = 10
LEGACY_SUFFIXES = (".pkl", ".log", ".seen")


def prefix_of(session_id: str) -> str:
    if not is_session_id(session_id):
        raise ValueError("not a session id")
    return f"{SESSIONS}{session_id}/"


def checkpoint_key(session_id: str) -> str:
    return prefix_of(session_id) + CHECKPOINT


def seen_key(session_id: str) -> str:
    return prefix_of(session_id) + SEEN


def rev_key(session_id: str, number: int) -> str:
    return f"{prefix_of(session_id)}{REV_PREFIX}{number:0{REV_DIGITS}d}"


def legacy_key(session_id: str, suffix: str) -> str:
    prefix_of(session_id)
    return f"{SESSIONS}{session_id}{suffix}"


def quarantine_key(session_id: str, when: datetime) -> str:
    return f"{QUARANTINE}{session_id}.{when.strftime('%Y%m%dT%H%M%S%fZ')}"


@dataclass
class Objects:
    """The objects of one session found by a listing: new layout and old."""

    checkpoint: BlobInfo | None = None
    revs: dict[int, BlobInfo] = field(default_factory=dict)
    seen: BlobInfo | None = None
    legacy: dict[str, BlobInfo] = field(default_factory=dict)  # suffix (".pkl", ".log", ".seen") -> object
    other: list[BlobInfo] = field(default_factory=list)  # not ours (a stray file): never deleted

    @property
    def exists(self) -> bool:
        return self.checkpoint is not None or ".pkl" in self.legacy

    def all(self) -> list[BlobInfo]:
        found = [self.checkpoint, self.seen, *self.revs.values(), *self.legacy.values()]
        return [info for info in found if info is not None]

    @property
    def last_used(self) -> datetime | None:
        """The last write of any of its objects: its last save or open."""
        return max((info.modified for info in self.all()), default=None)

    @property
    def bytes(self) -> int:
        return sum(info.size for info in self.all())

    @property
    def newest_rev(self) -> int:
        return max(self.revs, default=0)


def add_object(objects: dict[str, Objects], info: BlobInfo) -> None:
    """File one listed object (key under `sessions/`) under its session; anything else is ignored."""
    rest = info.key[len(SESSIONS):] if info.key.startswith(SESSIONS) else None
    if rest is None:
        return
    if "/" in rest:
        session_id, name = rest.split("/", 1)
        if not is_session_id(session_id):
            return
        found = objects.setdefault(session_id, Objects())
        if name == CHECKPOINT:
            found.checkpoint = info
        elif name == SEEN:
            found.seen = info
        elif name.startswith(REV_PREFIX) and name[len(REV_PREFIX):].isdigit() and len(name) == len(REV_PREFIX) + REV_DIGITS:
            found.revs[int(name[len(REV_PREFIX):])] = info
        else:
            found.other.append(info)
        return
    for suffix in LEGACY_SUFFIXES:
        if rest.endswith(suffix) and is_session_id(rest[: -len(suffix)]):
            objects.setdefault(rest[: -len(suffix)], Objects()).legacy[suffix] = info
            return


def group(listing: list[BlobInfo]) -> dict[str, Objects]:
    objects: dict[str, Objects] = {}
    for info in listing:
        add_object(objects, info)
    return objects
