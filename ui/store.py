"""Where sessions are kept: the store folder, the time to live and the signing keys, from configuration."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import streamlit as st

from alchemist.persistence import DEFAULT_TTL, SessionStore, start_sweeper
from alchemist.files.signing import KeyRing

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _secret(name: str) -> object | None:
    # st.secrets raises when no secrets file exists; a missing file simply means "not set".
    try:
        return st.secrets.get(name)
    except Exception:
        return None


def configured_ttl() -> timedelta:
    """Time to live of cached sessions: ALCHEMIST_SESSION_TTL_DAYS, else secrets' session_ttl_days, else 7 days."""
    for raw in (os.environ.get("ALCHEMIST_SESSION_TTL_DAYS"), _secret("session_ttl_days")):
        if raw in (None, ""):
            continue
        try:
            days = float(raw)
        except (TypeError, ValueError):
            log.warning("Ignoring session time to live %r: not a number of days", raw)
            continue
        if days > 0:
            return timedelta(days=days)
        log.warning("Ignoring session time to live %r: must be positive", raw)
    return DEFAULT_TTL


def cache_dir() -> Path:
    return Path(os.environ.get("ALCHEMIST_CACHE_DIR", PROJECT_DIR / "cache"))


def configured_keys() -> KeyRing | None:
    """Signing keys from secrets (`[session_keys]`, newest by `session_keys_newest` or the greatest id).

    On a shared deployment the disk is wiped on redeploy, so the key must live in secrets;
    without them the store generates a local key in the cache folder.
    """
    mapping = _secret("session_keys")
    if not mapping:
        return None
    newest = _secret("session_keys_newest")
    try:
        return KeyRing.from_mapping(dict(mapping), newest=str(newest) if newest else None)
    except (ValueError, TypeError) as error:
        log.error("Ignoring [session_keys] in secrets: %s", error)
        return None


@st.cache_resource(show_spinner=False)
def _store(root: str, ttl_seconds: float, _keys: KeyRing | None, key_ids: tuple[str, ...]) -> SessionStore:
    # key_ids (not the keys) are part of the cache key, so a changed key ring makes a new store.
    store = SessionStore(root, timedelta(seconds=ttl_seconds), keys=_keys)
    start_sweeper(store)
    return store


def get_store() -> SessionStore:
    """One store per folder and process, shared by all users: it holds files, never anyone's open session."""
    keys = configured_keys()
    return _store(str(cache_dir()), configured_ttl().total_seconds(), keys, keys.key_ids if keys else ())
