"""What test_forking.py's workers run, in a module that imports only the standard library: a spawned worker imports
the module of the function it is given, and a test module's import brings pytest with it (~0.1 CPU-s a spawn)."""

import os
import signal
from pathlib import Path


def killed_by_the_system():
    os.kill(os.getpid(), signal.SIGKILL)


def exits_mid_way():
    os._exit(3)


def answers(pages=2):
    return {"pages": pages}


def fails():
    raise ValueError("no such story")


def resident_mib() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20


def mapped_bytes() -> int:
    """Bytes the C library has mapped on their own for large blocks (glibc's ``mallinfo2().hblkhd``)."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in
                    ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

    mallinfo2 = ctypes.CDLL(None).mallinfo2
    mallinfo2.restype = MallInfo2
    return mallinfo2().hblkhd


def block_mapped(size: int) -> bool:
    before = mapped_bytes()
    block = bytearray(size)
    mapped = mapped_bytes() - before >= size
    del block
    return mapped


def mapped_inside_and_after() -> tuple[bool, bool]:
    from digest.forking import large_blocks_mapped

    raised = bytearray(16 * 2**20)  # a mapped block freed raises the C library's bar to its size (its default)
    del raised
    with large_blocks_mapped():
        inside = block_mapped(8 * 2**20)  # under that bar: from the heap, but for large_blocks_mapped
    return inside, block_mapped(8 * 2**20)
