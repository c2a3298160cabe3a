"""What the suite writes for itself, kept in memory (tmpfs) when there is one: the session's temporary folders
(``tmp_path``, ``tmp_path_factory``), every other program's temporary files (``TMPDIR``), and Python's compiled
bytecode when the environment says not to write it.

Temporary folders: the suite writes and deletes tens of thousands of small files (sites, builds, caches), and
pytest deletes the folders of older runs at the end of each. On a disk shared with other work each of those waits
on the file system's journal: the same tests took 37-62 s on the disk and 13-22 s in memory, back to back on the
loaded development machine, with the same CPU time. tmpfs is a real file system all the same (links, renames,
the atomic exchange, permissions). An explicit ``--basetemp`` or ``PYTEST_DEBUG_TEMPROOT`` wins.

Other temporary files: what the tests' processes make with ``tempfile`` or under ``TMPDIR`` (``digest deploy``'s
staging clone, git's, Chromium's profiles, Java's) goes to a folder of the suite's own in memory, not to /tmp on
the disk: removing one deploy's staging clone (~150 folders) took 0.25 s on the busy disk. A ``TMPDIR`` already
set wins.

Bytecode: with ``PYTHONDONTWRITEBYTECODE`` set (as in some containers), every test process compiles the test
modules and their assertion rewriting afresh (~2 CPU-s a worker) and every ``python -m digest`` the whole
package. Then the suite keeps bytecode out of the source tree, as that setting intends, in a folder of its own
(``PYTHONPYCACHEPREFIX``), for the workers and the processes the tests start. A ``PYTHONPYCACHEPREFIX`` already
set wins.

All three are decided on the xdist controller (or the one process of ``-n 0``) before the workers start: they inherit
its environment and are given folders under its base folder.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

MEMORY = Path("/dev/shm")
MIN_FREE = 4 << 30  # the whole suite writes ~150 MB a run; pytest keeps the last three runs


def memory() -> Path | None:
    """/dev/shm when it is there, writable, and has room to spare."""
    if MEMORY.is_dir() and os.access(MEMORY, os.W_OK) and shutil.disk_usage(MEMORY).free >= MIN_FREE:
        return MEMORY
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    in_memory = memory()
    if in_memory and not config.option.basetemp and "PYTEST_DEBUG_TEMPROOT" not in os.environ:
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(in_memory)  # the root pytest makes its pytest-of-USER/pytest-N in
    if in_memory and "TMPDIR" not in os.environ:
        others = in_memory / f"digest-tmp-{os.getuid()}"
        others.mkdir(mode=0o700, exist_ok=True)
        os.environ["TMPDIR"] = str(others)
        tempfile.tempdir = None  # this process too: gettempdir() reads TMPDIR again
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and "PYTHONPYCACHEPREFIX" not in os.environ:
        prefix = (in_memory or Path(tempfile.gettempdir())) / f"digest-pycache-{os.getuid()}"
        os.environ["PYTHONPYCACHEPREFIX"] = sys.pycache_prefix = str(prefix)
        del os.environ["PYTHONDONTWRITEBYTECODE"]
        sys.dont_write_bytecode = False  # this process too (with -n 0 it collects the test modules)
