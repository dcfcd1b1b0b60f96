"""Committing a change to a stored session: one small signed revision object per change, created
only if absent, with checkpoints that fold the revisions in.

The protocol (alchemist.store.layout has the keys). A session at revision n is saved by creating
`rev-<n+1>` with expected=ABSENT: of two replicas saving revision n+1, one wins; the loser lists
again, reads the new revisions, and applies its change (its patch from the revision it started
from) on top, or refuses it with ConflictError naming the conflict. A commit against a head that
storage confirmed within HEAD_TRUST_SECONDS (the version check at the start of the page's run)
writes at once: one wait on storage. A checkpoint is written again when the revisions grow past
CHECKPOINT_EVERY objects or half the checkpoint's size (and at least CHECKPOINT_LOG_MIN_BYTES),
and when a snapshot is saved: the revision object is created first (it takes the number), then the
checkpoint is replaced only if it is still at the version read (compare-and-swap); the history
budget of alchemist.history.revisions is applied then.

Revision objects a checkpoint holds are deleted only when older than REV_GRACE (much longer than
HEAD_TRUST_SECONDS), and never the newest: a replica that read the session a moment ago and saves
revision n+1 then always meets an object at n+1 if someone else saved it, never a gap a fold left. A commit that
finds the session gone (swept, or deleted meanwhile) or doomed (a sweep claimed its next number)
writes a whole checkpoint from the state it holds, so a save racing a sweep is never lost.

SessionStore (alchemist.persistence) inherits these methods, the reading of alchemist.store.heads
and alchemist.store.legacy, and the history requests of alchemist.store.history_requests.
"""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Callable, Sequence, TypeVar

from alchemist import limits
from alchemist.errors import AlchemistError, ConflictError, LimitError, SessionFileError, StorageError, StorageReason
from alchemist.files.container import encode_session_file
from alchemist.files.migrations import CURRENT_FORMAT_VERSION, SESSION_FORMAT
from alchemist.history.diff import describe
from alchemist.history.patch import PatchConflict, apply_ops, diff_states, invert
from alchemist.history.revisions import (
    History, Revision, RevisionKind, SavedState, daily_numbers, merge_dailies, over_budget, shrink,
)
from alchemist.plain import column_to_state, timestamp_to_state, utc_now
from alchemist.session import Session
from alchemist.store.blobs import ABSENT, BlobInfo, ChangedMeanwhile
from alchemist.store.conflicts import conflict_error
from alchemist.store.heads import CLAIM, Head, Heads, token, tree_counts
from alchemist.store.layout import checkpoint_key, rev_key
from alchemist.store.legacy import Legacy
from alchemist.store.revision_log import MAX_RECORD_BYTES, encode_record

if TYPE_CHECKING:
    from alchemist.persistence import SessionStore

log = logging.getLogger(__name__)

# Revision objects before the checkpoint is written whole again. A checkpoint of a 100,000 x 20
# session takes seconds (it is the old whole-file save) while reading a small record takes well
# under a millisecond (they are read in parallel), so checkpoints are rare; big records bring one
# sooner (CHECKPOINT_LOG_MIN_BYTES).
CHECKPOINT_EVERY = 1000
CHECKPOINT_LOG_MIN_BYTES = 1024 * 1024
REV_GRACE = timedelta(minutes=10)
# A commit that loses a race to another replica reads the head again and retries, after a pause
# that doubles (with jitter, so two losers do not retry in lockstep) up to a cap. It gives up only
# when another replica has kept winning for this long: a count of attempts alone let a loser that
# is slower than the winner (a busy CPU) lose every time while the winner saved a dozen times.
COMMIT_PATIENCE_S = 5.0
_FIRST_PAUSE_S = 0.005
_MAX_PAUSE_S = 0.25
MIB = 1024 * 1024
T = TypeVar("T")

__all__ = ["CHECKPOINT_EVERY", "CacheFullError", "Checkout", "Committed", "Head", "HistoryError", "Timeline",
           "tree_counts"]


class HistoryError(AlchemistError):
    """A history request that cannot be met: nothing to undo, a revision no longer kept. `reason` names it."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class CacheFullError(StorageError):
    """The cache's byte budget (limits.cache_bytes) has no room for this write; a sweep may make some."""

    def __init__(self) -> None:
        super().__init__("The session cache of this server is full, so the session could not be stored. "
                         "Your work is kept in this browser tab; download it with Save Session.", StorageReason.CACHE_FULL)


@dataclass(frozen=True)
class Checkout:
    """A stored session with the version and revision number it is at, from one read."""

    session: Session
    version: str
    number: int


