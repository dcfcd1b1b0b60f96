"""Exceptions a user can cause. Each message is written for the user, not for a developer."""

from enum import Enum
from typing import Sequence


class AlchemistError(Exception):
    """Base of every error the app shows to a user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class VariableError(AlchemistError):
    """A variable definition is not valid (empty name, min >= max, too few levels, ...)."""


class ExperimentError(AlchemistError):
    """Experiment data cannot be used as given (unknown column, no target, ...)."""


class FileFormatError(AlchemistError):
    """An uploaded table or variable file cannot be read."""


class SessionFileError(AlchemistError):
    """A session file cannot be loaded. Nothing was changed."""


class ModelError(AlchemistError):
    """A model cannot be trained or used on the data at hand."""


class ForeignFileError(SessionFileError):
    """A session file was not signed by this installation: unsigned, or signed with another key.

    Nothing was read from it yet. The user may still choose to load it; it is then decoded in a
    separate, limited process. `reason` is "unsigned", "foreign" (a key id this installation
    does not have) or "mismatch" (a key id we have, but the file was changed after signing);
    `key_id` is the key id the file names, if any.
    """

    def __init__(self, message: str, reason: str, key_id: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.key_id = key_id


class StorageReason(str, Enum):
    """Why the session store could not be used: what the app words for the user."""

    DISK_FULL = "disk full"
    READ_ONLY = "read-only"  # the cache folder cannot be written (read-only, or no permission)
    DISK = "disk"  # another disk failure
    CACHE_FULL = "cache full"  # the cache's byte budget (limits.cache_bytes)
    BUSY = "busy"  # the session kept changing while it was read
    UNREACHABLE = "unreachable"  # object storage: no answer
    CREDENTIALS = "credentials"  # object storage: key or secret refused, or missing
    NO_BUCKET = "no bucket"  # object storage: the bucket of the store URL does not exist
    REFUSED = "refused"  # object storage: any other refusal


class StorageError(AlchemistError):
    """The session store cannot be written or read right now (disk full or read-only, storage unreachable).

    The session the user holds is not lost: the app keeps it in memory and saves it when it can.
    `reason` says which kind of failure, for the app to word.
    """

    def __init__(self, message: str, reason: StorageReason = StorageReason.DISK) -> None:
        super().__init__(message)
        self.reason = StorageReason(reason)


class ConflictError(AlchemistError):
    """A change was made to an older copy of a session that someone else (another tab) changed since.

    Nothing was overwritten; the change can be applied again to the stored session.
    """


class LimitError(AlchemistError):
    """A request would cause more work than a limit of `alchemist.limits` allows; `limit` names it."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


class ChangeKind(str, Enum):
    """Which change of the variables waits for the user's confirmation."""

    EDIT_VARIABLE = "edit_variable"
    DELETE_VARIABLE = "delete_variable"
    IMPORT_VARIABLES = "import_variables"


class ChangeNeedsConfirmation(AlchemistError):
    """A change would make experiments invalid or remove data; the user decides.

    `rows` are the 0-based positions of the experiments it affects, `variable` the variable
    deleted, `dropped` the columns an import of variables removes with their values. The app
    words it (the message here is for logs)."""

    def __init__(self, change: ChangeKind, rows: Sequence[int], variable: str | None = None,
                 dropped: Sequence[str] = ()) -> None:
        super().__init__(f"{change.value} affects {len(rows)} experiment rows and needs confirmation")
        self.change = change
        self.rows = list(rows)
        self.variable = variable
        self.dropped = list(dropped)
