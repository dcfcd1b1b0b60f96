"""Where sessions are kept, and the limits in force: read from secrets and the environment.

One store per process and cache folder. Every call of `get_store` reads the settings again (cheap),
so new signing keys or a new time to live in secrets take effect in the running store, and the
process's one sweeper always works with that store. A bad setting stops the app with a clear
message: a silent fallback (a local key, a default time to live) would set aside or delete
sessions without anyone knowing why.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping

import streamlit as st

from alchemist import limits
from alchemist.errors import AlchemistError
from alchemist.files.signing import KeyRing
from alchemist.persistence import DEFAULT_TTL, MAX_TTL, MIN_TTL, SessionStore, start_sweeper

PROJECT_DIR = Path(__file__).resolve().parent.parent
TTL_ENV = "ALCHEMIST_SESSION_TTL_DAYS"
CACHE_ENV = "ALCHEMIST_CACHE_DIR"


class StoreConfigError(AlchemistError):
    """A store setting in secrets or the environment is not valid; the app cannot start with it."""


@dataclass(frozen=True)
class StoreSettings:
    root: Path
    ttl: timedelta
    keys: KeyRing | None  # None: the local key in the cache folder (a laptop)


def configured_ttl(secrets: Mapping[str, Any], environ: Mapping[str, str]) -> timedelta:
    """ALCHEMIST_SESSION_TTL_DAYS, else secrets' session_ttl_days, else 7 days; between 1 hour and 3650 days."""
    for where, raw in ((TTL_ENV, environ.get(TTL_ENV)), ("session_ttl_days in secrets", secrets.get("session_ttl_days"))):
        if raw is None or raw == "":
            continue
        try:
            days = float(raw)
        except (TypeError, ValueError):
            raise StoreConfigError(f"{where} must be a number of days, not {str(raw)[:40]!r}.") from None
        low, high = MIN_TTL / timedelta(days=1), MAX_TTL / timedelta(days=1)
        if isinstance(raw, bool) or not math.isfinite(days) or not low <= days <= high:
            raise StoreConfigError(
                f"{where} is {str(raw)[:40]}: it must be between {low:.4f} days (1 hour) and {high:.0f} days."
            )
        return timedelta(days=days)
    return DEFAULT_TTL


def configured_keys(secrets: Mapping[str, Any]) -> KeyRing | None:
    """Signing keys from secrets (`[session_keys]`, newest by `session_keys_newest` or the greatest id).

    On a shared deployment the disk is wiped on redeploy, so the key must live in secrets;
    without them the store generates a local key in the cache folder.
    """
    mapping, newest = secrets.get("session_keys"), secrets.get("session_keys_newest")
    if mapping is None:
        if newest is not None:
            raise StoreConfigError("session_keys_newest is set in secrets, but [session_keys] is missing.")
        return None
    try:
        return KeyRing.from_mapping(dict(mapping), newest=str(newest) if newest is not None else None)
    except (ValueError, TypeError) as error:
        raise StoreConfigError(f"The signing keys in secrets ([session_keys]) are not valid: {error}.") from None


def store_settings(secrets: Mapping[str, Any], environ: Mapping[str, str]) -> StoreSettings:
    root = Path(environ.get(CACHE_ENV) or PROJECT_DIR / "cache")
    return StoreSettings(root, configured_ttl(secrets, environ), configured_keys(secrets))


def configured_limits(secrets: Mapping[str, Any], environ: Mapping[str, str]) -> limits.Limits:
    """The operational limits: secrets' [limits] table, overridden by ALCHEMIST_LIMIT_* variables."""
    table = secrets.get("limits")
    return limits.Limits.from_settings(dict(table) if table is not None else None, environ)


_stores: dict[Path, SessionStore] = {}
_stores_lock = threading.Lock()
_limits_in_force = False


def store_for(settings: StoreSettings) -> SessionStore:
    """The process's one store for this folder, with these keys and time to live in force."""
    root = settings.root.resolve()
    with _stores_lock:
        store = _stores.get(root)
        if store is None:
            keys = settings.keys if settings.keys is not None else _local_ring(root)
            store = _stores[root] = SessionStore(root, settings.ttl, keys=keys)
            start_sweeper(store)
        keys = settings.keys if settings.keys is not None else _local_ring(root)
        if keys.fingerprint != store.keys.fingerprint or settings.ttl != store.ttl:
            store.configure(keys, settings.ttl)  # secrets changed while the app runs
        return store


_local_rings: dict[Path, KeyRing] = {}


def _local_ring(root: Path) -> KeyRing:
    # Read once: the local key file never changes while the process runs.
    if root not in _local_rings:
        _local_rings[root] = KeyRing.local(root)
    return _local_rings[root]


def _secrets() -> Mapping[str, Any]:
    # st.secrets raises when no secrets file exists; a missing file simply means "nothing set".
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except Exception:
        return {}


def get_store() -> SessionStore:
    """The store, shared by all users: it holds files, never anyone's open session. Stops the app
    with a clear message when a setting (keys, time to live, limits) is not valid."""
    global _limits_in_force
    secrets = _secrets()
    try:
        if not _limits_in_force:
            limits.configure(configured_limits(secrets, os.environ))
            _limits_in_force = True
        return store_for(store_settings(secrets, os.environ))
    except AlchemistError as error:
        st.error(f"ALchemist cannot start with this configuration. {error.message}")
        st.stop()
        raise  # st.stop() raises; this keeps type checkers and bare-Python callers honest
