"""The local folder as a `BlobStore`: the default store, and what a laptop user has always had.

An object is a file at `root/<key>` (a key's "/" makes sub-folders). Writes go to a temporary file
and are renamed into place (alchemist.store.disk), so a reader sees the old object or the new one.
Compare-and-swap holds `FolderLock`, which every thread and process on the folder shares; the
version token is the file's mtime, inode and size, and every write moves the mtime forward, so two
writes never share a token even on a file system with coarse timestamps.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from alchemist.store.blobs import ABSENT, Blob, BlobInfo, ChangedMeanwhile, check_key, check_prefix
from alchemist.store.disk import LOCK_FILE, FolderLock, Stamp, stamp, storage_error, write_atomically


def version_token(found: Stamp) -> str:
    return f"{found.mtime_ns:x}-{found.inode:x}-{found.size:x}"


class FolderBlobs:
    """Objects as files under `root`; see the module docstring."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.lock = FolderLock(self.root)

    def describe(self) -> str:
        return f"the folder {self.root}"

    def path_of(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def get(self, key: str) -> Blob | None:
        path = self.path_of(key)
        try:
            with open(path, "rb") as handle:
                st = os.fstat(handle.fileno())
                data = handle.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as error:
            raise storage_error("read", error) from None
        return Blob(data, version_token(Stamp(st.st_mtime_ns, st.st_size, st.st_ino)))

    def put(self, key: str, data: bytes, expected: str | None = None) -> str:
        path = self.path_of(key)
        with self.lock.held():
            current = self._stamp(path)
            self._check(key, current, expected)
            written = write_atomically(path, data, current.mtime_ns if current is not None else 0)
        return version_token(written)

    def delete(self, key: str, expected: str | None = None) -> bool:
        path = self.path_of(key)
        with self.lock.held():
            current = self._stamp(path)
            if current is None:
                return False
            self._check(key, current, expected)
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            except OSError as error:
                raise storage_error("deleted", error) from None
            self._remove_empty_folders(path.parent)
        return True

    def list(self, prefix: str) -> list[BlobInfo]:
        folder = self.root.joinpath(*check_prefix(prefix).split("/")[:-1]) if prefix else self.root
        found: list[BlobInfo] = []
        self._walk(folder, prefix, found)
        return found

    # -- below the interface -----------------------------------------------------------------
    def _walk(self, folder: Path, prefix: str, found: list[BlobInfo]) -> None:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as error:
            raise storage_error("read", error) from None
        for entry in entries:
            if entry.name.startswith(".") or entry.name == LOCK_FILE:
                continue  # temporary files of a write in progress, and the lock
            try:
                if entry.is_dir(follow_symlinks=False):
                    self._walk(Path(entry.path), f"{prefix}{entry.name}/", found)
                    continue
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # deleted while listing
            except OSError as error:
                raise storage_error("read", error) from None
            modified = datetime.fromtimestamp(st.st_mtime_ns / 1e9, timezone.utc)
            found.append(BlobInfo(prefix + entry.name, version_token(Stamp(st.st_mtime_ns, st.st_size, st.st_ino)),
                                  st.st_size, modified))

    @staticmethod
    def _stamp(path: Path) -> Stamp | None:
        try:
            return stamp(path)
        except NotADirectoryError:
            return None
        except OSError as error:
            raise storage_error("read", error) from None

    @staticmethod
    def _check(key: str, current: Stamp | None, expected: str | None) -> None:
        if expected is None:
            return
        if expected == ABSENT:
            if current is not None:
                raise ChangedMeanwhile(key)
        elif current is None or version_token(current) != expected:
            raise ChangedMeanwhile(key)

    def _remove_empty_folders(self, folder: Path) -> None:
        # A swept session leaves no empty folder behind; the root itself always stays.
        root = self.root.resolve()
        while folder.resolve() != root and root in folder.resolve().parents:
            try:
                folder.rmdir()
            except OSError:
                return  # not empty (or already gone): nothing more to tidy
            folder = folder.parent
