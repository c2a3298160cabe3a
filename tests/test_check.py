"""``digest check`` on small hand-made sites: each kind of breakage is found and named, nothing else is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import invoke

from digest.publish.check import PARALLEL_SCAN_MIN, check_site

BASE = "https://example.org/repo/"


def page(title: str = "A page", body: str = "", head: str = "") -> str:
    return f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<title>{title}</title>\n{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n'


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


GOOD_SITE = {
    "index.html": page("Front page", head='<link rel="stylesheet" href="static/style.css">'
                       '<link rel="canonical" href="https://example.org/repo/">'
                       '<meta property="og:url" content="https://example.org/repo/">'
                       '<link rel="alternate" type="application/atom+xml" href="feed.xml">'
                       '<link rel="preconnect" href="https://fonts.example.net">',
                       body='<a href="stories/one/index.html">one</a> <a href="stories/one/">one</a> '
                            '<a href="stories/one/index.html#evidence">why</a> <a href="#main">skip</a> <a href="#">top</a> '
                            '<a href="/repo/stories/one/">rooted</a> <a href="https://example.org/repo">home</a> '
                            '<a href="https://elsewhere.example/missing">outside</a> <a href="mailto:desk@example.org">mail</a> '
                            '<a href="stories/one/index.html?utm=x">query</a> <a href="stories/caf%C3%A9.html">café</a> '
                            '<img src="static/logo.png" srcset="static/logo.png 1x, static/logo@2x.png 2x" alt=""> '
                            '<div id="main" style="background: url(\'static/logo.png\')"></div>'
                            '<svg><title>icon</title><use href="static/icons.svg#star"></use></svg>'),
    "stories/one/index.html": page("Story one", body='<h2 id="evidence">Why</h2><a href="../../index.html">home</a> <a href="../../">home</a>'),
    "stories/café.html": page("Café"),
    "404.html": page("Not found", head='<link rel="stylesheet" href="/repo/static/style.css">', body='<a href="/repo/">front page</a>'),
    "static/style.css": '@import "base.css";\nbody { background: url(logo.png) } .x { background: url("data:image/svg+xml,%3Csvg%3E") }',
    "static/base.css": "h1 { color: black }",
    "static/logo.png": "png",
    "static/logo@2x.png": "png",
    "static/icons.svg": "<svg/>",
    "feed.xml": '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>https://example.org/repo/</id>'
                '<updated>2025-07-28T00:00:00Z</updated><link href="https://example.org/repo/" /><link rel="self" href="https://example.org/repo/feed.xml"/>'
                '<entry><title>One</title><id>one</id><updated>2025-07-28T00:00:00Z</updated><link href="https://example.org/repo/stories/one/"/></entry></feed>',
    "rss.xml": '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://example.org/repo/</link><description>D</description>'
               '<item><title>One</title><link>https://example.org/repo/stories/one/</link></item></channel></rss>',
    "feed.json": json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "T", "home_page_url": BASE, "feed_url": BASE + "feed.json",
                             "items": [{"id": "one", "url": BASE + "stories/one/"}]}),
    "sitemap.xml": '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://example.org/repo/</loc></url>'
                   '<url><loc>https://example.org/repo/stories/one/</loc></url></urlset>',
    "robots.txt": "User-agent: *\nSitemap: https://example.org/repo/sitemap.xml\n",
    "pagefind/pagefind-entry.json": '{"version": "1.1.0"}',
    ".digest-cache/broken.html": "<a href='nowhere'>not published, not checked</a>",
}


@pytest.fixture
def good(tmp_path) -> Path:
    return write(tmp_path / "output", GOOD_SITE)


def problems(root: Path, base: str = BASE) -> list[str]:
    return [str(p) for p in check_site(root, base).problems]


def test_a_sound_site_has_no_problems(good):
    report = check_site(good, BASE)

    assert report.problems == () and report.warnings == ()
    assert report.pages == 4 and report.feeds == 5
    assert report.links > 25


@pytest.mark.parametrize(
    "body, expected",
    [
        ('<a href="stories/two/">x</a>', "index.html:8: stories/two/: folder has no index.html (stories/two/index.html is missing)"),
        ('<a href="stories/one">x</a>', "index.html:8: stories/one: names a folder: add a trailing slash (or link to its index.html)"),
        ('<img src="static/missing.png" alt="">', "index.html:8: static/missing.png: not found (static/missing.png is not in the output)"),
        ('<img srcset="static/logo.png 1x, static/big.png 2x" alt="">', "index.html:8: static/big.png: not found (static/big.png is not in the output)"),
        ('<a href="stories/one/#nope">x</a>', "index.html:8: stories/one/#nope: no element with id 'nope' in stories/one/index.html"),
        ('<a href="#nope">x</a>', "index.html:8: #nope: no element with id 'nope' in index.html"),
        (
            '<a href="/stories/one/">x</a>',
            "index.html:8: /stories/one/: is outside the site's base path /repo/: it will not be found when the site is served there",
        ),
        ('<a href="https://example.org/other/">x</a>', "index.html:8: https://example.org/other/: is outside the site's base path /repo/"),
        ('<a href="../index.html">x</a>', "index.html:8: ../index.html: leads above the site's root folder"),
        ('<div style="background: url(gone.png)"></div>', "index.html:8: gone.png: not found (gone.png is not in the output)"),
        ('<style>\nbody { background: url("static/gone.png") }</style>', "index.html:8: static/gone.png: not found"),
        ('<script src="app.js"></script>', "index.html:8: app.js: not found"),
    ],
)
def test_each_broken_reference_is_named_with_page_line_and_link(good, body, expected):
    (good / "index.html").write_text(page("Front", body=body), encoding="utf-8")

    found = problems(good)

    assert len(found) == 1 and found[0].startswith(expected), found


def test_external_links_and_other_schemes_are_not_followed(good):
    body = '<a href="https://other.example/x">a</a> <a href="//cdn.example/y.js">b</a> <a href="tel:+60123">c</a> <a href="javascript:void(0)">d</a>'
    (good / "index.html").write_text(page("Front", body=body), encoding="utf-8")

    assert problems(good) == []


@pytest.mark.parametrize("title", ["", "   \n  "])
def test_a_page_without_a_title_is_a_problem(good, title):
    (good / "stories/one/index.html").write_text(page(title, body='<h2 id="evidence">Why</h2>'), encoding="utf-8")
    (good / "stories/café.html").write_text("<!DOCTYPE html><p>no head at all</p>", encoding="utf-8")

    assert problems(good) == [
        "stories/café.html: the page has no <title> (or an empty one)",
        "stories/one/index.html: the page has no <title> (or an empty one)",
    ]


def test_css_files_are_checked_relative_to_themselves(good):
    (good / "static/style.css").write_text('@import "gone.css";\nbody { background: url(../static/logo.png) }', encoding="utf-8")

    assert problems(good) == ["static/style.css: gone.css: not found (static/gone.css is not in the output)"]


def test_base_href_changes_what_relative_links_mean(good):
    body = '<a href="one/">one</a> <a href="two/">two</a>'
    (good / "index.html").write_text(page("Front", head='<base href="stories/">', body=body), encoding="utf-8")

    assert [p.split(": ")[1] for p in problems(good)] == ["two/"]


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("feed.xml", "<feed xmlns='http://www.w3.org/2005/Atom'><title>T</title>", "feed.xml:1: not well-formed XML"),
        ("feed.xml", "<feed xmlns='http://www.w3.org/2005/Atom'><title>T</title><updated>x</updated></feed>", "feed.xml: the Atom feed has no <id>"),
        (
            "feed.xml",
            "<feed xmlns='http://www.w3.org/2005/Atom'><title>T</title><id>i</id><updated>u</updated><entry><id>e</id><updated>u</updated></entry></feed>",
            "feed.xml: entry 1 has no <title>",
        ),
        (
            "feed.xml",
            "<feed xmlns='http://www.w3.org/2005/Atom'><title>T</title><id>i</id><updated>u</updated><link href='https://example.org/repo/gone/'/></feed>",
            "feed.xml: https://example.org/repo/gone/: folder has no index.html",
        ),
        ("rss.xml", "<rss><channel><title>T</title><link>https://example.org/repo/</link></channel></rss>", "rss.xml: the RSS channel has no <description>"),
        (
            "rss.xml",
            "<rss><channel><title>T</title><link>https://example.org/repo/</link><description>D</description><item><title>x</title>"
            "<link>https://example.org/stories/one/</link></item></channel></rss>",
            "rss.xml: https://example.org/stories/one/: is outside the site's base path",
        ),
        (
            "sitemap.xml",
            "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>stories/one/</loc></url></urlset>",
            "sitemap.xml: stories/one/: sitemap addresses must be absolute",
        ),
        (
            "sitemap.xml",
            "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>https://example.org/repo/stories/nine/</loc></url></urlset>",
            "sitemap.xml: https://example.org/repo/stories/nine/: folder has no index.html",
        ),
        ("feed.json", '{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [}', "feed.json:1: not valid JSON"),
        (
            "feed.json",
            '{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"url": "https://example.org/repo/"}]}',
            "feed.json: item 1 has no id",
        ),
        (
            "feed.json",
            '{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"id": "1", "url": "https://example.org/repo/x.html"}]}',
            "feed.json: https://example.org/repo/x.html: not found",
        ),
        ("robots.txt", "Sitemap: https://example.org/repo/sitemap-2.xml\n", "robots.txt: https://example.org/repo/sitemap-2.xml: not found"),
    ],
)
def test_feeds_and_sitemap_must_parse_and_point_into_the_site(good, name, text, expected):
    (good / name).write_text(text, encoding="utf-8")

    found = problems(good)

    assert len(found) == 1 and found[0].startswith(expected), found


def test_relative_links_on_the_404_page_are_a_warning(good):
    (good / "404.html").write_text(
        page("Not found", head='<link rel="stylesheet" href="static/style.css">', body='<a href="index.html">home</a>'), encoding="utf-8"
    )

    report = check_site(good, BASE)

    assert report.problems == ()
    assert [str(w) for w in report.warnings] == [
        "404.html:5: static/style.css, index.html: 2 relative link(s): GitHub Pages serves 404.html for missing addresses at any depth, "
        "where they break; root them at /repo/"
    ]


def test_a_site_at_the_domain_root(good):
    (good / "404.html").write_text(page("Not found", body='<a href="/">front page</a>'), encoding="utf-8")
    body = '<a href="/stories/one/">ok</a> <a href="/stories/two/">gone</a> <a href="/repo/stories/one/">a project-site path</a>'
    (good / "index.html").write_text(page("Front", body=body), encoding="utf-8")

    assert [p.split(": ")[1] for p in problems(good, "https://news.example.com/")] == ["/repo/stories/one/", "/stories/two/"]


def test_many_pages_are_scanned_in_parallel_with_the_same_result(tmp_path):
    count = PARALLEL_SCAN_MIN + 50
    files = {"index.html": page("Index", body="".join(f'<a href="p/{n}.html">{n}</a>' for n in range(count)))}
    files.update({f"p/{n}.html": page(f"Page {n}", body=f'<p id="x{n}"><a href="{n + 1}.html#x{n + 1}">next</a></p>') for n in range(count)})
    root = write(tmp_path / "output", files)

    report = check_site(root, BASE)

    assert report.pages == count + 1
    assert [str(p) for p in report.problems] == [f"p/{count - 1}.html:8: {count}.html#x{count}: not found (p/{count}.html is not in the output)"]


def test_cli_exit_status_and_output(good):
    (good.parent / "digest.yaml").write_text(f"site:\n  base_url: {BASE}\n", encoding="utf-8")
    ok = invoke("check", cwd=good.parent)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Checked 4 pages" in ok.stdout and "no problems" in ok.stdout

    (good / "stories/one/index.html").write_text(page("One", body='<a id="evidence" href="../two/">two</a>'), encoding="utf-8")
    broken = invoke("check", cwd=good.parent)
    assert broken.returncode == 1
    assert broken.stdout.splitlines() == ["stories/one/index.html:8: ../two/: folder has no index.html (stories/two/index.html is missing)"]
    assert "1 problem in 4 pages" in broken.stderr

    elsewhere = invoke("check", "--base-url", "https://example.org/other/", cwd=good.parent)
    assert elsewhere.returncode == 1 and "outside the site's base path /other/" in elsewhere.stdout
    assert f"warning: the site was built for {BASE}, not https://example.org/other/" in elsewhere.stderr

    (good.parent / "digest.yaml").write_text("site:\n  base_url: https://example.org/\n", encoding="utf-8")
    built_for = invoke("check", cwd=good.parent)  # the front page's canonical link says where it was built for
    assert built_for.returncode == 1 and f"checking under {BASE}" in built_for.stderr
    assert built_for.stdout.splitlines() == broken.stdout.splitlines()  # the same one problem, nothing more

    missing = invoke("check", "--output", "nothing-here", cwd=good.parent)
    assert missing.returncode == 2 and "no built site here" in missing.stderr and "digest build" in missing.stderr
