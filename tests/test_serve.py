"""``digest serve``: the real command in a subprocess, spoken to over HTTP (and, at the end, by Chromium)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest

from conftest import REPO, run_digest
from digest.preview.server import resolve

NOTE = """---
title: "{title}"
date: 2025-07-20
outlet: Test Gazette
---
{body}
"""
BRIDGE = """The harbour bridge at Port Vesta reopened on Sunday after three months of repairs, the works ministry said.
Traffic was light in the first hours, and ferry operators said they expected fewer passengers."""
HEADLINES = [
    "Orchard growers expect an early apple harvest", "Glacier retreat measured by alpine surveyors", "Violin maker restores a 1720 instrument",
    "Weather satellite launch delayed by high winds", "Marathon route changed after roadworks", "Village bakery wins national bread prize",
    "Volcano observatory raises alert level", "City library extends weekend opening hours", "New tramway line opens to the airport",
    "Vineyard owners report frost damage", "Lighthouse keeper retires after forty years", "Teenager wins the regional chess championship",
]
SCRIPT = re.compile(rb'<script src="/livereload\.js\?port=(\d+)&amp;snipver=digest-(\d+)"></script>')


class Served:
    def __init__(self, process: subprocess.Popen, url: str, lines: list[str], printed: threading.Condition):
        self.process = process
        self.url = url  # ends with the base path, e.g. http://127.0.0.1:41234/digest/
        self.lines = lines
        self.printed = printed  # notified on each output line: every build ends with one

    @property
    def origin(self) -> str:
        return re.match(r"http://[^/]+", self.url).group(0)

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])

    def status(self) -> dict:
        with urllib.request.urlopen(self.url + "__digest__/status", timeout=10) as response:
            return json.load(response)

    def wait_until(self, predicate: Callable[[dict], bool], what: str, timeout: float = 30) -> dict:
        """The status once ``predicate`` holds; it is asked again after each line the server prints, since
        every build (good or bad) prints its report once the new state is served."""
        deadline = time.monotonic() + timeout
        while True:
            with self.printed:
                seen = len(self.lines)
            status = self.status()
            if predicate(status):
                return status
            with self.printed:
                if not self.printed.wait_for(lambda: len(self.lines) > seen, deadline - time.monotonic()):
                    raise AssertionError(f"timed out waiting for {what}; last status {status}; output:\n" + "\n".join(self.lines))

    def wait_for_line(self, pattern: str, after: int = 0, timeout: float = 30) -> re.Match:
        """The first output line from line ``after`` on matching ``pattern`` (reports follow the build)."""
        def found() -> re.Match | None:
            return next((match for line in self.lines[after:] if (match := re.search(pattern, line))), None)

        with self.printed:
            if self.printed.wait_for(found, timeout):
                return found()
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))

    def wait_for_rebuild(self, after: dict, what: str = "a rebuild") -> dict:
        return self.wait_until(lambda s: s["builds"] > after["builds"], what)


class LiveReloadClient:
    """A browser as livereload.js is one, over the LiveReload protocol (official-7): hello, info, then it
    records each reload the server sends. Runs its own event loop on a thread."""

    PROTOCOL = "http://livereload.com/protocols/official-7"

    def __init__(self, served: Served, snipver: str | None = None, host: str | None = None):
        self.reloads: list[dict] = []
        self.hello: dict | None = None
        self._changed = threading.Condition()
        self._url = f"ws://127.0.0.1:{served.port}/livereload"
        self._page = served.url
        self._snipver = snipver
        self._headers = {"Host": host} if host else {}
        self._loop = asyncio.new_event_loop()
        self._socket = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._run(),), daemon=True)
        self._thread.start()
        with self._changed:
            if not self._changed.wait_for(lambda: self.hello is not None or self._failure is not None, 10):
                raise AssertionError("no LiveReload handshake within 10 s")
        if self._failure is not None:
            raise self._failure

    async def _run(self) -> None:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        try:
            self._socket = await websocket_connect(HTTPRequest(self._url, headers=self._headers))
            hello = {"command": "hello", "protocols": [self.PROTOCOL]}
            await self._socket.write_message(json.dumps({**hello, "snipver": self._snipver} if self._snipver else hello))
            answer = json.loads(await self._socket.read_message())
            await self._socket.write_message(json.dumps({"command": "info", "url": self._page, "plugins": {}}))
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            with self._changed:
                self._failure = exc
                self._changed.notify_all()
            return
        with self._changed:
            self.hello = answer
            self._changed.notify_all()
        while (message := await self._socket.read_message()) is not None:
            with self._changed:
                self.reloads.append(json.loads(message))
                self._changed.notify_all()

    def wait_for_reloads(self, count: int, timeout: float = 30) -> list[dict]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.reloads) >= count, timeout):
                raise AssertionError(f"{len(self.reloads)} reloads, not {count}, within {timeout} s")
            return list(self.reloads)

    def close(self) -> None:
        if self._socket is not None:
            self._loop.call_soon_threadsafe(self._socket.close)
        self._thread.join(timeout=5)


def get(url: str) -> tuple[int, bytes, dict]:
    """GET without following redirects: (status, body, headers)."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


