"""Checks of the values a user or a file gives to the library's settings.

One function per rule, so that the model's, the design's and the suggestions' settings agree
on what a whole number is (not a bool, not 3.0) or a choice is (a key, not any hashable value),
and word a refusal the same way.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Collection, TypeVar

import numpy as np

from alchemist.errors import AlchemistError, ModelError, SessionFileError

T = TypeVar("T")

# numpy's random generators take any non-negative integer, but a session file keeps the seed as
# a plain int and the app lets a user type one: 32 bits is ample and fits every consumer.
SEED_LIMIT = 2**32


def whole_number(value: Any, low: int, high: int, what: str) -> int:
    """`value` as an int when it is an integer (Python or numpy, not bool) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ModelError(f"The {what} must be a whole number from {low} to {high}.")
    return int(value)


def check_seed(value: Any) -> int:
    """A random seed: a whole number from 0 to 2**32 - 1."""
    return whole_number(value, 0, SEED_LIMIT - 1, "random seed")


def one_of(value: Any, choices: Collection[str], what: str) -> str:
    """`value` when it is one of the text keys `choices`; a dict or list is refused, not hashed."""
    if not isinstance(value, str) or value not in choices:
        raise ModelError(f"Unknown {what} '{str(value)[:40]}'. Use one of: {', '.join(choices)}.")
    return value


def settings_from_state(cls: type[T], state: Any, what: str) -> T:
    """A settings dataclass from a file: the fields present in `state`, defaults for the rest;
    anything the class refuses becomes a SessionFileError naming `what`."""
    if not isinstance(state, dict):
        raise SessionFileError(f"The {what} in the file are not a mapping.")
    names = [f.name for f in dataclasses.fields(cls)]
    try:
        return cls(**{name: state[name] for name in names if name in state})
    except ModelError as error:
        raise SessionFileError(f"The {what} in the file are not valid: {error}") from None


def clean_title(name: Any, what: str, limit: int, error: type[AlchemistError]) -> str:
    """A name as the user means it: text, spaces collapsed, not empty, at most `limit` characters.

    `what` is the thing named ("session", "template"); `error` the exception type its owner raises."""
    if not isinstance(name, str):
        raise error(f"A {what} name must be text.")
    name = " ".join(name.split())
    if not name:
        raise error(f"A {what} needs a name.")
    if len(name) > limit:
        raise error(f"A {what} name can have at most {limit} characters.")
    return name
