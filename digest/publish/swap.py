"""Switching a finished site into place in one step, so ``output/`` is never half-built.

A build makes the new site in a staging folder beside the output folder (``.output.digest-new-<pid>``), then
switches it in:

- on Linux (``renameat2(RENAME_EXCHANGE)``) and macOS (``renamex_np(RENAME_SWAP)``) the two folders trade
  places in one atomic step: whatever moment a build is killed at, ``output/`` is the old site or the new one;
- elsewhere (Windows, file systems without the exchange), the old folder is renamed away
  (``.output.digest-old-<pid>``) and the new one renamed in. Killed between those two renames, ``output/`` is
  missing for a moment; the next run puts the old site back before anything else.

The superseded site is kept as the spare, ``.output.digest-spare`` (with a ``.gitignore`` of ``*`` in it, so git
ignores it as it does a venv; kept beside ``output/``, not in it, so that nothing reading ``output/`` finds an old
page there): the next build claims it (one rename, so two builds never share it) and turns it into its own staging folder by changing
only what changed, every unchanged file a hard link to the published one. Making a staging folder from nothing
would create and later remove every one of a large site's folders on each build, which on a busy disk takes
seconds. A staging folder a killed build left becomes the spare, or is removed. Only folders with these names and
digest's marker file in them are ever touched.

Why not make ``output/`` a symbolic link to ``output.<id>/`` and swap the link? A link is one atomic rename on
every POSIX system, but it is a poor thing to hand to the rest of the toolchain: Windows needs extra rights to
make one, ``actions/upload-pages-artifact``, rsync and scp publish or copy the link itself unless told otherwise,
a folder opened in a file manager or ``file://`` shows the versioned name, and every build leaves a visible
``output.<id>/`` next to the site. Exchanging two real folders keeps ``output/`` an ordinary folder for GitHub
Pages, ghp-import, ``digest check``, ``file://`` and any web server pointed at it (one started *inside*
``output/`` keeps serving the superseded copy: serve it from the site folder, e.g. ``--directory output``).
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
from pathlib import Path

from digest.publish.safety import MARKER

NEW = "digest-new"
OLD = "digest-old"
SPARE = "digest-spare"  # the site before the last
SPARE_IGNORE = ".gitignore"  # in the spare
AT_FDCWD = -100
RENAME_EXCHANGE = 2  # linux/fs.h
RENAME_SWAP = 2  # macOS sys/stdio.h


def staging_folder(output: Path, kind: str = NEW) -> Path:
    return output.with_name(f".{output.name}.{kind}-{os.getpid()}")


def claim_staging(output: Path) -> Path:
    """This run's staging folder: the spare, if there is one (the site before the last), else a new empty one."""
    staging, spare = staging_folder(output), spare_folder(output)
    if _ours(spare):
        try:
            os.rename(spare, staging)
        except OSError:  # another build claimed it first
            pass
    return staging


def keep_as_spare(superseded: Path, output: Path) -> bool:
    """Keep the site a switch replaced for the next build to start from (or remove it, if a spare is there).
    Whether it is now the spare."""
    if not superseded.exists():
        return False  # the first build: there was no old site
    spare = spare_folder(output)
    if os.path.lexists(spare):
        remove_tree(superseded)
        return False
    os.rename(superseded, spare)
    (spare / SPARE_IGNORE).write_text("*\n", encoding="utf-8")  # git ignores the whole folder (as a venv does)
    return True


def spare_folder(output: Path) -> Path:
    return output.with_name(f".{output.name}.{SPARE}")


def switch_in(staging: Path, output: Path, exchange: bool = True) -> None:
    """Make ``staging`` the output folder; the old one, if any, ends up at ``staging``."""
    if not output.exists():
        os.rename(staging, output)
        return
    if exchange and _exchange(staging, output):
        return
    old = staging_folder(output, OLD)
    os.rename(output, old)
    os.rename(staging, output)  # a kill before this line: recover() puts the old site back
    os.rename(old, staging)


def recover(output: Path) -> None:
    """Undo a switch a killed run left half done (output missing, the old site renamed away), then make the
    staging and superseded folders of runs that are no longer running the spare, or remove them."""
    leftovers = [path for path in output.parent.glob(f".{output.name}.digest-*-*") if _ours(path) and _ended(path, output)]
    if not output.exists():
        for path in leftovers:
            if path.name.startswith(f".{output.name}.{OLD}-"):
                os.rename(path, output)
                leftovers.remove(path)
                break
    for path in leftovers:
        keep_as_spare(path, output)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _ours(path: Path) -> bool:
    return not path.is_symlink() and (path / MARKER).is_file()


def _ended(path: Path, output: Path) -> bool:
    """Whether ``path`` is the staging or superseded folder of a run that has ended (not a concurrent build's)."""
    kind, _, pid = path.name[len(output.name) + 2:].rpartition("-")
    if kind not in (NEW, OLD) or not pid.isdigit():
        return False
    return int(pid) == os.getpid() or not _running(int(pid))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Atomically trade the names of two folders; False when this system or file system cannot."""
    if not (sys.platform.startswith("linux") or sys.platform == "darwin"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if sys.platform == "darwin":
            result = libc.renamex_np(os.fsencode(a), os.fsencode(b), RENAME_SWAP)
        else:
            result = libc.renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    except (OSError, AttributeError):  # no such function in this C library
        return False
    if result == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # this file system cannot exchange
        return False
    raise OSError(error, os.strerror(error), str(b))
