"""Two tiers of tests: the default run, and the stress tier CI adds (``DIGEST_SUITE=full``, set by ``.ci/run``).

A test marked ``@pytest.mark.stress`` repeats at length what a default-tier test already proves (a rebuild killed
at twenty moments where the default tier kills it at four; the preview after thirteen saves where the default
tier makes five). A plain ``pytest`` leaves those out and says how many it left to CI; ``DIGEST_SUITE=full``
runs them too. Never mark the only test of a behaviour: the default tier must prove every behaviour on its own.
"""

from __future__ import annotations

import os

import pytest

FULL = os.environ.get("DIGEST_SUITE") == "full"
LEFT_OUT = "stress_tests_left_out"  # the workers' count, sent to the xdist controller with their output
_LEFT_OUT = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stress: a longer repetition of what a default-tier test proves; runs only with DIGEST_SUITE=full (CI)")
    config.stash[_LEFT_OUT] = 0


@pytest.hookimpl(trylast=True)  # after -k and -m have chosen: count only what this run would have run
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if FULL:
        return
    stress = [item for item in items if item.get_closest_marker("stress")]
    if stress:
        config.hook.pytest_deselected(items=stress)
        items[:] = [item for item in items if not item.get_closest_marker("stress")]
    config.stash[_LEFT_OUT] = len(stress)
    if hasattr(config, "workeroutput"):  # an xdist worker: each collects the whole suite, so any one's count will do
        config.workeroutput[LEFT_OUT] = len(stress)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # on the xdist controller, as each worker ends
    left_out = getattr(node, "workeroutput", {}).get(LEFT_OUT)
    if left_out is not None:
        node.config.stash[_LEFT_OUT] = left_out


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    left_out = config.stash.get(_LEFT_OUT, 0)
    if left_out:
        terminalreporter.write_line(f"{left_out} stress-tier tests left to CI (DIGEST_SUITE=full runs them too)")
