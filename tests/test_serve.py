"""``digest serve``: the real command in a subprocess where the process is the point (Ctrl+C, its options, its
output), else the same preview run in this process; spoken to over HTTP and over the LiveReload protocol."""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
import threading
from pathlib import Path

import pytest
from helpers import REPO, copy_of_shipped_build, invoke
from previewing import BRIDGE, HEADLINES, NOTE, SCRIPT, LiveReloadClient, Served, add_note, front_page, get, run_coroutine, serving, serving_here, story_links

from digest.preview.lifetime import answer_ctrl_c, run_aside, stop_at_once, wait_for_ctrl_c
from digest.preview.serve import Previewer, PreviewSession
from digest.preview.server import resolve
from digest.preview.watch import QUIET_SECONDS

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
    assert (resolve(files, "/repo/", "/repo/stories/old/", moved).status, resolve(files, "/repo/", "/repo/stories/old/", moved).location) == (
        302,
        "/repo/stories/a/",
    )
    assert resolve(files, "/repo/", "/repo/stories/gone/", moved).status == 404  # moved to a page that is gone too


# ---------------------------------------------------------------- the server, over HTTP


def test_serves_the_built_site_from_memory_under_the_base_path_and_stops_on_ctrl_c_even_started_ignoring_it(tmp_path_factory, tmp_path):
    """The real command end to end: `digest serve` in a process of its own, after a build (the session's build of
    the shipped site, copied with its times). Started as `digest serve &` in a script is, with SIGINT ignored: the
    preview takes Ctrl+C back, and stops at once with a browser connected (one process for both: each is the
    command's own doing)."""
    site = copy_of_shipped_build(tmp_path_factory, tmp_path / "site")
    output = site / "output"
    written = {p: p.stat().st_mtime_ns for p in output.rglob("*")}
    with serving(site, sigint_ignored=True) as served:
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
        assert not any(b"livereload" in path.read_bytes() for path in output.rglob("*.html"))  # the tag is the preview's
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
        browser = LiveReloadClient(served.port, served.url)
    # serving() saw it stop within seconds of the SIGINT, saying "Stopped.", exit code 0.
    assert browser.closed_by_server()
    assert {p: p.stat().st_mtime_ns for p in output.rglob("*")} == written, "the preview must not write output/"


def test_open_opens_the_preview_at_the_base_url_once_it_is_built_and_ctrl_c_stops_a_later_build(site, tmp_path):
    """`--open` and `--base-url`, then Ctrl+C while a later build runs (one process for all three: each is the
    command's own doing)."""
    browser = tmp_path / "browser"  # webbrowser runs $BROWSER with the address; its output joins the server's
    browser.write_text(f"#!{sys.executable}\nimport sys\nprint('browser opened', sys.argv[1], flush=True)\n", encoding="utf-8")
    browser.chmod(0o755)
    with serving(site, "--open", "--base-url", "https://news.example.com/", env={"BROWSER": str(browser)}) as served:
        opened = served.wait_for_line(r"^browser opened (\S+)$").group(1)
        assert opened == served.url
        built = served.wait_for_line(r"^Built ")
        assert served.lines.index(built.string) < served.lines.index(f"browser opened {opened}")
        # --base-url https://news.example.com/ serves the site at the domain root, not under digest.yaml's /digest/
        assert served.url == served.origin + "/"
        status, body, _ = get(opened)
        assert status == 200 and SCRIPT.search(body)
        assert get(served.origin + "/digest/")[0] == 404
        build_endlessly(site)
        served.poll_until(lambda status: status["building"] and status["builds"] == 1, "the later build under way")
        assert served.running()
    # serving() saw it stop within seconds of the SIGINT, saying "Stopped.", exit code 0.


