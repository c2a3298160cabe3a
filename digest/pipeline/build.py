"""The build: one fixed list of stages, each timed, whatever the build is for.

    load -> parse -> merge -> classify -> graph -> render -> publish

``digest build`` publishes into ``output/`` on disk, ``digest serve`` into the preview server's memory: the same
``run`` with another ``Sink``. Everything is gathered and rendered in memory before the sink is handed anything,
so a failed build leaves what was published before exactly as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from digest.errors import StrictModeError
from digest.models import Diagnostic, Digest
from digest.pipeline.cache import ParseCache
from digest.pipeline.gather import Timings, gather
from digest.pipeline.session import BuildSession, RenderMemo
from digest.settings.config import Config


class Sink(Protocol):
    """Where a finished build goes."""

    @property
    def unchanged(self) -> str:
        """What --strict leaves in place when it stops a build, for its message ("nothing was written")."""

    def kept(self, cache: ParseCache) -> Mapping[str, str] | None:
        """Pages already published as the last build made them: path -> render key (None: nothing is kept)."""

    def bytecode_dir(self) -> Path | None:
        """Where compiled templates may be kept between runs (None: not kept)."""

    def publish(self, files: dict[str, bytes], memo: RenderMemo, cache: ParseCache, timings: Timings) -> tuple[int, int]:
        """Publish the whole site; (files written, files removed)."""


@dataclass(frozen=True)
class BuildReport:
    digest: Digest
    written: int
    deleted: int
    pages: int
    rendered: int  # pages rendered afresh (the rest were reused)
    timings: Timings
    parse_cache: tuple[int, int] = (0, 0)  # (hits, misses) of this run: a run with nothing changed only hits
    moved: tuple[tuple[str, str], ...] = ()  # (old slug, new slug) of stories whose address changed since the last build

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return self.digest.diagnostics


def run(config: Config, session: BuildSession, sink: Sink, *, strict: bool = False) -> BuildReport:
    """The whole build. Raises before the sink is handed anything if a stage fails (or, with strict, warns)."""
    from digest.publish.write import KEPT
    from digest.render.pages import ThemeCache, render_pages
    from digest.site.graph import build_site_graph
    from digest.site.redirects import moved_stories

    timings = Timings()
    session.begin(config)
    cache = session.cache
    hits, misses = cache.hits, cache.misses
    before = cache.last_stories()
    digest = gather(config, cache, timings, session.remerger or session.merger, session.related)
    if strict and digest.diagnostics:
        listed = "\n".join(str(d) for d in digest.diagnostics)
        raise StrictModeError(f"{len(digest.diagnostics)} warning(s) and --strict is set: {sink.unchanged}\n{listed}",
                              hint="fix the documents above, or run without --strict")
    graph_memo = session.graph_memo()
    session.themes = session.themes or ThemeCache()
    with timings.stage("graph"):
        graph = build_site_graph(digest, graph_memo)
    with timings.stage("render"):
        previous = session.render_memo
        files, memo = render_pages(graph, config, previous, kept=sink.kept(cache), bytecode_dir=sink.bytecode_dir(), themes=session.themes)
        rendered = sum(1 for path, entry in memo.items() if previous.get(path) is not entry and entry[1] is not KEPT)
    session.render_memo = memo
    session.keep()
    written, deleted = sink.publish(files, memo, cache, timings)
    moved = tuple(moved_stories(before, digest.stories, config)) if before and before is not digest.stories else ()
    return BuildReport(digest, written, deleted, len(graph.pages), rendered, timings, (cache.hits - hits, cache.misses - misses), moved)


def build(config: Config, *, strict: bool = False, clean: bool = False, search: bool = True) -> BuildReport:
    """``digest build``: one run into ``output/``, starting from what the last build left there."""
    from digest.publish.disk import OutputFolder

    sink = OutputFolder.for_config(config, search=search)  # refuses a folder that is not digest's, before any work
    session = BuildSession() if clean else BuildSession.from_output(config.output_dir)
    return run(config, session, sink, strict=strict)
