"""The build: one fixed list of stages, each timed, whatever the build is for.

    load -> parse -> merge -> classify -> graph -> render -> publish

``digest build`` publishes into ``output/`` on disk, ``digest serve`` into the preview server's memory: the same
``run`` with another ``Sink``. Each page goes to the sink as soon as it is rendered (on disk: into a staging folder
beside ``output/``), and the sink publishes only once every stage has succeeded, so a failed build leaves what
was published before exactly as it was.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from digest.errors import StrictModeError
from digest.forking import full_collections_paused, give_back_memory
from digest.models import Article, ClassifiedStory, Diagnostic, Digest, Story
from digest.pipeline.cache import ParseCache
from digest.pipeline.gather import Timings, gather
from digest.pipeline.session import BuildSession
from digest.read.dates import build_day
from digest.settings.config import Config, MergeConfig

if TYPE_CHECKING:
    from digest.stories.merge import MergeStats

EDITS_FIRST = 4  # at most this many documents parsed afresh: their story pages are made first (see ``edited_pages``)


class Publication(Protocol):
    """One run's site on its way to the sink, a file at a time; a context manager (a failure publishes nothing)."""

    holds_pages: bool  # whether it keeps every page's bytes anyway (the render memo may then refer to them)

    def __enter__(self) -> Publication: ...

    def __exit__(self, kind, error, trace) -> None: ...

    def save_session(self) -> bool:
        """Keep the cache's gathered parts now (True: they are saved, and may be let go of; False: nothing to keep,
        or they are written with the site, and must be kept until then)."""

    def republish(self, site: str) -> Mapping[str, str] | None:
        """When the last build published the site stamped ``site`` (see ``BuildSession.site_stamp``) and the sink
        still holds all of it as made: every file put as kept, and its pages' render keys (path -> key) returned.
        None otherwise (nothing put)."""

    def kept(self) -> Mapping[str, str] | None:
        """Pages already published as the last build made them: path -> render key (None: nothing is kept)."""

    def guess(self, path: str, old: str, new: str) -> None:
        """The page at ``path`` will likely be the published one with ``old`` (the edited note's body) replaced by
        ``new``, told as soon as the edit is parsed: the sink may index that guess for search meanwhile (it finds
        out whether it was right when the page is put, and makes the index again if it was not)."""

    def expect(self, pages: Sequence[str]) -> None:
        """Pages this run will likely make anew (an edit's story pages), told before the graph is built: the sink may
        get ready for them (their search shards laid out) meanwhile."""

    def bytecode_dir(self) -> Path | None:
        """Where compiled templates are kept between runs (None: not kept); published with the site when the
        sink keeps none yet."""

    def put(self, path: str, data: bytes) -> None:
        """One file of the new site (``KEPT``: the one already published)."""

    def finish(self, page_keys: Mapping[str, str], site: str | None = None) -> tuple[int, int]:
        """Publish the whole site (stamped ``site``, if known); (files written, files removed)."""


class Sink(Protocol):
    """Where a finished build goes."""

    @property
    def unchanged(self) -> str:
        """What --strict leaves in place when it stops a build, for its message ("nothing was written")."""

    def publication(self, cache: ParseCache) -> Publication:
        """Where this run's files go as they are made."""


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
    # What the build kept for a next run: held with the report, so that a process ending once it has printed it
    # need not free it first (~0.1 s at 10,000 articles).
    session: BuildSession | None = field(default=None, compare=False, repr=False)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return self.digest.diagnostics


