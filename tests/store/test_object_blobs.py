"""What the S3 store adds to the BlobStore contract: its envelope, its prefix, its URL, and its failures."""

from __future__ import annotations

import pytest

from alchemist.errors import StorageError
from alchemist.store.blobs import ABSENT, ChangedMeanwhile
from alchemist.store.location import StoreLocationError, open_storage
from alchemist.store.folder_blobs import FolderBlobs
from alchemist.store.object_blobs import MAGIC, ObjectBlobs, ObjectStoreError, parse_s3_url
from tests.store.s3_server import CuttableProxy, S3Server


def test_objects_live_under_the_prefix_in_an_envelope(s3_server, s3_url):
    blobs = ObjectBlobs(s3_url, s3_server.options())
    version = blobs.put("sessions/a/checkpoint", b"payload")
    bucket = parse_s3_url(s3_url).bucket
    client = s3_server.client()
    stored = client.get_object(Bucket=bucket, Key="alchemist/sessions/a/checkpoint")
    body = stored["Body"].read()
    assert body.startswith(MAGIC) and body.endswith(b"payload") and stored["ETag"].strip('"') == version
    # an object outside the prefix is not the store's; one copied in by hand (no envelope) reads as it is
    client.put_object(Bucket=bucket, Key="elsewhere/x", Body=b"not ours")
    client.put_object(Bucket=bucket, Key="alchemist/sessions/b/checkpoint", Body=b"copied in")
    assert {info.key for info in blobs.list("")} == {"sessions/a/checkpoint", "sessions/b/checkpoint"}
    copied = blobs.get("sessions/b/checkpoint")
    assert copied.data == b"copied in"
    blobs.put("sessions/b/checkpoint", b"replaced", expected=copied.version)
    assert blobs.get("sessions/b/checkpoint").data == b"replaced"


def test_a_stale_conditional_delete_is_refused_by_the_server_itself(s3_server, s3_url):
    """The DELETE carries If-Match: even with the HEAD check passed, a changed object stays."""
    blobs = ObjectBlobs(s3_url, s3_server.options())
    first = blobs.put("k", b"1")
    blobs.put("k", b"2", expected=first)
    client = s3_server.client()
    with pytest.raises(client.exceptions.ClientError, match="PreconditionFailed"):
        client.delete_object(Bucket=parse_s3_url(s3_url).bucket, Key="alchemist/k", IfMatch=f'"{first}"')
    with pytest.raises(ChangedMeanwhile):
        blobs.delete("k", expected=first)
    assert blobs.get("k").data == b"2"
    with pytest.raises(ChangedMeanwhile):
        blobs.delete("k", expected=ABSENT)


def test_a_missing_bucket_is_a_storage_error(s3_server):
    blobs = ObjectBlobs("s3://no-such-bucket-here/x", s3_server.options())
    with pytest.raises(StorageError, match="bucket named in the store URL does not exist") as raised:
        blobs.put("k", b"1")
    assert raised.value.reason == "no bucket"
    with pytest.raises(ObjectStoreError):
        blobs.list("")


def test_unreachable_storage_fails_fast_then_comes_back(s3_server, s3_url):
    proxy = CuttableProxy(s3_server.port).start()
    blobs = ObjectBlobs(s3_url, s3_server.options(proxy.endpoint), cooldown=3600)
    version = blobs.put("k", b"before")
    proxy.cut()
    with pytest.raises(StorageError, match="cannot be reached") as raised:
        blobs.put("k", b"during", expected=version)
    assert raised.value.reason == "unreachable"
    proxy.restore()
    # Within the cool-down the store does not even try: no retry storm against storage that was down.
    with pytest.raises(StorageError, match="cannot be reached"):
        blobs.get("k")
    blobs.cooldown = 0
    blobs._down_until = 0.0  # the cool-down is over
    assert blobs.get("k").data == b"before"
    assert blobs.put("k", b"after", expected=version)
    proxy.cut()


