"""The history requests of a stored session: list revisions and snapshots, view a past state,
restore it, save a snapshot, undo and redo, and store a loaded file with its history.

Every request that changes the session is a new revision (alchemist.store.timeline commits it):
nothing is overwritten, and undoing a restore works like undoing any change. A request that loses
a race with another replica's save is made again on the session as now stored.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from alchemist.errors import ConflictError
from alchemist.store.blobs import ABSENT, ChangedMeanwhile
from alchemist.history.patch import PatchConflict, apply_ops, campaign_ops, diff_states, invert
from alchemist.history.revisions import (
    MAX_LABEL, MAX_SNAPSHOTS, History, Revision, RevisionKind, SavedState, undo_stacks,
)
from alchemist.plain import utc_now
from alchemist.session import Session
from alchemist.store.conflicts import conflict_error
from alchemist.store.timeline import Head, HistoryError, Timeline, tree_counts

if TYPE_CHECKING:
    from alchemist.persistence import SessionStore


class HistoryRequests(Timeline):
    """The history methods of SessionStore (see the module docstring)."""

    def _existing_head(self: "SessionStore", session_id: str) -> Head:
        head = self.head(session_id)
        if head is None:
            raise HistoryError("That session no longer exists.", "missing")
        return head

    def history(self: "SessionStore", session_id: str) -> list[Revision]:
        """The revisions kept, oldest first."""
        return list(self._existing_head(session_id).history.revisions)

    def snapshots(self: "SessionStore", session_id: str) -> list[SavedState]:
        """Named snapshots, oldest first (never pruned)."""
        return list(self._existing_head(session_id).history.snapshots)

    def dailies(self: "SessionStore", session_id: str) -> list[SavedState]:
        return list(self._existing_head(session_id).history.dailies)

    def session_at(self: "SessionStore", session_id: str, number: int) -> Session:
        """The session as it was after revision `number` (read-only: nothing is stored)."""
        head = self._existing_head(session_id)
        return self.session_of(session_id, self._tree_at(head, number))

    def restore(self: "SessionStore", session_id: str, number: int) -> Session:
        """Make the state after revision `number` current again, as a new revision; the session as now stored."""
        def restore_on(head: Head) -> Head:
            tree = self._tree_at(head, number)
            self.session_of(session_id, tree)  # a damaged past state is refused before it is stored
            ops = campaign_ops(diff_states(head.tree, tree))
            labels = [s.label for s in head.history.snapshots if s.number == number]
            summary = {"target": number, **({"label": labels[-1]} if labels else {})}
            return self._append(session_id, head, ops, RevisionKind.RESTORE, summary, apply_ops(head.tree, ops))
        return self.session_of(session_id, self._retrying(session_id, restore_on).tree)

    def snapshot(self: "SessionStore", session_id: str, label: str) -> SavedState:
        """Keep the current state under `label` (never pruned); the snapshot."""
        label = " ".join(str(label).split())[:MAX_LABEL]
        if not label:
            raise HistoryError("A snapshot needs a label.", "label")
        def snapshot_on(head: Head) -> SavedState:
            if len(head.history.snapshots) >= MAX_SNAPSHOTS:
                raise HistoryError(f"A session keeps at most {MAX_SNAPSHOTS} snapshots.", "snapshots")
            saved = SavedState(head.number, utc_now(), label, head.tree)
            history = replace(head.history, snapshots=[*head.history.snapshots, saved])
            if head.legacy is not None:
                raise ChangedMeanwhile(session_id)  # an old-layout session: converted by the read again
            self._checkpoint(session_id, head.tree, history, head.created_at, head.checkpoint_version, head)
            return saved
        return self._retrying(session_id, snapshot_on)

    def undo_targets(self: "SessionStore", session_id: str) -> tuple[Revision | None, Revision | None]:
        """(the revision undo would take back, the revision redo would make again), each None if there is none."""
        head = self.head(session_id)
        if head is None:
            return None, None
        return self._targets(head)

    @staticmethod
    def _targets(head: Head) -> tuple[Revision | None, Revision | None]:
        undo, redo = undo_stacks(head.history.revisions)
        by_number = {r.number: r for r in head.history.revisions}
        return by_number.get(undo[0]) if undo else None, by_number.get(redo[0]) if redo else None

    def undo(self: "SessionStore", session_id: str) -> Session:
        """Take back the last change (as a new revision); the session as now stored."""
        return self._undo_or_redo(session_id, RevisionKind.UNDO)

    def redo(self: "SessionStore", session_id: str) -> Session:
        """Make again the change undo took back last; the session as now stored."""
        return self._undo_or_redo(session_id, RevisionKind.REDO)

    def _undo_or_redo(self: "SessionStore", session_id: str, kind: RevisionKind) -> Session:
        def undo_on(head: Head) -> Head:
            target = self._targets(head)[0 if kind is RevisionKind.UNDO else 1]
            if target is None:
                raise HistoryError(f"There is nothing to {kind.value}.", f"no_{kind.value}")
            ops = campaign_ops(invert(target.ops) if kind is RevisionKind.UNDO else target.ops)
            try:
                tree = apply_ops(head.tree, ops)
            except PatchConflict as conflict:
                raise conflict_error(conflict) from None
            summary = {"target": target.number, "target_kind": target.kind.value, "target_summary": target.summary}
            return self._append(session_id, head, ops, kind, summary, tree)
        return self.session_of(session_id, self._retrying(session_id, undo_on).tree)

    def adopt(self: "SessionStore", session: Session, history: History) -> str:
        """Store a session read from a file together with the history the file carried; its version."""
        tree = session.to_state()
        if not history.revisions and not history.snapshots:
            history = History(1, [Revision(1, utc_now(), RevisionKind.CREATE, {}, tree_counts(tree), [])])
        try:
            if self._fresh_head(session.id) is not None:
                raise ChangedMeanwhile(session.id)
            return self._checkpoint(session.id, tree, history, tree["created"], ABSENT).version
        except ChangedMeanwhile:
            raise ConflictError("A session with this id is already stored.") from None

