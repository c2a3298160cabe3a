"""The order the suite runs in: the modules that take longest first, so that two xdist workers finish together.

xdist (``--dist loadscope --no-loadscope-reorder``) hands out whole modules, in collection order, to a worker
with at most two tests of its last module left. Collected as written, a long module (the Nu and axe checks, the
kill test, the fuzz file) could come last, and one worker would run it while the other idled. Ordered by each
module's whole time, longest first (the longest-processing-time rule), the short modules at the end fill the
gaps. A module's time is what counts, not its longest test's: a module of sixty short tests is a long module.

A module's tests stay together, in their order, on one worker: their module-scoped fixtures (Chromium pages, a
built corpus, the Nu checker's report) are made once. The modules that use the session's Chromium (CHROMIUM_MODULES)
go together too, as one unit of the order and of xdist's scopes: one worker runs them all, and only it starts
Playwright's driver, Chromium and the session's browser contexts (~1.5 CPU-s and ~1 s of its time), and compiles
axe-core. The times are recorded in durations.json by ``pytest
--record-durations`` (each module's tests summed: setup, call and teardown); a module not listed counts as short.
A file of single tests' times (the earlier format) is read as the sum of the tests it lists.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RECORDED = Path(__file__).with_name("durations.json")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--record-durations", action="store_true",
                     help=f"write each test module's time (its tests' setup, call and teardown) to {RECORDED.name}, for the order of the next runs")


# Every module whose tests use conftest's ``chromium`` (through ``browser``, ``tab``, ``fresh_page``, axe): a test
# in test_browser.py fails when one is missing here.
CHROMIUM_MODULES = frozenset(f"tests/test_{name}.py" for name in (
    "browser", "frontpage_browser", "preview_browser", "quality", "redirects", "search_browser", "site_search", "threads"))
CHROMIUM_SCOPE = "tests/the session's Chromium"


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def scope_of(nodeid: str) -> str:
    """The unit a test is handed out with: its module, or all the modules that use Chromium."""
    module = module_of(nodeid)
    return CHROMIUM_SCOPE if module in CHROMIUM_MODULES else module


def recorded() -> dict[str, float]:
    """Module -> seconds, as recorded."""
    try:
        listed = json.loads(RECORDED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    seconds: dict[str, float] = {}
    for nodeid, time in listed.items():
        seconds[module_of(nodeid)] = seconds.get(module_of(nodeid), 0.0) + time
    return seconds


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """--dist loadscope, a module (or the Chromium modules together: scope_of) being the scope whatever its tests'
    ids hold. xdist's own takes the node id up to its last "::", so a parametrized test whose id has "::" in it (an
    IPv6 address: ``test_x[[::1]-...]``) was a scope of its own, sent to the other worker: its module's fixtures
    made twice."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

    return ByModule(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    seconds = recorded()
    scopes: dict[str, float] = {}
    for module, time in seconds.items():
        scopes[scope_of(module)] = scopes.get(scope_of(module), 0.0) + time

    def longest_first(item: pytest.Item) -> tuple[float, str, float, str]:
        module = module_of(item.nodeid)
        scope = scope_of(module)
        return -scopes.get(scope, 0.0), scope, -seconds.get(module, 0.0), module

    items.sort(key=longest_first)  # stable: each module's tests keep their order


class DurationRecorder:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        module = module_of(report.nodeid)
        self.seconds[module] = self.seconds.get(module, 0.0) + report.duration

    def pytest_sessionfinish(self) -> None:
        listed = sorted(((module, round(time, 1)) for module, time in self.seconds.items()), key=lambda pair: -pair[1])
        RECORDED.write_text(json.dumps(dict(listed), indent=0) + "\n", encoding="utf-8")


def pytest_configure(config: pytest.Config) -> None:
    # On the xdist controller (or a run without xdist): it receives every worker's reports.
    if config.getoption("--record-durations") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(DurationRecorder(), "duration-recorder")
