"""Search in shards finds what one index of the whole site finds, in Debian's Chromium (Playwright).

The site (helpers.write_search_corpus) is built, served over http at the domain root and under a sub-path, and
searched through its search page; the reference is Pagefind run once over a copy of the same pages, as digest
did before the index came in shards, queried through Pagefind's own API in the same browser. Then one article
is edited and the site rebuilt: its new word is found, the word it lost no longer is (under the sub-path; at the
domain root too in the stress tier). The reference is asked in the search page itself: one page load per site;
Pagefind makes it while the site is listed, served and searched.
"""

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
        hrefs = page.eval_on_selector_all("#search-results > li > h2 a", "links => links.map(a => a.href)")
        assert all(href.startswith(site_url) for href in hrefs), hrefs
        found[word] = {href.removeprefix(site_url).removesuffix("index.html") for href in hrefs}
    page.wait_for_timeout(300)  # longer than the search box's 250 ms typing pause
    searches = page.evaluate("() => window.statuses.filter(text => text === 'Searching…').length")
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


def first_search(browser, tmp_path: Path, base: str) -> tuple[Path, dict[str, set[str]], str]:
    """The corpus built for the base path ``base``, served there and searched: the search page finds what one
    index finds, in more than one shard. Returns the site folder, what was found, and the two-version story's path."""
    pytest.importorskip("pagefind")
    site = tmp_path / "site"
    write_search_corpus(site / "content", STORIES)
    output = site / "output"
    invoke("build", "--base-url", f"https://example.org{base}", cwd=site, check=True)
    reference = index_whole(output, tmp_path / "pages")
    dam_page = (output / DAM / "index.html").read_text(encoding="utf-8")
    assert "River Post" in dam_page and "Valley Times" in dam_page, "the dam's two versions should be one story"
    dam = DAM
    shards = json.loads((output / "pagefind" / SHARDS_FILE).read_text(encoding="utf-8"))["shards"]
    count = json.loads((output / ".digest-cache" / "search.json").read_text(encoding="utf-8"))["shards"]
    assert len(shards) >= 2, shards

    with sitecheck.serve(output, base) as url:
        context = browser.new_context()
        try:
            found = compare(context, url, reference)
        finally:
            context.close()
    assert found["quillowmarsh"] == {dam} and found["spillway"] == {dam}
    assert len(found["Brantwhistle"]) == 1 and dam not in found["Brantwhistle"]
    assert len(found["lanternfish"]) == len(range(0, STORIES, 12))  # every twelfth note has the word
    assert len({shard_of(path + "index.html", count) for path in found["lanternfish"]}) >= 2, \
        "the several-story word should be found in more than one shard"
    return site, found, dam


def test_shards_find_the_stories_one_index_finds_at_the_domain_root(browser, tmp_path):
    first_search(browser, tmp_path, "/")


# The edit at the domain root repeats the one under a sub-path (what the domain root changes, the first search
# above shows): the stress tier's (DIGEST_SUITE=full, CI).
@pytest.mark.parametrize("base", ["/sub/", pytest.param("/", marks=pytest.mark.stress)])
def test_shards_find_the_stories_one_index_finds_before_and_after_an_edit(browser, tmp_path, base):
    site, found, dam = first_search(browser, tmp_path, base)
    output = site / "output"
    version = site / "content" / "dam-valley.md"
    version.write_text(version.read_text(encoding="utf-8").replace("quillowmarsh", "zephyrcrane"), encoding="utf-8")
    invoke("build", "--base-url", f"https://example.org{base}", cwd=site, check=True)
    reference = index_whole(output, tmp_path / "pages")
    with sitecheck.serve(output, base) as url:
        context = browser.new_context()  # nothing cached from the first site
        try:
            edited = compare(context, url, reference, (*WORDS, "zephyrcrane"))
        finally:
            context.close()
    assert edited["zephyrcrane"] == {dam} and edited["quillowmarsh"] == set()
    assert edited["lanternfish"] == found["lanternfish"]
