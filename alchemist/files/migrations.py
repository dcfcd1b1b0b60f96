"""Session-file format versions, and one migration per version step.

A file states its format version. Reading a file of version n < CURRENT applies the steps
n -> n+1 -> ... -> CURRENT, each a pure function on the plain-data envelope. A file newer than
CURRENT is refused with the version it needs. Fields a version does not know are reported
(in words for the user), never a reason to fail.

The session tree inside has a layout version of its own (STATE_VERSION, written by
alchemist.session); a tree newer than this code reads is refused the same way.

Standard library only: the limited child process checks envelopes with it.

History
  1  pickle (protocol 5) of the plain envelope, nothing around it. Unsigned.
  2  a header (magic, format version, compression, key id, lengths), the same pickled envelope
     (optionally zlib or lzma compressed) and an HMAC-SHA256 over header and payload.
     The envelope and the session tree are unchanged, so 1 -> 2 only restates the version.
     The same envelope can be written as JSON (see alchemist.files.json_tree).
  3  the envelope may carry "history": the session's revisions (small patches), named snapshots
     and daily states (alchemist.history.revisions). A file without it has no history; 2 -> 3
     adds an empty one. The session tree is unchanged.
"""

from __future__ import annotations

from typing import Any, Callable

from alchemist.errors import SessionFileError

SESSION_FORMAT = "alchemist-session"
CURRENT_FORMAT_VERSION = 3
# The layout of the session tree that alchemist.session writes and reads.
STATE_VERSION = 1

ENVELOPE_KEYS = ("format", "format_version", "session", "created_at", "last_accessed", "expires_at", "history")
EMPTY_HISTORY = {"head": 0, "revisions": [], "snapshots": [], "dailies": []}


def _v1_to_v2(envelope: dict) -> dict:
    # Version 2 changed the container (header, signature, compression), not the tree.
    return {**envelope, "format_version": 2}


def _v2_to_v3(envelope: dict) -> dict:
    # Version 3 added the history beside the session: a file from before has none yet.
    return {**envelope, "format_version": 3, "history": envelope.get("history", EMPTY_HISTORY)}


MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2, 2: _v2_to_v3}
assert sorted(MIGRATIONS) == list(range(1, CURRENT_FORMAT_VERSION)), "one migration per version step"


def newer_version_message(version: int) -> str:
    return (
        f"The file has session-file format version {version}; this app reads versions 1 to "
        f"{CURRENT_FORMAT_VERSION}. Update ALchemist to a release that reads format version {version} to open it."
    )


def check_envelope(envelope: Any) -> int:
    """The envelope's format version, after checking its form; raises SessionFileError."""
    if not isinstance(envelope, dict) or envelope.get("format") != SESSION_FORMAT:
        raise SessionFileError("This file was not written by ALchemist: it has no session inside.")
    version = envelope.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SessionFileError("The file does not say which format version it has.")
    if version > CURRENT_FORMAT_VERSION:
        raise SessionFileError(newer_version_message(version))
    if version < 1:
        raise SessionFileError(f"The file claims an unknown format version ({version}).")
    if not isinstance(envelope.get("session"), dict):
        raise SessionFileError("The file holds no session.")
    return version


def migrate(envelope: Any) -> tuple[dict, list[str]]:
    """(the envelope in the current version, notes for the user about what was not understood)."""
    version = check_envelope(envelope)
    while version < CURRENT_FORMAT_VERSION:
        envelope = MIGRATIONS[version](envelope)
        version += 1
        if envelope.get("format_version") != version:
            raise AssertionError(f"migration to {version} did not set the version")
    state = envelope["session"]
    state_version = state.get("state_version")
    if isinstance(state_version, int) and not isinstance(state_version, bool) and state_version > STATE_VERSION:
        raise SessionFileError(
            f"The session in the file has layout version {state_version}; this app reads up to "
            f"{STATE_VERSION}. Open it with a newer ALchemist."
        )
    notes = []
    extra = [k for k in envelope if k not in ENVELOPE_KEYS]
    if extra:
        notes.append("Fields in the file that this version does not know were ignored: " + _names(extra) + ".")
    return envelope, notes


def unknown_state_notes(state: dict, known: set[str]) -> list[str]:
    """A note naming the session fields this version does not know (they are ignored)."""
    extra = [k for k in state if k not in known]
    if not extra:
        return []
    return ["Fields of the session in the file that this version does not know were ignored: " + _names(extra) + "."]


def _names(keys: list[str]) -> str:
    shown = ", ".join(repr(k[:40]) for k in keys[:10])
    return shown + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")
