"""Worker processes: a worker that dies (the kernel's out-of-memory killer, a crash) stops the build with a clear
message; a spawned worker maps none of its parent's memory."""

import os
from pathlib import Path

import pytest
from spawned_calls import answers, exits_mid_way, fails, killed_by_the_system, mapped_inside_and_after, resident_mib

from digest.errors import BuildError
from digest.forking import can_fork, forked, spawned

pytestmark = pytest.mark.skipif(not can_fork(), reason="runs in this process where fork is missing")
STARTS = pytest.mark.parametrize("start", [forked, spawned], ids=["forked", "spawned"])


@STARTS
def test_a_worker_killed_mid_way_is_a_build_error_that_names_memory(start):
    with pytest.raises(BuildError) as stopped:
        start(killed_by_the_system)()
    assert "(killed_by_the_system) was killed (signal 9: most often the system running out of memory)" in str(stopped.value)
    assert "nothing was written" in str(stopped.value)


@STARTS
def test_a_worker_that_exits_without_a_result_says_its_exit_code(start):
    with pytest.raises(BuildError, match=r"ended with exit code 3 before handing back its result"):
        start(exits_mid_way)()


@STARTS
def test_a_worker_hands_back_its_result_and_its_error(start):
    assert start(answers, 5)() == {"pages": 5}
    with pytest.raises(ValueError, match="no such story"):
        start(fails)()


def test_a_call_that_cannot_be_sent_to_a_spawned_worker_says_why():
    with pytest.raises(Exception, match="pickle"):
        spawned(answers, lambda: 2)()


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads /proc")
def test_a_spawned_worker_does_not_map_what_its_parent_holds():
    held = bytearray(os.urandom(1024)) * (300 * 1024)  # 300 MiB, every page written
    parent = resident_mib()
    assert parent > 300
    assert spawned(resident_mib)() < parent - 250
    assert forked(resident_mib)() > 300  # what a fork maps, for comparison
    del held


def test_while_large_blocks_are_mapped_each_is_its_own_mapping_and_not_after():
    import ctypes

    if not hasattr(ctypes.CDLL(None), "mallinfo2"):
        pytest.skip("needs glibc's mallinfo2")
    # In a new process: how the C library serves a block depends on what its heaps hold already.
    assert spawned(mapped_inside_and_after)() == (True, False)


def test_classifying_pauses_the_collector_and_gives_it_back_as_it_was():
    import gc

    from digest.classify import filing
    from digest.forking import collector_paused

    seen: list[bool] = []
    real = filing._classify_all

    def watched(*args):
        seen.append(gc.isenabled())
        return real(*args)

    was = gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(filing, "_classify_all", watched)
                filing.classify_stories([], None)
            assert gc.isenabled() is enabled
            with pytest.raises(ZeroDivisionError), collector_paused():
                assert not gc.isenabled()
                1 / 0  # noqa: B018
            assert gc.isenabled() is enabled  # after an error too
    finally:
        (gc.enable if was else gc.disable)()
    assert seen == [False, False]


def test_a_build_runs_young_collections_but_no_full_one_and_gives_the_thresholds_back(site):
    import gc

    from digest.pipeline.build import build
    from digest.settings.config import load_config

    collected: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            collected.append(info["generation"])

    before = gc.get_threshold()
    gc.collect()
    gc.callbacks.append(seen)
    try:
        young, middle, _ = before
        gc.set_threshold(young, middle, 1)  # a full collection as often as Python allows: the build must still run none
        build(load_config(site / "digest.yaml"), search=False)
        assert gc.get_threshold() == (young, middle, 1)
    finally:
        gc.callbacks.remove(seen)
        gc.set_threshold(*before)
    assert 0 in collected and 2 not in collected, "young garbage collected, no full collection"


def test_a_streamed_child_hands_over_a_batch_of_pages_in_one_piece():
    """Its pipe holds a whole batch (~1 MB): in 64 KiB pieces, each read waits for this process's main thread to
    give up the interpreter's lock, and the child waits to write meanwhile."""
    import fcntl

    from digest.forking import PIPE_BYTES, Streamed

    if int(Path("/proc/sys/fs/pipe-max-size").read_text()) < PIPE_BYTES:
        pytest.skip("this system allows smaller pipes")
    batch = [b"x" * 14_000] * 50
    streamed = Streamed(lambda: iter([batch, batch]))
    try:
        assert fcntl.fcntl(streamed._receive.fileno(), fcntl.F_GETPIPE_SZ) == PIPE_BYTES
        assert list(streamed.rest()) == [batch, batch]
    finally:
        streamed.stop()
