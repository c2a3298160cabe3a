"""The other cores: part of a stage's work run in a forked process that sees everything computed so far.

The one way digest hands objects to worker processes: as arguments of ``forked``, inherited by the child (nothing
is pickled on the way in, nothing is kept in a module for the child to find). Results come back through a pipe,
numpy arrays as raw buffers (pickle protocol 5). The merge stage uses it to read, index, judge and tell on both
cores; each part gives exactly what one pass over everything would. ``spawned`` is the other way: a new Python
process that maps none of this one's memory and is sent its arguments (the classify stage, which needs only the
stories' text of a process that by then holds the parse results and the merge's tables).
``streamed`` hands results back one at a time while the child works (the render stage: each batch of pages is
written while the next is rendered, so no process holds a whole site's pages).
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing as mp
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection

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
    child, receive, frozen_before = _start(_run_forked, function, args)

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


def spawned(function, *args):
    """Start ``function(*args)`` in a new Python process and return a call that waits for its result.

    Unlike ``forked``'s child, this one maps none of this process's memory: a forked child's resident set counts
    every page its parent holds (at 10,000 articles the classify stage's parent holds ~530 MB, so the process tree
    counted them twice), a spawned one only what it makes and is sent. ``function`` (by name: the child imports its
    module) and its arguments are pickled straight into the pipe to the child by a thread, while this process goes
    on with its own work (no copy of the whole pickle is made), and the child's start-up (~0.2 CPU-s of imports)
    runs meanwhile on the other core. Without a second core, the function runs here and now."""
    if (os.cpu_count() or 1) < 2:
        result = function(*args)
        return lambda: result
    child_reads, to_child = os.pipe()
    parent_reads, from_child = os.pipe()
    _widen(to_child)  # the call (~20 MB for half the stories of 10,000 articles) in 1 MiB writes, not 64 KiB (see ``_widen``)
    _widen(from_child)
    child = subprocess.Popen([sys.executable, "-c", _SPAWNED_MAIN, str(os.getpid()), str(child_reads), str(from_child), *sys.path],
                             pass_fds=(child_reads, from_child), stdin=subprocess.DEVNULL)
    os.close(child_reads)
    os.close(from_child)
    receive = Connection(parent_reads, writable=False)
    unsent: list[BaseException] = []  # what stopped the thread from pickling the call (raised by ``wait``)
    writer = threading.Thread(target=_hand_over, args=(to_child, (function, args), unsent), name="digest-spawn", daemon=True)
    writer.start()

    def wait():
        try:
            ok, value = _receive(receive)
        except (EOFError, OSError):  # the child died before handing back its result
            ok, value = False, None
        finally:
            receive.close()
            writer.join()
            exitcode = child.wait()
        if unsent:  # the child could not have been given its work
            raise unsent[0]
        if not ok:
            raise value or _died(function.__name__, exitcode)
        return value
    return wait


# The spawned child: ``python -c`` this, its parent's pid, the two ends of its pipes and its parent's ``sys.path`` (so
# that it imports what its parent would, a test module or a source checkout included).
_SPAWNED_MAIN = "import sys; sys.path[:] = sys.argv[4:]; from digest.forking import _serve_spawned; _serve_spawned(*map(int, sys.argv[1:4]))"


def _hand_over(writes: int, call: tuple, unsent: list[BaseException]) -> None:
    try:
        with open(writes, "wb") as pipe:
            pickle.dump(call, pipe, protocol=pickle.HIGHEST_PROTOCOL)
    except BrokenPipeError:
        pass  # the child is gone: waiting for its result says so
    except BaseException as error:  # noqa: BLE001 - something that cannot be pickled: the child is told by the pipe's end
        unsent.append(error)


def _serve_spawned(parent_pid: int, reads: int, writes: int) -> None:
    die_with_parent(parent_pid)
    send = Connection(writes, readable=False)
    try:
        with open(reads, "rb") as pipe:
            function, args = pickle.load(pipe)
        gc.freeze()  # the arguments live as long as the process: no collection need walk them
        gc.disable()  # nor what it makes (a short life, like a forked worker's: ~0.1 CPU-s of a classify worker)
        result = (True, function(*args))
    except BaseException as error:  # handed back to the parent, which raises it
        result = (False, error)
    _send(send, result)
    send.close()
    os._exit(0)  # nothing to tidy: the result is handed over


def give_back_memory() -> None:
    """Return the memory freed so far to the system. glibc's allocator keeps freed chunks for reuse, often the
    size of what a stage just let go of (~300 MB after a cold build's merge at 10,000 articles); handed back, a
    forked child does not map them and later stages have room. A no-op where the C library has no ``malloc_trim``."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection in this block: for work that makes ~10^6 objects, nearly all kept, and no garbage worth
    a pass. Each of Python's full collections walks every object the process holds, and they come as the heap grows
    (a cold build's classify stage at 10,000 articles triggered five, 1 CPU-s, finding nothing)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@contextmanager
def full_collections_paused() -> Iterator[None]:
    """Young collections as usual in this block, but no full one: for a stage that makes many objects that live on
    (articles, pages) and garbage that dies young. Once ``gc.freeze`` has moved the gathered digest out of the
    collector's sight, Python runs a full collection every ten or so young ones (it weighs what survived against
    what is left unfrozen, which is little): a cold build at 10,000 articles ran 3 in its graph stage (0.38 s) and 3
    in its render (0.2 s), each walking everything made since, for nothing to free."""
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, 1 << 30)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, full)


