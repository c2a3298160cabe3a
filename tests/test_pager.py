"""The pager of a long list: the first and last page, the two each side of this one, an ellipsis for the rest.

The default theme writes the numbered links with ``site.pager_links``, so a page of a list of any length carries
at most nine numbers and the list's bytes grow with its length, not its square."""

from __future__ import annotations

import re

from helpers import invoke, write_search_corpus

from digest.render.filters import pager_links, shown_pages
from digest.render.pages import relative_url
from digest.site.model import Pager

LINK = re.compile(r'<li><a href="([^"]+)">(\d+)<span class="visually-hidden"> \(page \2\)</span></a></li>')
HERE = re.compile(r'<li><span aria-current="page">(\d+)</span></li>')


def numbers_of(markup: str) -> list[str]:
    """The pager's items in order: a number, or '…' for a gap."""
    return re.findall(r'<li(?: class="gap")?>(?:<a href="[^"]+">|<span aria-current="page">)?(\d+|…)', markup)


def test_each_page_shows_the_ends_its_neighbours_and_a_gap_for_the_rest():
    assert shown_pages(1, 1) == [1]
    assert shown_pages(1, 5) == [1, 2, 3, 4, 5]  # 4 fills what would be a gap of one
    assert shown_pages(1, 9) == [1, 2, 3, 9]
    assert shown_pages(5, 9) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert shown_pages(6, 12) == [1, 4, 5, 6, 7, 8, 12]
    for count in range(1, 40):
        for number in range(1, count + 1):
            shown = shown_pages(number, count)
            assert shown == sorted(set(shown)) and shown[0] == 1 and shown[-1] == count and number in shown
            assert set(range(max(1, number - 2), min(count, number + 2) + 1)) <= set(shown)
            assert len(shown) <= 9
            assert all(b - a != 2 for a, b in zip(shown, shown[1:]))  # a gap always hides two pages or more


def test_the_links_go_to_their_pages_from_the_page_and_from_the_base_path():
    paths = tuple(["sections/a&b/index.html"] + [f"sections/a&b/page/{n}/index.html" for n in range(2, 13)])
    for number, here in enumerate(paths, 1):
        for root in ("", "/news/"):  # relative links, and links from the site's base path (the 404 page)
            url = (lambda target, here=here: relative_url(here, target)) if not root else (lambda target, root=root: root + target)
            markup = pager_links(Pager(number, len(paths), paths), url)
            expected = [str(n) for n in shown_pages(number, len(paths))]
            assert [n for n in numbers_of(markup) if n != "…"] == expected
            assert numbers_of(markup).count("…") == sum(b - a > 1 for a, b in zip(map(int, expected), map(int, expected[1:])))
            assert HERE.findall(markup) == [str(number)]
            for href, n in LINK.findall(markup):
                assert href == str(url(paths[int(n) - 1])).replace("&", "&amp;")


def test_a_built_list_links_its_pages_and_marks_its_own(tmp_path):
    write_search_corpus(tmp_path / "content", stories=9)
    (tmp_path / "digest.yaml").write_text("site:\n  base_url: https://example.net/\n  per_page: 1\n", encoding="utf-8")
    invoke("build", "--no-search", cwd=tmp_path, check=True)
    folder = tmp_path / "output" / "sections" / "other-news"
    pages = [folder / "index.html"] + sorted(folder.glob("page/*/index.html"), key=lambda p: int(p.parent.name))
    count = len(pages)
    assert count >= 9  # long enough for gaps
    for number, page in enumerate(pages, 1):
        pager = re.search(r'<nav class="pager" aria-label="Pages">(.*?)</nav>', page.read_text(encoding="utf-8"), re.S)[1]
        assert HERE.findall(pager) == [str(number)]
        linked = LINK.findall(pager)
        assert [int(n) for _, n in linked] == [n for n in shown_pages(number, count) if n != number]
        assert all((page.parent / href).resolve() == pages[int(n) - 1].resolve() for href, n in linked)
        shown = shown_pages(number, count)
        assert pager.count("…") == sum(b - a > 1 for a, b in zip(shown, shown[1:])) > 0
