"""Turning a staging folder (empty, or an earlier site) into the new site, touching only what differs.

A file the new site shares with the published one is a hard link to it; one already linked is left alone, so
an incremental build makes and removes only the files and folders that changed. No file is ever written into:
a file in the staging folder may be a link to a published one, so it is replaced, never changed.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

Link = Callable[[Path, Path], None]


def linker() -> Link:
    """Hard-link a file, or copy it where links cannot be made (another file system, FAT): the first failure
    switches to copying for the rest of the build."""
    can_link = [True]

    def link(source: Path, target: Path) -> None:
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


def files_in(folder: Path, leave_out: Iterable[str] = ()) -> dict[str, os.stat_result]:
    """Every file under ``folder`` (path relative to it, with '/') -> its stat; top-level folders in ``leave_out``
    are not entered. Nothing when the folder is missing."""
    leave_out = set(leave_out)
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        rel_dir = os.path.relpath(dirpath, folder).replace(os.sep, "/")
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in leave_out]
        for name in filenames:
            path = os.path.join(dirpath, name)
            found[name if rel_dir == "." else f"{rel_dir}/{name}"] = os.lstat(path)
    return found


class Mirror:
    """Fills one staging folder: ``put`` or ``carry`` each file of the new site, then ``finish``."""

    def __init__(self, staging: Path, leave_out: Iterable[str] = ()) -> None:
        self.staging = staging
        self.present = files_in(staging, leave_out)
        self.wanted: set[str] = set()
        self.link = linker()
        self._made: set[str] = set()

    def carry(self, rel: str, source: Path) -> None:
        """The file as the published site has it: a link to it (left alone if it is one already)."""
        self.wanted.add(rel)
        had = self.present.get(rel)
        if had is not None:
            now = os.stat(source)
            if (had.st_ino, had.st_dev) == (now.st_ino, now.st_dev):
                return
        self._clear(rel)
        self.link(source, self.staging / rel)

    def put(self, rel: str, data: bytes) -> None:
        self.wanted.add(rel)
        self._clear(rel)
        (self.staging / rel).write_bytes(data)

    def finish(self) -> int:
        """Remove every file that was not put or carried, then the folders left empty. Returns how many."""
        stale = [rel for rel in self.present if rel not in self.wanted]
        for rel in stale:
            os.unlink(self.staging / rel)
        for folder in sorted({rel.rpartition("/")[0] for rel in stale} - {""}, key=len, reverse=True):
            for parent in (folder, *_parents(folder)):
                try:
                    os.rmdir(self.staging / parent)
                except OSError:
                    break  # not empty: neither are the folders above it
        return len(stale)

    def _clear(self, rel: str) -> None:
        """Make room for ``rel``: its folder made, and whatever of the old site is in its place gone (a file, or a
        folder where the new site has a file, or a file where it has a folder)."""
        folder = rel.rpartition("/")[0]
        if folder and folder not in self._made:
            try:
                (self.staging / folder).mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                for parent in (*reversed(_parents(folder)), folder):
                    if os.path.islink(self.staging / parent) or (os.path.lexists(self.staging / parent) and not os.path.isdir(self.staging / parent)):
                        os.unlink(self.staging / parent)
                        self.present.pop(parent, None)
                (self.staging / folder).mkdir(parents=True, exist_ok=True)
            self._made.add(folder)
        if rel in self.present:
            os.unlink(self.staging / rel)
        elif os.path.isdir(self.staging / rel) and not os.path.islink(self.staging / rel):
            shutil.rmtree(self.staging / rel)
            self.present = {old: info for old, info in self.present.items() if not old.startswith(rel + "/")}


def mirror_tree(source: Path, target: Path, written: Iterable[str] = ()) -> None:
    """Make ``target`` hold exactly the files of ``source`` (the cache, the search index), as links, besides those
    ``written`` into it already (left as they are)."""
    mirror = Mirror(target)
    mirror.wanted.update(written)
    if source.is_dir():
        target.mkdir(exist_ok=True)
    for rel in files_in(source):
        if not rel.endswith(".tmp") and rel not in mirror.wanted:
            mirror.carry(rel, source / rel)
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


def _parents(folder: str) -> list[str]:
    parts = folder.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
