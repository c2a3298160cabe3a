"""The order the suite runs in: the modules with the longest tests first, so that two xdist workers finish together.

xdist (``--dist loadscope --no-loadscope-reorder``) hands out whole modules, in collection order, to whichever
worker is nearly done with its last. Collected as written, the longest tests (a search test of ~20 s, the kill
test, the preview's saves) could come last, and one worker would run them while the other idled. Ordered longest
first, the short modules at the end fill the gaps.

A module's tests stay together, in their order, on one worker: their module-scoped fixtures (Chromium pages, a
built corpus, the Nu checker's report) are made once. The durations are recorded in durations.json by
``pytest --record-durations``; a test not listed counts as short.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RECORDED = Path(__file__).with_name("durations.json")
LISTED_FROM = 1.0  # seconds: shorter tests are left out of the file (they would not change the order)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--record-durations", action="store_true",
                     help=f"write each test's time (setup, call and teardown) to {RECORDED.name}, for the order of the next runs")


def recorded() -> dict[str, float]:
    try:
        return json.loads(RECORDED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    seconds = recorded()
    longest: dict[Path, float] = {}
    for item in items:
        longest[item.path] = max(longest.get(item.path, 0.0), seconds.get(item.nodeid, 0.0))
    items.sort(key=lambda item: -longest[item.path])  # stable: each module's tests keep their order


class DurationRecorder:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self) -> None:
        listed = sorted(((nodeid, round(time, 1)) for nodeid, time in self.seconds.items() if time >= LISTED_FROM), key=lambda pair: -pair[1])
        RECORDED.write_text(json.dumps(dict(listed), indent=0) + "\n", encoding="utf-8")


def pytest_configure(config: pytest.Config) -> None:
    # On the xdist controller (or a run without xdist): it receives every worker's reports.
    if config.getoption("--record-durations") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(DurationRecorder(), "duration-recorder")