@contextmanager
def serving(site: Path, *args: str) -> Iterator[Served]:
    env = {**os.environ, "PYTHONUTF8": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "digest", "serve", "--port", "0", *args], cwd=site, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    printed = threading.Condition()
    found = threading.Event()

    def read() -> None:
        for line in process.stdout:
            with printed:
                lines.append(line.rstrip("\n"))
                printed.notify_all()
            if line.startswith("Serving "):
                found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not found.wait(30):
            raise AssertionError("digest serve printed no URL:\n" + "\n".join(lines))
        url = re.search(r"http://\S+", next(l for l in lines if l.startswith("Serving "))).group(0)
        served = Served(process, url, lines, printed)
        served.wait_until(lambda s: s["builds"] >= 1, "the first build")
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def add_note(site: Path, name: str, title: str, body: str = BRIDGE) -> Path:
    path = site / "content" / name
    path.write_text(NOTE.format(title=title, body=body), encoding="utf-8")
    return path


def front_page(served: Served) -> bytes:
    status, body, _ = get(served.url)
    assert status == 200
    return body


def story_links(page: bytes) -> list[str]:
    return re.findall(rb'href="([^"]*stories/[^"]+)"', page)


# ---------------------------------------------------------------- pure path resolution


def test_resolve_follows_github_pages_rules():
    files = {"index.html": b"front", "stories/a/index.html": b"story a", "about.html": b"about", "404.html": b"missing", "static/s.css": b"css"}
    assert resolve(files, "/repo/", "/repo/").body == b"front"
    assert resolve(files, "/repo/", "/repo").location == "/repo/"
    assert resolve(files, "/repo/", "/").location == "/repo/"
    assert resolve(files, "/repo/", "/repo/stories/a/").body == b"story a"
    assert (resolve(files, "/repo/", "/repo/stories/a").status, resolve(files, "/repo/", "/repo/stories/a").location) == (301, "/repo/stories/a/")
    assert resolve(files, "/repo/", "/repo/about").body == b"about"
    assert resolve(files, "/repo/", "/repo/static/s.css").content_type == "text/css; charset=utf-8"
    for missing in ("/repo/nope", "/other/", "/repo/../etc/passwd", "/repo/stories/"):
        response = resolve(files, "/repo/", missing)
        assert (response.status, response.body) == (404, b"missing"), missing
    assert resolve(files, "/", "/stories/a/index.html").body == b"story a"
    moved = {"stories/old/index.html": "stories/a/index.html", "stories/gone/index.html": "stories/nowhere/index.html"}
    assert (resolve(files, "/repo/", "/repo/stories/old/", moved).status, resolve(files, "/repo/", "/repo/stories/old/", moved).location) == (302, "/repo/stories/a/")
    assert resolve(files, "/repo/", "/repo/stories/gone/", moved).status == 404  # moved to a page that is gone too


# ---------------------------------------------------------------- the server, over HTTP


