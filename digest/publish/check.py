"""``digest check``: does the built site hold together where it will be served?

Every internal link and asset (href, src, srcset, CSS ``url()``) must name a file of the
output, ``#fragments`` must name an element, absolute links to the site's own host must stay
under its base path (``/repo/`` on a GitHub Pages project site), every page needs a title,
and the feeds and sitemap must parse. Each file is read and parsed once; all the checking
afterwards is set look-ups, so 20,000 pages stay quick.
"""

from __future__ import annotations

import html
import json
import os
import posixpath
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from digest.pipeline.cache import CACHE_DIR
from digest.processes import helper_pool
from digest.settings.config import base_url_problems, normalise_base_url

# Below this many pages, starting worker processes costs more than it saves.
PARALLEL_SCAN_MIN = 400

LINK_ATTRIBUTES = {
    "a": ("href",), "area": ("href",), "link": ("href",), "img": ("src", "srcset"), "source": ("src", "srcset"),
    "script": ("src",), "iframe": ("src",), "embed": ("src",), "video": ("src", "poster"), "audio": ("src",),
    "track": ("src",), "input": ("src",), "object": ("data",), "form": ("action",),
    "use": ("href", "xlink:href"), "image": ("href", "xlink:href"),
}
# <link rel=...> values whose href is a host to connect to, not a resource.
CONNECTION_HINTS = {"preconnect", "dns-prefetch"}
# <meta property/name=...> whose content is a URL of the site (Open Graph, Twitter cards).
URL_METAS = {"og:url", "og:image", "og:image:url", "og:image:secure_url", "og:audio", "og:video", "twitter:image", "twitter:url"}
SPECIAL_TAGS = {*LINK_ATTRIBUTES, "svg", "title", "style", "base", "meta"}
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""")
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
FEED_SUFFIXES = (".xml", ".atom", ".rss")
JSON_FEED_VERSION = "https://jsonfeed.org/version/"
# The fragment every browser understands without a matching element.
FREE_FRAGMENTS = {"", "top"}


@dataclass(frozen=True, order=True)
class Problem:
    page: str  # path relative to the output folder
    line: int | None
    link: str
    message: str

    def __str__(self) -> str:
        where = f"{self.page}:{self.line}" if self.line else self.page
        return f"{where}: {self.link}: {self.message}" if self.link else f"{where}: {self.message}"


@dataclass(frozen=True)
class CheckReport:
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    pages: int
    links: int
    feeds: int

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class PageScan:
    """What one HTML file says: its title, the ids it defines and every reference it makes."""

    title: str | None = None
    ids: set[str] = field(default_factory=set)
    refs: list[tuple[int, str]] = field(default_factory=list)  # (line, URL as written)
    base: str | None = None


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan()
        self._title_parts: list[str] | None = None
        self._style_line: int | None = None
        self._style_parts: list[str] = []
        self._svg_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        scan = self.scan
        # Most tags (div, span, p, li) only matter for their id; keep that path short.
        if tag not in SPECIAL_TAGS:
            for name, value in attrs:
                if name == "id" and value is not None:
                    scan.ids.add(value)
                elif name == "style" and value:
                    scan.refs.extend((self.getpos()[0], url) for url in css_urls(value))
            return
        line = self.getpos()[0]
        values = {name: value for name, value in attrs if value is not None}
        if "id" in values:
            scan.ids.add(values["id"])
        if tag == "a" and "name" in values:
            scan.ids.add(values["name"])
        if tag == "svg":
            self._svg_depth += 1
        elif tag == "title" and not self._svg_depth and scan.title is None:
            self._title_parts = []
        elif tag == "style":
            self._style_line, self._style_parts = line, []
        elif tag == "base" and "href" in values and scan.base is None:
            scan.base = values["href"]
        elif tag == "meta" and (values.get("property") or values.get("name", "")).lower() in URL_METAS and "content" in values:
            scan.refs.append((line, values["content"]))
        if tag == "link" and CONNECTION_HINTS & set(values.get("rel", "").lower().split()):
            return
        for name in LINK_ATTRIBUTES.get(tag, ()):
            value = values.get(name)
            if value is None:
                continue
            if name == "srcset":
                scan.refs.extend((line, candidate) for candidate in _srcset_urls(value))
            else:
                scan.refs.append((line, value))
        if "style" in values:
            scan.refs.extend((line, url) for url in css_urls(values["style"]))

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "svg":
            self._svg_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self._svg_depth:
            self._svg_depth -= 1
        elif tag == "title" and self._title_parts is not None:
            self.scan.title = " ".join("".join(self._title_parts).split())
            self._title_parts = None
        elif tag == "style" and self._style_line is not None:
            self.scan.refs.extend((self._style_line, url) for url in css_urls("".join(self._style_parts)))
            self._style_line = None

    def handle_data(self, data: str) -> None:
        if self._title_parts is not None:
            self._title_parts.append(data)
        elif self._style_line is not None:
            self._style_parts.append(data)


def scan_page(path: str) -> PageScan:
    parser = _PageParser()
    with open(path, encoding="utf-8", errors="replace") as handle:
        parser.feed(handle.read())
    parser.close()
    if parser._title_parts is not None:  # <title> never closed
        parser.scan.title = " ".join("".join(parser._title_parts).split())
    return parser.scan


def css_urls(text: str) -> list[str]:
    return [next(group for group in match.groups() if group is not None) for match in CSS_URL.finditer(text)]


def _srcset_urls(value: str) -> list[str]:
    # "a.jpg 1x, b.jpg 2x": each candidate is a URL, then an optional descriptor.
    return [candidate.split()[0] for candidate in value.split(",") if candidate.strip()]


# ---------------------------------------------------------------- resolving


class _Resolver:
    """Turns a URL written in one file into the output file it names, or says what is wrong."""

    def __init__(self, files: set[str], base_url: str):
        parts = urlsplit(base_url)
        self.files = files
        self.host = parts.netloc.lower()
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path if parts.path.endswith("/") else parts.path + "/"

    def resolve(self, page: str, url: str, base: str | None = None) -> tuple[str | None, str | None, str | None]:
        """(target file or None, fragment or None, problem or None). (None, None, None): not the site's."""
        url = url.strip()
        if base:  # <base href>: the page's URLs are relative to it, not to the page
            url = urljoin(urljoin(self.origin + self.base_path + page, base), url)
        parts = urlsplit(url)
        fragment = unquote(parts.fragment) if "#" in url else None
        if parts.scheme and parts.scheme not in ("http", "https"):
            return None, None, None  # mailto:, data:, javascript:, tel:
        if parts.scheme or parts.netloc:
            if parts.netloc.lower() != self.host:
                return None, None, None  # another site
            return self._under_base(parts.path, fragment)
        if parts.path.startswith("/"):
            return self._under_base(parts.path, fragment)
        if not parts.path:
            return page, fragment, None  # "#section" or "?q=": this very page
        joined = posixpath.join(posixpath.dirname(page), unquote(parts.path))
        normal = posixpath.normpath(joined)
        if normal == ".." or normal.startswith("../"):
            return None, None, "leads above the site's root folder"
        if normal == ".":
            normal = ""
        return self._file(normal + ("/" if parts.path.endswith("/") and normal else ""), fragment)

    def _under_base(self, path: str, fragment: str | None) -> tuple[str | None, str | None, str | None]:
        path = unquote(path) or "/"
        if path + "/" == self.base_path:
            path = self.base_path
        if not path.startswith(self.base_path):
            return None, None, f"is outside the site's base path {self.base_path}: it will not be found when the site is served there"
        inside = path[len(self.base_path):]
        normal = posixpath.normpath(inside) if inside else ""
        if normal.startswith(".."):
            return None, None, "leads above the site's root folder"
        if normal == ".":
            normal = ""
        return self._file(normal + ("/" if inside.endswith("/") and normal else ""), fragment)

    def _file(self, path: str, fragment: str | None) -> tuple[str | None, str | None, str | None]:
        if path == "" or path.endswith("/"):
            index = path + "index.html"
            if index in self.files:
                return index, fragment, None
            return None, None, f"folder has no index.html ({index} is missing)"
        if path in self.files:
            return path, fragment, None
        if path + "/index.html" in self.files:
            return None, None, "names a folder: add a trailing slash (or link to its index.html)"
        return None, None, f"not found ({path} is not in the output)"