@contextmanager
def large_blocks_mapped() -> Iterator[None]:
    """While in this block, the C library maps each block of 128 KiB or more on its own and unmaps it when freed.

    By default it raises that bar (up to 32 MiB) as large blocks are freed, and blocks below it come from its heaps.
    The parse stage receives the workers' results in such blocks (pickled, then unpickled into the articles every
    later stage keeps): from the heap, each freed block leaves a hole between articles that the process holds to
    the end, and that a forked render worker maps again. Afterwards the bar is set to the default's ceiling, where
    the merge's arrays come from the heaps as they would. A no-op where the C library has no ``mallopt``."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        yield
        return
    mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    try:
        yield
    finally:
        mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)


_M_MMAP_THRESHOLD = -3  # glibc's malloc.h


class Turns:
    """Hands out 0, 1, ... ``count - 1``, each once, to this process and the children it forks after making it:
    both take the next piece of work when done with one, so neither waits for a share the other was given."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._next = mp.get_context("fork").Value("q", 0) if can_fork() else None  # in memory the children share
        self._here = 0

    def __iter__(self) -> Iterator[int]:
        while True:
            if self._next is None:
                taken, self._here = self._here, self._here + 1
            else:
                with self._next.get_lock():
                    taken = self._next.value
                    self._next.value = taken + 1
            if taken >= self.count:
                return
            yield taken


def _start(target, function, args):
    """A forked child running ``target(send, parent_pid, function, args)``: (the process, the receiving end,
    whether the garbage collector was frozen before)."""
    give_back_memory()  # what the child would otherwise map, and count, as its own
    context = mp.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    _widen(receive)
    child = context.Process(target=target, args=(send, os.getpid(), function, args), daemon=True)
    # Objects the garbage collector would walk in either process while the child lives (writing to every page it
    # visits, which makes the kernel copy pages both processes still share): out of its reach until the child ends.
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    child.start()
    send.close()
    return child, receive, frozen_before


def _widen(pipe: Connection | int) -> None:
    """The pipe's buffer at 1 MiB (Linux's most, unprivileged), not 64 KiB: a batch of rendered pages (~1 MB) goes
    through in one piece. In 64 KiB pieces each read (or write, by a thread here) waited for this process's main
    thread to give up the interpreter's lock (every 5 ms) while the child waited: at 10,000 articles the render
    worker made 55 of 220 batches, this process 165, and a spawned classify worker's stories (20 MB) took 1.35 s to
    hand over where pickling them takes 0.43."""
    try:
        import fcntl

        fcntl.fcntl(pipe if isinstance(pipe, int) else pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):  # not Linux, or a lower limit: the default size
        pass


