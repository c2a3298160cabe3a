"""Parse stage: one reader per kind of document, each a pure function of (document, config)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from digest.characters import FORBIDDEN, describe_removed, strip_forbidden
from digest.models import Article, DateSource, Diagnostic, ParsedDocument, SourceDocument
from digest.read.captured import read_captured
from digest.read.markdown import read_markdown
from digest.settings.config import CaptureConfig
from digest.settings.patterns import PatternTooSlow

READERS = MappingProxyType({
    ".txt": read_captured,
    ".md": read_markdown,
    ".markdown": read_markdown,
})
FILE_TIME_SOURCES = frozenset({DateSource.FILE_MTIME, DateSource.RELATIVE_AGE_FILE})  # dates read from doc.mtime
TEXT_FIELDS = ("headline", "outlet", "author", "credit", "photo_credit", "dateline", "url", "aggregator", "body_html", "region", "theme", "story_key")


def parse_document(doc: SourceDocument, capture: CaptureConfig, today: dt.date | None = None) -> ParsedDocument:
    """What the reader for ``doc``'s kind makes of it; ``today`` is the build's day (``build_day()`` when not given)."""
    suffix = "." + doc.path.rsplit(".", 1)[-1].lower() if "." in doc.path else ""
    reader = READERS.get(suffix)
    if reader is None:
        return ParsedDocument(doc.path, (), (Diagnostic(doc.path, None, f"no reader for '{suffix}' files: skipped"),))
    try:
        parsed = reader(doc, capture, today)
    except PatternTooSlow as slow:  # in a step that cannot go on without the pattern (splitting the page)
        return ParsedDocument(
            doc.path,
            (),
            (
                Diagnostic(
                    doc.path, None, f"capture pattern {slow.pattern!r} ran over {slow.seconds} s and was stopped: skipped (simplify the pattern in digest.yaml)"
                ),
            ),
        )
    if any(article.date is not None and article.date.source in FILE_TIME_SOURCES for article in parsed.articles):
        parsed = replace(parsed, file_time=doc.mtime)
    return _without_forbidden_characters(parsed)


def _without_forbidden_characters(parsed: ParsedDocument) -> ParsedDocument:
    """The last guard before pages and feeds: the load stage strips control characters from the text,
    but Markdown turns character references (``&#12;``) back into some of them."""
    articles, diagnostics = [], list(parsed.diagnostics)
    for article in parsed.articles:
        cleaned, removed = _scrubbed(article)
        if not removed:
            articles.append(article)
            continue
        diagnostics.append(Diagnostic(parsed.source, article.line, f"removed {describe_removed(removed)} (written as character references)"))
        if not cleaned.headline.strip():
            diagnostics.append(Diagnostic(parsed.source, article.line, "no headline once they are removed: skipped"))
            continue
        articles.append(cleaned)
    return replace(parsed, articles=tuple(articles), diagnostics=tuple(diagnostics))


def _scrubbed(article: Article) -> tuple[Article, list[str]]:
    """``article`` without forbidden characters in any of its text, and the code points removed."""
    texts = [getattr(article, name) or "" for name in TEXT_FIELDS] + list(article.paragraphs) + list(article.tags)
    if not FORBIDDEN.search("\n".join(texts)):  # one search, not one a text (a newline is allowed)
        return article, []
    removed: list[str] = []

    def clean(text: str) -> str:
        text, found = strip_forbidden(text)
        removed.extend(found)
        return text

    changes: dict[str, Any] = {name: clean(getattr(article, name)) for name in TEXT_FIELDS if getattr(article, name)}
    return replace(article, **changes, paragraphs=tuple(map(clean, article.paragraphs)), tags=tuple(map(clean, article.tags))), removed
