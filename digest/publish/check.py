"""``digest check``: does the built site hold together where it will be served?

Every internal link and asset (href, src, srcset, CSS ``url()``) must name a file of the
output, ``#fragments`` must name an element, absolute links to the site's own host must stay
under its base path (``/repo/`` on a GitHub Pages project site), every page needs a title,
and the feeds and sitemap must parse. Each file is read and parsed once; all the checking
afterwards is set look-ups, so 20,000 pages stay quick.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from digest.pipeline.cache import CACHE_DIR
from digest.processes import helper_pool
from digest.publish.scan import PageScan, Problem, css_urls, json_feed_links, robots_links, scan_page, xml_links
from digest.settings.config import base_url_problems, normalise_base_url

# Below this many pages, starting worker processes costs more than it saves.
PARALLEL_SCAN_MIN = 400
FEED_SUFFIXES = (".xml", ".atom", ".rss")
# The fragment every browser understands without a matching element.
FREE_FRAGMENTS = frozenset({"", "top"})


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
            warnings.append(
                Problem(
                    page,
                    relative[0][0],
                    shown,
                    f"{len(relative)} relative link(s): GitHub Pages serves 404.html for missing addresses at any depth, "
                    f"where they break; root them at {resolver.base_path}",
                )
            )
    for css in sorted(f for f in files if f.endswith(".css")):
        text = (output_dir / css).read_text(encoding="utf-8", errors="replace")
        for url in css_urls(text):
            follow(css, None, url)
    feeds = 0
    for name in sorted(files):
        links: list[str] | None = None
        if name.endswith(FEED_SUFFIXES):
            links = xml_links(output_dir / name, name, problems)
        elif name.endswith(".json"):
            links = json_feed_links(output_dir / name, name, problems)
        elif name == "robots.txt":
            links = robots_links(output_dir / name)
        if links is None:
            continue
        feeds += 1
        for url in links:
            follow(name, None, url)
    return CheckReport(tuple(sorted(set(problems))), tuple(sorted(set(warnings))), len(pages), checked, feeds)


def _site_files(output_dir: Path) -> set[str]:
    files: set[str] = set()
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
