"""The storage backends every store test runs against.

`blobs` is one empty store per test, for each backend in BACKENDS: the local folder always, and
an S3-protocol server on loopback where the tests can start one (see its fixture)."""

from __future__ import annotations

import pytest

from alchemist.store.folder_blobs import FolderBlobs

BACKENDS = ["folder"]


@pytest.fixture(params=BACKENDS)
def blobs(request, tmp_path):
    if request.param == "folder":
        return FolderBlobs(tmp_path / "store")
    raise AssertionError(f"unknown backend {request.param}")
