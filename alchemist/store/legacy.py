"""Sessions cached in the layout from before issue 13: read in place, converted on first open.

A laptop's cache folder may hold `sessions/<id>.pkl` (a signed checkpoint, or an unsigned
version-1 file from before files were signed), `<id>.log` (revision records appended) and
`<id>.seen`. A link to such a session must keep working: the store reads these files through the
same storage interface (they are objects with keys `sessions/<id>.pkl` and so on), and the first
open writes the session in the new layout (created only if absent, so two replicas converting at
once write it once) and then deletes the old files, each only if unchanged since it was read.
Listing the recent sessions reads them without converting. The sweep expires them like the rest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from alchemist.errors import ConflictError, LimitError, StorageError
from alchemist.history.patch import PatchConflict, apply_ops
from alchemist.history.revisions import History
from alchemist.plain import timestamp_to_state
from alchemist.store.blobs import ABSENT, ChangedMeanwhile
from alchemist.store.heads import Head
from alchemist.store.layout import legacy_key
from alchemist.store.revision_log import read_records
from alchemist.store.session_files import read_cached

if TYPE_CHECKING:
    from alchemist.persistence import SessionStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LegacyFiles:
    """The versions of the old-layout objects a head was read from ("" when absent)."""

    pkl: str
    log: str


class Legacy:
    """The old-layout methods of SessionStore (see the module docstring)."""

    def _legacy_version(self: "SessionStore", session_id: str) -> str | None:
        pkl = self.storage.get(legacy_key(session_id, ".pkl"))
        if pkl is None:
            return None
        log_blob = self.storage.get(legacy_key(session_id, ".log"))
        return f"legacy-{pkl.version}-{log_blob.version if log_blob else ''}"

    def _legacy_head(self: "SessionStore", session_id: str, convert: bool = False) -> Head | None:
        """The session of old-layout files (None when there are none); with `convert`, stored in the
        new layout first, and that head returned."""
        keys = self.keys
        pkl = self.storage.get(legacy_key(session_id, ".pkl"))
        if pkl is None:
            return None
        envelope, _v1 = read_cached(pkl.data, keys)
        history = History.from_state(envelope.get("history"))
        tree = envelope["session"]
        log_blob = self.storage.get(legacy_key(session_id, ".log"))
        revisions = list(history.revisions)
        applied = 0
        if log_blob is not None:
            for revision in read_records(log_blob.data, session_id, keys).revisions:
                if revision.number <= history.head:
                    continue  # written before the checkpoint that holds it
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
        files = LegacyFiles(pkl.version, log_blob.version if log_blob else "")
        head = Head(tree, replace(history, revisions=revisions), envelope.get("created_at") or tree.get("created"),
                    f"legacy-{files.pkl}-{files.log}", "", len(pkl.data), applied,
                    len(log_blob.data) if log_blob else 0, {}, None, 0.0, False, files)
        if not convert:
            return head
        return self._convert(session_id, head) or head

    def _convert(self: "SessionStore", session_id: str, head: Head) -> Head | None:
        """Store an old-layout session in the new layout and remove its old files; the new head, or
        None when it could not be written now (it is then served from the old files)."""
        try:
            new = self._checkpoint(session_id, head.tree, head.history, head.created_at, ABSENT)
        except ChangedMeanwhile:
            return self._fresh_head(session_id)  # another replica converted it first
        except (StorageError, ConflictError, LimitError) as error:
            log.warning("Could not convert an old-layout session to the new layout: %s", error)
            return None
        files = head.legacy
        for suffix, version in ((".seen", None), (".log", files.log or None), (".pkl", files.pkl)):
            try:
                self.storage.delete(legacy_key(session_id, suffix), version)
            except (ChangedMeanwhile, StorageError) as error:
                # Harmless: the new layout wins from now on, and the sweep removes what is left.
                log.warning("Could not remove an old-layout file of a converted session: %s", error)
        return new
