"""The preview server on a machine with a browser on it: DNS rebinding, slow clients, and what a page may learn."""

from __future__ import annotations

import os
import shutil
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from helpers import REPO
from previewing import SCRIPT, LiveReloadClient, get, serving, serving_here
from tornado.httpclient import HTTPClientError

from digest.errors import TemplateError
from digest.preview.live import PreviewServer, accepted_host
from digest.preview.serve import Previewer, PreviewSession
from digest.preview.server import SERVICE, BuildFailure, PreviewState, without_absolute_paths

SITE_TITLE = b"Regional News Digest"


def get_as(url: str, host: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# ---------------------------------------------------------------- the Host header (DNS rebinding)


@pytest.mark.parametrize("host_name, bound, accepted", [
    ("localhost", "127.0.0.1", True), ("127.0.0.1", "127.0.0.1", True), ("[::1]", "127.0.0.1", True),
    ("preview.localhost", "127.0.0.1", True), ("LOCALHOST", "127.0.0.1", True),
    ("evil.example", "127.0.0.1", False), ("127.0.0.1.evil.example", "127.0.0.1", False), ("192.168.1.20", "127.0.0.1", False),
    ("laptop.lan", "laptop.lan", True),  # --host laptop.lan
    ("192.168.1.20", "0.0.0.0", True), ("[fe80::1]", "::", True),  # listening everywhere: a phone uses the address
    ("evil.example", "0.0.0.0", False),  # ... but never a name that is not this machine's
])
def test_which_hosts_are_this_machine(host_name, bound, accepted):
    assert accepted_host(host_name, bound) is accepted


def test_a_foreign_host_gets_421_and_nothing_of_the_site(site):
    with serving_here(site) as served:
        addresses = [served.url, served.url + f"{SERVICE}/status", served.url + "no/such/page/", served.origin + "/livereload.js", served.origin + "/"]
        for url in addresses:
            for host in ("evil.example", f"evil.example:{served.port}", f"127.0.0.1.evil.example:{served.port}"):
                status, body = get_as(url, host)
                assert status == 421, (url, host, status)
                assert SITE_TITLE not in body and b"generation" not in body and b"LiveReload" not in body, (url, body[:200])
        assert get_as(served.url, f"localhost:{served.port}") == (200, get(served.url)[1])
        assert get_as(served.url + f"{SERVICE}/status", f"[::1]:{served.port}")[0] == 200

        with pytest.raises(HTTPClientError) as refused:  # the livereload websocket too
            LiveReloadClient(served.port, served.url, host=f"evil.example:{served.port}")
        assert refused.value.code == 421
        with pytest.raises(HTTPClientError) as refused:  # a page on another site, reaching for 127.0.0.1
            LiveReloadClient(served.port, served.url, origin="http://evil.example")
        assert refused.value.code == 403
        browser = LiveReloadClient(served.port, served.url, host=f"localhost:{served.port}", origin=f"http://localhost:{served.port}")
        assert browser.hello["command"] == "hello"
        browser.close()


# ---------------------------------------------------------------- idle connections (slowloris)


def still_open(connection: socket.socket) -> bool:
    """Whether the server has not closed this connection (nor sent anything on it) yet."""
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except ConnectionResetError:
        return False


def test_clients_that_never_finish_a_request_are_dropped_and_others_are_served(site):
    idle = 0.5
    session = PreviewSession(Previewer(None, site), "127.0.0.1", 0, idle_timeout=idle)
    session.start()
    try:
        port = session.server.port
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
        for connection in slow:  # a request line and one header, never the blank line that ends them
            connection.sendall(b"GET /digest/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started, cpu_before = time.monotonic(), time.process_time()
        status, body, _ = get(session.url)  # another client, while the slow ones hang on
        assert status == 200 and SITE_TITLE in body
        assert all(still_open(connection) for connection in slow), "answered only once the slow clients were dropped"
        for connection in slow:
            connection.settimeout(idle + 5)
            try:
                assert connection.recv(1024) == b"", "a request that never ended got an answer"
            except ConnectionResetError:
                pass
            connection.close()
        waited = time.monotonic() - started
        assert idle * 0.8 <= waited < idle + 2, f"dropped after {waited:.2f} s, the timeout is {idle} s"
        assert time.process_time() - cpu_before < 0.5 * waited, "the server spun while the slow clients waited"
        assert get(session.url)[0] == 200
    finally:
        session.stop()


def test_a_flood_of_idle_connections_at_the_file_limit_neither_spins_nor_blocks_others(site):
    resource = pytest.importorskip("resource")
    files = 200

    def few_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (files, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    with serving(site, preexec_fn=few_files) as served:
        cpu_before, started = server_cpu_seconds(served.process.pid), time.monotonic()
        flood = []
        for _ in range(2):  # say nothing; half at a time, a request after each: more than the listen backlog (128)
            # of connections not yet accepted would have the kernel drop the rest and their clients try again a second later
            flood += [socket.create_connection(("127.0.0.1", served.port)) for _ in range(files // 2)]
            status, body, _ = get(served.url)  # answered once the server has taken every connection before it
            assert status == 200 and SITE_TITLE in body
        for _ in range(20):
            status, body, _ = get(served.url)
            assert status == 200 and SITE_TITLE in body
        cpu = server_cpu_seconds(served.process.pid) - cpu_before
        wall = time.monotonic() - started
        assert cpu < max(0.5, 0.5 * wall), f"the server used {cpu:.2f} s of CPU in {wall:.2f} s"
        for connection in flood:
            connection.close()
        assert served.process.poll() is None


def server_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


# ---------------------------------------------------------------- no absolute path in any answer


def test_failures_show_paths_relative_to_the_site_folder(site, tmp_path):
    theme = tmp_path / "elsewhere" / "theme"  # the site's theme, outside the site folder: its own story template
    theme.mkdir(parents=True)
    shutil.copy(REPO / "templates" / "story.html", theme)
    config = site / "digest.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"\ntemplates_dir: {theme}\n", encoding="utf-8")
    story = theme / "story.html"
    lines = story.read_text(encoding="utf-8").splitlines()
    with serving_here(site) as served:
        good = served.status()
        assert good["error"] is None, good
        story.write_text("\n".join([*lines[:2], "{% if %}", *lines[2:]]) + "\n", encoding="utf-8")
        broken = served.wait_until(lambda s: s["error"] is not None, "the template error")
        assert "story.html:3" in broken["error"], broken
        _, page, _ = get(served.url)
        assert b"story.html:3" in page and b'id="digest-build-error"' in page
        for answer in (broken["error"].encode(), page, get(served.url + f"{SERVICE}/status")[1], get(served.url + "no/such/")[1]):
            assert str(tmp_path).encode() not in answer and b"/tmp/" not in answer, answer[-600:]


def test_an_internal_error_shows_no_path_and_no_traceback(tmp_path):
    root = tmp_path / "site"
    try:
        open(root / "content" / "missing.md", encoding="utf-8")
    except OSError as exc:
        failure = BuildFailure.from_exception(exc, root, details="Traceback ... File \"/usr/lib/python3/x.py\", line 1")
    assert failure.message == "FileNotFoundError: [Errno 2] No such file or directory: 'content/missing.md'"
    assert failure.details and "Traceback" not in failure.as_text()
    located = BuildFailure.from_exception(TemplateError("template syntax error", str(root / "templates" / "story.html"), 3), root)
    assert located.as_text() == "templates/story.html:3: template syntax error"


def test_only_paths_on_this_machine_are_cut():
    root = Path("/nonexistent-site")
    text = "/usr/lib/python3/dist-packages/jinja2/loaders.py: no /digest/stories/ page; /nonexistent-site/content/a.md"
    assert without_absolute_paths(text, root) == "…/loaders.py: no /digest/stories/ page; content/a.md"


# ---------------------------------------------------------------- start-up


def test_a_building_page_until_the_first_build_then_a_reload():
    state = PreviewState("/repo/")
    server = PreviewServer("127.0.0.1", 0, state)
    server.start()
    try:
        url = server.url()
        assert url == f"http://127.0.0.1:{server.port}/repo/"
        status, body, _ = get(url + "any/page/")
        assert status == 503 and b"digest is building the site" in body
        assert b'http-equiv="refresh"' in body  # reloads without JavaScript too
        tag = SCRIPT.search(body)
        browser = LiveReloadClient(server.port, url, snipver=f"digest-{tag.group(2).decode()}")
        assert state.publish({"index.html": b"<!DOCTYPE html><html><body><h1>Built</h1></body></html>"}, None)
        server.reload()
        assert browser.wait_for_reloads(1)[0]["command"] == "reload"
        status, body, _ = get(url)
        assert status == 200 and b"<h1>Built</h1>" in body and SCRIPT.search(body).group(2) == b"1"
        browser.close()
    finally:
        server.shutdown()