# ---------------------------------------------------------------- the check


_CANONICAL = re.compile(r"""<link\s+rel=["']canonical["']\s+href=["']([^"']*)["']""", re.IGNORECASE)


def built_base_url(output_dir: Path) -> str | None:
    """The address the site was built for, as its front page names itself (its canonical link): what
    ``digest build --base-url`` was given. None when the front page names no absolute http(s) address."""
    try:
        with open(output_dir / "index.html", encoding="utf-8", errors="replace") as front:
            head = front.read(65536)
    except OSError:
        return None
    found = _CANONICAL.search(head)
    if not found:
        return None
    url = html.unescape(found.group(1))
    return None if base_url_problems(url) else normalise_base_url(url)


def check_site(output_dir: Path, base_url: str) -> CheckReport:
    files = _site_files(output_dir)
    resolver = _Resolver(files, base_url)
    pages = sorted(f for f in files if f.endswith((".html", ".htm")))
    scans = dict(zip(pages, _scan_all([str(output_dir / p) for p in pages])))
    problems: list[Problem] = []
    warnings: list[Problem] = []
    checked = 0

    def follow(source: str, line: int | None, url: str, base: str | None = None) -> None:
        nonlocal checked
        target, fragment, problem = resolver.resolve(source, url, base)
        if problem:
            problems.append(Problem(source, line, url, problem))
            return
        if target is None:
            return
        checked += 1
        if fragment not in (None, *FREE_FRAGMENTS) and target in scans and fragment not in scans[target].ids:
            problems.append(Problem(source, line, url, f"no element with id '{fragment}' in {target}"))

    for page, scan in scans.items():
        if not scan.title:
            problems.append(Problem(page, None, "", "the page has no <title> (or an empty one)"))
        for line, url in scan.refs:
            follow(page, line, url, scan.base)
        relative = [(line, url) for line, url in scan.refs if _is_relative(url)] if page == "404.html" else []
        if relative and not scan.base:
            shown = ", ".join(url for _, url in relative[:3]) + (", ..." if len(relative) > 3 else "")
            warnings.append(Problem(page, relative[0][0], shown, f"{len(relative)} relative link(s): GitHub Pages serves 404.html for missing addresses at any depth, where they break; root them at {resolver.base_path}"))
    for css in sorted(f for f in files if f.endswith(".css")):
        text = (output_dir / css).read_text(encoding="utf-8", errors="replace")
        for url in css_urls(text):
            follow(css, None, url)
    feeds = 0
    for name in sorted(files):
        links: list[str] | None = None
        if name.endswith(FEED_SUFFIXES):
            links = _xml_links(output_dir / name, name, problems)
        elif name.endswith(".json"):
            links = _json_feed_links(output_dir / name, name, problems)
        elif name == "robots.txt":
            links = _robots_links(output_dir / name)
        if links is None:
            continue
        feeds += 1
        for url in links:
            follow(name, None, url)
    return CheckReport(tuple(sorted(set(problems))), tuple(sorted(set(warnings))), len(pages), checked, feeds)


