"""The work one request may cause: every operational limit, with its default, in one place.

A shared deployment serves strangers from one process, so a limit on *bytes* is not enough: a
small file can ask for gigabytes of work. Each limit here bounds the *work* (rows x dimensions of
a model, cells of a sheet, keys of a file, children at once), and is checked before that work
starts, at import, at load and at save alike, so that nothing is accepted now and refused later.

An operator may change any of them without touching code:

* environment: ``ALCHEMIST_LIMIT_<FIELD NAME IN CAPITALS>=<number>``, e.g.
  ``ALCHEMIST_LIMIT_EXACT_GP_POINTS=3000``;
* Streamlit secrets: a ``[limits]`` table with the field names as keys.

The environment wins over secrets. The app reads both once at startup and calls
:func:`configure`; library code reads the limits in force with :func:`current`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import threading
from dataclasses import dataclass
from typing import Any, Mapping

from alchemist.errors import AlchemistError

ENV_PREFIX = "ALCHEMIST_LIMIT_"
GIB = 1024**3
MIB = 1024**2


class LimitsConfigError(AlchemistError):
    """An operator's limit setting is not valid (not a number, out of its allowed range)."""


@dataclass(frozen=True)
class Limits:
    """Operational limits. Each field documents what it bounds and why its default is what it is."""

    # Experiments an exact Gaussian process is fitted on. Its memory and time grow as n^2 and n^3:
    # 2,000 points take ~32 MB per covariance matrix. Above it, the model uses a subset (documented
    # on the Model page).
    exact_gp_points: int = 2_000
    # Rows of one session's experiment table (measured, pending and invalid alike).
    max_experiments: int = 100_000
    # Encoded dimensions of the model's input: one per numeric variable plus one per categorical level.
    max_encoded_dims: int = 200
    # Cells (rows x columns) of an uploaded table or sheet, counted before it is materialised, and
    # of a session's experiment table. 100,000 experiments x 30 columns.
    max_table_cells: int = 3_000_000
    # Columns of an uploaded table.
    max_table_columns: int = 1_000
    # Records x keys of an imported file (e.g. an NREL ALchemist session), counted before a frame is built.
    max_file_items: int = 5_000_000
    # Child processes decoding foreign session files at once, in the whole server process.
    max_children: int = 2
    # Memory one operation (a fit, a prediction batch, a decode in a child) may use.
    memory_per_operation_bytes: int = 1 * GIB
    # Wall-clock budget of one model fit before it stops with the best hyperparameters found so far.
    fit_seconds: float = 60.0
    # Bytes one session's cache file may take on disk.
    session_bytes: int = 64 * MIB
    # Bytes all cached sessions together may take; beyond it, new sessions are refused with a message.
    cache_bytes: int = 4 * GIB
    # Days an unreadable file stays in quarantine before the sweep removes it.
    quarantine_days: float = 30.0

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            low, high = _RANGES[item.name]
            is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not is_number or not math.isfinite(value) or not low <= value <= high:
                raise LimitsConfigError(
                    f"The limit {item.name} must be a number from {low:g} to {high:g}, not {value!r}."
                )
            if item.type == "int" and not float(value).is_integer():
                raise LimitsConfigError(f"The limit {item.name} must be a whole number, not {value!r}.")
            object.__setattr__(self, item.name, int(value) if item.type == "int" else float(value))

    @classmethod
    def from_settings(cls, secrets: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> "Limits":
        """Defaults, overridden by a secrets mapping, overridden by ``ALCHEMIST_LIMIT_*`` variables."""
        environ = os.environ if environ is None else environ
        names = {item.name for item in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in (secrets or {}).items():
            if key not in names:
                raise LimitsConfigError(f"Unknown limit '{key}' in secrets. Known limits: {', '.join(sorted(names))}.")
            values[key] = _number(raw, key)
        for key, raw in environ.items():
            if not key.startswith(ENV_PREFIX):
                continue
            name = key[len(ENV_PREFIX):].lower()
            if name not in names:
                raise LimitsConfigError(f"Unknown limit in {key}. Known limits: {', '.join(sorted(names))}.")
            values[name] = _number(raw, key)
        return cls(**values)


# What an operator may set each limit to: wide enough for a large server, narrow enough that a typo
# (an extra zero, a negative sign) is refused at startup instead of silently taking the server down.
_RANGES: dict[str, tuple[float, float]] = {
    "exact_gp_points": (10, 20_000),
    "max_experiments": (10, 10_000_000),
    "max_encoded_dims": (1, 10_000),
    # Kept below the session-file decoder's node bound (alchemist.files.bounds.MAX_NODES, 5M values)
    # with room for the rest of a session: a table the limits admit can always be saved and loaded.
    "max_table_cells": (100, 4_000_000),
    "max_table_columns": (2, 100_000),
    "max_file_items": (100, 500_000_000),
    "max_children": (1, 64),
    "memory_per_operation_bytes": (64 * MIB, 256 * GIB),
    "fit_seconds": (1.0, 24 * 3600.0),
    "session_bytes": (1 * MIB, 16 * GIB),
    "cache_bytes": (16 * MIB, 16 * 1024 * GIB),
    "quarantine_days": (0.01, 3650.0),
}


def _number(raw: Any, where: str) -> float:
    if isinstance(raw, bool):
        raise LimitsConfigError(f"The limit {where} must be a number, not {raw!r}.")
    if isinstance(raw, (int, float)):
        return raw
    try:
        text = str(raw).strip().replace("_", "")
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    except ValueError:
        raise LimitsConfigError(f"The limit {where} must be a number, not {str(raw)[:40]!r}.") from None


_lock = threading.Lock()
_current = Limits()


def current() -> Limits:
    """The limits in force in this process."""
    return _current


def configure(limits: Limits) -> None:
    """Put `limits` in force for the whole process (the app calls this once at startup)."""
    global _current
    if not isinstance(limits, Limits):
        raise TypeError("configure() takes a Limits")
    with _lock:
        _current = limits
