"""The preview server: the last good build, served from memory, as GitHub Pages would serve it.

A build hands over a complete ``Snapshot`` (every output file as bytes) and the server
swaps it in with one assignment, so a request never sees half a build. While the newest
build has failed, HTML pages carry an error overlay on top of the last good build.

Live reload is a tiny Server-Sent-Events stream (``<base>/__digest__/events``) and a few
lines of script injected before ``</body>``: the page reloads when the generation it was
served with is no longer the newest. No WebSocket, no extra port, and it works under any
sub-path because the script's URL is built from the site's base path.
"""

from __future__ import annotations

import html
import json
import mimetypes
import posixpath
import socket
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Mapping
from urllib.parse import quote, unquote, urlsplit

from digest.errors import DigestError

SERVICE = "__digest__"  # URL folder of the preview's own endpoints, under the base path
KEEPALIVE_SECONDS = 15.0


@dataclass(frozen=True)
class BuildFailure:
    """Why the newest build did not replace the last good one."""

    title: str
    location: str | None  # "path:line", when known
    message: str
    hint: str | None = None

    @classmethod
    def from_exception(cls, exc: BaseException, details: str | None = None) -> "BuildFailure":
        if isinstance(exc, DigestError):
            if hasattr(exc, "problems"):  # a ConfigError: its text lists every problem with its own path:line
                return cls(type(exc).__name__, None, str(exc))
            return cls(type(exc).__name__, exc.location, exc.message, exc.hint)
        return cls(f"internal error: {type(exc).__name__}", None, details or str(exc), "this is a bug in digest; the preview keeps running")

    def as_text(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        return text + (f"\n  hint: {self.hint}" if self.hint else "")


@dataclass(frozen=True)
class Snapshot:
    """One complete state of the preview: the site's files, and the newest build's failure if any."""

    files: Mapping[str, bytes] = field(default_factory=dict)
    generation: int = 0  # bumps whenever what a browser would see changes
    failure: BuildFailure | None = None
    built: bool = False  # False until the first build succeeds
    moved: Mapping[str, str] = field(default_factory=dict)  # a story page's old path -> its new one (see serve.py)


class PreviewState:
    """The current snapshot plus a condition the event streams wait on."""

    def __init__(self, base_path: str = "/"):
        self.base_path = base_path
        self.snapshot = Snapshot()
        self.builds = 0  # completed build attempts, good or bad: for tests and the status endpoint
        self._changed = threading.Condition()
        self.closing = False

    def publish(self, files: Mapping[str, bytes] | None, failure: BuildFailure | None, base_path: str | None = None,
                moved: Mapping[str, str] | None = None) -> bool:
        """Swap in a build's result; ``files`` None keeps the last good files. Returns whether browsers reload."""
        with self._changed:
            old = self.snapshot
            self.builds += 1
            new_files = old.files if files is None else files
            new_base = base_path or self.base_path
            changed = failure != old.failure or new_files != old.files or new_base != self.base_path or (files is not None and not old.built)
            if not changed:
                return False
            self.base_path = new_base
            self.snapshot = Snapshot(new_files, old.generation + 1, failure, old.built or files is not None, old.moved if moved is None else moved)
            self._changed.notify_all()
            return True

    def wait_for_change(self, generation: int, timeout: float) -> int:
        with self._changed:
            self._changed.wait_for(lambda: self.snapshot.generation != generation or self.closing, timeout)
            return self.snapshot.generation

    def close(self) -> None:
        with self._changed:
            self.closing = True
            self._changed.notify_all()


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None


def resolve(files: Mapping[str, bytes], base_path: str, url_path: str, moved: Mapping[str, str] | None = None) -> Response:
    """What GitHub Pages answers for ``url_path`` on a site published under ``base_path``; and, for a page the
    preview has ``moved`` (a story whose headline edit changed its address), a redirect to where it is now."""
    path = posixpath.normpath(unquote(url_path))
    if url_path.endswith("/") and not path.endswith("/"):
        path += "/"
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    if path + "/" == base_path:
        return Response(HTTPStatus.MOVED_PERMANENTLY, location=base_path)
    if not path.startswith(base_path):
        if path == "/":  # the server's root: send the editor to the site
            return Response(HTTPStatus.FOUND, location=base_path)
        return _not_found(files, base_path)
    rel = path[len(base_path):]
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    if rel in files:
        return Response(HTTPStatus.OK, files[rel], _content_type(rel))
    if f"{rel}/index.html" in files:  # a folder asked for without its slash
        return Response(HTTPStatus.MOVED_PERMANENTLY, location=quote(path) + "/")
    if f"{rel}.html" in files:  # GitHub Pages serves /about from about.html
        return Response(HTTPStatus.OK, files[f"{rel}.html"], _content_type(".html"))
    target = (moved or {}).get(rel)
    if target in files:
        return Response(HTTPStatus.FOUND, location=quote(base_path + target.removesuffix("index.html")))
    return _not_found(files, base_path)


def _not_found(files: Mapping[str, bytes], base_path: str) -> Response:
    if "404.html" in files:
        return Response(HTTPStatus.NOT_FOUND, files["404.html"])
    return Response(HTTPStatus.NOT_FOUND, f'<!DOCTYPE html><title>Not found</title><h1>Not found</h1><p><a href="{html.escape(base_path)}">Front page</a></p>'.encode())


def _content_type(rel: str) -> str:
    kind = mimetypes.guess_type(rel)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind in ("application/javascript", "application/json", "application/xml", "image/svg+xml") else kind


RELOAD_SCRIPT = """<script>/* digest serve: live reload */(function(){
var served=%(generation)d,source=new EventSource(%(url)s);
source.onmessage=function(e){var g=JSON.parse(e.data).generation;if(g!==served){source.close();location.reload();}};
})();</script>"""

OVERLAY = """<div id="digest-build-error" role="alert" style="position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(20,20,20,.94);color:#fff;font:15px/1.5 ui-monospace,Menlo,Consolas,monospace;padding:2rem">
<h2 style="color:#ff8080;margin-top:0;font-family:system-ui,sans-serif">The site could not be rebuilt</h2>
<p style="font-family:system-ui,sans-serif">Showing the last good build underneath. Fix the file and save: this page reloads by itself.</p>
<pre style="white-space:pre-wrap;background:#000;padding:1rem;border-left:4px solid #ff8080">%(where)s%(message)s%(hint)s</pre>
</div>"""

BUILDING = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Building…</title></head>
<body><p>digest is building the site; this page reloads when it is ready.</p></body></html>"""


def decorate(body: bytes, snapshot: Snapshot, base_path: str) -> bytes:
    """Add the reload script (and the error overlay, if the newest build failed) to an HTML page."""
    events = json.dumps(f"{base_path}{SERVICE}/events")
    extra = RELOAD_SCRIPT % {"generation": snapshot.generation, "url": events}
    if snapshot.failure is not None:
        failure = snapshot.failure
        extra = OVERLAY % {
            "where": f'<strong class="location">{html.escape(failure.location)}</strong>: ' if failure.location else "",
            "message": html.escape(failure.message),
            "hint": f"\n\nhint: {html.escape(failure.hint)}" if failure.hint else "",
        } + extra
    encoded = extra.encode("utf-8")
    index = body.rfind(b"</body>")
    return body[:index] + encoded + body[index:] if index >= 0 else body + encoded


class PreviewHandler(BaseHTTPRequestHandler):
    server: "PreviewServer"
    protocol_version = "HTTP/1.0"  # one request per connection: simple, and the event stream ends with it

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        state = self.server.state
        base_path = state.base_path
        snapshot = state.snapshot  # read once: this request sees one build from start to end
        path = urlsplit(self.path).path or "/"
        if path.startswith(f"{base_path}{SERVICE}/"):
            return self._service(path[len(base_path) + len(SERVICE) + 1:], snapshot, head)
        if not snapshot.built:
            body = BUILDING.encode() if snapshot.failure is None else b"<!DOCTYPE html><html><head><title>Build failed</title></head><body></body></html>"
            return self._send(Response(HTTPStatus.SERVICE_UNAVAILABLE if snapshot.failure is None else HTTPStatus.INTERNAL_SERVER_ERROR, decorate(body, snapshot, base_path)), head)
        response = resolve(snapshot.files, base_path, path, snapshot.moved)
        if response.content_type.startswith("text/html") and response.body:
            response = Response(response.status, decorate(response.body, snapshot, base_path), response.content_type)
        self._send(response, head)

    def _service(self, name: str, snapshot: Snapshot, head: bool) -> None:
        state = self.server.state
        if name == "status":
            status = {"generation": snapshot.generation, "builds": state.builds, "error": snapshot.failure.as_text() if snapshot.failure else None, "pages": len(snapshot.files)}
            return self._send(Response(HTTPStatus.OK, json.dumps(status).encode(), "application/json"), head)
        if name == "events" and not head:
            return self._stream(snapshot.generation)
        self._send(Response(HTTPStatus.NOT_FOUND, b"unknown preview endpoint", "text/plain; charset=utf-8"), head)

    def _stream(self, generation: int) -> None:
        """Server-Sent Events: the current generation now, then each new one, until the page goes away."""
        state = self.server.state
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            while not state.closing:
                self.wfile.write(f"data: {json.dumps({'generation': generation})}\n\n".encode())
                self.wfile.flush()
                newest = state.wait_for_change(generation, KEEPALIVE_SECONDS)
                while newest == generation and not state.closing:
                    self.wfile.write(b": keep-alive\n\n")  # also notices a closed tab
                    self.wfile.flush()
                    newest = state.wait_for_change(generation, KEEPALIVE_SECONDS)
                generation = newest
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass

    def _send(self, response: Response, head: bool) -> None:
        self.send_response(response.status)
        if response.location:
            self.send_header("Location", response.location)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")  # a preview: always the newest bytes
        self.end_headers()
        if not head:
            try:
                self.wfile.write(response.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        if self.server.verbose:
            super().log_message(format, *args)


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True  # open event streams must not keep the process alive on Ctrl+C

    def __init__(self, host: str, port: int, state: PreviewState, verbose: bool = False):
        self.state = state
        self.verbose = verbose
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), PreviewHandler)

    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{self.state.base_path}"

    def shutdown(self) -> None:
        self.state.close()
        super().shutdown()
