"""Render stage: pages -> bytes, handed on one file at a time. Jinja2 with StrictUndefined and autoescaping.

The site's own ``templates/`` folder overrides the default theme file by file; so do its
``templates/static/`` assets, which are published with a content hash in their names.

``render_site`` takes the previous build's ``{path: (fingerprint, bytes)}`` memo and reuses
the bytes of every page whose fingerprint (and theme) is unchanged: the preview server
re-renders only what an edit touched. Large sites render on both cores, in batches handed to the writer as they
are done, so that no process holds every page (at 100,000 articles that is gigabytes).
"""

from __future__ import annotations

import hashlib
import re
import traceback
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

import jinja2
import jinja2.runtime

from digest.errors import TemplateError
from digest.fingerprints import files_fingerprint
from digest.forking import Streamed, Turns, can_fork
from digest.publish.write import KEPT
from digest.render.escaping import CodeGenerator
from digest.render.feeds import feed_files
from digest.render.filters import TEMPLATE_FILTERS, TEMPLATE_GLOBALS, default_theme_dir, pager_links
from digest.settings.config import Config
from digest.site.model import Page, SiteGraph, public_url

STATIC_DIR = "static"
PARALLEL_RENDER_MIN = 400  # below this many pages, starting a second process costs more than it saves
RENDER_BATCH = 50  # pages: a worker's unit of work and of hand-over (~1 MB of bytes)

Memo = Mapping[str, tuple[str, bytes]]


def theme_dirs(config: Config) -> list[Path]:
    """The template search path: the site's folder first, then the default theme."""
    dirs = []
    if config.templates_dir.is_dir():
        dirs.append(config.templates_dir)
    default = default_theme_dir()
    if not dirs or dirs[0].resolve() != default.resolve():
        dirs.append(default)
    return dirs


