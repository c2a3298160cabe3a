"""What ``digest check`` reads from each file of a built site: a page's title, ids and references (``scan_page``),
the site URLs a feed, sitemap or robots.txt points to, and what is wrong with them (``Problem``)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

LINK_ATTRIBUTES = MappingProxyType({
    "a": ("href",), "area": ("href",), "link": ("href",), "img": ("src", "srcset"), "source": ("src", "srcset"),
    "script": ("src",), "iframe": ("src",), "embed": ("src",), "video": ("src", "poster"), "audio": ("src",),
    "track": ("src",), "input": ("src",), "object": ("data",), "form": ("action",),
    "use": ("href", "xlink:href"), "image": ("href", "xlink:href"),
})
# <link rel=...> values whose href is a host to connect to, not a resource.
CONNECTION_HINTS = frozenset({"preconnect", "dns-prefetch"})
# <meta property/name=...> whose content is a URL of the site (Open Graph, Twitter cards).
URL_METAS = frozenset({"og:url", "og:image", "og:image:url", "og:image:secure_url", "og:audio", "og:video", "twitter:image", "twitter:url"})
SPECIAL_TAGS = frozenset({*LINK_ATTRIBUTES, "svg", "title", "style", "base", "meta"})
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""")
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
JSON_FEED_VERSION = "https://jsonfeed.org/version/"


@dataclass(frozen=True, order=True)
class Problem:
    page: str  # path relative to the output folder
    line: int | None
    link: str
    message: str

    def __str__(self) -> str:
        where = f"{self.page}:{self.line}" if self.line else self.page
        return f"{where}: {self.link}: {self.message}" if self.link else f"{where}: {self.message}"


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
                scan.refs.extend((line, candidate) for candidate in srcset_urls(value))
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


def srcset_urls(value: str) -> list[str]:
    # "a.jpg 1x, b.jpg 2x": each candidate is a URL, then an optional descriptor.
    return [candidate.split()[0] for candidate in value.split(",") if candidate.strip()]


def xml_links(path: Path, name: str, problems: list[Problem]) -> list[str] | None:
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


def json_feed_links(path: Path, name: str, problems: list[Problem]) -> list[str] | None:
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


def robots_links(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("sitemap:")]