def _site_files(output_dir: Path) -> set[str]:
    files = set()
    for dirpath, dirnames, filenames in os.walk(output_dir):
        rel = os.path.relpath(dirpath, output_dir).replace(os.sep, "/")
        if rel == ".":
            dirnames[:] = [d for d in dirnames if d != CACHE_DIR]
            rel = ""
        files.update(f"{rel}/{name}" if rel else name for name in filenames)
    return files


def _scan_all(paths: list[str]) -> list[PageScan]:
    workers = min(os.cpu_count() or 1, 4)
    if len(paths) < PARALLEL_SCAN_MIN or workers < 2:
        return [scan_page(path) for path in paths]
    with helper_pool(workers) as pool:
        return list(pool.map(scan_page, paths, chunksize=64))


def _is_relative(url: str) -> bool:
    parts = urlsplit(url.strip())
    return not parts.scheme and not parts.netloc and bool(parts.path) and not parts.path.startswith("/")


def _xml_links(path: Path, name: str, problems: list[Problem]) -> list[str] | None:
    """The site URLs an Atom/RSS feed or sitemap points to; a parse error is a problem."""
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as exc:
        problems.append(Problem(name, exc.position[0], "", f"not well-formed XML: {exc}"))
        return []
    if root.tag == f"{ATOM}feed":
        return _atom_links(root, name, problems)
    if root.tag == "rss":
        return _rss_links(root, name, problems)
    if root.tag in (f"{SITEMAP}urlset", f"{SITEMAP}sitemapindex"):
        return _sitemap_links(root, name, problems)
    return []


