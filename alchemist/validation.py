"""Checks of the whole numbers a user or a file gives to the library's settings.

One function per rule, so that the model's, the design's and the suggestions' settings agree
on what a whole number is (not a bool, not 3.0) and word a refusal the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from alchemist.errors import ModelError

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
