"""Turning a staging folder (empty, or an earlier site) into the new site, touching only what differs.

A file the new site shares with the published one is a hard link to it; one already linked is left alone, so
an incremental build makes and removes only the files and folders that changed. No file is ever written into:
a file in the staging folder may be a link to a published one, so it is replaced, never changed.
"""

from __future__ import annotations

import errno
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

Link = Callable[[Path | str, Path | str], None]
CacheFiles = Mapping[str, bytes | Callable[[BinaryIO], None] | None]  # file name -> bytes, what writes them, or None


def linker() -> Link:
    """Hard-link a file, or copy it where links cannot be made (another file system, FAT): the first failure
    switches to copying for the rest of the build."""
    can_link = [True]

    def link(source: Path | str, target: Path | str) -> None:
        if can_link[0]:
            try:
                os.link(source, target)
                return
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
                    raise
                can_link[0] = False
        shutil.copy2(source, target)
    return link


def files_in(folder: Path, leave_out: Iterable[str] = (), *, inodes: bool = False) -> dict[str, Any]:
    """Every file under ``folder`` (path relative to it, with '/') -> its stat, or with ``inodes`` its inode number
    as the folder lists it (no system call per file); top-level folders in ``leave_out`` are not entered.
    Nothing when the folder is missing."""
    found: dict[str, Any] = {}
    skip = set(leave_out)
    todo = [(str(folder), "")]
    while todo:  # not os.walk: working out each of a large site's ~10,000 folders' relative path cost more than the walk
        path, prefix = todo.pop()
        try:
            entries = list(os.scandir(path))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if prefix or entry.name not in skip:
                    todo.append((entry.path, prefix + entry.name + "/"))
            else:
                found[prefix + entry.name] = entry.inode() if inodes else entry.stat(follow_symlinks=False)
    return found


