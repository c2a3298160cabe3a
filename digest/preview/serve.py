"""``digest serve``: build, serve from memory, watch, rebuild incrementally, reload the browser.

What makes a rebuild cheap, kept in memory between builds:
- the parse cache (by content hash): only documents whose bytes changed are read again;
- the merge (``Remerger``): only the edited articles are read and compared again, and
  every story they do not touch comes back as the same object (so classify reuses it);
- the render memo (page path -> fingerprint of the data it shows plus its template's key,
  bytes): only pages whose data or template changed are rendered again. A template's key
  covers the templates it extends, includes and imports, so editing ``story.html`` renders
  the story pages and editing ``base.html`` every page; an asset edit renders every page
  (they link to assets by hashed name). A settings change empties the memo.

Nothing is written to disk: a finished build is handed to the preview server whole.
"""

from __future__ import annotations

import threading
import traceback
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from digest.errors import DigestError, ServeError
from digest.pipeline.build import run
from digest.pipeline.cache import ParseCache
from digest.pipeline.gather import Timings
from digest.pipeline.session import BuildSession
from digest.preview.lifetime import answer_ctrl_c, run_aside, stop_at_once, wait_for_ctrl_c
from digest.preview.live import IDLE_TIMEOUT_SECONDS, PreviewServer
from digest.preview.server import BuildFailure, PreviewState
from digest.preview.watch import ChangeWatcher
from digest.render.pages import theme_dirs
from digest.settings.config import CONFIG_FILE, Config, load_config
from digest.site.model import story_path
from digest.site.redirects import move_advice


@dataclass(frozen=True)
class BuildOutcome:
    files: dict[str, bytes] | None
    failure: BuildFailure | None
    config: Config | None
    stories: int = 0
    warnings: tuple = ()
    timings: Timings | None = None
    parse_misses: int = 0  # documents read afresh
    rendered: int = 0  # pages rendered afresh ...
    pages: int = 0  # ... out of this many
    moved: dict[str, str] | None = None  # story pages whose address changed: old path -> new path
    reloaded: bool = False  # set by the caller: did browsers reload?


class Previewer:
    """Rebuilds the site in memory, reusing everything the changed files do not touch."""

    def __init__(self, config_path: Path | None, root: Path, base_url: str | None = None, strict: bool = False):
        self.config_path = config_path.resolve() if config_path else None
        self.root = root.resolve()
        self.base_url = base_url
        self.strict = strict
        self.config: Config | None = None  # the settings of the last good build
        self.session: BuildSession | None = None  # parse cache, re-merger and render memo, kept between builds
        self.story_page: dict[str, str] = {}  # article id -> its story's page, as last built
        self.moved: dict[str, str] = {}
        self._settings: tuple[bytes | None, Config] | None = None  # (file bytes, config parsed from them)

    @property
    def settings_file(self) -> Path:
        return self.config_path or self.root / CONFIG_FILE

    def load_config(self) -> Config:
        """The settings, parsed again only when the file's bytes changed (a large taxonomy takes a while)."""
        try:
            text: bytes | None = self.settings_file.read_bytes()
        except OSError:
            text = None  # missing: load_config uses the defaults (or reports a missing --config file)
        if self._settings is not None and self._settings[0] == text:
            return self._settings[1]
        config = load_config(self.config_path, root=self.root).with_overrides(base_url=self.base_url)
        self._settings = (text, config)
        return config

    def watched_trees(self) -> list[Path]:
        """The content folder and every template folder (with its static/ assets)."""
        config = self.config
        if config is None:
            try:
                config = self.load_config()
            except DigestError:  # a broken digest.yaml: watch the usual places until it is fixed
                return [self.root / "content", self.root / "templates"]
        return [config.content_dir, config.templates_dir, *theme_dirs(config)]

    def build(self) -> BuildOutcome:
        sink = _Memory()
        try:
            config = self.config = self.load_config()
            if self.session is None:  # first build: start from what `digest build` left, if anything
                self.session = BuildSession.from_output(config.output_dir)
            report = run(config, self.session, sink, strict=self.strict)
            _forget_unused(self.session.cache)
            moved = self._follow_moves({article: story_path(slug) for article, slug in report.digest.story_of().items()}, sink.files)
            return BuildOutcome(sink.files, None, config, len(report.digest.stories), report.warnings, report.timings,
                                report.parse_cache[1], report.rendered, report.pages, moved=moved)
        except DigestError as exc:
            return BuildOutcome(None, BuildFailure.from_exception(exc, self.root), self.config)
        except Exception as exc:  # a bug must not take the preview down: show it, keep serving
            return BuildOutcome(None, BuildFailure.from_exception(exc, self.root, traceback.format_exc()), self.config)

    def _follow_moves(self, story_page: dict[str, str], files: dict[str, bytes]) -> dict[str, str]:
        """Old story page -> new one, for stories whose address changed (a story's slug comes from its first
        version's headline, so editing that headline moves it): a browser showing the old page reloads into
        the new one instead of a 404. A story is followed by its articles."""
        followed = {old: story_page.get(article) for article, old in self.story_page.items() if old not in files}
        moved = {old: new for old, new in followed.items() if new is not None and new != old}
        for old, new in self.moved.items():  # earlier moves now lead where their target went
            target = moved.get(new, new)
            if old not in files and target in files:
                moved.setdefault(old, target)
        self.story_page, self.moved = story_page, moved
        return moved


