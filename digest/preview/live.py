"""The preview's HTTP server: livereload (tornado) serving ``PreviewApp``, hardened for a machine with a browser on it.

livereload gives the LiveReload protocol (its websocket at ``/livereload``) and livereload.js (at ``/livereload.js``),
so the LiveReload browser extensions work too. What ``livereload.Server.serve()`` does not do, this does:

- it runs the server on its own thread with its own event loop, so ``digest serve`` builds while it answers;
- it binds before it serves, so a taken port is a clear error and ``--port 0`` reports the port it got;
- livereload's own file watcher is not started: ours (watch.py) coalesces bursts and knows what to watch, and each
  finished build calls ``reload()``;
- every request, the websocket included, must name this machine in its Host header (a web page on another site
  cannot reach the preview by pointing its own domain at 127.0.0.1: DNS rebinding);
- a connection that sends no complete request within ``idle_timeout`` is closed (a slowloris client), and the
  number of open connections stays well below the process's file limit, a new one closing the oldest: a server
  out of file descriptors cannot accept, and tornado would retry the accept in a busy loop.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import sys
import threading
from typing import Any
from urllib.parse import urlsplit

try:
    import resource
except ImportError:  # Windows: no file limit to read
    resource = None  # type: ignore[assignment]

import livereload
from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado import httputil, web
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.iostream import IOStream
from tornado.netutil import bind_sockets
from tornado.wsgi import WSGIContainer

from digest.preview.server import GENERATION_TAG, PreviewApp, PreviewState

IDLE_TIMEOUT_SECONDS = 10.0
MAX_CONNECTIONS = 256  # a browser opens six per server, plus a websocket per tab
FILES_KEPT_FREE = 64  # for the build: documents, templates, worker pipes
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
RELOAD_PATH = "*"  # livereload.js reloads the page for any path that is not a stylesheet or an image


def accepted_host(host_name: str, bound_host: str) -> bool:
    """Whether a request's Host names this machine. Any IP address is accepted when listening on every
    interface (DNS rebinding needs a domain name); otherwise only localhost names and ``--host``'s value."""
    name = host_name.strip("[]").lower()
    if name in LOCAL_NAMES or name.endswith(".localhost") or name == bound_host.strip("[]").lower():
        return True
    if bound_host in WILDCARD_HOSTS:
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            return False
    return False


def connection_limit() -> int:
    """How many connections the server keeps open at once: MAX_CONNECTIONS, or fewer when the process may
    open few more files."""
    if resource is None:
        return MAX_CONNECTIONS
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        used = len(os.listdir("/proc/self/fd"))
    except OSError:  # not Linux: assume half the limit is in use
        used = soft // 2
    return max(8, min(MAX_CONNECTIONS, soft - used - FILES_KEPT_FREE))


