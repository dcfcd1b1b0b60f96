"""What the local folder adds to the BlobStore contract: files on disk, shared by processes."""

from __future__ import annotations

import multiprocessing

from alchemist.store.folder_blobs import FolderBlobs
from tests.store.test_blob_contract import add_by_compare_and_swap


def test_objects_are_files_and_a_write_in_progress_is_not_listed(tmp_path):
    blobs = FolderBlobs(tmp_path)
    blobs.put("sessions/a/checkpoint", b"data")
    assert (tmp_path / "sessions" / "a" / "checkpoint").read_bytes() == b"data"
    (tmp_path / "sessions" / "a" / ".half-written.tmp").write_bytes(b"x")
    assert [info.key for info in blobs.list("sessions/")] == ["sessions/a/checkpoint"]


def test_old_layout_files_are_objects_too(tmp_path):
    """Sessions cached before the store had this interface stay reachable by key."""
    (tmp_path / "sessions").mkdir()
    (tmp_path / "sessions" / "abc.pkl").write_bytes(b"old")
    blobs = FolderBlobs(tmp_path)
    assert blobs.get("sessions/abc.pkl").data == b"old"
    assert [info.key for info in blobs.list("sessions/")] == ["sessions/abc.pkl"]


def _add(root: str, times: int) -> None:
    add_by_compare_and_swap(FolderBlobs(root), times)


def test_no_lost_update_between_processes(tmp_path):
    FolderBlobs(tmp_path).put("counter", b"0")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_add, args=(str(tmp_path), 20)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert FolderBlobs(tmp_path).get("counter").data == b"60"
