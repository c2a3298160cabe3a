"""Shared fixtures: real sites in tmp_path, the shipped site built once per session, a headless Chromium.

Plain helpers (the CLI runners, paths, the quality-tool checks) are in helpers.py.
"""

from __future__ import annotations

import functools
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import CHROMIUM, CHROMIUM_ARGS, REPO, built_once, copy_shipped_site, invoke, require_browser, run_digest, sitecheck  # noqa: F401 - test_serve.py still imports them from here

pytest_plugins = ("pytester", "ordering", "tiers", "in_memory")  # test_quality; longest first; the stress tier; tmp_path on tmpfs


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the shipped site (digest.yaml + content/) in a fresh folder."""
    return copy_shipped_site(tmp_path / "site")


@pytest.fixture
def empty_site(tmp_path: Path) -> Path:
    """A site folder with an empty content/ and no digest.yaml."""
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    return root


def _compile_default_theme(make_environment, folder: Path) -> None:
    from digest.render import pages

    environment = make_environment([pages.default_theme_dir()], folder)
    for name in environment.list_templates(extensions=["html"]):
        environment.get_template(name)


@pytest.fixture(scope="session", autouse=True)
def compiled_templates_shared(tmp_path_factory) -> Iterator[None]:
    """Builds in the test processes that have no compiled templates of their own yet (a first build, the preview,
    the fuzz file's sites: hundreds) load them from one folder shared by the session, instead of compiling the
    theme again each time (~0.2 s): the preview uses that folder, a first build's empty folder gets a copy of it.
    Jinja checks each entry against its template's source and file, so an edited or a site's own template is
    compiled afresh, as in a build; builds in a subprocess compile as usual. A test of compiling itself calls
    the ``__wrapped__`` original. The folder holds the whole default theme from the start: filled only by the
    builds that used it, a disk build before the first of them compiled the theme for itself (~0.3 CPU-s). It is
    made when a build first asks for it, not at the session's start: the worker whose first module builds nothing
    (the fuzz file's readers) does not wait for the other to compile it (~0.3 s)."""
    from digest.render import pages

    make_environment = pages.make_environment

    @functools.cache
    def folder() -> Path:
        return built_once(tmp_path_factory, "compiled-templates", functools.partial(_compile_default_theme, make_environment))

    @functools.wraps(make_environment)
    def shared(dirs, bytecode_dir=None):
        if bytecode_dir is None:
            return make_environment(dirs, folder())
        if bytecode_dir.parent.is_dir() and not (bytecode_dir.is_dir() and any(bytecode_dir.iterdir())):
            shutil.copytree(folder(), bytecode_dir, dirs_exist_ok=True)
        return make_environment(dirs, bytecode_dir)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pages, "make_environment", shared)
        yield


@contextmanager
def launched_chromium() -> Iterator:
    """A headless Debian Chromium driven by Playwright (never `playwright install`); a skip locally when it is
    missing, a failure with DIGEST_REQUIRE_QUALITY_TOOLS=1."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium per test process, shared by every browser test (starting Playwright's driver and
    Chromium costs ~2 s). Between its calls Playwright's sync API leaves an event loop marked as running on the
    main thread, so asyncio.run() there fails once a browser test has run: run coroutines with
    previewing.run_coroutine (on a thread of their own)."""
    with launched_chromium() as instance:
        yield instance


@pytest.fixture
def browser(chromium):
    """The session's Chromium for one test; the contexts the test opened (and their pages) are closed after it.
    The session's own (``tab``'s) stay open."""
    before = set(chromium.contexts)
    yield chromium
    for context in chromium.contexts:
        if context not in before:
            context.close()


@pytest.fixture(scope="session")
def tab(chromium):
    """``tab(width, scheme, **context options)``: the session's Chromium, one page per kind, reused by every browser
    test of the test process, whatever its module (a new context and its page cost ~0.35 CPU-s, ~0.25 s); each test
    navigates it afresh, which leaves nothing of the test before, and puts back what it changes in place (the
    viewport's size, the emulated colour scheme)."""
    opened: dict[tuple, object] = {}

    def page_for(width: int = 1280, scheme: str = "light", height: int = 900, **options):
        key = (width, scheme, height, *sorted(options.items()))
        if key not in opened or opened[key].is_closed():
            context = chromium.new_context(viewport={"width": width, "height": height}, color_scheme=scheme, **options)
            opened[key] = context.new_page()
        return opened[key]

    yield page_for
    for page in opened.values():
        if not page.is_closed():
            page.context.close()


@pytest.fixture
def fresh_page(tab):
    """A new page of its own for one test, in the session's 1280 px light context (``tab``'s): nothing of another
    test's page (its scripts, listeners, history), for a third of the time a new context and its first load take."""
    page = tab().context.new_page()
    yield page
    if not page.is_closed():
        page.close()


@pytest.fixture(scope="session")
def axe_script() -> Iterator[str]:
    """The URL of axe-core, served over http for the session: pages load it from there, and Chromium keeps it
    compiled from one page to the next (put inline, each page compiled its half megabyte again: ~0.15 s a page)."""
    from helpers import require_axe

    require_axe()
    with sitecheck.serve(sitecheck.AXE_JS.parent, "/axe/") as url:
        yield url + sitecheck.AXE_JS.name


@pytest.fixture(scope="module")
def axe_in_both_schemes(tab, request):
    """``axe_in_both_schemes(url)``: what axe-core finds wrong with the page at ``url`` at 1280 px, as
    {"light": [...], "dark": [...]}. The page is loaded once and checked light, then dark: the browser switches the
    colour scheme in place, as when the reader's system does, and the style sheet's media queries follow (the theme
    has no transition and no script that reads the scheme). Kept for the module, so a test for each scheme loads
    and checks each page once."""
    from helpers import axe_run, axe_violations_on, require_axe

    found: dict[str, dict[str, list[str]]] = {}

    def violations(url: str) -> dict[str, list[str]]:
        if url not in found:
            require_axe()
            page = tab(1280, "light")
            light = axe_violations_on(page, url, request.getfixturevalue("axe_script"))
            page.emulate_media(color_scheme="dark")
            try:
                assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
                found[url] = {"light": light, "dark": axe_run(page)}
            finally:
                page.emulate_media(color_scheme=None)  # the tab is the session's: back to its own scheme
        return found[url]

    return violations


def _build_shipped(base_url: str) -> Callable[[Path], None]:
    def build(workdir: Path) -> None:
        site = copy_shipped_site(workdir / "site")
        invoke("build", "--output", str(workdir / "out"), "--base-url", base_url, cwd=site, check=True)
    return build


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The shipped site built once per session (search included) for a sub-path: https://example.org/digest/. Read only."""
    return built_once(tmp_path_factory, "built-subpath", _build_shipped("https://example.org/digest/")) / "out"


@pytest.fixture(scope="session")
def built_root_site(tmp_path_factory) -> Path:
    """The shipped site built once per session for a domain root: https://example.org/. Read only."""
    return built_once(tmp_path_factory, "built-root", _build_shipped("https://example.org/")) / "out"


@pytest.fixture(scope="session")
def served_site(built_site):
    """built_site served over http under /digest/, as GitHub Pages serves a project site; yields its URL."""
    with sitecheck.serve(built_site, "/digest/") as url:
        yield url


def _list_shipped(workdir: Path) -> None:
    root = copy_shipped_site(workdir / "site")
    for name, *options in (("stories.json", "--json"), ("articles.json", "--articles", "--json")):
        (workdir / name).write_text(invoke("list", *options, cwd=root, check=True).stdout, encoding="utf-8")


@pytest.fixture(scope="session")
def shipped_listing(tmp_path_factory) -> tuple[Path, list[dict], list[dict]]:
    """(site folder, `digest list --json`, `digest list --articles --json`) of a copy of the shipped site. Read only."""
    workdir = built_once(tmp_path_factory, "shipped-listing", _list_shipped)
    listed = [json.loads((workdir / name).read_text(encoding="utf-8")) for name in ("stories.json", "articles.json")]
    return workdir / "site", listed[0], listed[1]