class _Memory:
    """The preview's sink: the finished site, handed whole to the server (nothing is written to disk)."""

    unchanged = "the preview keeps the last good build"

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def publication(self, cache: ParseCache) -> _MemoryPublication:
        return _MemoryPublication(self)


class _MemoryPublication:
    """One preview build's files, gathered in memory and handed to the sink whole when the build succeeds."""

    holds_pages = True  # the render memo may refer to the bytes: they are kept anyway

    def __init__(self, sink: _Memory) -> None:
        self.sink = sink
        self.files: dict[str, bytes] = {}

    def __enter__(self) -> _MemoryPublication:
        return self

    def __exit__(self, kind, error, trace) -> None:
        pass

    def save_session(self) -> bool:
        return False  # the preview keeps its session in memory

    def republish(self, site: str) -> None:
        return None  # every build hands the server the whole site

    def kept(self) -> None:
        return None  # the render memo holds the last pages

    def guess(self, path: str, old: str, new: str) -> None:
        pass  # no search index to start early

    def expect(self, pages: Sequence[str]) -> None:
        pass

    def bytecode_dir(self) -> None:
        return None  # the session's theme cache keeps the compiled templates

    def put(self, path: str, data: bytes) -> None:
        self.files[path] = data

    def finish(self, page_keys: Mapping[str, str], site: str | None = None) -> tuple[int, int]:
        self.sink.files = self.files
        return len(self.files), 0


def _forget_unused(cache: ParseCache) -> None:
    """Keep only the entries this build used, so edited versions do not pile up in a long session."""
    cache.entries = {key: value for key, value in cache.entries.items() if key in cache.used}
    cache.used = set()


