"""The pager of a long list: every page links every other page of its list, its own number unlinked.

The default theme writes the numbered links with ``site.pager_links`` (one string per list, not a template loop per
page): the same bytes as the template loop it replaced, which a site's own ``base.html`` may still use."""

from __future__ import annotations

import re

import jinja2
from helpers import invoke, write_search_corpus

from digest.render.filters import PagerLinks
from digest.render.pages import relative_url
from digest.site.model import Pager

# The default theme's loop before site.pager_links, under the render environment's whitespace settings.
LOOP = ("{% for path in page.pager.paths %}\n"
        '    <li>{% if loop.index == page.pager.number %}<span aria-current="page">{{ loop.index }}</span>{% else %}'
        '<a href="{{ url(path) }}">{{ loop.index }}<span class="visually-hidden"> (page {{ loop.index }})</span></a>{% endif %}</li>\n'
        "  {% endfor %}\n")


class _Page:
    def __init__(self, pager: Pager) -> None:
        self.pager = pager


def test_the_links_are_the_template_loop_s_bytes_for_every_page_of_several_lists():
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    loop = env.from_string(LOOP)
    links = PagerLinks()  # one for the whole run, as a render process has
    lists = [tuple(["sections/a&b/index.html"] + [f"sections/a&b/page/{n}/index.html" for n in range(2, 8)]),
             tuple(["archive/index.html", "archive/page/2/index.html"])]
    checked = 0
    for paths in lists:
        for number, here in enumerate(paths, 1):
            for root in ("", "/news/"):  # relative links, and links from the site's base path (the 404 page)
                url = (lambda target, here=here: relative_url(here, target)) if not root else (lambda target, root=root: root + target)
                pager = Pager(number, len(paths), paths)
                expected = loop.render(page=_Page(pager), url=url)
                assert links(pager, url) == expected, (paths[0], number, root)
                checked += 1
    assert checked == 2 * (7 + 2)


def test_a_built_list_links_its_other_pages_and_marks_its_own(tmp_path):
    write_search_corpus(tmp_path / "content", stories=9)
    (tmp_path / "digest.yaml").write_text("site:\n  base_url: https://example.net/\n  per_page: 2\n", encoding="utf-8")
    invoke("build", "--no-search", cwd=tmp_path, check=True)
    folder = tmp_path / "output" / "sections" / "other-news"
    pages = [folder / "index.html"] + sorted(folder.glob("page/*/index.html"), key=lambda p: int(p.parent.name))
    assert len(pages) == 5
    for number, page in enumerate(pages, 1):
        pager = re.search(r'<nav class="pager" aria-label="Pages">(.*?)</nav>', page.read_text(encoding="utf-8"), re.S)[1]
        assert re.findall(r'<span aria-current="page">(\d+)</span>', pager) == [str(number)]
        linked = re.findall(r'<a href="([^"]+)">(\d+)<span class="visually-hidden"> \(page \2\)</span></a>', pager)
        assert [int(n) for _, n in linked] == [n for n in range(1, 6) if n != number]
        assert all((page.parent / href).resolve() == pages[int(n) - 1].resolve() for href, n in linked)
