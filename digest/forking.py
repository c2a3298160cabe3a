"""The other cores: part of a stage's work run in a forked process that sees everything computed so far.

The one way digest hands objects to worker processes: as arguments of ``forked``, inherited by the child (nothing
is pickled on the way in, nothing is kept in a module for the child to find). Results come back through a pipe,
numpy arrays as raw buffers (pickle protocol 5). The merge stage uses it to read, index, judge and tell on both
cores, the classify and render stages to share large sites out; each part gives exactly what one pass over
everything would.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import pickle

from digest.errors import BuildError
from digest.processes import die_with_parent


def can_fork() -> bool:
    """Whether a second process can help: two cores or more, and fork (not on Windows or macOS's default)."""
    return (os.cpu_count() or 1) >= 2 and "fork" in mp.get_all_start_methods()


def forked(function, *args):
    """Start ``function(*args)`` in a forked child process and return a call that waits for its result.

    The child sees this process's memory as it is now (nothing is pickled on the way in; only the result comes
    back): the way to use the second core for work that needs everything read so far. Without a second core or
    without fork, the function runs here and now."""
    if not can_fork():
        result = function(*args)
        return lambda: result
    context = mp.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_run_forked, args=(send, os.getpid(), function, args), daemon=True)
    # Objects the garbage collector would walk in either process while the child lives (writing to every page it
    # visits, which makes the kernel copy pages both processes still share): out of its reach until the child ends.
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    child.start()
    send.close()

    def wait():
        try:
            ok, value = _receive(receive)
        except (EOFError, OSError):  # the child died mid-way (OSError: in the middle of sending its result)
            receive.close()
            child.join()
            raise _died(function.__name__, child.exitcode) from None
        finally:
            receive.close()
            child.join()
            if not frozen_before:  # what the caller froze itself stays frozen
                gc.unfreeze()
        if not ok:
            raise value
        return value
    return wait


def _died(task: str, exitcode: int | None) -> BuildError:
    how = "was killed (signal 9: most often the system running out of memory)" if exitcode == -9 else f"ended with exit code {exitcode}"
    return BuildError(f"a worker process ({task}) {how} before handing back its result; nothing was written",
                      hint="free memory or build a smaller site; the previous output is untouched")


def _run_forked(send, parent_pid: int, function, args) -> None:
    die_with_parent(parent_pid)  # a kill -9 of the build must not leave this child running
    gc.disable()  # a short life: nothing to collect that matters, and collecting would copy shared pages
    try:
        result = (True, function(*args))
    except BaseException as error:  # handed back to the parent, which raises it
        result = (False, error)
    buffers: list[pickle.PickleBuffer] = []  # numpy arrays travel as raw bytes, not copied into the pickle
    data = pickle.dumps(result, protocol=5, buffer_callback=buffers.append)
    send.send((data, [memoryview(b).nbytes for b in buffers]))
    for buffer in buffers:
        send.send_bytes(buffer.raw())
    send.close()


def _receive(receive) -> tuple:
    data, sizes = receive.recv()
    buffers = []
    for size in sizes:
        buffer = bytearray(size)  # writable: arrays unpickled from it are ordinary arrays
        if size:
            receive.recv_bytes_into(buffer)
        else:
            receive.recv_bytes()
        buffers.append(buffer)
    return pickle.loads(data, buffers=buffers)