PIPE_BYTES = 1 << 20


class Streamed:
    """The items a forked child's ``function(*args)`` yields, handed back one at a time while it works.

    A thread here receives them into a queue of at most ``ahead`` items: the child works on while this process
    is busy with the items before, but never more than ``ahead`` items in front of it (the pipe holds the next),
    so memory stays bounded however many items there are. Without fork, nothing runs in the background: the
    items are made when ``rest`` asks for them."""

    def __init__(self, function: Callable[..., Iterable], *args, ahead: int = 4) -> None:
        self.name = function.__name__
        self._local: Iterator | None = None
        if not can_fork():
            self._local = iter(function(*args))
            return
        self._messages: queue.Queue = queue.Queue(maxsize=ahead)
        self._child, self._receive, self._frozen_before = _start(_stream_forked, function, args)
        self._stopped = False
        self._thread = threading.Thread(target=self._pump, name="digest-stream", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        while True:
            try:
                tag, value = _receive(self._receive)
            except (EOFError, OSError):  # the child died mid-way, or was stopped
                tag, value = _DIED, None
            self._messages.put((tag, value))
            if tag != _ITEM:
                return

    def ready(self) -> Iterator:
        """The items received so far, without waiting; the child's error (or death) is raised at once."""
        while self._local is None and not self._stopped:
            try:
                tag, value = self._messages.get_nowait()
            except queue.Empty:
                return
            if tag == _END:
                self._messages.put((tag, value))  # for ``rest`` to see
                return
            yield self._item(tag, value)

    def rest(self) -> Iterator:
        """Every item not yet handed out, waiting for each, up to the child's end."""
        if self._local is not None:
            yield from self._local
            return
        try:
            while (message := self._messages.get())[0] != _END:
                yield self._item(*message)
        finally:
            self.stop()

    def _item(self, tag: str, value):
        if tag == _ITEM:
            return value
        self.stop()
        if tag == _ERROR:
            raise value
        raise _died(self.name, self._child.exitcode)

    def stop(self) -> None:
        """End the child if it still works, and wait for it: called however the caller's loop ends."""
        if self._local is not None or self._stopped:
            return
        self._stopped = True
        if self._child.exitcode is None:
            self._child.kill()  # its work is not wanted any more (or it is done, and this changes nothing)
        self._child.join()
        # The receiving thread may wait for room in the queue, with more items still in the pipe (up to its 64 KiB
        # of small ones): take each as soon as it is put, not one per pause, or stopping takes seconds.
        while self._thread.is_alive():
            try:
                self._messages.get(timeout=0.01)
            except queue.Empty:
                pass
        self._receive.close()
        if not self._frozen_before:  # what the caller froze itself stays frozen
            gc.unfreeze()


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
    _send(send, result)
    send.close()


_ITEM, _END, _ERROR, _DIED = "item", "end", "error", "died"  # what a streamed child sends, and what its death reads as


def _stream_forked(send, parent_pid: int, function, args) -> None:
    """The child of ``Streamed``: each item as soon as it is made, then the end (or the error that stopped it).
    The garbage collector runs as usual: what the parent froze before the fork is out of its reach, so it visits
    only this child's own objects (a long render makes garbage that must not pile up)."""
    die_with_parent(parent_pid)
    try:
        for item in function(*args):
            _send(send, (_ITEM, item))
        _send(send, (_END, None))
    except BaseException as error:  # handed back to the parent, which raises it
        _send(send, (_ERROR, error))
    send.close()


def _send(send, result) -> None:
    buffers: list[pickle.PickleBuffer] = []  # numpy arrays travel as raw bytes, not copied into the pickle
    data = pickle.dumps(result, protocol=5, buffer_callback=buffers.append)
    send.send((data, [memoryview(b).nbytes for b in buffers]))
    for buffer in buffers:
        send.send_bytes(buffer.raw())


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
