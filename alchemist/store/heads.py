"""Reading a stored session's current state from storage, with a small in-process cache.

The current state (the head) is the checkpoint with the revision objects after it applied in
order (alchemist.store.layout). `version` is one listing of the session's prefix: a token built
from the checkpoint's version and the newest revision number, so it changes with every commit,
fold or snapshot. `head` lists once and, when the token is the cached head's, reads nothing more;
otherwise it reads the checkpoint and the revisions after it (in parallel: they are small).

A head read between another replica's writes is read again (the listing no longer matches what
was read). A revision object that is not a signed record of this session is set aside
(quarantined) with the ones after it, so it cannot block the next save at its number; an
unreadable checkpoint raises SessionFileError and the store sets it aside.

A revision object holding CLAIM takes a number without being a revision: a whole checkpoint is
written after the claim of its own number (so the newest revision object always names the head,
and a listing alone tells a sweep which number to claim), and a sweep (alchemist.store.sweep)
claims the number after the head before it deletes the session. A claim after the checkpoint's
revision makes the head `doomed`: a commit on it writes a whole checkpoint instead, which stops
the sweep.

`version` also marks the cached head as confirmed: a commit within HEAD_TRUST_SECONDS of it (the
app checks the version at the start of every run) writes at once, without listing again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from alchemist.errors import AlchemistError, SessionFileError, StorageError, StorageReason
from alchemist.history.patch import PatchConflict, apply_ops
from alchemist.history.revisions import History
from alchemist.plain import timestamp_to_state, utc_now
from alchemist.session import Session, is_session_id
from alchemist.store.blobs import BlobInfo, ChangedMeanwhile
from alchemist.store.layout import Objects, add_object, checkpoint_key, prefix_of, quarantine_key, rev_key
from alchemist.store.revision_log import decode_record
from alchemist.store.session_files import read_cached

if TYPE_CHECKING:
    from alchemist.persistence import SessionStore

log = logging.getLogger(__name__)

CLAIM = b"ALCHEMIST CLAIM\n"
_CACHED_HEADS = 4
_READ_ATTEMPTS = 4
_PARALLEL_READS = 8


@dataclass(frozen=True)
class Head:
    """A stored session's current state tree, its history and where its objects stand."""

    tree: dict
    history: History  # every revision kept: the checkpoint's and the revision objects'
    created_at: str
    version: str
    checkpoint_version: str
    checkpoint_bytes: int
    log_records: int  # revision objects applied after the checkpoint
    log_bytes: int
    revs: dict[int, BlobInfo] = field(default_factory=dict)  # every revision object listed (folded ones too)
    last_used: datetime | None = None
    checked_at: float = 0.0  # time.monotonic() when `version` last confirmed this head
    doomed: bool = False  # a sweep claimed the next number (see the module docstring)
    legacy: object | None = None  # the old-layout files it was read from (alchemist.store.legacy)

    @property
    def number(self) -> int:
        return self.history.head


def token(checkpoint_version: str, revs: dict[int, BlobInfo]) -> str:
    return f"{max(revs, default=0):010d}-{checkpoint_version}"


def tree_counts(tree: dict) -> dict:
    table = (tree.get("experiments") or {}).get("table") or {}
    return {"variables": len(tree.get("variables") or []), "experiments": int(table.get("n_rows") or 0)}


class _Retry(Exception):
    """The objects changed while they were read: list again."""


