"""Where the session store keeps its objects: a local folder (the default) or an object store URL.

`open_storage("cache")` or `open_storage("/srv/alchemist")` is the local folder a laptop user has
always had. `open_storage("s3://bucket/prefix", options)` is an S3-compatible bucket (AWS S3,
MinIO, Cloudflare R2); `options` hold the credentials and endpoint, which never go in the URL
(a URL ends up in logs and on screen).

GCS (gs://) and Azure (az://, abfs://) are known to fsspec, but the session store needs
compare-and-swap, which those packages expose in their own ways and which is not built here yet:
such a URL is refused with a clear error rather than opened without the guarantee replicas need.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping

from alchemist.errors import AlchemistError
from alchemist.store.blobs import BlobStore
from alchemist.store.folder_blobs import FolderBlobs

OBJECT_SCHEMES = ("s3",)
NOT_YET = {"gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs", "abfss": "adlfs"}
# S3's bucket naming rules: 3 to 63 lowercase letters, digits, dots and hyphens.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# Options the S3 store takes; anything else is a typo that would otherwise be silently ignored.
S3_OPTIONS = frozenset({"key", "secret", "token", "endpoint_url", "region", "region_name", "profile", "anon",
                        "cooldown"})
MAX_COOLDOWN_S = 300.0


class StoreLocationError(AlchemistError):
    """The store URL or its options cannot be used; the message says what to change."""


def is_object_store(url: str | os.PathLike) -> bool:
    match = _SCHEME.match(str(url))
    return bool(match) and match.group(1).lower() != "file"


def open_storage(url: str | os.PathLike, options: Mapping[str, Any] | None = None) -> BlobStore:
    """The storage at `url`: a folder for a local path (or file://), an object store for s3://."""
    text = os.fspath(url)
    if not isinstance(text, str) or not text.strip():
        raise StoreLocationError("The store URL is empty: leave it unset for the local folder, or give s3://bucket/prefix.")
    match = _SCHEME.match(text)
    if match is None:
        return FolderBlobs(os.path.expanduser(text))
    scheme = match.group(1).lower()
    if scheme == "file":
        return FolderBlobs(text[len("file://"):])
    check_url(text)
    if scheme in NOT_YET:
        raise StoreLocationError(
            f"{scheme}:// stores are not supported yet: ALchemist needs compare-and-swap writes, built so far "
            f"for S3-compatible storage only. Use s3:// (AWS S3, MinIO, Cloudflare R2), or a local folder."
        )
    if scheme not in OBJECT_SCHEMES:
        raise StoreLocationError(f"The store URL scheme {scheme}:// is not supported; use a local folder or s3://bucket/prefix.")
    unknown = sorted(set(options or {}) - S3_OPTIONS)
    if unknown:
        raise StoreLocationError(f"Unknown store options {', '.join(unknown)}; known: {', '.join(sorted(S3_OPTIONS))}.")
    from alchemist.store.object_blobs import ObjectBlobs

    options = dict(options or {})
    cooldown = options.pop("cooldown", None)
    return ObjectBlobs(text, options, cooldown=None if cooldown is None else check_cooldown(cooldown))


def check_cooldown(raw: Any) -> float:
    """Seconds without calls to a storage that just failed: a number from 0 to MAX_COOLDOWN_S."""
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        seconds = float("nan")
    if isinstance(raw, bool) or not 0 <= seconds <= MAX_COOLDOWN_S:
        raise StoreLocationError(f"The store option cooldown must be a number of seconds from 0 to {MAX_COOLDOWN_S:.0f}.")
    return seconds


def check_url(url: str) -> str:
    """`url` if it names a bucket and prefix only: no credentials, query or fragment in it."""
    match = _SCHEME.match(url)
    rest = url[match.end():] if match else url
    authority = rest.split("/", 1)[0]
    if "@" in authority or ":" in authority:
        raise StoreLocationError("The store URL must not hold credentials: put the key and secret in the app's "
                                 "secrets ([store_options]), and give only s3://bucket/prefix.")
    if "?" in rest or "#" in rest:
        raise StoreLocationError("The store URL must be s3://bucket/prefix, without '?' or '#'.")
    if not _BUCKET.fullmatch(authority) or ".." in authority:
        raise StoreLocationError(f"The store URL names no valid bucket ({authority[:70]!r}): use 3 to 63 lowercase "
                                 "letters, digits, dots and hyphens.")
    prefix = rest[len(authority):].strip("/")
    if prefix and (len(prefix.split("/")) > 3 or not all(re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}", part)
                                                          for part in prefix.split("/"))):
        raise StoreLocationError("The store URL's prefix may hold up to 3 folder names of letters, digits, '.', '_' "
                                 "and '-' (no '..', no empty or hidden names).")
    return url