def test_nothing_listening_is_a_storage_error(s3_server, s3_url):
    proxy = CuttableProxy(s3_server.port).start()
    proxy.cut()  # a port on which nothing listens
    blobs = ObjectBlobs(s3_url, s3_server.options(proxy.endpoint))
    for call in (lambda: blobs.get("k"), lambda: blobs.list("sessions/"), lambda: blobs.delete("k")):
        with pytest.raises(StorageError):
            call()


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    # moto checks credentials only when told to: then the test keys belong to no user.
    server = S3Server(tmp_path_factory.mktemp("strict") / "server.log", env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    yield server.start()
    server.stop()


def test_wrong_credentials_are_a_storage_error(strict_server):
    blobs = ObjectBlobs("s3://some-bucket/x", {**strict_server.options(), "key": "wrong", "secret": "wrong"})
    with pytest.raises(StorageError, match="refused the credentials") as raised:
        blobs.get("k")
    assert raised.value.reason == "credentials"


def test_open_storage_by_url(tmp_path, s3_server, s3_url):
    assert isinstance(open_storage(tmp_path / "cache"), FolderBlobs)
    assert isinstance(open_storage(str(tmp_path)), FolderBlobs)
    assert isinstance(open_storage(f"file://{tmp_path}"), FolderBlobs)
    store = open_storage(s3_url, s3_server.options())
    assert isinstance(store, ObjectBlobs) and "alchemist/" in store.describe()
    store.put("k", b"1", expected=ABSENT)
    assert store.get("k").data == b"1"


@pytest.mark.parametrize("url, says", [
    ("s3://AKIA:secret@bucket/prefix", "credentials"),
    ("s3://user@bucket/prefix", "credentials"),
    ("s3://bucket/prefix?versionId=1", "without"),
    ("s3://Bad_Bucket/x", "valid bucket"),
    ("s3:///prefix", "valid bucket"),
    ("s3://bucket/../up", "prefix"),
    ("s3://bucket/a//b", "prefix"),
    ("ftp://host/x", "not supported"),
    ("http://host/x", "not supported"),
    ("gs://bucket/x", "not supported yet"),
    ("abfs://container/x", "not supported yet"),
    ("", "empty"),
])
def test_bad_urls_are_refused_with_a_clear_error(url, says):
    with pytest.raises(StoreLocationError, match=says):
        open_storage(url, {})


def test_unknown_options_are_refused():
    with pytest.raises(StoreLocationError, match="endpoint"):
        open_storage("s3://bucket/x", {"endpoint": "http://typo"})


@pytest.mark.parametrize("cooldown", [-1, 301, "soon", True, float("nan")])
def test_the_cooldown_option_is_bounded(cooldown):
    with pytest.raises(StoreLocationError, match="cooldown"):
        open_storage("s3://bucket/x", {"cooldown": cooldown})


def test_the_cooldown_option_is_taken():
    assert open_storage("s3://bucket/x", {"cooldown": 0}).cooldown == 0
    assert open_storage("s3://bucket/x", {"cooldown": "12"}).cooldown == 12


@pytest.mark.parametrize("first_write", [True, False])
def test_a_write_whose_answer_was_lost_is_known_as_ours_on_the_retry(s3_server, s3_url, first_write):
    """The PUT is done but its answer lost: the retry meets its own write (412), and takes it as done."""
    proxy = CuttableProxy(s3_server.port).start()
    blobs = ObjectBlobs(s3_url, s3_server.options(proxy.endpoint))
    expected = ABSENT if first_write else blobs.put("k", b"before")
    proxy.drop_next_answer()
    version = blobs.put("k", b"mine", expected=expected)
    assert blobs.get("k") == type(blobs.get("k"))(b"mine", version)
    # and someone else's write in its place is still a conflict
    with pytest.raises(ChangedMeanwhile):
        blobs.put("k", b"late", expected=expected)
    proxy.cut()
