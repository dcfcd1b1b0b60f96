"""Where sessions are kept, and the limits in force: read from secrets and the environment.

Sessions go to the local cache folder unless `ALCHEMIST_STORE_URL` (or `store_url` in secrets)
names an object store such as s3://bucket/prefix; its credentials and endpoint come from the
secrets' `[store_options]` table, never from the URL. An object store is shared by replicas and
outlives a Cloud redeploy, so it needs `[session_keys]` in secrets: a key generated on one
replica's disk would be unknown to the others and lost at the next redeploy.

One store per process and location. Every call of `get_store` reads the settings again (cheap),
so new signing keys or a new time to live in secrets take effect in the running store, and the
process's one sweeper always works with that store. A bad setting stops the app with a clear
message: a silent fallback (a local key, a default time to live) would set aside or delete
sessions without anyone knowing why.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping

import streamlit as st

from alchemist import limits
from alchemist.errors import AlchemistError, StorageError
from ui import words
from alchemist.files.signing import KeyRing
from alchemist.store.blobs import BlobStore
from alchemist.store.location import StoreLocationError, check_url, is_object_store, open_storage
from alchemist.persistence import DEFAULT_TTL, MAX_TTL, MIN_TTL, SessionStore, start_sweeper

PROJECT_DIR = Path(__file__).resolve().parent.parent
TTL_ENV = "ALCHEMIST_SESSION_TTL_DAYS"
CACHE_ENV = "ALCHEMIST_CACHE_DIR"
URL_ENV = "ALCHEMIST_STORE_URL"
# How long one check that the storage answers holds for every visitor of this process: the
# start of every page run would otherwise wait on the network.
HEALTH_CHECK_SECONDS = 30.0


class StoreConfigError(AlchemistError):
    """A store setting in secrets or the environment is not valid; the app cannot start with it."""


@dataclass(frozen=True)
class StoreSettings:
    root: Path
    ttl: timedelta
    keys: KeyRing | None  # None: the local key in the cache folder (a laptop)
    url: str | None = None  # an object store's URL; None: the local folder `root`
    # its [store_options]: credentials, so never in a repr or a log line
    options: tuple[tuple[str, Any], ...] = field(default=(), repr=False)

    @property
    def where(self) -> str:
        """The location the process's store is kept for: the folder, or the object store URL with a
        digest of its options (new credentials in secrets make a new connection, without a restart)."""
        if self.url is None:
            return str(self.root.resolve())
        return f"{self.url}#{hashlib.sha256(repr(self.options).encode()).hexdigest()[:16]}"


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


def configured_url(secrets: Mapping[str, Any], environ: Mapping[str, str]) -> str | None:
    """ALCHEMIST_STORE_URL, else secrets' store_url: an object store URL, or None for the local folder."""
    for where, raw in ((URL_ENV, environ.get(URL_ENV)), ("store_url in secrets", secrets.get("store_url"))):
        if raw is None or str(raw).strip() == "":
            continue
        if not isinstance(raw, str):
            raise StoreConfigError(f"{where} must be a text such as s3://bucket/prefix.")
        return raw.strip()
    return None