def run(config: Config, session: BuildSession, sink: Sink, *, strict: bool = False, last: bool = False) -> BuildReport:
    """The whole build. Raises before the sink publishes anything if a stage fails (or, with strict, warns).
    ``last``: no other run follows in this process, so what only a next run would reuse is let go of as soon as
    it is written (the re-merger's tables, the parse results, the site graph): less memory for the stages after."""
    from digest.render.pages import ThemeCache, render_site
    from digest.site.graph import build_site_graph
    from digest.site.redirects import moved_stories

    today = build_day()  # read once: a build running across midnight dates its pages and its about page alike
    timings = Timings()
    with timings.stage("session"):  # what the last build left (its cache and memo): part of what a build costs
        session.begin(config)
        cache = session.cache
        hits, misses = cache.hits, cache.misses
        cache.parsed.clear()
        before = cache.last_stories()
    with sink.publication(cache) as publication:  # before gather: the edit's page may be guessed once it is parsed
        merger = session.remerger or (lambda: _GuessFirst(session, publication, before))  # made once parsed
        digest = gather(config, cache, timings, merger, session.related, today)
        if last:  # what gather made lives until the process ends: no full collection need walk it again (~1 CPU-s at 10,000)
            gc.freeze()
        if strict and digest.diagnostics:
            listed = "\n".join(str(d) for d in digest.diagnostics)
            raise StrictModeError(f"{len(digest.diagnostics)} warning(s) and --strict is set: {sink.unchanged}\n{listed}",
                                  hint="fix the documents above, or run without --strict")
        stamp = session.site_stamp(config, today)
        kept = publication.republish(stamp) if stamp and digest.stories is before else None
        if kept is not None:  # nothing the site is made from changed, and it is all still there: no graph, no render
            with timings.stage("write"):
                written, deleted = publication.finish(kept, stamp)
            session.render_memo = {}
            return BuildReport(digest, written, deleted, len(kept), 0, timings, (cache.hits - hits, cache.misses - misses))
        session.themes = session.themes or ThemeCache()
        edited = edited_pages(digest, cache.parsed)
        publication.expect(edited)
        with timings.stage("graph"):
            graph_memo = session.graph_memo(digest.stories)
            graph = build_site_graph(digest, graph_memo, today)
        pages = len(graph.pages)
        session.keep()
        with timings.stage("save"):  # the session, before the stages that need it no more
            saved = publication.save_session()
        if saved and last:
            session.remerger = None
            cache.release_session()
            give_back_memory()
        with timings.stage("render"):  # and write each page into the staged site
            memo, rendered = render_site(graph, config, publication.put, session.render_memo, kept=publication.kept(),
                                         bytecode_dir=publication.bytecode_dir(), themes=session.themes, keep_bytes=publication.holds_pages,
                                         first=edited)
        del graph, graph_memo
        if last and rendered:  # before the search indexer starts (with nothing rendered, nothing is indexed)
            session.graph = None
            give_back_memory()
        # Here, not once published: while the edited shard's Pagefind run goes on, not after it.
        moved = tuple(moved_stories(before, digest.stories, config)) if before and before is not digest.stories else ()
        with timings.stage("write"):  # the unchanged files, the cache, the search index, the switch
            written, deleted = publication.finish({path: key for path, (key, _) in memo.items()}, stamp)
    session.render_memo = memo
    return BuildReport(digest, written, deleted, pages, rendered, timings, (cache.hits - hits, cache.misses - misses), moved)


class _GuessFirst:
    """What gather merges with when the last build's re-merger is on disk: before merging, the story pages the
    edit will likely make are guessed and told to the publication (see ``likely_edits``), so that Pagefind may
    index the edited story's shard while the build merges, classifies and makes the graph."""

    def __init__(self, session: BuildSession, publication: Publication, before: Sequence[ClassifiedStory]) -> None:
        self.session, self.publication, self.before = session, publication, before

    def merge(self, articles: Sequence[Article], settings: MergeConfig) -> tuple[list[Story], MergeStats]:
        for path, old, new in likely_edits(self.before, articles, self.session.cache.parsed):
            self.publication.guess(path, old, new)
        return self.session.merger().merge(articles, settings)


def likely_edits(before: Sequence[ClassifiedStory], articles: Sequence[Article], parsed: Sequence[str]) -> list[tuple[str, str, str]]:
    """(story page, old body, new body) for each note of the last build's stories that was parsed afresh with only
    its body changed, when few were (an edit) and it is its story's one article: its page will likely be the
    published one with the body replaced (a story told by several outlets lists what each adds: not guessed)."""
    from digest.site.model import story_path

    if not parsed or len(parsed) > EDITS_FIRST:
        return []
    sources = set(parsed)
    fresh = {article.source: article for article in articles if article.source in sources}
    guesses = []
    for item in before:
        if len(item.story.articles) != 1 or item.story.articles[0].source not in fresh:
            continue
        old = item.story.articles[0]
        new = fresh[old.source]
        if old.body_html and new.body_html and old.body_html != new.body_html \
                and replace(new, body_html=old.body_html, paragraphs=old.paragraphs) == old:
            guesses.append((story_path(item.slug), old.body_html, new.body_html))
    return guesses


def edited_pages(digest: Digest, parsed: Sequence[str]) -> list[str]:
    """The story pages of the documents parsed afresh (``parsed``: their paths), when they are few (an edit): made
    first, so that the search index of the edited stories starts while the rest of the site is rendered."""
    from digest.site.model import story_path

    if not parsed or len(parsed) > EDITS_FIRST:
        return []
    sources = set(parsed)
    return [story_path(item.slug) for item in digest.stories if any(article.source in sources for article in item.story.articles)]


def build(config: Config, *, strict: bool = False, clean: bool = False, search: bool = True) -> BuildReport:
    """``digest build``: one run into ``output/``, starting from what the last build left there."""
    from digest.publish.disk import OutputFolder

    sink = OutputFolder.for_config(config, search=search)  # refuses a folder that is not digest's, before any work
    session = BuildSession() if clean else BuildSession.from_output(config.output_dir)
    with full_collections_paused():  # one run, then the process ends: young garbage is collected, the rest lives on
        return replace(run(config, session, sink, strict=strict, last=True), session=session)
