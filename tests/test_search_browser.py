"""Search in shards finds what one index of the whole site finds, in Debian's Chromium (Playwright).

The site (helpers.write_search_corpus) is built, served over http and searched through its search page; the
reference is Pagefind run once over a copy of the same pages, as digest did before the index came in shards,
queried through Pagefind's own API in the same browser. One test searches the site as built (at the domain root),
the other after one article is edited and the site rebuilt (under a sub-path): its new word is found, the word it
lost no longer is, the other words find what they found before. The stress tier runs each at the other base path
too. The reference is asked in the search page itself: one page load per site; Pagefind makes it while the site is
served and searched. The search page's clock is Playwright's, so that moving past the search box's typing pause
takes no waiting, and stands still while a word is typed and submitted."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import invoke, sitecheck, write_search_corpus

from digest.publish.search import SHARDS_FILE, shard_of

pytestmark = pytest.mark.browser

WORDS = ("Brantwhistle", "quillowmarsh", "lanternfish", "spillway", "eastern")  # headline; one outlet, deep; several stories
STORIES = 90  # the smallest corpus of round size with two shards (shard_count: 80 stories give 105 pages, 70 one shard)
DAM = "stories/dam-cracks-above-flooded-valley/"  # the one story of two versions (write_search_corpus's dam)
REFERENCE = "pagefind-whole"  # beside the shards, so that Pagefind takes the folder above it for the site's root


def searched(page, site_url: str, words: tuple[str, ...]) -> dict[str, set[str]]:
    """The pages the search page open at ``?q=`` the first of ``words`` lists for each of them (site paths, folder
    style): the first as the link brought it, the others typed into its search box and submitted, as a reader
    searches again."""
    found = {}
    page.evaluate("""() => {  // each text the status line shows from now on
        const status = document.getElementById('search-status');
        window.statuses = [];
        new MutationObserver(() => window.statuses.push(status.textContent)).observe(status, {childList: true, characterData: true, subtree: true});
    }""")
    for number, word in enumerate(words):
        if number:
            page.fill("#search-input", word)
            page.press("#search-input", "Enter")
        page.wait_for_function("word => /(result|Nothing found).* for “(.*)”/.exec(document.getElementById('search-status').textContent)?.[2] === word",
                               arg=word, timeout=15_000)
        if not number:
            # The page's clock stands still from here (Pagefind is loaded: searching needs no timer of its own), so
            # that the typing pause cannot end between the words typed and Enter, however busy the machine. (It
            # stops a second ahead: the clock only moves forward, and it moves while this is asked.)
            page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 1)
        hrefs = page.eval_on_selector_all("#search-results > li > h2 a", "links => links.map(a => a.href)")
        assert all(href.startswith(site_url) for href in hrefs), hrefs
        found[word] = {href.removeprefix(site_url).removesuffix("index.html") for href in hrefs}
    page.clock.run_for(300)  # past the search box's 250 ms typing pause: its timer fires now if Enter left it set
    searches = page.evaluate("() => window.statuses.filter(text => text === 'Searching…').length")
    page.clock.resume()  # loading another index waits on timers
    assert searches == len(words) - 1, "a query typed and submitted with Enter should be searched once, not again after the typing pause"
    return found


def found_by_one_index(page, site_url: str, words: tuple[str, ...]) -> dict[str, set[str]]:
    """What a single Pagefind index of the whole site finds for each of ``words``, asked through Pagefind's own API
    in an open page of the site (a module of its own: the page's search keeps its own index)."""
    urls = page.evaluate("""async ([bundle, words]) => {
        const pagefind = await import(bundle);
        const found = {};
        for (const word of words) {
            const results = (await pagefind.search(word)).results;
            found[word] = await Promise.all(results.map(result => result.data().then(data => data.url)));
        }
        return found;
    }""", [f"{site_url}{REFERENCE}/pagefind.js", list(words)])
    base = "/" + site_url.split("/", 3)[3]
    assert all(url.startswith(base) for found in urls.values() for url in found), urls
    return {word: {url.removeprefix(base) for url in found} for word, found in urls.items()}


def index_whole(output: Path, scratch: Path) -> subprocess.Popen:
    """The reference index, started: one Pagefind run over the site's pages (without the shards), into
    output/REFERENCE. compare() waits for it once the search page has searched the shards."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(output, scratch, ignore=shutil.ignore_patterns("pagefind", ".digest-cache", REFERENCE))
    shutil.rmtree(output / REFERENCE, ignore_errors=True)
    from pagefind.service import get_executable  # the binary `python -m pagefind` runs, without a Python to start it

    return subprocess.Popen([str(get_executable()), "--site", str(scratch), "--output-path", str(output / REFERENCE), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def compare(context, site_url: str, reference: subprocess.Popen, words: tuple[str, ...] = WORDS) -> dict[str, set[str]]:
    """What the search page finds for each of ``words``, once checked against what one index finds (asked in the
    same page: one page load for both). The reference index is made meanwhile (``reference``, index_whole's run)."""
    page = context.new_page()
    page.clock.install()  # time flows as usual, and searched() can move it on past the typing pause at once
    try:
        page.goto(f"{site_url}search/index.html?q={words[0]}")
        found = searched(page, site_url, words)
        printed = reference.communicate(timeout=120)[0]
        assert reference.returncode == 0, printed
        expected = found_by_one_index(page, site_url, words)
    finally:
        page.close()
        if reference.poll() is None:
            reference.kill()
            reference.communicate()
    for word in words:
        assert found[word] == expected[word], f"searching {word!r}"
    return found


def built_corpus(tmp_path: Path, base: str) -> Path:
    """The corpus written and built for the base path ``base``: the dam's two versions one story, the index in more
    than one shard. Returns the site folder."""
    pytest.importorskip("pagefind")
    site = tmp_path / "site"
    write_search_corpus(site / "content", STORIES)
    invoke("build", "--base-url", f"https://example.org{base}", cwd=site, check=True)
    output = site / "output"
    dam_page = (output / DAM / "index.html").read_text(encoding="utf-8")
    assert "River Post" in dam_page and "Valley Times" in dam_page, "the dam's two versions should be one story"
    shards = json.loads((output / "pagefind" / SHARDS_FILE).read_text(encoding="utf-8"))["shards"]
    assert len(shards) >= 2, shards
    return site


def search_served(browser, site: Path, base: str, words: tuple[str, ...] = WORDS) -> dict[str, set[str]]:
    """The site served at ``base`` and searched in a context of its own (nothing cached from another site): the
    search page finds what one index finds, and the several-story word in more than one shard."""
    output = site / "output"
    reference = index_whole(output, site.parent / "pages")
    with sitecheck.serve(output, base) as url:
        context = browser.new_context()
        try:
            found = compare(context, url, reference, words)
        finally:
            context.close()
    count = json.loads((output / ".digest-cache" / "search.json").read_text(encoding="utf-8"))["shards"]
    assert len(found["lanternfish"]) == len(range(0, STORIES, 12))  # every twelfth note has the word
    assert len({shard_of(path + "index.html", count) for path in found["lanternfish"]}) >= 2, \
        "the several-story word should be found in more than one shard"
    return found


# Each test at one base path by default, at the other in the stress tier (DIGEST_SUITE=full, CI): what a base path
# changes (the addresses of shards.json, of each shard's bundle and of the results) each shows at its own, and the
# pages, shards and search page are the same at both.
@pytest.mark.parametrize("base", ["/", pytest.param("/sub/", marks=pytest.mark.stress)])
def test_shards_find_the_stories_one_index_finds(browser, tmp_path, base):
    found = search_served(browser, built_corpus(tmp_path, base), base)
    assert found["quillowmarsh"] == {DAM} and found["spillway"] == {DAM}
    assert len(found["Brantwhistle"]) == 1 and DAM not in found["Brantwhistle"]


@pytest.mark.parametrize("base", ["/sub/", pytest.param("/", marks=pytest.mark.stress)])
def test_shards_find_the_stories_one_index_finds_after_an_edit(browser, tmp_path, base):
    site = built_corpus(tmp_path, base)
    output = site / "output"
    # What the edit must leave alone: the stories with the several-story word (read from the pages, which hold it
    # once each, in the text Pagefind indexes).
    lanternfish = {f"stories/{page.parent.name}/" for page in (output / "stories").glob("*/index.html")
                   if "lanternfish" in page.read_text(encoding="utf-8")}
    version = site / "content" / "dam-valley.md"
    version.write_text(version.read_text(encoding="utf-8").replace("quillowmarsh", "zephyrcrane"), encoding="utf-8")
    invoke("build", "--base-url", f"https://example.org{base}", cwd=site, check=True)
    edited = search_served(browser, site, base, (*WORDS, "zephyrcrane"))
    assert edited["zephyrcrane"] == {DAM} and edited["quillowmarsh"] == set()
    assert edited["lanternfish"] == lanternfish