class BoundedHTTPServer(HTTPServer):
    """tornado's HTTPServer with at most ``max_connections`` open: when full, a new connection closes the oldest
    one that is still on HTTP (a slow client's, or a browser's idle keep-alive, which it opens again at need).
    Websockets, handed over after their upgrade, are not counted and never closed."""

    def initialize(self, *args: Any, max_connections: int = MAX_CONNECTIONS, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.max_connections = max_connections
        self._accepted: dict[IOStream, None] = {}  # every open stream, oldest first

    def handle_stream(self, stream: IOStream, address: tuple) -> None:
        self._accepted = {open_stream: None for open_stream in self._accepted if not open_stream.closed()}
        if len(self._connections) >= self.max_connections:
            on_http = {connection.stream for connection in self._connections}
            oldest = next((open_stream for open_stream in self._accepted if open_stream in on_http), None)
            if oldest is not None:
                oldest.close()
        self._accepted[stream] = None
        super().handle_stream(stream, address)


class ForeignHost(web.RequestHandler):
    """421 Misdirected Request, and nothing of the site, for a Host that is not this machine."""

    def prepare(self) -> None:
        self.set_status(421)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("421 Misdirected Request: digest serve answers only to localhost or the address it listens on.\n")


class HostCheckedApplication(web.Application):
    """A tornado Application that turns away requests whose Host is not this machine, before any handler runs."""

    def __init__(self, *args: Any, bound_host: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.bound_host = bound_host

    def find_handler(self, request: httputil.HTTPServerRequest, **kwargs: Any) -> web._HandlerDelegate:
        if not accepted_host(request.host_name, self.bound_host):
            return self.get_handler_delegate(request, ForeignHost)
        return super().find_handler(request, **kwargs)


class LiveReloadSocket(LiveReloadHandler):
    """livereload's protocol handler, with the browsers of one server in its own set (``waiters``, given to the
    subclass ``PreviewServer`` makes), and a reload for a page whose build is already stale when it connects."""

    state: PreviewState
    bound_host: str
    served = ""  # the generation the page was built with, from its hello

    def check_origin(self, origin: str) -> bool:
        """Only the preview's own pages (livereload's handler takes any): a page elsewhere learns nothing."""
        return accepted_host(urlsplit(origin).hostname or "", self.bound_host)

    def on_message(self, message: str | bytes) -> None:
        try:
            command = json.loads(message)
        except ValueError:
            command = None
        if not isinstance(command, dict) or not isinstance(command.get("command"), str):
            self.close(1003, "not a LiveReload command")  # livereload's handler would raise, and log a traceback
            return
        super().on_message(message)  # the protocol: answers hello; registers the browser on info
        if command["command"] == "hello":
            self.served = str(command.get("snipver", ""))
        if self in LiveReloadHandler.waiters:  # livereload registers every browser in one class-wide set
            LiveReloadHandler.waiters.discard(self)
            type(self).waiters.add(self)
            # Registered on the event loop that sends reloads: a build that ended before this missed the page.
            if self.served.startswith(GENERATION_TAG) and self.served != f"{GENERATION_TAG}{self.state.snapshot.generation}":
                self.send_message({"command": "reload", "path": RELOAD_PATH, "liveCSS": False, "liveImg": False})

    def on_close(self) -> None:
        type(self).waiters.discard(self)
        super().on_close()


class PreviewServer(livereload.Server):
    """livereload's Server over the preview's WSGI app, bound at construction, run by ``start()`` on its own thread."""

    def __init__(self, host: str, port: int, state: PreviewState, verbose: bool = False, idle_timeout: float = IDLE_TIMEOUT_SECONDS):
        self.sockets = bind_sockets(port, address=host)  # an OSError here is for the caller to explain
        self.host = host
        self.port = self.sockets[0].getsockname()[1]
        self.state = state
        self.verbose = verbose
        self.idle_timeout = idle_timeout
        super().__init__(app=PreviewApp(state, self.port))
        # One class per server: its own browsers, its own (idle) livereload watcher, which reload_waiters names.
        self.socket_class: type[LiveReloadSocket] = type("LiveReloadSocket", (LiveReloadSocket,), {
            "waiters": set(), "watcher": self.watcher, "live_css": False, "state": state, "bound_host": host})
        self._loop: IOLoop | None = None
        self._http: BoundedHTTPServer | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="digest-serve", daemon=True)

    def application(self, port: int | None = None, host: str | None = None, liveport: int | None = None,
                    debug: bool | None = None, live_css: bool = False) -> web.Application:
        """livereload's handlers (protocol and livereload.js; not its /forcereload, which any page could call)
        and the WSGI app for everything else. No debug mode: it would restart the process on a code change."""
        handlers = [(r"/livereload", self.socket_class), (r"/livereload.js", LiveReloadJSHandler), *self.get_web_handlers(b"")]
        return HostCheckedApplication(handlers, bound_host=self.host, log_function=self._log_request, websocket_ping_interval=30)

    def get_web_handlers(self, script: bytes) -> list:
        # Our app adds its own script tag, and only to HTML pages (livereload's container adds it to any body with
        # a </head>, and sets a HEAD answer's Content-Length to 0).
        return [(r".*", web.FallbackHandler, {"fallback": WSGIContainer(self.app)})]

    def url(self) -> str:
        shown = "127.0.0.1" if self.host in WILDCARD_HOSTS else f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}{self.state.base_path}"

    def start(self) -> None:
        self._thread.start()
        self._started.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        self._loop = IOLoop.current()
        self._http = BoundedHTTPServer(self.application(), idle_connection_timeout=self.idle_timeout, body_timeout=self.idle_timeout,
                                       max_connections=connection_limit())
        self._http.add_sockets(self.sockets)
        self._loop.add_callback(self._started.set)
        self._loop.start()
        self._loop.close(all_fds=True)

    def reload(self) -> None:
        """Tell every connected browser to reload (from any thread)."""
        if self._loop is not None:
            self._loop.add_callback(self.socket_class.reload_waiters, RELOAD_PATH)

    def shutdown(self) -> None:
        if self._loop is None:
            for sock in self.sockets:
                sock.close()
            return
        self._loop.add_callback(self._stop)
        self._thread.join(timeout=5)

    def _stop(self) -> None:
        assert self._http is not None and self._loop is not None
        self._http.stop()
        for browser in list(self.socket_class.waiters):
            browser.close()
        self._loop.stop()

    def _log_request(self, handler: web.RequestHandler) -> None:
        if self.verbose:
            request = handler.request
            print(f"{handler.get_status()} {request.method} {request.uri} ({1000 * request.request_time():.1f} ms)", file=sys.stderr)
