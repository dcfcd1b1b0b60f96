"""What a session says about itself besides its name: a description, an author and tags.

NREL ALchemist keeps these in a session's metadata; an import brings them here, and they travel
with the session (the "details" key of its state: a file without it loads with empty details).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from alchemist.errors import SessionFileError, VariableError

MAX_DESCRIPTION = 2_000
MAX_AUTHOR = 120
MAX_TAGS = 30
MAX_TAG = 60


@dataclass(frozen=True)
class SessionDetails:
    description: str = ""
    author: str = ""
    tags: tuple[str, ...] = ()

    def to_state(self) -> dict:
        return {"description": self.description, "author": self.author, "tags": list(self.tags)}

    @classmethod
    def from_state(cls, state: Any) -> "SessionDetails":
        """The details in a file (None: a file from before details, so empty ones); raises SessionFileError."""
        if state is None:
            return cls()
        if not isinstance(state, dict):
            raise SessionFileError("The session details in the file are not in the expected form.")
        try:
            return details(state.get("description", ""), state.get("author", ""), state.get("tags", []))
        except VariableError as error:
            raise SessionFileError(f"The session details in the file are not valid: {error.message}") from None


def check_description(value: Any) -> str:
    if not isinstance(value, str):
        raise VariableError("A session description must be text.")
    value = value.strip()
    if len(value) > MAX_DESCRIPTION:
        raise VariableError(f"A session description can have at most {MAX_DESCRIPTION:,} characters.")
    return value


def check_author(value: Any) -> str:
    if not isinstance(value, str):
        raise VariableError("An author must be text.")
    value = " ".join(value.split())
    if len(value) > MAX_AUTHOR:
        raise VariableError(f"An author can have at most {MAX_AUTHOR} characters.")
    return value


def check_tags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(t, str) for t in value):
        raise VariableError("Tags must be a list of words.")
    tags = tuple(dict.fromkeys(" ".join(t.split()) for t in value if t.strip()))
    if len(tags) > MAX_TAGS:
        raise VariableError(f"A session can have at most {MAX_TAGS} tags.")
    if any(len(t) > MAX_TAG for t in tags):
        raise VariableError(f"A tag can have at most {MAX_TAG} characters.")
    return tags


def details(description: Any = "", author: Any = "", tags: Sequence[str] | Any = ()) -> SessionDetails:
    """Checked details; raises VariableError naming the field that does not fit."""
    return SessionDetails(check_description(description), check_author(author), check_tags(tags))
