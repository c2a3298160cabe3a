"""The build: a fixed list of stages, each a pure function, each timed.

    load -> parse -> merge -> classify -> graph -> render -> write

Everything is gathered and rendered in memory before anything is written, so a failed
build leaves the previous ``output/`` exactly as it was.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Mapping, Sequence

from digest.pipeline.cache import ParseCache, gather_key
from digest.settings.config import Config
from digest.errors import StrictModeError
from digest.pipeline.load import KnownDocument, _display, load_documents, scan_documents
from digest.models import Article, ClassifiedStory, Diagnostic, Digest, ParsedDocument, SourceDocument

if TYPE_CHECKING:
    from digest.stories.remerge import Remerger

# Below this many documents to parse, starting worker processes costs more than it saves.
PARALLEL_PARSE_MIN = 200


@dataclass
class Timings:
    stages: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stages.append((name, time.perf_counter() - start))

    def __str__(self) -> str:
        return "  ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in self.stages)


def gather(config: Config, cache: ParseCache | None = None, timings: Timings | None = None, remerger: "Remerger | None" = None) -> Digest:
    """load -> parse -> merge -> classify: what ``list``, ``explain`` and ``build`` all start with.

    With a cache, files whose stat is unchanged are not read again, and when no document, setting or
    code changed since the cache's last gather, its articles and stories are reused as they are.
    With a ``Remerger`` (the preview server's), merging redoes only what changed since its last call."""
    timings = timings or Timings()
    remember = cache is not None
    cache = cache if cache is not None else ParseCache()
    diagnostics: list[Diagnostic] = list(config.warnings)
    with timings.stage("load"):
        if remember:
            docs, load_problems, stats = scan_documents(config.content_dir, cache.stats)
            cache.update_stats(stats)
        else:
            docs, load_problems = load_documents(config.content_dir)
        diagnostics += load_problems
        key = gather_key(config, [(doc.path, doc.sha256) for doc in docs]) if remember else ""
        # A remerger that has not merged yet must see every article once, even when nothing changed.
        reused = cache.gathered(key) if remember and (remerger is None or remerger.ready) else None
    content = _display(config.content_dir)
    if reused is not None:
        articles, stories, parse_problems, merge_problems = reused
        cache.hits += len(docs)  # every document's parse result is known (and none was read)
        diagnostics += [_under(content, d) for d in parse_problems] + list(merge_problems)
        return _digest(config, articles, stories, diagnostics)
    # Imported here, not at the top: a build whose memo matches never needs them (nor numpy).
    from digest.classify.filing import classify_stories
    from digest.stories.merge import merge_stories

    with timings.stage("parse"):
        parsed, as_promised = parse_all(docs, config, cache, diagnostics)
        parse_problems = tuple(d for result in parsed for d in result.diagnostics)
        diagnostics += [_under(content, d) for d in parse_problems]
        articles = [a for result in parsed for a in result.articles]
    with timings.stage("merge"):
        stories, merge_stats = remerger.merge(articles, config.merge) if remerger else merge_stories(articles, config.merge)
        diagnostics += merge_stats.diagnostics
    with timings.stage("classify"):
        classified = classify_stories(stories, config.taxonomy, config.sections, memo=cache.classify_memo if remember else None)
    if remember and as_promised:
        cache.remember_gathered(key, (tuple(articles), tuple(classified), parse_problems, tuple(merge_stats.diagnostics)))
    return _digest(config, tuple(articles), tuple(classified), diagnostics)


def _digest(config: Config, articles, stories, diagnostics: list[Diagnostic]) -> Digest:
    """The digest, with what is wrong with the settings' redirects given the stories' slugs."""
    from digest.site.redirects import usable_redirects

    if config.redirects:
        diagnostics = diagnostics + usable_redirects(config, {item.slug for item in stories})[1]
    return Digest(config, articles, stories, tuple(diagnostics))


def parse_all(docs: Sequence[SourceDocument | KnownDocument], config: Config, cache: ParseCache,
              diagnostics: list[Diagnostic]) -> tuple[list[ParsedDocument], bool]:
    """Parse each document once: cached results by content hash, the rest on every core.
    A ``KnownDocument`` (stat unchanged) is read only when its result is not in the cache; the flag
    returned says whether every such document still had the bytes its stat promised."""
    from digest.read import parse_document

    capture = config.capture
    results: dict[str, ParsedDocument] = {}
    todo = []
    as_promised = True
    for doc in docs:
        hit = cache.get(doc, capture)
        if hit is not None:
            results[doc.path] = hit
            continue
        if isinstance(doc, KnownDocument):
            promised = doc.sha256
            doc, problems = doc.read(config.content_dir)
            diagnostics += problems
            if doc is None or doc.sha256 != promised:  # changed while this build ran
                as_promised = False
            if doc is None:
                continue
            hit = cache.get(doc, capture, count=False)  # its bytes changed to ones parsed before
            if hit is not None:
                results[doc.path] = hit
                continue
        todo.append(doc)
    workers = min(os.cpu_count() or 1, 4)
    if len(todo) >= PARALLEL_PARSE_MIN and workers > 1:
        from concurrent.futures import ProcessPoolExecutor  # here: most builds parse nothing (~25 ms of start-up)

        with ProcessPoolExecutor(workers) as pool:
            fresh = list(pool.map(parse_document, todo, [capture] * len(todo), chunksize=64))
    else:
        fresh = [parse_document(doc, capture) for doc in todo]
    for doc, result in zip(todo, fresh):
        cache.put(doc, capture, result)
        results[doc.path] = result
    return [results[doc.path] for doc in docs if doc.path in results], as_promised


@dataclass(frozen=True)
class BuildReport:
    digest: Digest
    written: int
    deleted: int
    pages: int
    timings: Timings
    parse_cache: tuple[int, int] = (0, 0)  # (hits, misses): a second build with nothing changed only hits
    moved: tuple[tuple[str, str], ...] = ()  # (old slug, new slug) of stories whose address changed since the last build

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return self.digest.diagnostics


def build(config: Config, *, strict: bool = False, clean: bool = False, search: bool = True) -> BuildReport:
    """The whole build. Raises before writing anything if any stage fails (or, with strict, warns)."""
    from digest.pipeline.cache import CACHE_DIR
    from digest.render.pages import render_pages
    from digest.site.graph import build_site_graph
    from digest.publish.write import kept_pages, load_cache, run_search_indexer, write_output

    timings = Timings()
    cache = ParseCache() if clean else load_cache(config.output_dir)
    before = cache.last_stories()
    digest = gather(config, cache, timings)
    if strict and digest.diagnostics:
        listed = "\n".join(str(d) for d in digest.diagnostics)
        raise StrictModeError(f"{len(digest.diagnostics)} warning(s) and --strict is set: nothing was written\n{listed}", hint="fix the documents above, or build without --strict")
    with timings.stage("graph"):
        graph = build_site_graph(digest)
    with timings.stage("render"):
        # Pages whose render key is unchanged and whose file is still in output/ are not rendered again.
        kept = kept_pages(config.output_dir, cache)
        bytecode = config.output_dir / CACHE_DIR / "templates" if (config.output_dir / CACHE_DIR).is_dir() else None
        files, memo = render_pages(graph, config, kept=kept, bytecode_dir=bytecode)
    with timings.stage("write"):
        written, deleted = write_output(files, config.output_dir, cache, {path: key for path, (key, _) in memo.items()})
    if search:
        with timings.stage("search"):
            run_search_indexer(config.output_dir)
    from digest.site.redirects import moved_stories

    moved = tuple(moved_stories(before, digest.stories, config)) if before and before is not digest.stories else ()
    return BuildReport(digest, written, deleted, len(graph.pages), timings, (cache.hits, cache.misses), moved)


def _under(content: str, diagnostic: Diagnostic) -> Diagnostic:
    return Diagnostic(f"{content}/{diagnostic.path}", diagnostic.line, diagnostic.message, diagnostic.level)