def test_serves_the_built_site_from_memory_under_the_base_path(site):
    run_digest("build", "--no-search", cwd=site, check=True)
    output = site / "output"
    written = {p: p.stat().st_mtime_ns for p in output.rglob("*")}
    with serving(site) as served:
        served.wait_for_line(r"^Built .* \(0 documents read,")  # started from the cache `digest build` left
        assert served.url.endswith("/digest/"), served.url  # digest.yaml: base_url https://example.org/digest/
        assert get(served.origin + "/digest")[2]["Location"] == "/digest/"
        assert get(served.origin + "/")[2]["Location"] == "/digest/"
        status, body, headers = get(served.url)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        tag = SCRIPT.search(body)  # livereload.js, from this server, told the page's build
        assert tag and int(tag.group(1)) == served.port and int(tag.group(2)) == served.status()["generation"], body[-300:]
        status, script, headers = get(served.origin + "/livereload.js")
        assert status == 200 and b"LiveReload" in script and headers["Content-Type"] == "application/javascript"
        assert SCRIPT.sub(b"", body) == (output / "index.html").read_bytes()  # the same bytes `digest build` writes
        links = story_links(body)
        assert links
        story = links[0].decode().removesuffix("index.html")
        folder = served.url + story.rstrip("/")
        status, _, headers = get(folder)
        assert status == 301 and headers["Location"] == "/digest/" + story
        status, body, _ = get(served.url + story)
        assert status == 200 and SCRIPT.sub(b"", body) == (output / story / "index.html").read_bytes()
        status, body, _ = get(served.url + "no/such/page/")
        assert status == 404 and SCRIPT.sub(b"", body) == (output / "404.html").read_bytes()
        css = next((output / "static").glob("*.css")).relative_to(output).as_posix()
        status, body, headers = get(served.url + css)
        assert status == 200 and body == (output / css).read_bytes() and headers["Content-Type"].startswith("text/css")
        assert get(served.origin + "/elsewhere/")[0] == 404
    assert {p: p.stat().st_mtime_ns for p in output.rglob("*")} == written, "the preview must not write output/"


def test_base_url_option_serves_at_the_domain_root(site):
    with serving(site, "--base-url", "https://news.example.com/") as served:
        assert served.url.endswith(":" + served.url.split(":")[-1].split("/")[0] + "/")
        status, body, _ = get(served.url)
        assert status == 200 and SCRIPT.search(body)
        assert get(served.origin + "/digest/")[0] == 404