class PreviewSession:
    """The previewer, the server and the watcher, wired together."""

    def __init__(self, previewer: Previewer, host: str, port: int, report: Callable[[BuildOutcome], None] = lambda outcome: None, verbose: bool = False,
                 idle_timeout: float = IDLE_TIMEOUT_SECONDS):
        self.previewer = previewer
        self.report = report
        self.state = PreviewState(_initial_base_path(previewer))
        self._build_lock = threading.Lock()
        try:
            self.server = PreviewServer(host, port, self.state, verbose, idle_timeout)
        except OSError as exc:
            raise ServeError(
                _bind_problem(host, port, exc), hint="stop the other server, or pick another port: --port 8001 (or --port 0 for any free one)"
            ) from exc
        self.watcher = ChangeWatcher(self.rebuild)

    @property
    def url(self) -> str:
        return self.server.url()

    def start(self) -> BuildOutcome:
        """Serve at once (a "building" page), build, then watch."""
        self.state.building = True
        self.server.start()
        # Watch before the first build, so a save during it is not missed (it starts a second build).
        self.watcher.watch(self.previewer.watched_trees(), [self.previewer.settings_file])
        self.watcher.start()
        return self.rebuild(frozenset())

    def rebuild(self, changed: frozenset[Path]) -> BuildOutcome:
        with self._build_lock:
            self.state.building = True
            try:
                outcome = self.previewer.build()
                base_path = outcome.config.site.base_path if outcome.config else None
                reloaded = self.state.publish(outcome.files, outcome.failure, base_path, outcome.moved)
                if reloaded:
                    self.server.reload()
                self.watcher.watch(self.previewer.watched_trees(), [self.previewer.settings_file])
            finally:
                self.state.building = False
        outcome = BuildOutcome(**{**outcome.__dict__, "reloaded": reloaded})
        self.report(outcome)
        return outcome

    @property
    def building(self) -> bool:
        return self.state.building

    def stop(self) -> None:
        self.watcher.stop()
        self.server.shutdown()


def _initial_base_path(previewer: Previewer) -> str:
    try:
        return previewer.load_config().site.base_path
    except DigestError:
        return "/"  # the first build reports the problem; a fixed digest.yaml moves the site


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    import errno

    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use (another `digest serve` or web server?)"
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {port} on {host} (ports below 1024 need administrator rights)"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def open_browser_at(url: str) -> None:
    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()


def run_serve(
    config_path: str | None, host: str, port: int, *, open_browser: bool = False, strict: bool = False, base_url: str | None = None, verbose: bool = False
) -> None:
    """The ``digest serve`` command: runs until Ctrl+C."""
    import click

    previewer = Previewer(Path(config_path) if config_path else None, Path.cwd(), base_url, strict)
    answer_ctrl_c()
    session = PreviewSession(previewer, host, port, console_report(click.echo, verbose), verbose)
    try:  # from here on, Ctrl+C stops the preview whatever it is doing (lifetime.py)
        click.echo(f"Serving {session.url} (Ctrl+C to stop)")
        run_aside(session.start, "digest-first-build")  # serve, watch, the first build
        click.echo(f"Watching {', '.join(_display(p) for p in previewer.watched_trees() + [previewer.settings_file] if p.exists())}")
        if open_browser:
            open_browser_at(session.url)
        wait_for_ctrl_c()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        stop_at_once(session)


def console_report(echo: Callable[..., object], verbose: bool = False) -> Callable[[BuildOutcome], None]:
    """What ``digest serve`` says after each build, through ``echo`` (click.echo's ``(text, err=...)``): the documents'
    warnings, each story that moved and the redirect that would keep its old address, then "Built ..." or "Build
    failed ..."."""
    told_moves: set[tuple[str, str]] = set()

    def report(outcome: BuildOutcome) -> None:
        for diagnostic in outcome.warnings:
            echo(str(diagnostic), err=True)
        for old, new in (outcome.moved or {}).items():  # the preview follows a move; a published site needs a redirect
            if (old, new) not in told_moves:
                told_moves.add((old, new))
                echo(move_advice(old.split("/")[1], new.split("/")[1]), err=True)
        took = sum(seconds for _, seconds in outcome.timings.stages) if outcome.timings else 0.0
        if outcome.failure is not None:
            if outcome.failure.details:
                echo(outcome.failure.details, err=True)
            echo(f"Build failed, still serving the last good build:\n{outcome.failure.as_text()}", err=True)
        else:
            echo(
                f"Built {outcome.stories} stories in {took:.2f} s ({_count(outcome.parse_misses, 'document')} read, "
                f"{outcome.rendered} of {_count(outcome.pages, 'page')} rendered){'; reloading' if outcome.reloaded else '; nothing changed'}."
            )
        if verbose and outcome.timings:
            echo(f"Stages: {outcome.timings}")

    return report


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _display(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