def configured_options(secrets: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    table = secrets.get("store_options")
    if table is None:
        return ()
    try:
        return tuple(sorted(dict(table).items()))
    except (TypeError, ValueError):
        raise StoreConfigError("[store_options] in secrets must be a table (key, secret, endpoint_url, region).") from None


def store_settings(secrets: Mapping[str, Any], environ: Mapping[str, str]) -> StoreSettings:
    root = Path(environ.get(CACHE_ENV) or PROJECT_DIR / "cache")
    url = configured_url(secrets, environ)
    keys = configured_keys(secrets)
    options = configured_options(secrets)
    if url is not None and not is_object_store(url):
        # a local path as the store URL: that folder, as ALCHEMIST_CACHE_DIR would give
        root, url = Path(url.removeprefix("file://")).expanduser(), None
    if url is not None:
        try:
            check_url(url)
        except StoreLocationError as error:
            raise StoreConfigError(error.message) from None
    if url is not None and keys is None:
        raise StoreConfigError(
            f"The store {url} is shared by every replica of the app and outlives a redeploy, so the keys that "
            "sign sessions must come from secrets: add a [session_keys] table. A key made on one server's disk "
            "would be unknown to the other replicas, and Community Cloud wipes it at every redeploy."
        )
    return StoreSettings(root, configured_ttl(secrets, environ), keys, url, options)


def configured_limits(secrets: Mapping[str, Any], environ: Mapping[str, str]) -> limits.Limits:
    """The operational limits: secrets' [limits] table, overridden by ALCHEMIST_LIMIT_* variables."""
    table = secrets.get("limits")
    return limits.Limits.from_settings(dict(table) if table is not None else None, environ)


_stores: dict[str, SessionStore] = {}
_storages: dict[str, BlobStore] = {}  # the object stores among them, for the health check
_stores_lock = threading.Lock()
_limits_in_force = False


def open_location(settings: StoreSettings) -> Path | BlobStore:
    """The folder, or the object store the settings name (a bad URL or option: StoreConfigError)."""
    if settings.url is None:
        return settings.root.resolve()
    try:
        return open_storage(settings.url, dict(settings.options))
    except StoreLocationError as error:
        raise StoreConfigError(error.message) from None


def store_for(settings: StoreSettings) -> SessionStore:
    """The process's one store for this location, with these keys and time to live in force."""
    root = settings.root.resolve()
    with _stores_lock:
        store = _stores.get(settings.where)
        if store is None:
            keys = settings.keys if settings.keys is not None else _local_ring(root)
            # Kept even when making the store fails (storage down at start): its cool-down then
            # spares the storage a new attempt from every visitor's every page run.
            storage = _storages.get(settings.where) or open_location(settings)
            if not isinstance(storage, Path):
                _storages[settings.where] = storage
            store = SessionStore(storage, settings.ttl, keys=keys)
            _stores[settings.where] = store
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
    with a clear message when a setting (keys, time to live, limits, store URL) is not valid.
    Storage that does not answer does not stop it: the user is told, works on, and the session
    is saved when the storage is back."""
    global _limits_in_force
    secrets = _secrets()
    try:
        if not _limits_in_force:
            limits.configure(configured_limits(secrets, os.environ))
            _limits_in_force = True
        settings = store_settings(secrets, os.environ)
        store = store_for(settings)
    except StorageError as error:  # the object store did not answer while the store was set up
        st.error(f"Sessions can be neither opened nor stored right now: {words.storage_problem(error)} Reload "
                 "this page to try again. A session file saved with Save Session opens once the storage is back.")
        st.stop()
        raise
    except AlchemistError as error:
        st.error(f"ALchemist cannot start with this configuration. {error.message}")
        st.stop()
        raise  # st.stop() raises; this keeps type checkers and bare-Python callers honest
    if settings.url is not None:
        problem = storage_problem(settings.where)
        if problem is not None:
            st.warning(f"Sessions cannot be stored right now: {problem} You can keep working: your session "
                       "stays in this browser tab and is saved when the storage answers again. Download it with "
                       "Save Session to be safe.", icon="⚠️")
    return store


_health: dict[str, tuple[float, str | None]] = {}


def storage_problem(where: str) -> str | None:
    """Why the object store does not answer (None when it does), checked at most every HEALTH_CHECK_SECONDS."""
    now = time.monotonic()
    checked = _health.get(where)
    if checked is not None and now - checked[0] < HEALTH_CHECK_SECONDS:
        return checked[1]
    try:
        _storages[where].get(HEALTH_KEY)
        problem = None
    except StorageError as error:
        problem = words.storage_problem(error)
    _health[where] = (now, problem)
    return problem


# A key no session uses: reading it costs one request and tells whether the storage answers.
HEALTH_KEY = "health-check"
