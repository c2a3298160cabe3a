"""A reader's journey through the built site in headless Debian Chromium (Playwright, never `playwright install`).

Every step follows a real link on the page, on the site served under a sub-path like a GitHub Pages project
site; search is Pagefind over http. Also: the front page from file://, and pages with JavaScript off.
Chromium missing: skipped locally, a failure with DIGEST_REQUIRE_QUALITY_TOOLS=1 (CI).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from helpers import sitecheck

pytestmark = pytest.mark.browser


@pytest.fixture
def page(tab):
    """The session's 1280 px page (each test navigates it afresh), recording console errors, uncaught exceptions and
    failed requests while the test runs: its listeners are taken off after it (a new page costs ~0.1 CPU-s)."""
    page = tab()
    page.problems = []
    listeners = {
        "console": lambda m: m.type == "error" and page.problems.append(f"console error: {m.text} [{m.location.get('url')}]"),
        "pageerror": lambda e: page.problems.append(f"uncaught exception: {e}"),
        # net::ERR_ABORTED is Chromium cancelling a load because the page navigated on (a click before the favicon
        # arrived): not the site's doing. A missing file shows as a 4xx response below.
        "requestfailed": lambda r: r.failure != "net::ERR_ABORTED" and page.problems.append(f"request failed: {r.url} ({r.failure})"),
        "response": lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"),
    }
    for event, listener in listeners.items():
        page.on(event, listener)
    yield page
    for event, listener in listeners.items():
        page.remove_listener(event, listener)


def visible_links(page, folder: str) -> list[tuple[object, str]]:
    """Visible links whose resolved address is a page in ``folder`` (``stories``, ``sections``...)."""
    found = page.evaluate(
        """(pattern) => [...document.querySelectorAll('a[href]')]
            .map((a, i) => [i, a.href, a.checkVisibility()])
            .filter(([i, href, visible]) => visible && new RegExp(pattern).test(new URL(href).pathname))
            .map(([i, href]) => [i, href])""",
        rf"/{folder}/[^/]+/(index\.html)?$")
    links = page.locator("a[href]")
    return [(links.nth(i), href) for i, href in found]


def follow(page, folder: str, avoid: set[str] = frozenset()) -> str:
    """Click the first visible link to a ``folder`` page not in ``avoid``; check where it lands. Returns its path."""
    for link, href in visible_links(page, folder):  # noqa: B007 - the link found is clicked after the loop
        path = urlsplit(href).path
        if path not in avoid:
            break
    else:
        raise AssertionError(f"{page.url} has no visible link to a {folder}/ page" + (f" other than {sorted(avoid)}" if avoid else ""))
    with page.expect_navigation() as navigation:
        link.click()
    response = navigation.value
    assert response is not None and response.status == 200, f"{href} answered {response and response.status}"
    assert urlsplit(page.url).path == path, f"clicked a link to {path}, landed on {page.url}"
    heading = page.locator("h1")
    assert heading.count() == 1 and heading.first.inner_text().strip(), f"{page.url} has no single non-empty <h1>"
    return path


def test_front_page_section_story_entity_another_story(page, served_site):
    response = page.goto(served_site)
    assert response.status == 200
    follow(page, "sections")
    first_story = follow(page, "stories")
    follow(page, "entities")
    second_story = follow(page, "stories", avoid={first_story})
    assert second_story != first_story
    assert not page.problems, "\n".join(page.problems)


def test_search_finds_the_sabah_story(page, served_site):
    response = page.goto(served_site + "search/")
    assert response is not None and response.status == 200, "the site has no search page at search/"
    box = page.locator("input[type=search], input[type=text], [role=searchbox]").first
    box.wait_for(state="visible", timeout=10_000)
    box.click()
    box.press_sequentially("Salleh", delay=30)
    # The results come ~0.5 s after the last key (the page waits for typing to pause, then searches): checked at every
    # frame, not at the locator's retries (0.1, 0.25, 0.5, then every 1 s).
    page.wait_for_function("""[...document.querySelectorAll("#search-results a[href*='stories/']")]
        .some(a => a.textContent.toLowerCase().includes('salleh'))""", polling="raf", timeout=15_000)
    result = page.locator("#search-results a[href*='stories/']", has_text="Salleh").first  # the story's headline
    result.wait_for(state="visible", timeout=15_000)
    with page.expect_navigation() as navigation:
        result.click()
    assert navigation.value.status == 200
    assert "/digest/stories/" in page.url
    assert "Sabah" in page.locator("main").first.inner_text(), f"the search result for Salleh led to {page.url}, which does not mention Sabah"
    assert not page.problems, "\n".join(page.problems)


def test_front_page_works_from_disk(page, built_site):
    page.goto((built_site / "index.html").as_uri())
    links = visible_links(page, "stories")
    assert links, "the front page, opened from disk, links to no story"
    link, href = links[0]
    assert href.startswith("file://") and href.endswith("/index.html"), \
        f"a story link from disk must name the file ({href}); a folder link opens a directory listing"
    link.click()
    page.wait_for_load_state()
    assert page.url == href
    assert page.locator("h1").count() == 1 and page.locator("h1").first.is_visible()
    assert page.locator("link[rel=stylesheet]").count() > 0, "the story page links no stylesheet"
    assert not page.problems, "opened from disk:\n" + "\n".join(page.problems)  # e.g. a stylesheet that does not resolve


@pytest.mark.parametrize("kind", ["front", "story"])
def test_pages_read_without_javascript(tab, served_site, built_site, kind):
    path = "" if kind == "front" else sitecheck.pages_under(built_site, "stories")[0]
    page = tab(390, height=844, java_script_enabled=False)  # the session's, for both kinds: each test loads its page afresh
    assert page.goto(served_site + path).status == 200
    assert page.locator("h1").first.is_visible()
    if kind == "story":
        # One call for every paragraph (a locator per paragraph asks the browser twice each): visible as Playwright
        # means it (a box of its own, not visibility:hidden), with more than 60 characters shown.
        paragraphs = page.evaluate("""() => [...document.querySelectorAll('main p')].filter(p => {
            const box = p.getBoundingClientRect();
            return box.width > 0 && box.height > 0 && getComputedStyle(p).visibility !== 'hidden' && p.innerText.trim().length > 60;
        }).length""")
        assert paragraphs, f"/{path} shows no paragraph of story text without JavaScript"
    else:
        assert visible_links(page, "stories"), "the front page shows no story link without JavaScript"


def test_every_module_that_uses_chromium_runs_on_the_worker_that_has_it(request):
    """ordering.CHROMIUM_MODULES lists every module whose tests use the session's Chromium: xdist hands them out
    together, to one worker, which alone starts a Chromium. A module missing there would start a second one. (It
    checks the tests this run collected: all of them, in the suite.)"""
    from ordering import CHROMIUM_MODULES, module_of

    using = {module_of(item.nodeid) for item in request.session.items if "chromium" in getattr(item, "fixturenames", ())}
    assert using <= CHROMIUM_MODULES, f"add to ordering.CHROMIUM_MODULES: {sorted(using - CHROMIUM_MODULES)}"