class Heads:
    """The reading methods of SessionStore (see the module docstring)."""

    _heads: "OrderedDict[str, Head]"
    _heads_lock: threading.Lock

    def _list(self: "SessionStore", session_id: str) -> Objects:
        found: dict[str, Objects] = {}
        for info in self.storage.list(prefix_of(session_id)):
            add_object(found, info)
        return found.get(session_id) or Objects()

    def version(self: "SessionStore", session_id: str) -> str | None:
        """A token that changes with every committed change, or None when there is no such session.
        One listing of the session's objects (two reads for a session of the old layout)."""
        if not is_session_id(session_id):
            return None
        objects = self._list(session_id)
        if objects.checkpoint is None:
            return self._legacy_version(session_id)
        version = token(objects.checkpoint.version, objects.revs)
        cached = self._cached(session_id)
        if cached is not None and cached.version == version:
            self._remember(session_id, replace(cached, checked_at=time.monotonic(), last_used=objects.last_used))
        return version

    # -- reading ---------------------------------------------------------------------------
    def head(self: "SessionStore", session_id: str) -> Head | None:
        """The current state of a stored session (cached while its version stays), or None."""
        return self._fresh_head(session_id)

    def _fresh_head(self: "SessionStore", session_id: str, convert: bool = False) -> Head | None:
        for _ in range(_READ_ATTEMPTS):
            objects = self._list(session_id)
            if objects.checkpoint is None:
                return self._legacy_head(session_id, convert)
            version = token(objects.checkpoint.version, objects.revs)
            cached = self._cached(session_id)
            if cached is not None and cached.version == version and cached.legacy is None:
                head = replace(cached, last_used=objects.last_used)
            else:
                try:
                    head = self._read_head(session_id, objects)
                except _Retry:
                    continue
            self._remember(session_id, head)
            return head
        raise StorageError("The session could not be read: it kept changing while it was read. Try again.",
                           StorageReason.BUSY)

    def _trusted_head(self: "SessionStore", session_id: str) -> Head | None:
        """The cached head when storage confirmed it a moment ago (see alchemist.store.timeline's
        protocol), else a fresh one: a commit then waits on storage once, for its write."""
        cached = self._cached(session_id)
        trust = min(self.HEAD_TRUST_SECONDS, self.ttl.total_seconds() / 4)
        if cached is not None and cached.legacy is None and time.monotonic() - cached.checked_at < trust:
            return cached
        return self._fresh_head(session_id, convert=True)

    def _cached(self: "SessionStore", session_id: str) -> Head | None:
        with self._heads_lock:
            return self._heads.get(session_id)

    def _remember(self: "SessionStore", session_id: str, head: Head) -> None:
        with self._heads_lock:
            self._heads[session_id] = head
            self._heads.move_to_end(session_id)
            while len(self._heads) > _CACHED_HEADS:
                self._heads.popitem(last=False)

    def _forget(self: "SessionStore", session_id: str) -> None:
        with self._heads_lock:
            self._heads.pop(session_id, None)

    def _read_head(self: "SessionStore", session_id: str, objects: Objects) -> Head:
        keys = self.keys  # one ring for the whole read, even if secrets change meanwhile
        cached = self._cached(session_id)
        if (cached is not None and cached.checkpoint_version == objects.checkpoint.version and not cached.doomed
                and cached.legacy is None):
            # The same checkpoint: only the revisions since are read (another replica's edit costs one small read).
            tree, history, created_at = cached.tree, cached.history, cached.created_at
            checkpoint_version, checkpoint_bytes = cached.checkpoint_version, cached.checkpoint_bytes
            applied, applied_bytes = cached.log_records, cached.log_bytes
        else:
            blob = self.storage.get(checkpoint_key(session_id))
            if blob is None or blob.version != objects.checkpoint.version:
                raise _Retry()
            envelope, _legacy = read_cached(blob.data, keys)
            history = History.from_state(envelope.get("history"))
            tree, created_at = envelope["session"], envelope.get("created_at") or envelope["session"].get("created")
            checkpoint_version, checkpoint_bytes = blob.version, len(blob.data)
            applied, applied_bytes = 0, 0
        wanted = sorted(n for n in objects.revs if n > history.head)
        records = self._get_all([rev_key(session_id, n) for n in wanted])
        revisions, doomed = list(history.revisions), False
        for number, record in zip(wanted, records):
            if number != history.head + 1:
                break
            if record is None or record.version != objects.revs[number].version:
                raise _Retry()  # folded into a new checkpoint, or rewritten, since the listing
            if record.data == CLAIM:
                doomed = True
                break
            try:
                revision = decode_record(record.data, session_id, keys)
                if revision.number != number:
                    raise SessionFileError("A revision is stored under another number.")
                tree = apply_ops(tree, revision.ops)
            except (SessionFileError, PatchConflict) as error:
                # Set it aside with the ones after it: left in place it would block every save at its number.
                self._quarantine_revs(session_id, {n: objects.revs[n] for n in wanted if n >= number}, str(error))
                raise _Retry() from None
            tree = {**tree, "modified": timestamp_to_state(revision.time)}
            revisions.append(revision)
            history = replace(history, head=revision.number)
            applied += 1
            applied_bytes += len(record.data)
        return Head(tree, replace(history, revisions=revisions), created_at, token(checkpoint_version, objects.revs),
                    checkpoint_version, checkpoint_bytes, applied, applied_bytes, dict(objects.revs),
                    objects.last_used, 0.0, doomed)

    def _get_all(self: "SessionStore", keys: list[str]) -> list:
        if len(keys) <= 2:
            return [self.storage.get(key) for key in keys]
        with ThreadPoolExecutor(max_workers=min(_PARALLEL_READS, len(keys))) as pool:
            return list(pool.map(self.storage.get, keys))

    def _quarantine_revs(self: "SessionStore", session_id: str, revs: dict[int, BlobInfo], reason: str) -> None:
        log.warning("Setting aside %d damaged revision(s) of a session: %s", len(revs), reason)
        for number, info in sorted(revs.items()):
            blob = self.storage.get(info.key)
            if blob is None:
                continue
            try:
                self.storage.put(quarantine_key(session_id, utc_now()) + f"-rev{number}", blob.data)
                self.storage.delete(info.key, blob.version)
            except ChangedMeanwhile:
                continue

    def session_of(self: "SessionStore", session_id: str, tree: dict) -> Session:
        try:
            return Session.from_state({**tree, "id": session_id})
        except SessionFileError:
            raise
        except (AlchemistError, TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
            raise SessionFileError(f"A past state of this session is not valid ({type(error).__name__}).") from None