def _atom_links(root: ElementTree.Element, name: str, problems: list[Problem]) -> list[str]:
    for required in ("title", "id", "updated"):
        if not (root.findtext(f"{ATOM}{required}") or "").strip():
            problems.append(Problem(name, None, "", f"the Atom feed has no <{required}>"))
    links = [link.get("href", "") for link in root.iter(f"{ATOM}link")]
    for number, entry in enumerate(root.findall(f"{ATOM}entry"), 1):
        for required in ("title", "id", "updated"):
            if not (entry.findtext(f"{ATOM}{required}") or "").strip():
                problems.append(Problem(name, None, "", f"entry {number} has no <{required}>"))
    return links


def _rss_links(root: ElementTree.Element, name: str, problems: list[Problem]) -> list[str]:
    channel = root.find("channel")
    if channel is None:
        problems.append(Problem(name, None, "", "the RSS feed has no <channel>"))
        return []
    for required in ("title", "link", "description"):
        if channel.find(required) is None:
            problems.append(Problem(name, None, "", f"the RSS channel has no <{required}>"))
    links = [(channel.findtext("link") or "").strip()]
    for number, item in enumerate(channel.findall("item"), 1):
        if item.find("title") is None and item.find("description") is None:
            problems.append(Problem(name, None, "", f"item {number} has neither <title> nor <description>"))
        links.append((item.findtext("link") or "").strip())
    links += [link.get("href", "") for link in root.iter(f"{ATOM}link")]
    return [link for link in links if link]


def _sitemap_links(root: ElementTree.Element, name: str, problems: list[Problem]) -> list[str]:
    locations = [(loc.text or "").strip() for loc in root.iter(f"{SITEMAP}loc")]
    for location in locations:
        if not urlsplit(location).scheme:
            problems.append(Problem(name, None, location, "sitemap addresses must be absolute (from the base URL)"))
    return [location for location in locations if urlsplit(location).scheme]


def _json_feed_links(path: Path, name: str, problems: list[Problem]) -> list[str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        problems.append(Problem(name, getattr(exc, "lineno", None), "", f"not valid JSON: {exc}"))
        return []
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(JSON_FEED_VERSION):
        return None  # JSON, but not a feed (e.g. the search index)
    if not data.get("title"):
        problems.append(Problem(name, None, "", "the JSON Feed has no title"))
    items = data.get("items")
    if not isinstance(items, list):
        problems.append(Problem(name, None, "", "the JSON Feed has no items list"))
        items = []
    links = [data.get(key) for key in ("home_page_url", "feed_url")]
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or not item.get("id"):
            problems.append(Problem(name, None, "", f"item {number} has no id"))
            continue
        links += [item.get("url"), item.get("image")]
    return [link for link in links if isinstance(link, str) and link]


def _robots_links(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("sitemap:")]
