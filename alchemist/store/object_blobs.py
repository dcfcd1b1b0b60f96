"""An S3-compatible object store (AWS S3, MinIO, Cloudflare R2) as a `BlobStore`, through s3fs.

An object is `<prefix>/<key>` in one bucket. Compare-and-swap uses S3's conditional writes:
`If-None-Match: *` creates only, `If-Match: <ETag>` replaces only the version read; the service
checks and writes in one step, so two replicas never tear or silently overwrite an object.

The version token is the ETag. S3's ETag of a plain upload is the MD5 of its bytes, so writing the
same bytes twice would keep the token, and a sweep could not tell a session re-saved a second ago
from one untouched for a week. Every object therefore starts with a small envelope, `MAGIC` and 16
random bytes, that `get` strips: each write has its own ETag. An object without it (copied in
from a folder by hand) is read as it is.

Delete-if-unchanged sends `If-Match: <ETag>` with the DELETE (AWS S3 and moto honour it) after a
HEAD that checks the same. A server that ignores If-Match on DELETE still gets the HEAD's check:
a write that lands in the one round trip between HEAD and DELETE can then be deleted. The sweep
deletes only what was last written a whole time-to-live ago, and a session is never written by
anyone in that round trip unless it was opened just then, after days untouched; see `describe`.

Failures are bounded: connect and read time-outs, `ATTEMPTS` tries of a call on a connection
failure, and after one failing call every call fails at once for `cooldown` seconds (no retry
storm against a storage that is down, no page waiting on time-outs once per action). Every
failure is a `StorageError` (`ObjectStoreError`, whose `reason` says which kind).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import timezone
from typing import Any, Mapping

from alchemist.errors import StorageError, StorageReason
from alchemist.store.blobs import ABSENT, Blob, BlobInfo, ChangedMeanwhile, check_key, check_prefix

log = logging.getLogger(__name__)

MAGIC = b"\x89ALCOB1\n"
NONCE_BYTES = 16
ENVELOPE = len(MAGIC) + NONCE_BYTES
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 15.0
# One call, all its tries included, never takes longer than this.
CALL_TIMEOUT_S = 40.0
ATTEMPTS = 2
RETRY_PAUSE_S = 0.2
COOLDOWN_S = 5.0

# S3 error codes, by what they mean for us.
_CONFLICT = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
_MISSING = {"NoSuchKey", "404", "NotFound"}
_CREDENTIALS = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
                "403", "AuthorizationHeaderMalformed", "InvalidClientTokenId", "AllAccessDisabled"}
_NO_BUCKET = {"NoSuchBucket"}


class ObjectStoreError(StorageError):
    """The object store failed a call. `reason`: "unreachable", "credentials", "no bucket" or "refused"."""

    def __init__(self, message: str, reason: StorageReason) -> None:
        super().__init__(message, reason)


@dataclass(frozen=True)
class Location:
    bucket: str
    prefix: str  # "" or "a/b/" (always ends with "/")

    def key(self, key: str) -> str:
        return self.prefix + key


def parse_s3_url(url: str) -> Location:
    """s3://bucket[/prefix]; ValueError for anything else."""
    if not url.startswith("s3://"):
        raise ValueError(f"not an s3:// URL: {url!r}")
    bucket, _, prefix = url[len("s3://"):].partition("/")
    prefix = prefix.strip("/")
    if prefix:
        check_key(prefix)  # the same rules as keys: no "..", no empty or hidden segments
    if not bucket:
        raise ValueError("the URL names no bucket")
    return Location(bucket, prefix + "/" if prefix else "")


