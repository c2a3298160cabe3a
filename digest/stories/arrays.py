"""Sorting and grouping integer codes with numpy: the building blocks of the merge stage's array arithmetic.

Codes pack two numbers into one int64 (``article * width + feature``), so that one sort groups by both."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def distinct(values: np.ndarray, counts: bool = False, runs: bool = False):
    """Sorted distinct values (and how often each occurs), by one sort: numpy's hashing unique is slower here.

    ``runs``: the values arrive mostly in order already (codes ``article * width + feature`` of articles in
    order, or a few sorted lists joined): numpy's stable sort, a merge sort, is then several times faster."""
    values = np.sort(values, kind="stable" if runs else None)
    first = np.flatnonzero(np.r_[True, values[1:] != values[:-1]]) if len(values) else np.empty(0, dtype=np.int64)
    if not counts:
        return values[first]
    return values[first], np.diff(np.r_[first, len(values)])


def ranges(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All indices start..end of each range, concatenated, and the range each belongs to."""
    lengths = ends - starts
    which = np.repeat(np.arange(len(starts)), lengths)
    offsets = np.r_[0, np.cumsum(lengths)[:-1]] if len(lengths) else lengths
    return np.arange(int(lengths.sum())) - np.repeat(offsets - starts, lengths), which


def hash_order(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.argsort(hashes)`` (an order that sorts them) and the sorted hashes, several times faster than argsort
    of uint64, which numpy does without its vectorised sort: the position is packed into the low bits of each
    hash, the packed int64 values sorted by the vectorised sort, and the few places where two hashes differ only
    in the bits given up are put right by a stable sort of an almost sorted array."""
    m = len(hashes)
    if m < 2:
        return np.arange(m, dtype=np.int64), hashes.copy()
    bits = np.uint64(int(m - 1).bit_length())
    packed = hashes >> bits
    packed <<= bits
    packed |= np.arange(m, dtype=np.uint64)
    packed ^= np.uint64(1 << 63)  # uint64 order as int64 order
    packed = np.sort(packed.view(np.int64)).view(np.uint64)
    packed &= np.uint64((1 << int(bits)) - 1)
    order = packed.view(np.int64)
    ordered = hashes[order]
    if (ordered[1:] < ordered[:-1]).any():
        fix = np.argsort(ordered, kind="stable")
        order, ordered = order[fix], ordered[fix]
    return order, ordered


def dense_ids(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for non-negative int64 values, by the vectorised sort when each
    value and its position fit in 63 bits together (numpy's unique argsorts, several times slower)."""
    m = len(values)
    bits = int(max(m - 1, 1)).bit_length()
    if m < 2 or int(values.max()).bit_length() + bits > 63:
        return np.unique(values, return_inverse=True)
    packed = np.sort((values << bits) | np.arange(m, dtype=np.int64))
    ordered = packed >> bits
    new = np.r_[True, ordered[1:] != ordered[:-1]]
    ids = np.empty(m, dtype=np.int64)
    ids[packed & ((1 << bits) - 1)] = np.cumsum(new) - 1
    return ordered[new], ids


def first_use(ids: np.ndarray) -> np.ndarray:
    """The distinct ids in order of first occurrence."""
    unique, first = np.unique(ids, return_index=True)
    return unique[np.argsort(first)]


def in_thread(function, *args):
    """Start ``function(*args)`` on a second thread and return a call that waits for its result (or raises its error).

    For array arithmetic only: numpy lets go of the interpreter lock in its sorts, ufuncs and indexing, so two
    threads use two cores, and unlike a forked process (``digest.forking.forked``) a thread maps no second copy of
    this process's memory. On one core the function runs here and now."""
    if (os.cpu_count() or 1) < 2:
        result = function(*args)
        return lambda: result
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-arrays")
    future = pool.submit(function, *args)

    def wait():
        try:
            return future.result()
        finally:  # the thread is gone before anything else happens here (a later fork sees this thread alone)
            pool.shutdown(wait=True)
    return wait