class Mirror:
    """Fills one staging folder: ``put`` or ``carry`` each file of the new site, then ``finish``.

    ``known`` (path -> sha256 of each file, the marker and other files not listed aside) says what the folder holds
    when that is known without looking: a spare exactly as it was published (see ``digest.publish.write``). A file
    carried with the hash it is known to have is then left alone without a system call, and the folder is not
    walked, so an incremental build of a large site touches only the files that differ. Without it, the folder is
    walked and a carried file is left alone when it is the very file (inode and device) published."""

    def __init__(self, staging: Path, leave_out: Iterable[str] = (), known: Mapping[str, str] | None = None) -> None:
        self.staging = staging
        self.root = str(staging) + os.sep
        self.known = known
        self.present: dict[str, Any] = files_in(staging, leave_out, inodes=True) if known is None else dict(known)
        self.device = _device(staging)
        self.wanted: set[str] = set()
        self.link = linker()
        self._made: set[str] = set()
        self._known_folders: set[str] | None = None  # the folders ``known`` implies, worked out when first asked

    def carry(self, rel: str, source: Path | str, digest: str | None = None, inode: tuple[int, int] | None = None) -> None:
        """The file as the published site has it (``digest``: its sha256; ``inode``: its inode and device, when
        known without a system call): a link to it, unless the staging folder holds it already."""
        self.wanted.add(rel)
        had = self.present.get(rel)
        if had is not None:
            if self.known is not None:
                if digest is not None and had == digest:
                    return
            else:
                if inode is None:
                    now = os.stat(source)
                    inode = (now.st_ino, now.st_dev)
                if inode == (had, self.device):
                    return
        self._clear(rel)
        self.link(source, self.root + rel)

    def put(self, rel: str, data: bytes) -> None:
        self.wanted.add(rel)
        self._clear(rel)
        with open(self.root + rel, "wb") as file:
            file.write(data)

    def finish(self) -> int:
        """Remove every file that was not put or carried, then the folders left empty. Returns how many."""
        stale = [rel for rel in self.present if rel not in self.wanted]
        for rel in stale:
            try:
                os.unlink(self.root + rel)
            except FileNotFoundError:  # known to be there, but removed meanwhile: as good
                pass
        for folder in sorted({rel.rpartition("/")[0] for rel in stale} - {""}, key=len, reverse=True):
            for parent in (folder, *_parents(folder)):
                try:
                    os.rmdir(self.root + parent)
                except OSError:
                    break  # not empty: neither are the folders above it
        return len(stale)

    def _folders(self) -> set[str]:
        """The folders of the files ``known`` lists (a file put where the spare has a folder replaces it): an edit that puts
        only files the spare has never asks (~11,000 paths' parents at 10,000 articles)."""
        if self._known_folders is None:
            known = self.known or {}
            self._known_folders = {folder for rel in known for folder in (rel.rpartition("/")[0], *_parents(rel.rpartition("/")[0]))}
        return self._known_folders

    def _clear(self, rel: str) -> None:
        """Make room for ``rel``: its folder made, and whatever of the old site is in its place gone (a file, or a
        folder where the new site has a file, or a file where it has a folder)."""
        folder = rel.rpartition("/")[0]
        root = self.root
        if folder and folder not in self._made:
            try:
                os.makedirs(root + folder, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                for parent in (*reversed(_parents(folder)), folder):
                    if os.path.islink(root + parent) or (os.path.lexists(root + parent) and not os.path.isdir(root + parent)):
                        os.unlink(root + parent)
                        self.present.pop(parent, None)
                os.makedirs(root + folder, exist_ok=True)
            self._made.add(folder)
        if rel in self.present:
            try:
                os.unlink(root + rel)
            except FileNotFoundError:
                pass
        elif (rel in self._folders()) if self.known is not None else (os.path.isdir(root + rel) and not os.path.islink(root + rel)):
            shutil.rmtree(root + rel)
            self.present = {old: info for old, info in self.present.items() if not old.startswith(rel + "/")}


def mirror_tree(source: Path, target: Path, written: Iterable[str] = ()) -> None:
    """Make ``target`` hold exactly the files of ``source`` (the cache, the search index), as links, besides those
    ``written`` into it already (left as they are)."""
    if source.is_dir():
        target.mkdir(exist_ok=True)
    mirror = Mirror(target)
    mirror.wanted.update(written)
    device = _device(source)
    for rel, inode in files_in(source, inodes=True).items():  # by the inodes the folders list: one stat per tree, not per file
        if not rel.endswith(".tmp") and rel not in mirror.wanted:
            mirror.carry(rel, source / rel, inode=(inode, device))
    mirror.finish()


def replace_file(path: Path, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Write a file whole (``data``, or what ``data(file)`` writes), never into it: it may be a link to a published one."""
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(data, bytes):
        tmp.write_bytes(data)
    else:
        with open(tmp, "wb") as file:
            data(file)
    os.replace(tmp, path)


def replace_files(cache_dir: Path, files: CacheFiles) -> set[str]:
    """Each file (a cache file: see ``ParseCache.files``) replaced whole (see ``replace_file``; None: removed), in
    order (the session refers to the gather memo's objects). Returns their names."""
    for name, data in files.items():
        if data is None:
            (cache_dir / name).unlink(missing_ok=True)
        else:
            replace_file(cache_dir / name, data)
    return set(files)


@contextmanager
def replaced_meanwhile(cache_dir: Path, files: CacheFiles, then: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Write ``files`` (see ``replace_files``) in a thread while the body runs, and ``then`` call ``then`` there:
    the search indexer is a process of its own, and this one would only wait for it. Its error, if any, is
    raised once the body is done."""
    if not files:
        yield
        return
    failed: list[BaseException] = []

    def write() -> None:
        try:
            replace_files(cache_dir, files)
            then()
        except BaseException as error:  # noqa: BLE001 - handed to the main thread, raised there
            failed.append(error)

    writer = threading.Thread(target=write, name="digest-save-cache")
    writer.start()
    try:
        yield
    finally:
        writer.join()  # before the staging folder is switched in, or removed by a failure
    if failed:
        raise failed[0]


def _device(folder: Path) -> int:
    try:
        return os.stat(folder).st_dev
    except OSError:
        return -1  # missing: it holds no file to compare


def _parents(folder: str) -> list[str]:
    parts = folder.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
