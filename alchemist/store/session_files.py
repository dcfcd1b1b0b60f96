"""Session files as bytes: the envelope around a session, reading any file the Load Session picker
takes, and reading the store's own cached checkpoints.

Every .pkl the store writes (cached checkpoints and downloads) is signed with the newest key of
its key ring (see alchemist.files.signing). `read_session_file` is the one way in for every file
the Load Session picker takes (alchemist.files.kinds tells them apart):

  * our own signature: decoded at once, by the restricted decoder (a signature never skips it);
  * unsigned, or signed by another installation: ForeignFileError, naming which; with
    allow_foreign=True it is decoded in a child process with memory, CPU and time limits,
    and the plain data it returns are checked again here;
  * JSON (our JSON session file): parsed strictly, which runs no code, then checked field by
    field like any other file: it loads at once and is reported as origin "json";
  * a JSON session of NREL's ALchemist: mapped to a new session (alchemist.files.nrel), origin
    "alchemist", with notes on what could not be mapped.

A file of an earlier format version is migrated step by step (alchemist.files.migrations); a newer
one is refused with the version it needs. A file that fails to load changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alchemist.errors import AlchemistError, ForeignFileError, SessionFileError
from alchemist.files.child import decode_session_file_in_child
from alchemist.files.container import decode_session_file
from alchemist.files.kinds import FileInfo, inspect_session_file
from alchemist.files.migrations import CURRENT_FORMAT_VERSION, SESSION_FORMAT, migrate, unknown_state_notes
from alchemist.files.nrel import import_alchemist_session
from alchemist.files.nrel_notes import NotMapped
from alchemist.files.signing import KeyRing
from alchemist.files.strict_json import decode_session_json
from alchemist.history.revisions import History
from alchemist.plain import timestamp_from_state, timestamp_to_state
from alchemist.session import Session, new_session_id

log = logging.getLogger(__name__)


def envelope_for(session: Session, last_accessed: datetime, ttl: timedelta) -> dict:
    return {
        "format": SESSION_FORMAT,
        "format_version": CURRENT_FORMAT_VERSION,
        "session": session.to_state(),
        "created_at": timestamp_to_state(session.created),
        "last_accessed": timestamp_to_state(last_accessed),
        "expires_at": timestamp_to_state(last_accessed + ttl),
    }


def session_from_envelope(envelope: dict) -> Session:
    """The session in an envelope of any known format version (migrated first); raises SessionFileError."""
    return session_and_notes(envelope)[0]


def session_and_notes(envelope: dict) -> tuple[Session, list[str]]:
    envelope, notes = migrate(envelope)
    notes += unknown_state_notes(envelope["session"], _known_state_keys())
    try:
        return Session.from_state(envelope["session"]), notes
    except SessionFileError:
        raise
    except AlchemistError as error:
        raise SessionFileError(f"The session in the file is not valid: {error.message}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, ArithmeticError) as error:
        # A value of the wrong kind that a check missed: still a bad file, never a crash of the page.
        log.warning("Session file refused by an unexpected error", exc_info=error)
        raise SessionFileError("The session in the file is not valid (a value has the wrong form).") from None


def history_of(envelope: dict) -> History:
    """The history a file carries (empty when it has none); a damaged one is a bad file."""
    history = History.from_state(envelope.get("history"))
    if history.revisions and history.head != history.revisions[-1].number:
        raise SessionFileError("The history in the file does not end at its session.")
    return history


def _known_state_keys() -> set[str]:
    return set(Session.new().to_state())


def foreign_file_error(info: FileInfo) -> ForeignFileError:
    """The refusal of a file this installation did not sign, in words for the user."""
    trust = " Load it only if you trust where it comes from; it will then be read in a separate, limited process."
    if info.origin == "foreign":
        return ForeignFileError(
            f"This session file was signed by another installation (key id {info.key_id}), not by this one." + trust,
            "foreign", info.key_id,
        )
    if info.origin == "mismatch":
        return ForeignFileError(
            f"This session file's signature does not match its content (key id {info.key_id}): "
            "it was changed after it was saved, or damaged." + trust,
            "mismatch", info.key_id,
        )
    # Any pickle without our header reads as version 1: it may be an old file of ours, or anything else.
    older = " (the format from before files were signed, or not an ALchemist file at all)" if info.kind == "pkl-v1" else ""
    return ForeignFileError(
        f"This session file is unsigned{older}: nothing shows that it was saved by this installation." + trust,
        "unsigned", None,
    )


@dataclass
class LoadedFile:
    """A session read from a file, with where the file came from and what the user should know."""

    session: Session
    origin: str  # "own", "unsigned", "foreign", "mismatch", "json" or "alchemist" (NREL ALchemist import)
    notes: list[str | NotMapped] = field(default_factory=list)  # NotMapped: what an NREL import left out
    info: FileInfo | None = None
    history: History = field(default_factory=History)


def read_session_file(data: bytes, keys: KeyRing, filename: str = "", allow_foreign: bool = False) -> LoadedFile:
    """A session from any file the Load Session picker takes: our .pkl (any format version), our
    JSON, or a session file of NREL's ALchemist; with where the file came from (`origin`) and
    what the user should know (`notes`). The session gets a new id. Writes nothing.

    Raises ForeignFileError (a SessionFileError) for a .pkl this installation did not sign,
    unless allow_foreign; SessionFileError for anything else wrong.
    """
    info = inspect_session_file(data, keys)
    if info.kind == "alchemist":
        session, notes = import_alchemist_session(data)
        return LoadedFile(session, info.origin, notes, info)
    if info.kind == "json":
        envelope = decode_session_json(data)
    elif info.origin == "own":
        envelope = decode_session_file(data)  # the restricted decoder, signature or not
    elif not allow_foreign:
        raise foreign_file_error(info)
    else:
        envelope = decode_session_file_in_child(data)
    session, notes = session_and_notes(envelope)
    history = history_of(envelope)
    session.id = new_session_id()
    if info.kind == "json" and filename.lower().endswith(".pkl") or info.kind != "json" and filename.lower().endswith(".json"):
        notes.append(f"The file is named '{filename[-60:]}' but holds a session in the other format; it was read by its content.")
    return LoadedFile(session, info.origin, notes, info, history)


def read_cached(data: bytes, keys: KeyRing) -> tuple[dict, bool]:
    """(migrated envelope, whether it is a version-1 file to rewrite) of a checkpoint the store
    cached; SessionFileError if it is unreadable or not signed by a key of `keys`."""
    info = inspect_session_file(data, keys)
    if info.origin == "own":
        envelope = decode_session_file(data)
    elif info.kind == "pkl-v1":
        # Written by this app before files were signed: read once in the limited child, then rewritten signed.
        envelope = decode_session_file_in_child(data)
    else:
        raise SessionFileError(foreign_file_error(info).message.split(" Load it only")[0])
    envelope, _notes = migrate(envelope)
    for key in ("created_at", "last_accessed", "expires_at"):
        timestamp_from_state(envelope.get(key))
    return envelope, info.kind == "pkl-v1"
