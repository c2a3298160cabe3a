"""A site built for a GitHub Pages project sub-path works there: served under /repo/, every link answers 200."""

from __future__ import annotations

import functools
import json
import re
import shutil
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from helpers import REPO, SHIPPED_CONTENT, built_once, invoke, sitecheck

BASE = "https://example.org/repo/"
CONFIGURED = "https://example.org/digest/"  # site.base_url in the shipped digest.yaml: the flag must win over it
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _site_folder(root: Path, extra_settings: str = "") -> Path:
    root.mkdir(parents=True)
    shutil.copytree(SHIPPED_CONTENT, root / "content")
    settings = (REPO / "digest.yaml").read_text(encoding="utf-8")
    assert f"base_url: {CONFIGURED}" in settings
    (root / "digest.yaml").write_text(settings.replace("site:\n", f"site:\n{extra_settings}", 1), encoding="utf-8")
    return root


def _build_for_base(workdir: Path) -> None:
    invoke("build", "--base-url", BASE, cwd=_site_folder(workdir / "site"), check=True)


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """The shipped site built once per session for https://example.org/repo/; tests only read it."""
    return built_once(tmp_path_factory, "base-url", _build_for_base) / "site"


def html_pages(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*.html") if ".digest-cache" not in p.parts)


class _References(HTMLParser):
    """Every URL a page refers to, independently of digest.publish.check."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        if tag == "link":
            tag = f"link[{values.get('rel')}]"
        for name in ("href", "src", "poster", "action"):
            if values.get(name):
                self.urls.append((tag, name, values[name]))
        if values.get("srcset"):
            self.urls += [(tag, "srcset", c.split()[0]) for c in values["srcset"].split(",") if c.strip()]
        if tag == "meta" and values.get("property") in ("og:url", "og:image") and values.get("content"):
            self.urls.append((tag, values["property"], values["content"]))


def references(path: Path) -> list[tuple[str, str, str]]:
    parser = _References()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.urls


# ---------------------------------------------------------------- what the build writes


def test_pages_link_relatively(built):
    output = built / "output"
    for path in html_pages(output):
        if path.relative_to(output).as_posix() == "404.html":
            continue  # served at any depth for missing addresses, so it links from the base path (checked below)
        for tag, attribute, url in references(path):
            where = f"{path.relative_to(output)}: {url}"
            assert not url.startswith("/"), f"{where} is rooted; pages must link relatively"
            if url.startswith(BASE):
                assert tag == "link[canonical]" or attribute.startswith("og:"), f"{where}: only canonical and Open Graph URLs are absolute"


def test_the_404_page_links_from_the_base_path(built):
    for _tag, _attribute, url in references(built / "output" / "404.html"):
        assert url.startswith(("/repo/", "#", BASE)), url


def test_canonical_and_open_graph_urls_are_absolute_from_the_base_url(built):
    output = built / "output"
    pages = [p for p in html_pages(output) if p.name != "404.html" and "pagefind" not in p.parts]
    assert len(pages) > 20
    for path in pages:
        rel = path.relative_to(output).as_posix()
        expected = BASE + rel.removesuffix("index.html")
        text = path.read_text(encoding="utf-8")
        canonical = re.search(r'<link rel="canonical" href="([^"]+)"', text)
        assert canonical and canonical.group(1) == expected, rel
        og_url = re.search(r'<meta property="og:url" content="([^"]+)"', text)
        assert og_url and og_url.group(1) == expected, rel


def test_feeds_and_sitemap_use_the_base_url_and_the_flag_wins_over_the_settings(built):
    output = built / "output"
    for path in output.rglob("*"):
        if path.is_file() and ".digest-cache" not in path.parts and path.suffix in (".html", ".xml", ".json", ".txt"):
            assert CONFIGURED not in path.read_text(encoding="utf-8", errors="replace"), f"{path} uses site.base_url despite --base-url"

    locations = [loc.text for loc in ElementTree.parse(output / "sitemap.xml").getroot().iter(f"{SITEMAP}loc")]
    assert BASE in locations and all(loc.startswith(BASE) for loc in locations)
    story_pages = {p.parent.name for p in (output / "stories").glob("*/index.html")}
    assert {loc.removeprefix(BASE + "stories/").rstrip("/") for loc in locations if "/stories/" in loc} == story_pages

    atom = ElementTree.parse(output / "feed.xml").getroot()
    links = [link.get("href") for link in atom.iter(f"{ATOM}link")]
    assert links and all(link.startswith(BASE) for link in links)
    assert BASE + "feed.xml" in links

    feed = json.loads((output / "feed.json").read_text(encoding="utf-8"))
    assert feed["home_page_url"] == BASE and feed["feed_url"] == BASE + "feed.json"
    assert feed["items"] and all(item["url"].startswith(BASE + "stories/") for item in feed["items"])

    assert f"Sitemap: {BASE}sitemap.xml" in (output / "robots.txt").read_text(encoding="utf-8")


def test_nojekyll_always_and_no_cname_unless_configured(built):
    assert (built / "output" / ".nojekyll").read_bytes() == b""
    assert not (built / "output" / "CNAME").exists()


def test_cname_is_written_for_a_custom_domain(tmp_path):
    root = _site_folder(tmp_path / "site", "  cname: news.example.com\n")

    invoke("build", "--no-search", "--base-url", "https://news.example.com/", cwd=root, check=True)

    assert (root / "output" / "CNAME").read_text(encoding="ascii") == "news.example.com\n"
    assert (root / "output" / ".nojekyll").is_file()
    assert '<link rel="canonical" href="https://news.example.com/">' in (root / "output" / "index.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- served under /repo/


class _PagesLikeHandler(SimpleHTTPRequestHandler):
    """Like GitHub Pages for a project site: the site lives under /repo/, a folder serves its index.html
    (a folder address without its slash is redirected), there are no folder listings."""

    prefix = "/repo"

    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            return str(Path(self.directory) / ".no-such-file")
        return super().translate_path(path[len(self.prefix):] or "/")

    def list_directory(self, path):
        self.send_error(404, "No index.html here")
        return None

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def served(built):
    """(server origin, output folder) with the output served under /repo/ on 127.0.0.1."""
    output = built / "output"
    handler = functools.partial(_PagesLikeHandler, directory=str(output))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": sitecheck.SHUTDOWN_POLL_SECONDS}, daemon=True)  # stops at once
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", output
    finally:
        server.shutdown()
        server.server_close()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def internal_urls(origin: str, output: Path) -> dict[str, str]:
    """Every address on the site that some page (or stylesheet) refers to -> the first file referring to it."""
    found: dict[str, str] = {}
    for path in html_pages(output) + sorted(output.rglob("*.css")):
        rel = path.relative_to(output).as_posix()
        page_url = f"{origin}/repo/{rel}"
        if path.suffix == ".css":
            urls = re.findall(r"""url\(\s*["']?([^"')]+)""", path.read_text(encoding="utf-8"))
        else:
            urls = [url for _, _, url in references(path)]
        for url in urls:
            if url.startswith(BASE):
                url = f"{origin}/repo/" + url.removeprefix(BASE)
            absolute = urldefrag(urljoin(page_url, url.strip())).url
            if absolute.startswith(origin + "/"):
                found.setdefault(absolute, rel)
    return found


def test_every_internal_link_answers_200_under_the_sub_path(served, built):
    origin, output = served
    urls = internal_urls(origin, output)
    assert len(urls) > 100 and f"{origin}/repo/" in urls

    broken = {url: page for url, page in urls.items() if status(url) != 200}

    assert broken == {}
    assert status(f"{origin}/repo/no-such-page/") == 404  # the server does not answer 200 to everything
    assert status(f"{origin}/static/") == 404  # nor outside the sub-path

    agreed = invoke("check", "--base-url", BASE, cwd=built)
    assert agreed.returncode == 0, agreed.stdout + agreed.stderr
    assert "no problems" in agreed.stdout


def test_digest_check_checks_the_site_under_the_address_it_was_built_for(built):
    """Built with --base-url while digest.yaml names another address: check needs no flag to agree."""
    plain = invoke("check", cwd=built)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "Checked" in plain.stdout and f"under {BASE}: no problems" in plain.stdout
    assert f"checking under {BASE}, the address the site was built for" in plain.stderr

    other = invoke("check", "--base-url", CONFIGURED, cwd=built)
    assert other.returncode == 1  # told to check it as something it is not: the links do look broken
    assert f"warning: the site was built for {BASE}, not {CONFIGURED}" in other.stderr


def test_a_broken_link_is_a_404_there_and_digest_check_reports_it(served, built, tmp_path):
    origin, output = served
    copy = tmp_path / "output"
    shutil.copytree(output, copy)
    story = sorted(copy.glob("stories/*/index.html"))[0]
    rel = story.relative_to(copy).as_posix()
    text = story.read_text(encoding="utf-8")
    story.write_text(text.replace("</main>", '<a href="../gone-story/">a story that is not there</a>\n</main>', 1), encoding="utf-8")
    assert status(urljoin(f"{origin}/repo/{rel}", "../gone-story/")) == 404

    result = invoke("check", "--base-url", BASE, "--output", str(copy), cwd=built)

    assert result.returncode == 1
    line = next(line for line in text.splitlines() if "</main>" in line)
    number = text.splitlines().index(line) + 1
    assert result.stdout.splitlines() == [f"{rel}:{number}: ../gone-story/: folder has no index.html (stories/gone-story/index.html is missing)"]