def test_port_in_use_is_a_clear_error(site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_digest("serve", "--port", str(port), cwd=site, timeout=60)
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port 0" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_burst_of_saves_gives_one_rebuild_and_one_reload(site):
    with serving(site) as served:
        before = served.status()
        browser = LiveReloadClient(served)
        assert browser.hello["command"] == "hello" and LiveReloadClient.PROTOCOL in browser.hello["protocols"]
        printed = len(served.lines)
        for i, headline in enumerate(HEADLINES):
            add_note(site, f"burst-{i}.md", headline, f"{headline}, officials said on Tuesday.")
        served.wait_for_line(r"\(12 documents read", after=printed)  # the whole burst, in one rebuild
        # A last save after it: had the burst been split, its rest would be read with this one.
        printed = len(served.lines)
        add_note(site, "after-burst.md", "Harbour bridge reopens after repairs")
        served.wait_for_line(r"^Built .*\(1 document read", after=printed)
        final = served.status()
        assert final["builds"] == before["builds"] + 2, served.lines
        assert final["generation"] == before["generation"] + 2
        assert [message["command"] for message in browser.wait_for_reloads(2)] == ["reload", "reload"]
        page = front_page(served)
        assert all(headline.encode() in page for headline in HEADLINES)
        browser.close()
        assert len(browser.reloads) == 2, browser.reloads


def test_a_page_whose_build_ended_while_it_connected_reloads_at_once(site):
    with serving(site) as served:
        current = served.status()["generation"]
        up_to_date = LiveReloadClient(served, snipver=f"digest-{current}")
        stale = LiveReloadClient(served, snipver=f"digest-{current - 1}")
        assert stale.wait_for_reloads(1)[0]["command"] == "reload"
        extension = LiveReloadClient(served)  # a LiveReload browser extension: no generation, no early reload
        before = served.status()
        add_note(site, "bridge.md", "Harbour bridge reopens after repairs")
        served.wait_for_rebuild(before)
        assert len(up_to_date.wait_for_reloads(1)) == 1 and len(extension.wait_for_reloads(1)) == 1
        for browser in (up_to_date, stale, extension):
            browser.close()
        assert (len(up_to_date.reloads), len(stale.reloads), len(extension.reloads)) == (1, 2, 1)


def test_build_errors_keep_the_last_good_site_and_clear_on_the_next_good_save(site):
    add_note(site, "bridge.md", "Harbour bridge reopens after repairs")
    config = site / "digest.yaml"
    good_config = config.read_text(encoding="utf-8")
    with serving(site) as served:
        good = served.status()
        assert good["error"] is None
        config.write_text(good_config + "site:\n  title: [unclosed\n", encoding="utf-8")
        broken = served.wait_for_rebuild(good, "the broken digest.yaml")
        assert broken["error"] and "digest.yaml:" in broken["error"] and "invalid YAML" in broken["error"], broken
        assert broken["generation"] == good["generation"] + 1
        status, body, _ = get(served.url)
        assert status == 200  # still the last good build ...
        assert b"Harbour bridge reopens after repairs" in body
        assert b'id="digest-build-error"' in body and b"digest.yaml:" in body  # ... under the error overlay
        assert get(served.url + "no/such/")[0] == 404
        assert served.process.poll() is None

        config.write_text(good_config, encoding="utf-8")
        fixed = served.wait_until(lambda s: s["error"] is None, "the fixed digest.yaml")
        assert fixed["generation"] == broken["generation"] + 1
        assert b'id="digest-build-error"' not in front_page(served)

        # A template syntax error in the site's own templates/ folder (created while serving).
        templates = site / "templates"
        templates.mkdir()
        lines = (REPO / "templates" / "index.html").read_text(encoding="utf-8").splitlines()
        lines.insert(2, "{% if %}")
        before = served.status()
        (templates / "index.html").write_text("\n".join(lines) + "\n", encoding="utf-8")
        broken = served.wait_until(lambda s: s["error"] is not None, "the template error")
        assert "templates/index.html:3" in broken["error"] and "syntax" in broken["error"], broken
        body = front_page(served)
        assert b"templates/index.html:3" in body and b"Harbour bridge reopens after repairs" in body
        (templates / "index.html").unlink()
        served.wait_until(lambda s: s["error"] is None, "the template fixed")
        assert b'id="digest-build-error"' not in front_page(served)
        assert served.process.poll() is None


def test_strict_shows_document_warnings_as_errors(site):
    with serving(site, "--strict") as served:
        assert served.status()["error"] is None
        before = served.status()
        (site / "content" / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")
        broken = served.wait_for_rebuild(before)
        assert broken["error"] and "content/broken.md:" in broken["error"] and "--strict" in broken["error"], broken
        (site / "content" / "broken.md").unlink()
        served.wait_until(lambda s: s["error"] is None, "the broken note removed")


def test_new_deleted_and_renamed_documents(site):
    with serving(site) as served:
        before = served.status()
        note = add_note(site, "bridge.md", "Harbour bridge reopens after repairs")
        served.wait_for_rebuild(before)
        page = front_page(served)
        assert b"Harbour bridge reopens after repairs" in page
        story = next(link for link in story_links(page) if b"harbour-bridge" in link).decode()
        assert get(served.url + story)[0] == 200

        # An edit reads that one document again and renders only the pages it shows on.
        before, printed = served.status(), len(served.lines)
        note.write_text(NOTE.format(title="Harbour bridge reopens after repairs", body=BRIDGE + "\nTolls return in May."), encoding="utf-8")
        served.wait_for_rebuild(before)
        assert b"Tolls return in May." in get(served.url + story)[1]
        built = served.wait_for_line(r"\((\d+) documents? read, (\d+) of (\d+) pages? rendered\); reloading\.$", after=printed)
        read, rendered, pages = map(int, built.groups())
        assert read == 1
        assert 0 < rendered < pages  # the render memo kept the pages this edit does not touch

        before = served.status()
        renamed = note.rename(site / "content" / "bridge-renamed.md")
        served.wait_for_rebuild(before)
        assert front_page(served).count(b"Harbour bridge reopens after repairs") == 1

        before = served.status()
        renamed.unlink()
        served.wait_for_rebuild(before)
        assert b"Harbour bridge reopens after repairs" not in front_page(served)
        assert get(served.url + story)[0] == 404
        assert not any(b"Harbour bridge" in get(served.url + path)[1] for path in _html_paths(served)), "a deleted story is still shown somewhere"


def _html_paths(served: Served) -> list[str]:
    """Every page reachable from the front page by links under the base path (a small crawl)."""
    seen, todo = set(), [""]
    while todo and len(seen) < 300:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        status, body, headers = get(served.url + path)
        if status != 200 or not headers.get("Content-Type", "").startswith("text/html"):
            continue
        base = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
        for link in re.findall(rb'href="([^"#?:]+)"', body):
            target = os.path.normpath(base + link.decode()).replace("\\", "/")
            if not target.startswith("..") and (target.endswith(".html") or link.endswith(b"/")):
                todo.append(target + ("/" if link.endswith(b"/") and not target.endswith("/") else ""))
    return sorted(seen)


# ---------------------------------------------------------------- in a real browser


@pytest.mark.browser
def test_the_open_page_follows_edits_errors_and_deletions(site, browser):
    from playwright.sync_api import expect

    shutil.copytree(REPO / "templates", site / "templates")  # the site's own theme, to break and fix
    story_template = site / "templates" / "story.html"
    good_template = story_template.read_text(encoding="utf-8")
    note = add_note(site, "bridge.md", "Harbour bridge reopens after repairs")
    with serving(site) as served:
        page = browser.new_page()
        page.goto(served.url)
        page.get_by_role("link", name="Harbour bridge reopens after repairs").first.click()
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("Harbour bridge reopens after repairs")
        story_url = page.url
        page.evaluate("window.notReloaded = true")

        # Edit the headline. The story's address comes from its headline's words, so it moves: the open page
        # reloads into the story's new address instead of a 404.
        note.write_text(NOTE.format(title="Harbour Bridge Reopens To Traffic After Repairs", body=BRIDGE), encoding="utf-8")
        expect(heading).to_have_text("Harbour Bridge Reopens To Traffic After Repairs", timeout=20_000)
        assert page.url != story_url and page.url.endswith("/stories/harbour-bridge-reopens-to-traffic-after-repairs/")
        assert page.evaluate("window.notReloaded") is None  # the script reloaded it; nobody else did
        served.wait_for_line(r"^stories/harbour-bridge-reopens-after-repairs/ moved to stories/harbour-bridge-reopens-to-traffic-after-repairs/")
        served.wait_for_line(r"^    harbour-bridge-reopens-after-repairs: harbour-bridge-reopens-to-traffic-after-repairs$")  # what to add

        # Break the template: the page shows where and what, over the last good page.
        lines = good_template.splitlines()
        lines.insert(2, "{% if %}")
        story_template.write_text("\n".join(lines) + "\n", encoding="utf-8")
        overlay = page.locator("#digest-build-error")
        expect(overlay).to_be_visible(timeout=20_000)
        expect(overlay).to_contain_text("templates/story.html:3")
        expect(overlay).to_contain_text("syntax")

        # Fix it: the overlay goes, the story is back.
        story_template.write_text(good_template, encoding="utf-8")
        expect(overlay).to_have_count(0, timeout=20_000)
        expect(heading).to_have_text("Harbour Bridge Reopens To Traffic After Repairs")

        # Delete the document: its story leaves the open front page.
        page.goto(served.url)
        link = page.get_by_role("link", name="Harbour Bridge Reopens To Traffic After Repairs")
        expect(link.first).to_be_visible()
        note.unlink()
        expect(link).to_have_count(0, timeout=20_000)
        expect(page.get_by_role("link", name=re.compile("Pakistan urges")).first).to_be_visible()


# ---------------------------------------------------------------- `digest build` shares the parse cache


def test_a_second_build_reads_nothing_again_and_clean_reads_everything(site):
    add_note(site, "bridge.md", "Harbour bridge reopens after repairs")
    documents = len(list((site / "content").iterdir()))
    first = run_digest("build", "--no-search", "-v", cwd=site, check=True)
    assert f"Parse cache: 0 hits, {documents} misses." in first.stdout
    second = run_digest("build", "--no-search", "-v", cwd=site, check=True)
    assert f"Parse cache: {documents} hits, 0 misses." in second.stdout
    (site / "content" / "bridge.md").write_text(NOTE.format(title="Harbour bridge reopens", body=BRIDGE), encoding="utf-8")
    third = run_digest("build", "--no-search", "-v", cwd=site, check=True)
    assert f"Parse cache: {documents - 1} hits, 1 misses." in third.stdout
    clean = run_digest("build", "--no-search", "-v", "--clean", cwd=site, check=True)
    assert f"Parse cache: 0 hits, {documents} misses." in clean.stdout
