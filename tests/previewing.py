"""Driving ``digest serve`` in tests: the real command in a subprocess, spoken to over HTTP and over the LiveReload
protocol, waiting on what it prints (every build prints a line) rather than sleeping."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

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
T = TypeVar("T")
SCRIPT = re.compile(rb'<script src="/livereload\.js\?port=(\d+)&amp;snipver=digest-(\d+)"></script>')


class Served:
    """A running preview: ``digest serve`` in a subprocess (``process``), or in this process (``process`` None)."""

    def __init__(self, process: subprocess.Popen | None, url: str, lines: list[str], printed: threading.Condition, outcomes: list | None = None):
        self.process = process
        self.url = url  # ends with the base path, e.g. http://127.0.0.1:41234/digest/
        self.lines = lines
        self.printed = printed  # notified on each output line: every build ends with one
        self.outcomes = outcomes  # in this process: each build's BuildOutcome, in order (a line is added with each)

    def running(self) -> bool:
        """The process is still there (in this process: the server still answers)."""
        if self.process is not None:
            return self.process.poll() is None
        return isinstance(self.status()["builds"], int)

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
                if not self.printed.wait_for(lambda seen=seen: len(self.lines) > seen, deadline - time.monotonic()):
                    raise AssertionError(f"timed out waiting for {what}; last status {status}; output:\n" + "\n".join(self.lines))

    def poll_until(self, predicate: Callable[[dict], bool], what: str, timeout: float = 30) -> dict:
        """The status once ``predicate`` holds, asked every 20 ms: for a state no output line announces."""
        deadline = time.monotonic() + timeout
        while not predicate(status := self.status()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; last status {status}; output:\n" + "\n".join(self.lines))
            time.sleep(0.02)
        return status

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

    def wait_for_outcome(self, after: int, timeout: float = 30):
        """In this process: the BuildOutcome of the first build after the first ``after`` ones."""
        with self.printed:
            if not self.printed.wait_for(lambda: len(self.outcomes) > after, timeout):
                raise AssertionError(f"no build after the first {after} within {timeout} s")
            return self.outcomes[after]


class LiveReloadClient:
    """A browser as livereload.js is one, over the LiveReload protocol (official-7): hello, info, then it
    records each reload the server sends. Runs its own event loop on a thread."""

    PROTOCOL = "http://livereload.com/protocols/official-7"

    def __init__(self, port: int, page: str, snipver: str | None = None, host: str | None = None, origin: str | None = None):
        self.reloads: list[dict] = []
        self.hello: dict | None = None
        self._changed = threading.Condition()
        self._url = f"ws://127.0.0.1:{port}/livereload"
        self._page = page
        self._snipver = snipver
        self._headers = {name: value for name, value in (("Host", host), ("Origin", origin)) if value}
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

    def closed_by_server(self, timeout: float = 10) -> bool:
        """Whether the server closed the connection (within ``timeout``)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


def run_coroutine(coroutine: Coroutine[object, object, T]) -> T:
    """asyncio.run(coroutine) on a thread of its own: on the main thread, the session's Playwright (conftest's
    chromium) may have left an event loop marked as running."""
    outcome: list[tuple[bool, object]] = []

    def run() -> None:
        try:
            outcome.append((True, asyncio.run(coroutine)))
        except BaseException as exc:  # noqa: BLE001 - raised again on the caller's thread
            outcome.append((False, exc))

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


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


STOP_SECONDS = 10  # Ctrl+C stops `digest serve` at once; this long means it hangs


@contextmanager
def serving(site: Path, *args: str, preexec_fn: Callable[[], None] | None = None, env: dict[str, str] | None = None,
            sigint_ignored: bool = False, until_built: bool = True) -> Iterator[Served]:
    """``digest serve --port 0 *args`` in ``site``, once it serves (``until_built``: once its first build is done);
    stopped by Ctrl+C (SIGINT) after the block, which it must obey within STOP_SECONDS, saying "Stopped." (an
    AssertionError otherwise). ``sigint_ignored``: started as a shell script's background job is, SIGINT ignored."""
    env = {**os.environ, "PYTHONUTF8": "1", "PYTHONUNBUFFERED": "1", **(env or {})}
    command = [sys.executable, "-m", "digest", "serve", "--port", "0", *args]
    if sigint_ignored:  # an ignored signal stays ignored across exec
        command = ["/bin/sh", "-c", 'trap "" INT; exec "$0" "$@"', *command]
    process = subprocess.Popen(command, cwd=site, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=preexec_fn)
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
        url = re.search(r"http://\S+", next(line for line in lines if line.startswith("Serving "))).group(0)
        served = Served(process, url, lines, printed)
        if until_built:
            served.wait_until(lambda s: s["builds"] >= 1, "the first build")
        yield served
    finally:
        stopped = interrupt(process)
    assert stopped, f"digest serve did not stop within {STOP_SECONDS} s of Ctrl+C (SIGINT):\n" + "\n".join(lines)
    assert process.returncode == 0, "\n".join(lines)
    served.wait_for_line(r"^Stopped\.$")


# How long the in-process preview waits for the inputs to be quiet before it rebuilds. The command waits
# watch.QUIET_SECONDS (0.15 s) for an editor's burst of writes to end; a test writes one file, whole, and then
# waits for the rebuild: each of the suite's ~25 saves would leave a core idle for that time. The test of
# bursts (test_serve.py) keeps the command's own period.
SAVE_QUIET_SECONDS = 0.03


@contextmanager
def serving_here(site: Path, strict: bool = False, quiet: float = SAVE_QUIET_SECONDS) -> Iterator[Served]:
    """The preview of ``site`` run in this process, as ``digest serve [--strict]`` runs it (a PreviewSession), once
    its first build is served: for what the server answers, where a process of its own would prove nothing more.
    It rebuilds once the inputs have been quiet for ``quiet`` seconds. Each build adds its BuildOutcome to
    ``outcomes`` and to ``lines`` what the command prints after it (its console_report): warnings, moves, then a
    line "Built ..." or "Build failed ..."."""
    from digest.preview.serve import Previewer, PreviewSession, console_report

    lines: list[str] = []
    outcomes: list = []
    printed = threading.Condition()

    def echo(text: str, err: bool = False) -> None:
        with printed:
            lines.extend(str(text).splitlines())

    says = console_report(echo)

    def report(outcome) -> None:
        says(outcome)
        with printed:
            outcomes.append(outcome)
            printed.notify_all()

    session = PreviewSession(Previewer(None, site, strict=strict), "127.0.0.1", 0, report)
    session.watcher.quiet = quiet
    try:
        session.start()
        yield Served(None, session.url, lines, printed, outcomes)
    finally:
        session.stop()


def interrupt(process: subprocess.Popen) -> bool:
    """Ctrl+C: whether the process ended within STOP_SECONDS (it is killed otherwise)."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=STOP_SECONDS)
        return True
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False


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