@dataclass(frozen=True)
class Committed:
    """The result of a commit: the new version and revision number, and the session as now stored
    when the change was applied on top of another tab's (None when the caller's copy is it)."""

    version: str
    number: int
    merged: Session | None = None


def _with_columns(tree: dict, session: Session, columns: Sequence[str]) -> dict | None:
    """`tree` with the named experiment columns taken from `session` (None when that cannot stand
    for the session's whole state: rows were added or removed, a column is missing)."""
    # The cells as the session writes them (typed text that is not a number included), and the
    # audit trail, which records the edit: the rest of the tree is unchanged by a cell edit.
    frame = session.experiments.cells()
    table = tree["experiments"]["table"]
    names = [c["name"] for c in table["columns"]]
    if table["n_rows"] != len(frame) or list(map(str, frame.columns)) != names or not set(columns) <= set(names):
        return None
    fresh = {str(c): column_to_state(c, frame[c]) for c in columns}
    new_columns = [fresh.get(c["name"], c) for c in table["columns"]]
    return {**tree, "audit": session.audit.to_state(len(frame)),
            "experiments": {**tree["experiments"], "table": {**table, "columns": new_columns}}}



class Timeline(Heads, Legacy):
    """The revision methods of SessionStore (see the module docstring)."""

    HEAD_TRUST_SECONDS = 10.0
    commit_patience_s = COMMIT_PATIENCE_S

    # -- committing ------------------------------------------------------------------------
    def commit(self: "SessionStore", session: Session, base: int | None = None,
               expected_version: str | None = None, columns: Sequence[str] | None = None) -> Committed:
        """Store the session's change. `base` is the revision the caller's copy started from: when
        other revisions were committed since, the caller's change (its patch from `base`) is applied
        to the current state, or refused with ConflictError naming the conflict. Without `base`,
        an `expected_version` that is not the current one is refused (compare-and-swap).

        `columns`, when the caller knows it: the change edited cells of these experiment columns
        and nothing else. Then only those columns are turned into plain data and compared, so a
        cell edit in a large table costs a column, not the whole session."""
        try:
            return self._commit(session, base, expected_version, columns)
        except CacheFullError:
            self.sweep()  # expired sessions may make room
            return self._commit(session, base, expected_version, columns)

    def _commit(self: "SessionStore", session: Session, base: int | None, expected_version: str | None,
                columns: Sequence[str] | None) -> Committed:
        new_tree = None if columns else session.to_state()  # the slow part, done once
        return self._retrying(session.id, lambda head: self._commit_on(head, session, base, expected_version,
                                                                      columns, new_tree), missing_ok=True)

    def _retrying(self: "SessionStore", session_id: str, action: Callable[[Head | None], T],
                  missing_ok: bool = False) -> T:
        """`action(head)`, again on a head read afresh each time another replica's write wins a race."""
        head = self._trusted_head(session_id)
        deadline = time.monotonic() + self.commit_patience_s
        pause = _FIRST_PAUSE_S
        while True:
            if head is None and not missing_ok:
                raise HistoryError("That session no longer exists.", "missing")
            try:
                return action(head)
            except ChangedMeanwhile:
                if time.monotonic() + pause > deadline:
                    break
                time.sleep(random.uniform(0.5, 1.0) * pause)
                pause = min(2 * pause, _MAX_PAUSE_S)
                head = self._fresh_head(session_id, convert=True)
        raise ConflictError("This change was not applied: the session is being changed elsewhere "
                            "many times a second. Nothing was overwritten; try again.")

    def _commit_on(self: "SessionStore", head: Head | None, session: Session, base: int | None,
                   expected_version: str | None, columns: Sequence[str] | None, new_tree: dict | None) -> Committed:
        if head is None:
            return self._store_whole(session, new_tree or session.to_state())
        moved = expected_version is not None and head.version != expected_version
        if moved and base is None:
            raise ConflictError(
                "This session was changed in another tab or window since you opened it; "
                "your copy was not saved over it. Reload to see the latest version."
            )
        merged = moved and base != head.number
        try:
            reference = self._tree_at(head, base) if merged else head.tree
        except HistoryError:
            raise ConflictError("This change was not applied: the session changed in another tab or window "
                                "so much since you opened it that it cannot be merged. Nothing was overwritten.") from None
        tree = new_tree
        if tree is None:
            tree = _with_columns(reference, session, columns) or session.to_state()
        ops = diff_states(reference, tree)
        if merged:
            try:
                tree = apply_ops(head.tree, ops)
            except PatchConflict as conflict:
                raise conflict_error(conflict) from None
        if not ops:
            return Committed(head.version, head.number)
        kind, summary = describe(ops)
        new_head = self._append(session.id, head, ops, kind, summary, tree)
        return Committed(new_head.version, new_head.number,
                         self.session_of(session.id, new_head.tree) if merged else None)

    def _store_whole(self: "SessionStore", session: Session, tree: dict) -> Committed:
        """A first save, or the save of a session that is gone from storage (swept or deleted while
        this tab held it): a whole checkpoint, with the history this process last knew of it."""
        known = self._cached(session.id)
        now = utc_now()
        if known is None or known.legacy is not None:
            history = History(1, [Revision(1, now, RevisionKind.CREATE, {}, tree_counts(tree), [])])
            created_at = tree["created"]
        else:
            ops = diff_states(known.tree, tree)
            history, created_at = known.history, known.created_at
            if ops:
                kind, summary = describe(ops)
                revision = Revision(known.number + 1, now, kind, summary, tree_counts(tree), ops)
                history = replace(history, head=revision.number, revisions=[*history.revisions, revision])
        head = self._checkpoint(session.id, tree, history, created_at, ABSENT)
        if known is not None:  # what the session left (a sweep's claim) shows in the version: list it
            head = self._fresh_head(session.id) or head
        return Committed(head.version, head.number)

    def _append(self: "SessionStore", session_id: str, head: Head, ops: list[dict], kind: RevisionKind,
                summary: dict, new_tree: dict) -> Head:
        """Store one more revision on `head`: a revision object created only if absent (ChangedMeanwhile
        when another replica took the number), and a new checkpoint when one is due."""
        now = utc_now()
        revision = Revision(head.number + 1, now, kind, summary, tree_counts(new_tree), ops)
        new_tree = {**new_tree, "id": session_id, "modified": timestamp_to_state(now)}
        history = replace(head.history, head=revision.number, revisions=[*head.history.revisions, revision])
        if head.doomed:  # a sweep claimed this number: a whole checkpoint stops it (see the docstring)
            return self._checkpoint(session_id, new_tree, history, head.created_at, head.checkpoint_version, head)
        record = encode_record(session_id, revision, self.keys)
        budget = limits.current()
        fold = (len(record) > MAX_RECORD_BYTES or head.log_records + 1 >= CHECKPOINT_EVERY
                or head.log_bytes + len(record) > max(CHECKPOINT_LOG_MIN_BYTES, head.checkpoint_bytes // 2)
                or head.checkpoint_bytes + head.log_bytes + len(record) > budget.session_bytes)
        # The object that takes the number; a change too big for a record is held by the checkpoint alone.
        claim = record if len(record) <= MAX_RECORD_BYTES else encode_record(session_id, replace(revision, ops=[]), self.keys)
        if fold:
            data, history = self._encoded(new_tree, history, head.created_at, head.checkpoint_bytes + head.log_bytes)
        elif self._total_bytes + len(record) > budget.cache_bytes:
            raise CacheFullError()
        key = rev_key(session_id, revision.number)
        version = self.storage.put(key, claim, ABSENT)
        self._total_bytes += len(claim)
        revs = {**head.revs, revision.number: BlobInfo(key, version, len(claim), now)}
        if fold:
            try:
                return self._write_checkpoint(session_id, data, new_tree, history, head.created_at,
                                              head.checkpoint_version, revs)
            except ChangedMeanwhile:
                # Another replica rewrote the checkpoint meanwhile; the revision object stands.
                if claim is not record:
                    raise ConflictError("This change was not applied: it is too large to store while the session "
                                        "is being changed elsewhere. Nothing was overwritten; try again.") from None
        new_head = Head(new_tree, history, head.created_at, token(head.checkpoint_version, revs), head.checkpoint_version,
                        head.checkpoint_bytes, head.log_records + 1, head.log_bytes + len(claim), revs, now)
        self._remember(session_id, new_head)
        return new_head

    def _checkpoint(self: "SessionStore", session_id: str, tree: dict, history: History, created_at: str,
                    expected: str | None, head: Head | None = None) -> Head:
        """Write the checkpoint whole (history pruned to the budget), only if it is still at `expected`
        (ABSENT: only if there is none); the new head. Revision objects it now holds are deleted
        once older than REV_GRACE."""
        replacing = head.checkpoint_bytes + head.log_bytes if head is not None else 0
        data, history = self._encoded(tree, history, created_at, replacing)
        revs = dict(head.revs) if head is not None else {}
        if expected == ABSENT:  # a new checkpoint: its number is claimed first (see alchemist.store.heads)
            key = rev_key(session_id, history.head)
            revs[history.head] = BlobInfo(key, self.storage.put(key, CLAIM), len(CLAIM), utc_now())
        return self._write_checkpoint(session_id, data, tree, history, created_at, expected, revs)

    def _encoded(self: "SessionStore", tree: dict, history: History, created_at: str, replacing: int) -> tuple[bytes, History]:
        history = self._pruned(tree, history)
        now = utc_now()
        budget = limits.current()
        while True:  # the history gives way (daily states, then old revisions) before the session does
            envelope = {
                "format": SESSION_FORMAT, "format_version": CURRENT_FORMAT_VERSION, "session": tree,
                "created_at": created_at, "last_accessed": timestamp_to_state(now),
                "expires_at": timestamp_to_state(now + self.ttl), "history": history.to_state(),
            }
            try:
                data = encode_session_file(envelope, self.keys)
                fits = len(data) <= budget.session_bytes
            except SessionFileError:
                fits = False
            smaller = None if fits else shrink(history)
            if smaller is None:
                break
            history = smaller
        if not fits:
            data = encode_session_file(envelope, self.keys)  # raises SessionFileError when too large to load again
            raise LimitError(
                f"This session takes {len(data) / MIB:.1f} MiB, more than the {budget.session_bytes / MIB:.0f} MiB "
                "a session may take in the cache. Download it with Save Session, or remove experiments.",
                "session_bytes",
            )
        if self._total_bytes - replacing + len(data) > budget.cache_bytes:
            raise CacheFullError()
        return data, history

    def _write_checkpoint(self: "SessionStore", session_id: str, data: bytes, tree: dict, history: History,
                          created_at: str, expected: str | None, revs: dict[int, BlobInfo]) -> Head:
        version = self.storage.put(checkpoint_key(session_id), data, expected)
        self._total_bytes += len(data)
        # The newest stays: it names the head in a listing (alchemist.store.heads).
        old = {n: info for n, info in revs.items() if n <= history.head and n != max(revs)
               and self.clock.now() - info.modified.timestamp() > REV_GRACE.total_seconds()}
        for number, gone in zip(old, self._delete_all(list(old.values()))):
            if gone:
                self._total_bytes -= old[number].size
        listed = self._list(session_id).revs if old else revs  # what a reader's listing now shows
        head = Head({**tree, "id": session_id}, history, created_at, token(version, listed), version, len(data),
                    0, 0, listed, utc_now())
        self._remember(session_id, head)
        return head

    def _delete_all(self: "SessionStore", infos: list[BlobInfo]) -> list[bool]:
        def delete(info: BlobInfo) -> bool:
            try:
                return self.storage.delete(info.key, info.version)
            except (ChangedMeanwhile, StorageError) as error:
                log.warning("Could not delete a folded revision object: %s", error)  # the sweep retries
                return False
        if len(infos) <= 2:
            return [delete(info) for info in infos]
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(delete, infos))

    def _pruned(self: "SessionStore", tree: dict, history: History) -> History:
        drop = over_budget(history.revisions)
        if not drop:
            return history
        dropped, kept = history.revisions[:drop], history.revisions[drop:]
        wanted = set(daily_numbers(dropped, kept[0].time, history.revisions[-1].time, self.ttl))
        states = []
        for revision in reversed(history.revisions):  # walk back from now, keeping the wanted states
            if revision.number in wanted:
                states.append(SavedState(revision.number, revision.time, "", tree))
            try:
                tree = apply_ops(tree, invert(revision.ops))
            except PatchConflict:
                break
        dailies = merge_dailies(history.dailies, states, history.revisions[-1].time, self.ttl)
        return replace(history, revisions=kept, dailies=dailies)

    def _tree_at(self: "SessionStore", head: Head, number: int) -> dict:
        if number == head.number:
            return head.tree
        revisions = head.history.revisions
        oldest = revisions[0].number - (0 if revisions[0].kind is RevisionKind.CREATE else 1) if revisions else head.number
        if oldest <= number < head.number:
            tree = head.tree
            for revision in reversed(revisions):
                if revision.number <= number:
                    break
                try:
                    tree = apply_ops(tree, invert(revision.ops))
                except PatchConflict:
                    raise HistoryError(f"Revision {number} cannot be rebuilt: the history is damaged.", "damaged") from None
            return tree
        for saved in (*head.history.snapshots, *head.history.dailies):
            if saved.number == number:
                return saved.state
        raise HistoryError(f"Revision {number} is no longer kept.", "pruned")
