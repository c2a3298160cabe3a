"""Helper processes die with the process that started them.

A ``kill -9`` of ``digest build`` or ``digest serve`` gives the parent no chance to stop its workers: the parse
pool's workers wait for work on a pipe that they themselves keep open, the merge stage's forked child may run on,
and each holds a copy of the preview server's listening socket (so the port stays taken). Every helper therefore
arranges, as the first thing it does, to end when its parent ends:

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the helper the moment its parent is gone (it
  holds across ``exec``, so a program started this way, such as Pagefind's binary, is covered too: see
  ``dying_with_parent``);
- everywhere else (and on Linux too, in case the parent died before the ``prctl``), a daemon thread that looks
  at ``getppid()`` twice a second and ends the process when the parent has changed.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Sequence

PR_SET_PDEATHSIG = 1
PARENT_POLL_SECONDS = 0.5


def die_with_parent(parent_pid: int | None = None) -> None:
    """Make this (helper) process end when its parent does. ``parent_pid``: the parent as it knew itself before
    starting this process (default: the current parent); if it is already gone, this process ends at once."""
    parent_pid = os.getppid() if parent_pid is None else parent_pid
    _ask_kernel()
    if os.getppid() != parent_pid:  # the parent died before the kernel was asked
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="digest-parent-watch", daemon=True).start()


def helper_pool(workers: int, *, fork: bool = False, initializer=None, initargs: tuple = ()):
    """A ``ProcessPoolExecutor`` whose workers die with this process (``fork``: start them by forking, so they
    see everything this process holds now). ``initializer(*initargs)`` runs in each worker, as usual."""
    import multiprocessing  # here, not at the top: most builds start no pool (~25 ms of start-up)
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork" if fork else None)
    # A forked worker knows its parent's pid; under another start method its parent is a helper process.
    parent = os.getpid() if context.get_start_method() == "fork" else None
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(parent, initializer, initargs))


def _start_worker(parent_pid: int | None, initializer, initargs: tuple) -> None:
    die_with_parent(parent_pid)
    if initializer is not None:
        initializer(*initargs)


def die_with_parent_before_exec() -> None:
    """For ``subprocess``'s ``preexec_fn``: only the kernel's part (a thread would not survive ``exec``)."""
    _ask_kernel()


def dying_with_parent(command: Sequence[str]) -> tuple[list[str], Callable[[], None] | None]:
    """How to start a program that dies with this process: (command, ``preexec_fn`` for ``subprocess``).

    util-linux's ``setpriv --pdeathsig`` asks the kernel on the program's behalf, so ``subprocess`` needs no
    ``preexec_fn``. With one, it must fork this process (a ``preexec_fn`` is Python, run between fork and exec)
    instead of ``vfork``-ing it: copying the page tables of a build that holds ~500 MB costs time, and until the
    child's ``exec`` the process tree has that memory twice. Without ``setpriv``, the ``preexec_fn`` does it."""
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    if setpriv and shutil.which(command[0]):  # a program that cannot run fails in ``subprocess``, as it would unwrapped
        return [setpriv, "--pdeathsig", "KILL", "--", *command], None
    return list(command), die_with_parent_before_exec if os.name == "posix" else None


def _ask_kernel() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the C library is already loaded: no search (safe before exec)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    stop = threading.Event()
    while not stop.wait(PARENT_POLL_SECONDS):
        if os.getppid() != parent_pid:
            os._exit(1)
