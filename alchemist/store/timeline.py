"""A stored session as a checkpoint plus revisions: reading the current state, committing a change
as a small signed record, checkpoints, undo/redo, restore and snapshots.

The session file `<id>.pkl` is the checkpoint: the state after revision `history.head` and the
history kept so far. `<id>.log` (alchemist.store.revision_log) holds the revisions since. The
current state is the checkpoint with the log's patches applied. A checkpoint is written again
when the log grows past CHECKPOINT_EVERY records or half the checkpoint's size (and at least
CHECKPOINT_LOG_MIN_BYTES), and when a named
snapshot is saved; the budget of alchemist.history.revisions is applied then.

The version token is the checkpoint's mtime (ns) plus the log's length: every commit makes it
larger, and a checkpoint's mtime is set past the last token. A change made to an older revision
is applied to the current state when it touches nothing that changed since (patches check what
they expect to find), and refused with ConflictError naming the place otherwise.

SessionStore (alchemist.persistence) inherits these methods (and the history requests of
alchemist.store.history_requests); it provides the paths, keys, lock,
time to live and the reading of checkpoint files.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from alchemist import limits
from alchemist.errors import AlchemistError, ConflictError, LimitError, SessionFileError, StorageError
from alchemist.files.container import encode_session_file
from alchemist.files.migrations import CURRENT_FORMAT_VERSION, SESSION_FORMAT
from alchemist.history.diff import describe
from alchemist.history.patch import PatchConflict, apply_ops, diff_states, invert
from alchemist.history.revisions import (
    History, Revision, RevisionKind, SavedState, daily_numbers, merge_dailies, over_budget, shrink,
)
from alchemist.plain import column_to_state, timestamp_to_state, utc_now
from alchemist.session import Session
from alchemist.store.conflicts import conflict_error
from alchemist.store.disk import stamp, storage_error, write_atomically
from alchemist.store.revision_log import (
    LOG_SUFFIX, MAX_RECORD_BYTES, append_record, cut_tail, encode_record, log_version, read_log,
)

if TYPE_CHECKING:
    from alchemist.persistence import SessionStore

# Log records before the session file is written whole again. A checkpoint of a 100,000 x 20 session
# takes seconds (it is the old whole-file save) while replaying a small record takes well under a
# millisecond, so checkpoints are rare; big records bring one sooner (CHECKPOINT_LOG_MIN_BYTES).
CHECKPOINT_EVERY = 1000
CHECKPOINT_LOG_MIN_BYTES = 1024 * 1024
_CACHED_HEADS = 4
MIB = 1024 * 1024


class HistoryError(AlchemistError):
    """A history request that cannot be met: nothing to undo, a revision no longer kept. `reason` names it."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class CacheFullError(StorageError):
    """The cache's byte budget (limits.cache_bytes) has no room for this write; a sweep may make some."""

    def __init__(self) -> None:
        super().__init__("The session cache of this server is full, so the session could not be stored. "
                         "Your work is kept in this browser tab; download it with Save Session.")


@dataclass(frozen=True)
class Head:
    """A stored session's current state tree, its history and where its files stand."""

    tree: dict
    history: History  # every revision kept: the checkpoint's and the log's
    created_at: str
    version: int
    checkpoint_bytes: int
    log_records: int
    log_bytes: int
    legacy: bool = False

    @property
    def number(self) -> int:
        return self.history.head


@dataclass(frozen=True)
class Checkout:
    """A stored session with the version and revision number it is at, from one read."""

    session: Session
    version: int
    number: int


@dataclass(frozen=True)
class Committed:
    """The result of a commit: the new version and revision number, and the session as now stored
    when the change was applied on top of another tab's (None when the caller's copy is it)."""

    version: int
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


def tree_counts(tree: dict) -> dict:
    table = (tree.get("experiments") or {}).get("table") or {}
    return {"variables": len(tree.get("variables") or []), "experiments": int(table.get("n_rows") or 0)}


