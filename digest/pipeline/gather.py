"""Gathering: load -> parse -> merge -> classify, each stage timed.

What ``digest list``, ``digest explain`` and every build (``digest build``, ``digest serve``) start with:
everything known about the content (a ``Digest``) before any page exists.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from digest.models import Article, Diagnostic, Digest, ParsedDocument, SourceDocument, Story
from digest.pipeline.cache import ParseCache
from digest.pipeline.load import KnownDocument, _display, limits_for, load_documents, scan_documents, walk_documents
from digest.pipeline.memo_key import gather_key
from digest.read.dates import build_day, common_days
from digest.settings.config import Config, MergeConfig

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from digest.classify.related import RelatedMemo
    from digest.stories.merge import MergeStats
    from digest.stories.remerge import Remerger

# Below this many documents to parse, starting worker processes costs more than it saves.
PARALLEL_PARSE_MIN = 200
CHUNK = 64  # documents a worker is given at a time


class Merger(Protocol):
    """What merges the articles into stories: a ``Remerger``, or anything with its ``merge``."""

    def merge(self, articles: Sequence[Article], settings: MergeConfig) -> tuple[list[Story], MergeStats]: ...


@dataclass
class Timings:
    """How long each stage of one run took, in the order they ran."""

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


def gather(config: Config, cache: ParseCache | None = None, timings: Timings | None = None,
           remerger: Remerger | Callable[[], Merger] | None = None, related: RelatedMemo | None = None,
           today: dt.date | None = None) -> Digest:
    """load -> parse -> merge -> classify: what ``list``, ``explain`` and ``build`` all start with.

    With a cache, files whose stat is unchanged are not read again, and when no document, setting or
    code changed since the cache's last gather, its articles and stories are reused as they are.
    With a ``Remerger`` (or a function giving one when first needed), merging redoes only what changed since
    its last call; with a
    ``RelatedMemo``, the stories where nothing changed come back as the very objects of the last call.
    ``today`` is the build's day (``build_day()`` when not given): what a page's weekday-only dateline is dated by."""
    timings = timings or Timings()
    today = today or build_day()
    remember = cache is not None
    cache = cache if cache is not None else ParseCache()
    diagnostics: list[Diagnostic] = list(config.warnings)
    docs: Sequence[SourceDocument | KnownDocument]
    ahead: ParseAhead | None = None
    with timings.stage("load"):
        if remember:
            found = walk_documents(config.content_dir)
            # Nothing read before (a first or --clean build): every document is parsed, from as soon as it is read.
            ahead = ParseAhead.start(config, today) if not cache.stats and len(found) >= PARALLEL_PARSE_MIN else None
            try:
                docs, load_problems, stats = scan_documents(config.content_dir, cache.stats, limits_for(config), found, ahead.add if ahead else None)
            except BaseException:
                if ahead is not None:
                    ahead.close()
                raise
            cache.update_stats(stats)
        else:
            docs, load_problems = load_documents(config.content_dir, limits_for(config))
        diagnostics += load_problems
        key = gather_key(config, [(doc.path, doc.sha256) for doc in docs]) if remember else ""
        # A remerger that has not merged yet must see every article once, even when nothing changed.
        unready = remerger is not None and not callable(remerger) and not remerger.ready
        reused = cache.gathered(key, today, lambda: {doc.path: doc.mtime for doc in docs}) if remember and not unready else None
    content = _display(config.content_dir)
    if reused is not None:
        if ahead is not None:  # parsed for nothing: a gather memo without the stat map it is written with
            ahead.close()
        articles, stories, parse_problems, merge_problems = reused
        cache.hits += len(docs)  # every document's parse result is known (and none was read)
        diagnostics += [_under(content, d) for d in parse_problems] + list(merge_problems)
        return _digest(config, articles, stories, diagnostics)
    # Imported here, not at the top: a build whose memo matches never needs them (nor numpy).
    from digest.classify.filing import classify_stories
    from digest.forking import give_back_memory, large_blocks_mapped
    from digest.stories.merge import merge_stories

    with timings.stage("parse"), large_blocks_mapped():
        parsed, as_promised = parse_all(docs, config, cache, diagnostics, today, ahead)
        parse_problems = tuple(d for result in parsed for d in result.diagnostics)
        diagnostics += [_under(content, d) for d in parse_problems]
        articles = [a for result in parsed for a in result.articles]
    with timings.stage("merge"):
        merger = remerger() if callable(remerger) else remerger
        stories, merge_stats = merger.merge(articles, config.merge) if merger else merge_stories(articles, config.merge)
        diagnostics += merge_stats.diagnostics
    if remember and related is not None and not related:  # a new process: the last build's stories, as loaded
        related.update(((id(item.story), id(item.classification)), item) for item in cache.last_stories())
    with timings.stage("classify"):
        give_back_memory()  # what the merge let go of (~300 MB at 10,000 articles): the stages after have room
        classified = classify_stories(stories, config.taxonomy, config.sections, memo=cache.classify_memo if remember else None,
                                      related=related)
    if remember and as_promised:
        cache.remember_gathered(key, (tuple(articles), tuple(classified), parse_problems, tuple(merge_stats.diagnostics)),
                                common_days(result.build_days for result in parsed),
                                {result.source: result.file_time for result in parsed if result.file_time is not None})
    elif remember:
        cache.forget_gathered_key()
    return _digest(config, tuple(articles), tuple(classified), diagnostics)


def _digest(config: Config, articles, stories, diagnostics: list[Diagnostic]) -> Digest:
    """The digest, with what is wrong with the settings' redirects given the stories' slugs."""
    from digest.site.redirects import usable_redirects

    if config.redirects:
        diagnostics = diagnostics + usable_redirects(config, {item.slug for item in stories})[1]
    return Digest(config, articles, stories, tuple(diagnostics))


def parse_all(docs: Sequence[SourceDocument | KnownDocument], config: Config, cache: ParseCache,
              diagnostics: list[Diagnostic], today: dt.date, ahead: ParseAhead | None = None) -> tuple[list[ParsedDocument], bool]:
    """Parse each document once: cached results by content hash, the rest on every core (those ``ahead`` was
    given: by its workers, as they were read). A ``KnownDocument`` (stat unchanged) is read only when its result
    is not in the cache; the flag returned says whether every such document still had the bytes its stat promised."""
    from digest.read import parse_document

    capture = config.capture
    results: dict[str, ParsedDocument] = {}
    todo: list[SourceDocument] = []
    as_promised = True
    for doc in docs:
        hit = cache.get(doc, capture, today)
        if hit is not None:
            results[doc.path] = hit
            continue
        if isinstance(doc, KnownDocument):
            promised = doc.sha256
            source, problems = doc.read(config.content_dir, limits_for(config))
            diagnostics += problems
            if source is None or source.sha256 != promised:  # changed while this build ran
                as_promised = False
            if source is None:
                continue
            hit = cache.get(source, capture, today, count=False)  # its bytes changed to ones parsed before
            if hit is not None:
                results[source.path] = hit
                continue
        else:
            source = doc
        todo.append(source)
    parsed_ahead = ahead.results() if ahead is not None else {}
    known = [parsed_ahead[doc.path][1] if parsed_ahead.get(doc.path, (None,))[0] is doc else None for doc in todo]
    rest = [doc for doc, result in zip(todo, known) if result is None]
    if len(rest) >= PARALLEL_PARSE_MIN and _workers() > 1:
        from digest.processes import helper_pool

        with helper_pool(_workers()) as pool:
            parsed_now = iter(list(pool.map(parse_document, rest, [capture] * len(rest), [today] * len(rest), chunksize=CHUNK)))
    else:
        parsed_now = (parse_document(doc, capture, today) for doc in rest)
    fresh = [result if result is not None else next(parsed_now) for result in known]
    for doc, result in zip(todo, fresh):
        cache.put(doc, capture, result)
        results[doc.path] = result
    return [results[doc.path] for doc in docs if doc.path in results], as_promised


def _under(content: str, diagnostic: Diagnostic) -> Diagnostic:
    return Diagnostic(f"{content}/{diagnostic.path}", diagnostic.line, diagnostic.message, diagnostic.level)


def _workers() -> int:
    return min(os.cpu_count() or 1, 4)


class ParseAhead:
    """Documents parsed by worker processes as the load stage reads them (a chunk at a time), so that reading and
    hashing the files (~1 s at 10,000 documents) is not done before the parsing starts, on one core."""

    def __init__(self, config: Config, today: dt.date) -> None:
        from digest.forking import large_blocks_mapped
        from digest.processes import helper_pool

        self.capture, self.today = config.capture, today
        self.chunk: list[SourceDocument] = []
        self.parsing: list[tuple[list[SourceDocument], Future[list[ParsedDocument]]]] = []
        self.memory = large_blocks_mapped()  # the results come while the load stage goes on (see ``gather``)
        self.memory.__enter__()
        self.pool: ProcessPoolExecutor | None = helper_pool(_workers())  # forked now, while this process holds little

    @classmethod
    def start(cls, config: Config, today: dt.date) -> ParseAhead | None:
        """None where documents are not parsed on several cores (see ``parse_all``)."""
        from digest.forking import can_fork

        return cls(config, today) if _workers() > 1 and can_fork() else None

    def add(self, doc: SourceDocument) -> None:
        self.chunk.append(doc)
        if len(self.chunk) == CHUNK:
            self._send()

    def _send(self) -> None:
        if self.chunk and self.pool is not None:
            self.parsing.append((self.chunk, self.pool.submit(_parse_chunk, self.chunk, self.capture, self.today)))
            self.chunk = []

    def results(self) -> dict[str, tuple[SourceDocument, ParsedDocument]]:
        """Every document given, with its result: path -> (document, result)."""
        self._send()
        try:
            return {doc.path: (doc, result) for docs, parsing in self.parsing for doc, result in zip(docs, parsing.result())}
        finally:
            self.close()

    def close(self) -> None:
        """The workers stopped (what they had not started is not parsed)."""
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
            self.memory.__exit__(None, None, None)


def _parse_chunk(docs: Sequence[SourceDocument], capture, today: dt.date) -> list[ParsedDocument]:
    from digest.read import parse_document

    return [parse_document(doc, capture, today) for doc in docs]
