"""The storage backends every store test runs against.

`blobs` is one empty store per test, for each backend in BACKENDS: the local folder, and an
S3-protocol server (moto's, see tests/store/s3_server.py) on loopback, one fresh bucket per test.
The server is started once per test run and stopped at its end."""

from __future__ import annotations

from typing import Iterator

import pytest

from alchemist.store.folder_blobs import FolderBlobs
from alchemist.store.object_blobs import ObjectBlobs
from tests.store.s3_server import S3Server

BACKENDS = ["folder", "s3"]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    server = S3Server(tmp_path_factory.mktemp("s3-server") / "server.log").start()
    yield server
    server.stop()


@pytest.fixture
def s3_url(s3_server) -> str:
    """A fresh bucket on the test server, as the store URL of an app (with a prefix, as users set it)."""
    return f"s3://{s3_server.new_bucket()}/alchemist"


@pytest.fixture(params=BACKENDS)
def blobs(request, tmp_path):
    if request.param == "folder":
        return FolderBlobs(tmp_path / "store")
    if request.param == "s3":
        server = request.getfixturevalue("s3_server")
        return ObjectBlobs(request.getfixturevalue("s3_url"), server.options())
    raise AssertionError(f"unknown backend {request.param}")
