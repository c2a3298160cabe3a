"""How ``digest serve`` ends: on Ctrl+C, at once, whatever it is doing (serving, watching or building).

Python runs signal handlers on the main thread only, and the kernel hands a process's SIGINT to any one of its
threads that does not block it: often to a build that is running, while the main thread sleeps in a wait that
only a signal delivered to itself would wake. Ctrl+C was then ignored until the build ended, or for good. So the
main thread only waits, and the preview's work runs on threads that block SIGINT (and the threads they start
inherit that): the kernel delivers Ctrl+C to the main thread, which stops the rest.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Protocol

STOP_SECONDS = 3.0  # the longest Ctrl+C waits for the server and the watcher to stop in order
WAKE_SECONDS = 1.0  # the main thread's waits wake this often: a SIGINT a thread of another library took is seen


class Stoppable(Protocol):
    @property
    def building(self) -> bool: ...

    def stop(self) -> None: ...


def answer_ctrl_c() -> None:
    """Make Ctrl+C (SIGINT) raise KeyboardInterrupt in the main thread, even if this process was started with SIGINT
    ignored or blocked, as a shell script's background job is (``digest serve &``): it would then outlive the
    script stopped by Ctrl+C, holding its port, and only a kill would end it."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def run_aside(work: Callable[[], object], name: str) -> None:
    """``work()`` on a thread that blocks SIGINT, waited for here (where Ctrl+C interrupts the wait, not the work);
    what it raises is raised here."""
    failed: list[BaseException] = []

    def run() -> None:
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - raised again on the waiting thread
            failed.append(exc)

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(WAKE_SECONDS)
    if failed:
        raise failed[0]


def wait_for_ctrl_c() -> None:
    """Until KeyboardInterrupt."""
    forever = threading.Event()
    while not forever.wait(WAKE_SECONDS):
        pass


def stop_at_once(session: Stoppable) -> None:
    """Stop serving and watching. A build under way is abandoned, not waited for: the preview writes nothing to disk
    and its worker processes end with this one (processes.die_with_parent), while Python's own exit would wait for
    the build's worker pool; and watchdog's observer joins its threads without a time limit."""
    if not session.building:
        stopping = threading.Thread(target=session.stop, name="digest-stop", daemon=True)
        stopping.start()
        stopping.join(STOP_SECONDS)
        if not stopping.is_alive() and not session.building:
            return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