def collect_assets(dirs: list[Path]) -> dict[str, tuple[str, bytes]]:
    """name -> (hashed output path, bytes); a file in an earlier folder wins."""
    assets: dict[str, tuple[str, bytes]] = {}
    for base in reversed(dirs):
        static = base / STATIC_DIR
        if not static.is_dir():
            continue
        for path in sorted(static.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                name = path.relative_to(static).as_posix()
                data = path.read_bytes()
                stem, dot, ext = name.rpartition(".")
                digest = hashlib.sha256(data).hexdigest()[:10]
                hashed = f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"
                assets[name] = (f"{STATIC_DIR}/{hashed}", data)
    return assets


def theme_key(dirs: list[Path]) -> str:
    """A hash of every template and asset in the search path: names the compiled environment, and is the key of
    a template whose references cannot be followed (see ``template_keys``)."""
    h = hashlib.sha256()
    for base in dirs:
        h.update(str(base).encode() + b"\x00" + files_fingerprint(base).encode())
    return h.hexdigest()[:32]


class ThemeCache:
    """The last theme compiled: its environment and each template's key, for a caller that renders again and again
    (the build session keeps one: a long-lived server compiles templates once). Another theme key starts afresh."""

    def __init__(self) -> None:
        self.key = ""
        self.environment: jinja2.Environment | None = None
        self.template_keys: dict[str, str] = {}  # template name -> its key (see ``template_keys``)

    def environment_for(self, dirs: list[Path], theme: str, bytecode_dir: Path | None = None) -> jinja2.Environment:
        if self.environment is None or self.key != theme:
            self.key, self.environment, self.template_keys = theme, make_environment(dirs, bytecode_dir), {}
        return self.environment


class _BestEffortBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Keeping compiled templates only saves time: a full or read-only disk must not make rendering fail (nor be
    reported as a template error); the write stage reports it."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        # Compiled by digest's CodeGenerator: a template compiled before it (Jinja's own escape) is compiled again.
        return super().get_cache_key(name, filename) + "-escape-output"

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


_PLAIN_CALLABLES = frozenset({FunctionType, MethodType, BuiltinFunctionType})


class _TemplateContext(jinja2.runtime.Context):
    """Jinja's context, with a shorter way to call a plain function or method from a template.

    For every call (``url(...)`` alone is called a million times for a large site) Jinja asks whether the
    callable wants the context, the evaluation context or the environment passed first: three attribute
    lookups and two calls. A plain function or (bound or built-in) method without Jinja's ``pass_*`` mark
    wants none of them, whether asked about itself or about its ``__call__``: it is called directly, as Jinja
    itself would call it. Anything else (a macro, a callable object, a marked function) goes Jinja's way."""

    def call(__self, __obj, *args, **kwargs):  # Jinja's own signature: a keyword argument may be called "self"
        if type(__obj) in _PLAIN_CALLABLES and not hasattr(__obj, "jinja_pass_arg"):
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined("value was undefined because a callable raised a StopIteration exception")
        return super().call(__obj, *args, **kwargs)


def make_environment(dirs: list[Path], bytecode_dir: Path | None = None) -> jinja2.Environment:
    """``bytecode_dir``: where compiled templates are kept between runs (``digest build`` passes a folder in
    ``output/.digest-cache/``; each entry is checked against its template's source, so it is never stale)."""
    cache = None
    if bytecode_dir is not None:
        try:
            bytecode_dir.mkdir(exist_ok=True)
            cache = _BestEffortBytecodeCache(str(bytecode_dir))
        except OSError:
            cache = None  # no place for it: compile as usual
    env = jinja2.Environment(
        bytecode_cache=cache,
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # A theme is compiled for its key (``ThemeCache``): any edit of it makes a new environment, so a template need
        # not be checked against its file each time a page asks for it.
        auto_reload=False,
    )
    env.code_generator_class = CodeGenerator
    env.context_class = _TemplateContext
    env.filters.update(TEMPLATE_FILTERS)
    env.globals.update(TEMPLATE_GLOBALS)
    return env


def relative_url(from_page: str, target: str) -> str:
    """A link from one output file to another (or to a folder, ending in '/'): up to the root, then down.

    Both are output paths relative to the root, so no filesystem call is needed (posixpath.relpath
    asks for the working directory on every call: a third of the render time of a large site).
    """
    return "../" * from_page.count("/") + target or "./"


Put = Callable[[str, bytes], None]


def render_site(graph: SiteGraph, config: Config, put: Put, previous: Memo | None = None, kept: Mapping[str, str] | None = None,
                bytecode_dir: Path | None = None, themes: ThemeCache | None = None,
                keep_bytes: bool = True, first: Collection[str] = ()) -> tuple[dict[str, tuple[str, bytes]], int]:
    """Every file of the site (assets, pages, feeds) handed to ``put(path, bytes)`` as soon as it is made, so
    that no more than a few batches of pages are ever held here. Returns (memo, pages rendered afresh): ``memo``
    maps each page path to (render key, bytes) for the next call.

    ``kept`` maps the paths of pages already in ``output/`` to the render key they were made with; a page
    whose key is unchanged is not rendered, and its bytes are ``KEPT``: the writer leaves the file alone.
    Without ``keep_bytes`` (the pages are on disk, not in memory), the memo holds ``KEPT`` for every page: the
    next call reuses only what its ``kept`` confirms. ``themes`` keeps the compiled theme for the next call
    (none: compiled afresh). The pages in ``first`` are looked at, and rendered if need be, before the others."""
    dirs = theme_dirs(config)
    assets = collect_assets(dirs)
    theme = theme_key(dirs)
    previous = previous or {}
    memo: dict[str, tuple[str, bytes]] = {}
    todo: list[Page] = []
    themes = themes if themes is not None else ThemeCache()
    env = themes.environment_for(dirs, theme, bytecode_dir)
    template_key = template_keys(env, theme, assets, themes.template_keys)
    for hashed, data in assets.values():
        put(hashed, data)
    def rendered(page: Page, data: bytes) -> None:
        put(page.path, data)
        if keep_bytes:
            memo[page.path] = (memo[page.path][0], data)

    firsts = set(first)
    count = 0
    for pages in ([page for page in graph.pages if page.path in firsts], [page for page in graph.pages if page.path not in firsts]):
        for page in pages:
            key = _page_key(page, template_key(page.template))
            old = previous.get(page.path)
            if old is not None and old[0] == key and old[1] is not KEPT:
                memo[page.path] = old
            elif kept is not None and kept.get(page.path) == key:
                memo[page.path] = (key, KEPT)
            else:
                memo[page.path] = (key, KEPT)  # until rendered
                todo.append(page)
                continue
            put(page.path, memo[page.path][1])
        _render_all(todo, graph, config, env, assets, rendered)
        count += len(todo)
        todo = []
    put(".nojekyll", b"")  # GitHub Pages: serve the files as they are, no Jekyll
    if config.site.cname:
        put("CNAME", (config.site.cname.strip() + "\n").encode("ascii"))
    for path, data in feed_files(graph, config).items():
        put(path, data)
    return memo, count


def render_pages(graph: SiteGraph, config: Config, previous: Memo | None = None, kept: Mapping[str, str] | None = None,
                 bytecode_dir: Path | None = None, themes: ThemeCache | None = None) -> tuple[dict[str, bytes], dict[str, tuple[str, bytes]]]:
    """(files, memo): the whole site in memory (see ``render_site``), for a caller that wants it all at once."""
    files: dict[str, bytes] = {}
    memo, _ = render_site(graph, config, files.__setitem__, previous, kept, bytecode_dir, themes)
    return files, memo


def _page_key(page: Page, template: str) -> str:
    return hashlib.sha256(f"{template}:{page.fingerprint}".encode()).hexdigest()[:32]


def template_keys(env: jinja2.Environment, theme: str, assets: Mapping[str, tuple[str, bytes]],
                  known: dict[str, str] | None = None) -> Callable[[str], str]:
    """Per template name: a hash of its source and of every template it extends, includes or imports, as the
    search path finds them, plus the assets' names (pages link to them): a template edit re-renders only the
    pages that use that template. A template whose references cannot be followed (a name worked out at render
    time, a syntax error) gets the whole theme's key: every page using it is rendered, as is safe. ``known`` keeps
    the keys worked out, for this theme only (see ``ThemeCache``)."""
    known = known if known is not None else {}
    linked = "|".join(sorted(hashed for hashed, _ in assets.values()))

    def key(name: str) -> str:
        found = known.get(name)
        if found is None:
            found = known[name] = _template_key(env, name, linked) or theme
        return found
    return key


# A tag naming another template: {% extends "base.html" %}, {% include ... %}, {% import ... %}, {% from ... %}.
# A name followed by anything but the tag's end or its keywords ("a" ~ b) is an expression: not followed.
_REFERENCE = re.compile(r"""\{%[-+]?\s*(?:extends|include|import|from)\s+"""
                        r"""(?:(?:"([^"\\]*)"|'([^'\\]*)')(?=\s*(?:[-+]?%\}|(?:as|import|ignore|with|without)\s))|(\S))""")


def _template_key(env: jinja2.Environment, name: str, linked: str) -> str | None:
    """None when a reference is not a plain name (worked out at render time) or a template cannot be loaded.
    References are read with a pattern, not by parsing (parsing a theme costs a third of a second on every
    build); a tag inside a comment only adds a template that need not be there, which is safe."""
    h = hashlib.sha256(linked.encode())
    todo, seen = [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            source, filename, _ = env.loader.get_source(env, current)  # type: ignore[union-attr]
        except jinja2.TemplateError:
            return None
        for double, single, other in _REFERENCE.findall(source):
            if other:
                return None
            todo.append(double or single)
        h.update(f"{current}\x00{filename}\x00".encode() + hashlib.sha256(source.encode()).digest())
    return h.hexdigest()[:32]


def _render_all(pages: Sequence[Page], graph: SiteGraph, config: Config, env: jinja2.Environment, assets,
                rendered: Callable[[Page, bytes], None]) -> None:
    """Render ``pages``, handing each to ``rendered`` (in no fixed order). A large site is rendered in batches by
    this process and one forked worker, each taking the next batch when done with one; the worker's batches are
    handed over while this process renders, so neither holds more than a few batches of bytes."""
    if len(pages) < PARALLEL_RENDER_MIN or not can_fork():
        site = site_globals(graph, config)
        for page in pages:
            rendered(page, render_page(env, page, site, assets, config).encode("utf-8"))
        return
    for name in {page.template for page in pages}:  # compile once, before the worker forks
        try:
            env.get_template(name)
        except jinja2.TemplateError:
            pass  # reported with its location when the page renders
    batches = [pages[i:i + RENDER_BATCH] for i in range(0, len(pages), RENDER_BATCH)]
    turns = Turns(len(batches))
    theirs = Streamed(_render_batches, batches, turns, graph, config, env, assets)  # the graph is inherited, not pickled
    try:
        for number, data in _render_batches(batches, turns, graph, config, env, assets):
            for page, page_bytes in zip(batches[number], data):
                rendered(page, page_bytes)
            for their_number, their_data in theirs.ready():
                for page, page_bytes in zip(batches[their_number], their_data):
                    rendered(page, page_bytes)
        for their_number, their_data in theirs.rest():
            for page, page_bytes in zip(batches[their_number], their_data):
                rendered(page, page_bytes)
    finally:  # the worker is stopped and waited for, even when a batch here fails
        theirs.stop()


def _render_batches(batches: Sequence[Sequence[Page]], turns: Turns, graph: SiteGraph, config: Config, env: jinja2.Environment,
                    assets) -> Iterator[tuple[int, list[bytes]]]:
    """(batch number, its pages' bytes) for each batch whose turn this process takes."""
    site = site_globals(graph, config)
    for number in turns:
        yield number, [render_page(env, page, site, assets, config).encode("utf-8") for page in batches[number]]


def site_globals(graph: SiteGraph, config: Config) -> dict[str, Any]:
    """``site`` in every template: settings, navigation and feeds, never the whole digest
    (a page's fingerprint covers only what it is given)."""
    return {
        "config": config.site,
        "sections": graph.sections,
        "feed": graph.feeds[0] if graph.feeds else None,
        "paths": graph.paths,
        "timelines": "threads/index.html" if graph.threads else None,  # the navigation links to them only when there are some
        "pager_links": pager_links,
    }


def render_page(env: jinja2.Environment, page: Page, site: Mapping[str, Any], assets: Mapping[str, tuple[str, bytes]], config: Config | None = None) -> str:
    base_path = config.site.base_path if config else "/"
    base_url = config.site.base_url if config else ""

    def url(target: str) -> str:
        if page.root_relative:  # served at any depth: links from the site's base path
            return base_path + target
        return relative_url(page.path, target)

    def asset(name: str) -> str:
        if name not in assets:
            raise TemplateError(f"no static asset named '{name}'", hint=f"put it in templates/{STATIC_DIR}/")
        return url(assets[name][0])

    def absolute(target: str) -> str:
        return public_url(base_url, target)

    try:
        template = env.get_template(page.template)
        return template.render(page=page, site=site, url=url, asset=asset, absolute=absolute, paths=site["paths"],
                               canonical=absolute(page.path) if page.in_sitemap else None, **page.context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error: {exc.message}", _display(exc.filename or exc.name, config), exc.lineno,
                            hint="fix the template; the previous output was left as it was") from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template not found: {exc.name}", page.template, hint="add it to templates/ or restore the default theme") from exc
    except TemplateError:
        raise
    except Exception as exc:  # an error inside a template: find the template frame for path:line
        filename, line = _template_location(exc)
        message = str(exc) if isinstance(exc, jinja2.UndefinedError) else f"{type(exc).__name__}: {exc}"
        raise TemplateError(f"{message} (while rendering {page.path})", _display(filename, config) if filename else page.template, line,
                            hint="fix the template; the previous output was left as it was") from exc


def _display(filename: str | None, config: Config | None) -> str | None:
    """A template's path as the user knows it: relative to the site folder when it is inside it."""
    if not filename or config is None:
        return filename
    try:
        return Path(filename).resolve().relative_to(config.root.resolve()).as_posix()
    except ValueError:
        return filename


def _template_location(exc: BaseException) -> tuple[str | None, int | None]:
    found: tuple[str | None, int | None] = (None, None)
    for frame, line in traceback.walk_tb(exc.__traceback__):
        name = frame.f_code.co_filename
        if not name.endswith(".py") and not name.startswith("<"):
            found = (name, line)
    return found
