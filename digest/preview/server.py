"""The preview's state and its web app: the last good build, served from memory, as GitHub Pages would serve it.

A build hands over a complete ``Snapshot`` (every output file as bytes) and the state swaps it in with one
assignment, so a request never sees half a build. While the newest build has failed, HTML pages carry an error
overlay on top of the last good build. ``PreviewApp`` is a plain WSGI app over that state; ``live.py`` serves it
through livereload, whose livereload.js each HTML page loads (see ``reload_tag``).
"""

from __future__ import annotations

import html
import json
import mimetypes
import os
import posixpath
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, unquote

from digest.errors import DigestError

SERVICE = "__digest__"  # URL folder of the preview's own endpoints, under the base path
GENERATION_TAG = "digest-"  # livereload.js sends its script's ``snipver`` in its hello: the page's generation


@dataclass(frozen=True)
class BuildFailure:
    """Why the newest build did not replace the last good one. Its texts never hold an absolute path:
    they are shown in pages, which any page on the machine may fetch."""

    title: str
    location: str | None  # "path:line", when known
    message: str
    hint: str | None = None
    details: str | None = None  # an internal error's traceback: for the terminal only, never served

    @classmethod
    def from_exception(cls, exc: BaseException, root: Path, details: str | None = None) -> BuildFailure:
        def shown(text: str) -> str:
            return without_absolute_paths(text, root)

        if isinstance(exc, DigestError):
            if hasattr(exc, "problems"):  # a ConfigError: its text lists every problem with its own path:line
                return cls(type(exc).__name__, None, shown(str(exc)))
            return cls(type(exc).__name__, exc.location and shown(exc.location), shown(exc.message), exc.hint and shown(exc.hint))
        return cls(f"internal error: {type(exc).__name__}", None, shown(f"{type(exc).__name__}: {exc}"),
                   "this is a bug in digest; the preview keeps running (the terminal shows where)", details)

    def as_text(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        return text + (f"\n  hint: {self.hint}" if self.hint else "")


ABSOLUTE_PATH = re.compile(r"(?<![\w.:/-])/(?:[^\s'\"/:<>]+/)+([^\s'\"/:<>]*)")


def without_absolute_paths(text: str, root: Path) -> str:
    """``text`` with paths inside the site folder made relative to it, and any other absolute path on this
    machine (the installed theme, a traceback's library file) cut to its file name."""
    for folder in dict.fromkeys((str(root.resolve()), str(root))):
        text = text.replace(folder.rstrip(os.sep) + os.sep, "")

    def cut(match: re.Match) -> str:
        top = match.group(0).split("/", 2)[1]
        return f"…/{match.group(1)}" if os.path.isdir("/" + top) else match.group(0)  # "/digest/stories/" is a URL

    return ABSOLUTE_PATH.sub(cut, text)


@dataclass(frozen=True)
class Snapshot:
    """One complete state of the preview: the site's files, and the newest build's failure if any."""

    files: Mapping[str, bytes] = field(default_factory=dict)
    generation: int = 0  # bumps whenever what a browser would see changes
    failure: BuildFailure | None = None
    built: bool = False  # False until the first build succeeds
    moved: Mapping[str, str] = field(default_factory=dict)  # a story page's old path -> its new one (see serve.py)


class PreviewState:
    """The current snapshot. Requests read ``snapshot`` once; ``publish`` replaces it whole."""

    def __init__(self, base_path: str = "/"):
        self.base_path = base_path
        self.snapshot = Snapshot()
        self.builds = 0  # completed build attempts, good or bad: for tests and the status endpoint
        self.building = False  # a build is under way
        self._lock = threading.Lock()

    def publish(self, files: Mapping[str, bytes] | None, failure: BuildFailure | None, base_path: str | None = None,
                moved: Mapping[str, str] | None = None) -> bool:
        """Swap in a build's result; ``files`` None keeps the last good files. Returns whether browsers reload."""
        with self._lock:
            old = self.snapshot
            self.builds += 1
            new_files = old.files if files is None else files
            new_base = base_path or self.base_path
            changed = failure != old.failure or new_files != old.files or new_base != self.base_path or (files is not None and not old.built)
            if not changed:
                return False
            self.base_path = new_base
            self.snapshot = Snapshot(new_files, old.generation + 1, failure, old.built or files is not None, old.moved if moved is None else moved)
            return True


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
    if target is not None and target in files:
        return Response(HTTPStatus.FOUND, location=quote(base_path + target.removesuffix("index.html")))
    return _not_found(files, base_path)


def _not_found(files: Mapping[str, bytes], base_path: str) -> Response:
    if "404.html" in files:
        return Response(HTTPStatus.NOT_FOUND, files["404.html"])
    return Response(
        HTTPStatus.NOT_FOUND, f'<!DOCTYPE html><title>Not found</title><h1>Not found</h1><p><a href="{html.escape(base_path)}">Front page</a></p>'.encode()
    )


def _content_type(rel: str) -> str:
    kind = mimetypes.guess_type(rel)[0] or "application/octet-stream"
    return (
        f"{kind}; charset=utf-8"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json", "application/xml", "image/svg+xml")
        else kind
    )


OVERLAY_STYLE = ("position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(20,20,20,.94);color:#fff;"
                 "font:15px/1.5 ui-monospace,Menlo,Consolas,monospace;padding:2rem")
OVERLAY = f'<div id="digest-build-error" role="alert" style="{OVERLAY_STYLE}">' + """
<h2 style="color:#ff8080;margin-top:0;font-family:system-ui,sans-serif">The site could not be rebuilt</h2>
<p style="font-family:system-ui,sans-serif">Showing the last good build underneath. Fix the file and save: this page reloads by itself.</p>
<pre style="white-space:pre-wrap;background:#000;padding:1rem;border-left:4px solid #ff8080">%(where)s%(message)s%(hint)s</pre>
</div>"""

BUILDING = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Building…</title>
<meta http-equiv="refresh" content="2"></head>
<body><p>digest is building the site; this page reloads when it is ready.</p></body></html>"""


def reload_tag(port: int, generation: int) -> str:
    """The script tag that loads livereload.js from the preview server. livereload.js finds its server from its own
    address (so it works under any base path and from another machine), and sends ``snipver`` in its hello: the
    server compares it with the newest generation, so a build that ends while the page connects still reloads it."""
    return f'<script src="/livereload.js?port={port}&amp;snipver={GENERATION_TAG}{generation}"></script>'


def decorate(body: bytes, snapshot: Snapshot, port: int) -> bytes:
    """Add the livereload script tag (and the error overlay, if the newest build failed) to an HTML page."""
    extra = reload_tag(port, snapshot.generation)
    if snapshot.failure is not None:
        failure = snapshot.failure
        extra = (
            OVERLAY
            % {
                "where": f'<strong class="location">{html.escape(failure.location)}</strong>: ' if failure.location else "",
                "message": html.escape(failure.message),
                "hint": f"\n\nhint: {html.escape(failure.hint)}" if failure.hint else "",
            }
            + extra
        )
    encoded = extra.encode("utf-8")
    index = body.rfind(b"</body>")
    return body[:index] + encoded + body[index:] if index >= 0 else body + encoded


StartResponse = Callable[[str, list[tuple[str, str]]], object]


class PreviewApp:
    """The WSGI app over the preview's state: the site as GitHub Pages would serve it, plus ``<base>__digest__/status``."""

    def __init__(self, state: PreviewState, port: int):
        self.state = state
        self.port = port  # where livereload.js and its websocket are: this same server

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        # PATH_INFO holds the path's bytes, unquoted, as latin-1 (PEP 3333): quoted again, resolve() reads UTF-8.
        response = self.answer(quote(environ.get("PATH_INFO", "").encode("latin-1")) or "/")
        headers = [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(response.body))),
            ("Cache-Control", "no-store"),
        ]  # a preview: always the newest bytes
        if response.location:
            headers.append(("Location", response.location))
        status = HTTPStatus(response.status)
        start_response(f"{status.value} {status.phrase}", headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else response.body]

    def answer(self, path: str) -> Response:
        state = self.state
        base_path = state.base_path
        snapshot = state.snapshot  # read once: this request sees one build from start to end
        if path == f"{base_path}{SERVICE}/status":
            report = {
                "generation": snapshot.generation,
                "builds": state.builds,
                "building": state.building,
                "error": snapshot.failure.as_text() if snapshot.failure else None,
                "pages": len(snapshot.files),
            }
            return Response(HTTPStatus.OK, json.dumps(report).encode(), "application/json")
        if not snapshot.built:
            body = BUILDING.encode() if snapshot.failure is None else b"<!DOCTYPE html><html><head><title>Build failed</title></head><body></body></html>"
            status = HTTPStatus.SERVICE_UNAVAILABLE if snapshot.failure is None else HTTPStatus.INTERNAL_SERVER_ERROR
            return Response(status, decorate(body, snapshot, self.port))
        response = resolve(snapshot.files, base_path, path, snapshot.moved)
        if response.content_type.startswith("text/html") and response.body:
            response = Response(response.status, decorate(response.body, snapshot, self.port), response.content_type)
        return response
