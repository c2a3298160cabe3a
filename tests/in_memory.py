"""The session's temporary folders (``tmp_path``, ``tmp_path_factory``) in memory, on tmpfs, when there is one.

The suite writes and deletes tens of thousands of small files: sites, builds, caches (and pytest deletes the
folders of older runs at the end of each). On a disk shared with other work, each of those waits on the file
system's journal: the same tests took 37-62 s on the disk and 13-22 s in memory, back to back on the loaded
development machine, with the same CPU time. tmpfs is a real file system all the same (links, renames, the
atomic exchange, permissions). An explicit ``--basetemp`` or ``PYTEST_DEBUG_TEMPROOT`` wins; without
/dev/shm, or with under MIN_FREE bytes free there, the folders stay where pytest puts them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

MEMORY = Path("/dev/shm")
MIN_FREE = 4 << 30  # the whole suite writes ~150 MB a run; pytest keeps the last three runs


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # On the xdist controller, before the workers start: they are given folders under its base folder.
    if config.option.basetemp or "PYTEST_DEBUG_TEMPROOT" in os.environ or hasattr(config, "workerinput"):
        return
    if MEMORY.is_dir() and os.access(MEMORY, os.W_OK) and shutil.disk_usage(MEMORY).free >= MIN_FREE:
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(MEMORY)  # the root pytest makes its pytest-of-USER/pytest-N in
