"""A worker process that dies (the kernel's out-of-memory killer, a crash) stops the build with a clear message."""

import os
import signal

import pytest

from digest.errors import BuildError
from digest.forking import can_fork, forked

pytestmark = pytest.mark.skipif(not can_fork(), reason="runs in this process where fork is missing")


def _killed_by_the_system():
    os.kill(os.getpid(), signal.SIGKILL)


def _exits_mid_way():
    os._exit(3)


def _answers():
    return {"pages": 2}


def test_a_worker_killed_mid_way_is_a_build_error_that_names_memory():
    with pytest.raises(BuildError) as stopped:
        forked(_killed_by_the_system)()
    assert "(_killed_by_the_system) was killed (signal 9: most often the system running out of memory)" in str(stopped.value)
    assert "nothing was written" in str(stopped.value)


def test_a_worker_that_exits_without_a_result_says_its_exit_code():
    with pytest.raises(BuildError, match=r"ended with exit code 3 before handing back its result"):
        forked(_exits_mid_way)()


def test_a_worker_hands_back_its_result():
    assert forked(_answers)() == {"pages": 2}