def test_port_in_use_is_a_clear_error(site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke("serve", "--port", str(port), cwd=site)
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port 0" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- Ctrl+C (every serving() block ends with one)


ENDLESS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"  # a build that never ends


# An idle preview with a browser connected, started ignoring SIGINT: test_serves_the_built_site_from_memory_...


def build_endlessly(site: Path) -> None:
    """The site's own base template, made to never finish rendering."""
    templates = site / "templates"
    templates.mkdir(exist_ok=True)
    endless = (REPO / "templates" / "base.html").read_text(encoding="utf-8").replace("<body", ENDLESS + "<body", 1)
    assert endless.count(ENDLESS) == 1
    (templates / "base.html").write_text(endless, encoding="utf-8")


def test_ctrl_c_stops_the_preview_at_once_while_it_builds_first(site):
    # During a later build: test_open_opens_the_preview_at_the_base_url_once_it_is_built_and_ctrl_c_stops_a_later_build.
    build_endlessly(site)
    with serving(site, until_built=False) as served:
        served.poll_until(lambda status: status["building"] and status["builds"] == 0, "the first build under way")
        assert served.running()
    # serving() saw it stop within seconds of the SIGINT, saying "Stopped.", exit code 0.


def test_the_preview_works_on_threads_that_leave_ctrl_c_to_the_main_thread():
    def masked() -> set:
        return signal.pthread_sigmask(signal.SIG_BLOCK, [])  # adds nothing: reads this thread's mask

    seen: list[set] = []
    run_aside(lambda: seen.append(masked()), "test-work")
    assert signal.SIGINT in seen[0] and signal.SIGINT not in masked()
    with pytest.raises(ValueError, match="raised on the main thread"):
        run_aside(lambda: int("raised on the main thread"), "test-work")


def test_ctrl_c_is_taken_back_when_inherited_ignored_and_ends_the_wait():
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell script's background job starts (this run may too)
    try:
        answer_ctrl_c()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            wait_for_ctrl_c()
    finally:
        signal.signal(signal.SIGINT, before)


def test_an_idle_preview_stops_in_order(site):
    session = PreviewSession(Previewer(None, site), "127.0.0.1", 0)
    session.start()
    url = session.url
    assert get(url)[0] == 200 and not session.building
    stop_at_once(session)  # returns (a build under way would end the process)
    with pytest.raises(OSError):
        get(url)


def test_a_burst_of_saves_gives_one_rebuild_and_one_reload(site):
    with serving_here(site, quiet=QUIET_SECONDS) as served:  # the command's own period
        before = served.status()
        browser = LiveReloadClient(served.port, served.url)
        assert browser.hello["command"] == "hello" and LiveReloadClient.PROTOCOL in browser.hello["protocols"]
        built = len(served.outcomes)
        for i, headline in enumerate(HEADLINES):
            add_note(site, f"burst-{i}.md", headline, f"{headline}, officials said on Tuesday.")
        assert served.wait_for_outcome(built).parse_misses == 12  # the whole burst, in one rebuild
        # A last save after it: had the burst been split, its rest would be read with this one.
        built = len(served.outcomes)
        add_note(site, "after-burst.md", "Harbour bridge reopens after repairs")
        last = served.wait_for_outcome(built)
        assert last.failure is None and last.parse_misses == 1
        final = served.status()
        assert final["builds"] == before["builds"] + 2, served.lines
        assert final["generation"] == before["generation"] + 2
        assert [message["command"] for message in browser.wait_for_reloads(2)] == ["reload", "reload"]
        page = front_page(served)
        assert all(headline.encode() in page for headline in HEADLINES)
        browser.close()
        assert len(browser.reloads) == 2, browser.reloads


def test_a_page_whose_build_ended_while_it_connected_reloads_at_once(site):
    with serving_here(site) as served:
        current = served.status()["generation"]
        up_to_date = LiveReloadClient(served.port, served.url, snipver=f"digest-{current}")
        stale = LiveReloadClient(served.port, served.url, snipver=f"digest-{current - 1}")
        assert stale.wait_for_reloads(1)[0]["command"] == "reload"
        extension = LiveReloadClient(served.port, served.url)  # a LiveReload browser extension: no generation, no early reload
        before = served.status()
        add_note(site, "bridge.md", "Harbour bridge reopens after repairs")
        served.wait_for_rebuild(before)
        assert len(up_to_date.wait_for_reloads(1)) == 1 and len(extension.wait_for_reloads(1)) == 1
        for browser in (up_to_date, stale, extension):
            browser.close()
        assert (len(up_to_date.reloads), len(stale.reloads), len(extension.reloads)) == (1, 2, 1)


def test_a_message_that_is_not_the_protocol_closes_that_socket_quietly(site, caplog, capfd):
    from tornado.websocket import websocket_connect

    async def send(message: str) -> object:
        socket = await websocket_connect(f"ws://127.0.0.1:{served.port}/livereload")
        await socket.write_message(message)
        answer = await socket.read_message()
        return answer, socket.close_code

    with serving_here(site) as served:
        for message in ("not json", "[1, 2]", '{"command": 5}', "{}"):
            assert run_coroutine(send(message)) == (None, 1003), message
        assert get(served.url)[0] == 200
    # Nothing logged with a traceback (tornado logs what a handler raises), nothing printed to stderr.
    assert not [record for record in caplog.records if record.exc_info], caplog.text
    assert "Traceback" not in capfd.readouterr().err


def test_build_errors_keep_the_last_good_site_and_clear_on_the_next_good_save(site):
    add_note(site, "bridge.md", "Harbour bridge reopens after repairs")
    config = site / "digest.yaml"
    good_config = config.read_text(encoding="utf-8")
    with serving_here(site) as served:
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
        assert served.running()

        config.write_text(good_config, encoding="utf-8")
        fixed = served.wait_until(lambda s: s["error"] is None, "the fixed digest.yaml")
        assert fixed["generation"] == broken["generation"] + 1
        assert b'id="digest-build-error"' not in front_page(served)

        # A template syntax error in the site's own templates/ folder (created while serving).
        templates = site / "templates"
        templates.mkdir()
        lines = (REPO / "templates" / "index.html").read_text(encoding="utf-8").splitlines()
        lines.insert(2, "{% if %}")
        (templates / "index.html").write_text("\n".join(lines) + "\n", encoding="utf-8")
        broken = served.wait_until(lambda s: s["error"] is not None, "the template error")
        assert "templates/index.html:3" in broken["error"] and "syntax" in broken["error"], broken
        body = front_page(served)
        assert b"templates/index.html:3" in body and b"Harbour bridge reopens after repairs" in body
        (templates / "index.html").unlink()
        served.wait_until(lambda s: s["error"] is None, "the template fixed")
        assert b'id="digest-build-error"' not in front_page(served)
        assert served.running()


def test_strict_shows_document_warnings_as_errors(site):
    with serving_here(site, strict=True) as served:
        assert served.status()["error"] is None
        before = served.status()
        (site / "content" / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")
        broken = served.wait_for_rebuild(before)
        assert broken["error"] and "content/broken.md:" in broken["error"] and "--strict" in broken["error"], broken
        (site / "content" / "broken.md").unlink()
        served.wait_until(lambda s: s["error"] is None, "the broken note removed")


def test_new_deleted_and_renamed_documents(site):
    with serving_here(site) as served:
        built = len(served.outcomes)
        note = add_note(site, "bridge.md", "Harbour bridge reopens after repairs")
        served.wait_for_outcome(built)  # reported, so the edit's build below is the next one
        page = front_page(served)
        assert b"Harbour bridge reopens after repairs" in page
        story = next(link for link in story_links(page) if b"harbour-bridge" in link).decode()
        assert get(served.url + story)[0] == 200

        # An edit reads that one document again and renders only the pages it shows on.
        built = len(served.outcomes)
        note.write_text(NOTE.format(title="Harbour bridge reopens after repairs", body=BRIDGE + "\nTolls return in May."), encoding="utf-8")
        edit = served.wait_for_outcome(built)
        assert b"Tolls return in May." in get(served.url + story)[1]
        assert edit.reloaded and edit.parse_misses == 1
        assert 0 < edit.rendered < edit.pages  # the render memo kept the pages this edit does not touch

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


# ---------------------------------------------------------------- `digest build` shares the parse cache


def test_a_second_build_reads_nothing_again_and_clean_reads_everything(site):
    add_note(site, "bridge.md", "Harbour bridge reopens after repairs")
    documents = len(list((site / "content").iterdir()))
    first = invoke("build", "--no-search", "-v", cwd=site, check=True)
    assert f"Parse cache: 0 hits, {documents} misses." in first.stdout
    second = invoke("build", "--no-search", "-v", cwd=site, check=True)
    assert f"Parse cache: {documents} hits, 0 misses." in second.stdout
    (site / "content" / "bridge.md").write_text(NOTE.format(title="Harbour bridge reopens", body=BRIDGE), encoding="utf-8")
    third = invoke("build", "--no-search", "-v", cwd=site, check=True)
    assert f"Parse cache: {documents - 1} hits, 1 misses." in third.stdout
    clean = invoke("build", "--no-search", "-v", "--clean", cwd=site, check=True)
    assert f"Parse cache: 0 hits, {documents} misses." in clean.stdout