class Timeline:
    """The revision methods of SessionStore (see the module docstring)."""

    _heads: "OrderedDict[str, Head]"
    _heads_lock: threading.Lock

    def log_of(self: "SessionStore", session_id: str) -> Path:
        return self.path_of(session_id).with_suffix(LOG_SUFFIX)

    def version(self: "SessionStore", session_id: str) -> int | None:
        """A token that grows with every committed change (see revision_log.log_version), or None."""
        from alchemist.session import is_session_id

        if not is_session_id(session_id):
            return None
        try:
            found = stamp(self.path_of(session_id))
            log = stamp(self.log_of(session_id)) if found is not None else None
        except OSError as error:  # the folder is gone or not a folder: a disk failure, in words
            raise storage_error("read", error) from None
        if found is None:
            return None
        return log_version(found.mtime_ns, log.mtime_ns if log else None, log.size if log else 0)

    # -- reading ---------------------------------------------------------------------------
    def head(self: "SessionStore", session_id: str) -> Head | None:
        """The current state of a stored session (cached while its version stays), or None."""
        version = self.version(session_id)
        if version is None:
            return None
        with self._heads_lock:
            cached = self._heads.get(session_id)
        if cached is not None and cached.version == version:
            return cached
        for _ in range(3):  # a checkpoint written while we read: read again
            head = self._read_head(session_id)
            if head is None or self.version(session_id) == head.version:
                break
        else:
            with self.lock.held():
                head = self._read_head(session_id)
                if head is not None and self.version(session_id) != head.version:
                    # Bytes after the last whole record (a crash mid-append, damage): cut them off.
                    cut_tail(self.log_of(session_id), head.log_bytes, self.version(session_id) or 0)
                    head = self._read_head(session_id)
        if head is not None:
            self._remember(session_id, head)
        return head

    def _remember(self: "SessionStore", session_id: str, head: Head) -> None:
        with self._heads_lock:
            self._heads[session_id] = head
            self._heads.move_to_end(session_id)
            while len(self._heads) > _CACHED_HEADS:
                self._heads.popitem(last=False)

    def _forget(self: "SessionStore", session_id: str) -> None:
        with self._heads_lock:
            self._heads.pop(session_id, None)

    def _read_head(self: "SessionStore", session_id: str) -> Head | None:
        path = self.path_of(session_id)
        read = self._read(path)
        if read is None:
            return None
        envelope, legacy, mtime, size = read
        history = History.from_state(envelope.get("history"))
        tree = envelope["session"]
        log = read_log(self.log_of(session_id), session_id, self.keys)
        revisions = list(history.revisions)
        applied = 0
        for revision in log.revisions:
            if revision.number <= history.head:
                continue  # written before the checkpoint that now holds it
            if revision.number != history.head + 1:
                break
            try:
                tree = apply_ops(tree, revision.ops)
            except PatchConflict:
                break  # a log that does not fit its checkpoint: keep what fits
            tree = {**tree, "modified": timestamp_to_state(revision.time)}
            revisions.append(revision)
            history = replace(history, head=revision.number)
            applied += 1
        history = replace(history, revisions=revisions)
        version = log_version(mtime, log.mtime_ns if log.mtime_ns else None, log.valid_bytes)
        return Head(tree, history, envelope.get("created_at") or tree.get("created"), version, size,
                    applied, log.valid_bytes, legacy)

    def session_of(self: "SessionStore", session_id: str, tree: dict) -> Session:
        try:
            return Session.from_state({**tree, "id": session_id})
        except SessionFileError:
            raise
        except (AlchemistError, TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
            raise SessionFileError(f"A past state of this session is not valid ({type(error).__name__}).") from None

    # -- committing ------------------------------------------------------------------------
    def commit(self: "SessionStore", session: Session, base: int | None = None,
               expected_version: int | None = None, columns: Sequence[str] | None = None) -> Committed:
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
            self.sweep()  # expired sessions may make room (the sweep takes the lock itself)
            return self._commit(session, base, expected_version, columns)

    def _commit(self: "SessionStore", session: Session, base: int | None, expected_version: int | None,
                columns: Sequence[str] | None) -> Committed:
        new_tree = None if columns else session.to_state()  # the slow part, outside the lock
        with self.lock.held():
            head = self._locked_head(session.id)
            if head is None:
                new_tree = new_tree or session.to_state()
                revision = Revision(1, utc_now(), RevisionKind.CREATE, {}, tree_counts(new_tree), [])
                version = self._checkpoint(session.id, new_tree, History(1, [revision]), 0, new_tree["created"])
                return Committed(version, 1)
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
            if new_tree is None:
                new_tree = _with_columns(reference, session, columns) or session.to_state()
            ops = diff_states(reference, new_tree)
            if merged:
                try:
                    new_tree = apply_ops(head.tree, ops)
                except PatchConflict as conflict:
                    raise conflict_error(conflict) from None
            if not ops:
                return Committed(head.version, head.number)
            kind, summary = describe(ops)
            new_head = self._append(session.id, head, ops, kind, summary, new_tree)
        return Committed(new_head.version, new_head.number,
                         self.session_of(session.id, new_head.tree) if merged else None)

    def _locked_head(self: "SessionStore", session_id: str) -> Head | None:
        """The head, read under the lock the caller holds (so no commit lands in between)."""
        version = self.version(session_id)
        with self._heads_lock:
            cached = self._heads.get(session_id)
        if cached is not None and version is not None and cached.version == version:
            return cached
        head = self._read_head(session_id)
        if head is not None:
            self._remember(session_id, head)
        return head

    def _append(self: "SessionStore", session_id: str, head: Head, ops: list[dict], kind: RevisionKind,
                summary: dict, new_tree: dict) -> Head:
        now = utc_now()
        revision = Revision(head.number + 1, now, kind, summary, tree_counts(new_tree), ops)
        new_tree = {**new_tree, "id": session_id, "modified": timestamp_to_state(now)}
        history = replace(head.history, head=revision.number, revisions=[*head.history.revisions, revision])
        record = encode_record(session_id, revision, self.keys)
        budget = limits.current()
        if (len(record) > MAX_RECORD_BYTES or head.log_records + 1 >= CHECKPOINT_EVERY
                or head.log_bytes + len(record) > max(CHECKPOINT_LOG_MIN_BYTES, head.checkpoint_bytes // 2)
                or head.checkpoint_bytes + head.log_bytes + len(record) > budget.session_bytes):
            self._checkpoint(session_id, new_tree, history, head.version, head.created_at)
            return self._locked_head(session_id)
        if self._total_bytes + len(record) > budget.cache_bytes:
            raise CacheFullError()
        found = append_record(self.log_of(session_id), record, head.log_bytes, head.version)
        self._total_bytes += len(record)
        pkl = stamp(self.path_of(session_id))
        new_head = Head(new_tree, history, head.created_at, log_version(pkl.mtime_ns if pkl else 0, found.mtime_ns, found.size),
                        head.checkpoint_bytes, head.log_records + 1, found.size)
        self._remember(session_id, new_head)
        return new_head

    def _checkpoint(self: "SessionStore", session_id: str, tree: dict, history: History, not_before: int,
                    created_at: str) -> int:
        """Write the session file whole (history pruned to the budget) and drop the log; the new version."""
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
        path, log_path = self.path_of(session_id), self.log_of(session_id)
        old, old_log = stamp(path), stamp(log_path)
        old_size = (old.size if old else 0) + (old_log.size if old_log else 0)
        if self._total_bytes - old_size + len(data) > budget.cache_bytes:
            raise CacheFullError()
        new = write_atomically(path, data, not_before)
        try:
            log_path.unlink(missing_ok=True)  # its records are in the checkpoint now
        except OSError as error:
            raise storage_error("stored", error) from None
        self._total_bytes += new.size - old_size
        head = Head({**tree, "id": session_id}, history, created_at, new.mtime_ns, new.size, 0, 0)
        self._remember(session_id, head)
        return new.mtime_ns

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