class ObjectBlobs:
    """Objects in an S3-compatible bucket; see the module docstring.

    `options`: s3fs options (key, secret, token, endpoint_url, region); `cooldown`: how long calls
    fail fast after a failure (COOLDOWN_S when not given).
    """

    def __init__(self, url: str, options: Mapping[str, Any] | None = None, cooldown: float | None = None) -> None:
        import s3fs  # imported here: a laptop with a local folder never loads the S3 stack

        self.url = url.rstrip("/")
        self.where = parse_s3_url(url)
        options = dict(options or {})
        region = options.pop("region", None) or options.pop("region_name", None)
        endpoint = options.pop("endpoint_url", None)
        client_kwargs = dict(options.pop("client_kwargs", {}) or {})
        if region:
            client_kwargs["region_name"] = region
        self.endpoint = endpoint
        self.fs = s3fs.S3FileSystem(
            endpoint_url=endpoint, client_kwargs=client_kwargs, skip_instance_cache=True,
            config_kwargs={"connect_timeout": CONNECT_TIMEOUT_S, "read_timeout": READ_TIMEOUT_S,
                           "retries": {"max_attempts": 1, "mode": "standard"}},
            **options,
        )
        self.cooldown = COOLDOWN_S if cooldown is None else cooldown
        self._down_until = 0.0
        self._down_error: ObjectStoreError | None = None
        self._state = threading.Lock()

    def describe(self) -> str:
        at = f" at {self.endpoint}" if self.endpoint else ""
        return f"the bucket {self.where.bucket}{at}" + (f", under {self.where.prefix}" if self.where.prefix else "")

    # -- the interface -----------------------------------------------------------------------
    def get(self, key: str) -> Blob | None:
        name = self.where.key(check_key(key))

        async def call(s3):
            try:
                answer = await s3.get_object(Bucket=self.where.bucket, Key=name)
            except Exception as error:
                if _code(error) in _MISSING:
                    return None
                raise
            async with answer["Body"] as stream:
                return Blob(await stream.read(), _etag(answer["ETag"]))

        found = self._run("read", call)
        if found is None:
            return None
        return Blob(_open_envelope(found.data), found.version)

    def put(self, key: str, data: bytes, expected: str | None = None) -> str:
        name = self.where.key(check_key(key))
        body = MAGIC + os.urandom(NONCE_BYTES) + bytes(data)
        condition = {} if expected is None else {"IfNoneMatch": "*"} if expected == ABSENT else {"IfMatch": f'"{expected}"'}

        async def call(s3):
            try:
                answer = await s3.put_object(Bucket=self.where.bucket, Key=name, Body=body, **condition)
            except Exception as error:
                if _code(error) in _CONFLICT or (expected not in (None, ABSENT) and _code(error) in _MISSING):
                    # An earlier try (ours, or the HTTP client's own after a dropped connection) may
                    # have written and lost its answer: the nonce in the body tells our write apart.
                    mine = await self._ours(s3, name, body)
                    if mine is not None:
                        return mine
                    raise ChangedMeanwhile(key) from None
                raise
            return _etag(answer["ETag"])

        return self._run("stored", call)

    def delete(self, key: str, expected: str | None = None) -> bool:
        name = self.where.key(check_key(key))

        async def call(s3):
            try:
                head = await s3.head_object(Bucket=self.where.bucket, Key=name)
            except Exception as error:
                if _code(error) in _MISSING:
                    return False
                raise
            if expected is not None and (expected == ABSENT or _etag(head["ETag"]) != expected):
                raise ChangedMeanwhile(key)
            condition = {} if expected is None else {"IfMatch": f'"{expected}"'}
            try:
                await s3.delete_object(Bucket=self.where.bucket, Key=name, **condition)
            except Exception as error:
                if _code(error) in _MISSING:
                    return False
                if _code(error) in _CONFLICT:
                    raise ChangedMeanwhile(key) from None
                raise
            return True

        return self._run("deleted", call)

    def list(self, prefix: str) -> list[BlobInfo]:
        full = self.where.key(check_prefix(prefix))
        skip = len(self.where.prefix)

        async def call(s3):
            found: list[BlobInfo] = []
            token: dict[str, str] = {}
            while True:
                page = await s3.list_objects_v2(Bucket=self.where.bucket, Prefix=full, **token)
                for item in page.get("Contents", []):
                    key = item["Key"][skip:]
                    found.append(BlobInfo(key, _etag(item["ETag"]), max(0, item["Size"] - ENVELOPE),
                                          item["LastModified"].astimezone(timezone.utc)))
                if not page.get("IsTruncated"):
                    return found
                token = {"ContinuationToken": page["NextContinuationToken"]}

        return self._run("read", call)

    # -- below the interface -----------------------------------------------------------------
    async def _ours(self, s3, name: str, body: bytes) -> str | None:
        try:
            answer = await s3.get_object(Bucket=self.where.bucket, Key=name)
            async with answer["Body"] as stream:
                return _etag(answer["ETag"]) if await stream.read() == body else None
        except Exception:
            return None

    def _run(self, action: str, call):
        """Run `call(client)` on s3fs's event loop: bounded tries, and fail fast while storage is down."""
        with self._state:
            if time.monotonic() < self._down_until and self._down_error is not None:
                raise self._down_error
        from fsspec.asyn import sync

        try:
            result = sync(self.fs.loop, self._tries, call, timeout=CALL_TIMEOUT_S)
        except (ChangedMeanwhile, ObjectStoreError):
            raise
        except Exception as error:
            failure = self._failure(action, error)
            if failure.reason in ("unreachable", "credentials"):
                with self._state:
                    self._down_until, self._down_error = time.monotonic() + self.cooldown, failure
            raise failure from error
        with self._state:
            self._down_until, self._down_error = 0.0, None
        return result

    async def _tries(self, call):
        for attempt in range(ATTEMPTS):
            try:
                s3 = await self.fs.set_session()
                return await call(s3)
            except ChangedMeanwhile:
                raise
            except Exception as error:
                if attempt + 1 >= ATTEMPTS or not _transient(error):
                    raise
                await asyncio.sleep(RETRY_PAUSE_S * (attempt + 1))

    def _failure(self, action: str, error: BaseException) -> ObjectStoreError:
        code = _code(error)
        if code in _NO_BUCKET:
            reason, why = "no bucket", "the bucket named in the store URL does not exist"
        elif code in _CREDENTIALS:
            reason, why = "credentials", "the storage refused the credentials (wrong key or secret, or no permission)"
        elif code is None and _no_credentials(error):
            reason, why = "credentials", "no credentials for the storage are set (key and secret)"
        elif _transient(error):
            reason, why = "unreachable", "the storage cannot be reached"
        else:
            reason, why = "refused", f"the storage answered {code or type(error).__name__}"
        # Where and what exactly, for the operator's log only: a visitor of a public app learns
        # neither the bucket nor the endpoint. The cool-down keeps this to one line per failure.
        log.warning("Session storage %s: a %s failed (%s): %r", self.describe(), action, reason, error)
        return ObjectStoreError(f"The session storage cannot be used right now: {why}.", reason)


def _open_envelope(data: bytes) -> bytes:
    return data[ENVELOPE:] if data.startswith(MAGIC) and len(data) >= ENVELOPE else data


def _etag(raw: str) -> str:
    return raw.strip('"')


def _code(error: BaseException) -> str | None:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return str(status) if status else None
    return None


def _no_credentials(error: BaseException) -> bool:
    from botocore.exceptions import NoCredentialsError, PartialCredentialsError

    return isinstance(error, (NoCredentialsError, PartialCredentialsError))


def _transient(error: BaseException) -> bool:
    """A connection failure or time-out: worth one more try, and a sign that storage is down."""
    if _code(error) in ("500", "502", "503", "504", "InternalError", "ServiceUnavailable", "SlowDown"):
        return True
    try:
        from botocore.exceptions import ConnectionError as BotoConnectionError, HTTPClientError
    except ImportError:  # pragma: no cover - botocore comes with s3fs
        return isinstance(error, (OSError, asyncio.TimeoutError))
    return isinstance(error, (BotoConnectionError, HTTPClientError, OSError, asyncio.TimeoutError, TimeoutError))
