"""Markdown notes: YAML front matter, then a Markdown body rendered with markdown-it-py (raw HTML off)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from markdown_it import MarkdownIt

from digest.models import Article, ArticleDate, DateSource, Diagnostic, ParsedDocument, SourceDocument
from digest.read.front_matter import FrontMatter, read_front_matter
from digest.read.plain_markdown import PLAIN_URL, render_plain
from digest.settings.config import CaptureConfig
from digest.slugs import slugify

_PLAIN_URL = re.compile(PLAIN_URL)


class _Markdown(MarkdownIt):
    def normalizeLink(self, url: str) -> str:
        """As markdown-it's: parsing, punycoding and encoding a plain address (~15 us a link) gives it back unchanged."""
        return url if _PLAIN_URL.fullmatch(url) else super().normalizeLink(url)


# "commonmark" with html disabled: raw HTML in a note is shown as text, never injected into the page.
_MARKDOWN = _Markdown("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

KNOWN_KEYS = frozenset(
    {"title", "date", "outlet", "author", "url", "region", "theme", "tags", "credit", "dateline", "story", "apart", "summary", "draft", "slug"}
)

# Keys whose value is one line of text: one YAML rejects for an unquoted ": " is read as that text.
TEXT_KEYS = frozenset({"title", "outlet", "author", "url", "region", "theme", "credit", "dateline", "story", "summary"})


def read_markdown(doc: SourceDocument, capture: CaptureConfig | None = None, today: dt.date | None = None) -> ParsedDocument:
    """The article of one note. ``capture`` and ``today`` are not used (every reader takes them): a note's date
    is in its front matter or its file's time, never worked out from the build's day."""
    front = read_front_matter(doc, TEXT_KEYS)
    diagnostics = list(front.diagnostics)
    if front.meta is None or _is_draft(front, diagnostics):
        return ParsedDocument(doc.path, (), tuple(diagnostics))
    meta = dict(front.meta)  # what the article keeps: checked values replace the raw ones below
    for key in meta:
        if key not in KNOWN_KEYS:
            diagnostics.append(Diagnostic(doc.path, front.line(key), f"unknown front matter key '{key}' is kept but not used"))

    plain = render_plain(front.body)  # most notes: the same HTML and texts, without markdown-it's parser
    tokens = _MARKDOWN.parse(front.body) if plain is None else []
    title = front.text("title", diagnostics) or _first_heading(tokens)
    if not title:
        return ParsedDocument(
            doc.path, (), (*diagnostics, Diagnostic(doc.path, 1, "no headline: add 'title:' to the front matter or start the body with '# Headline': skipped"))
        )
    html = _MARKDOWN.renderer.render(_drop_title_heading(tokens, title), _MARKDOWN.options, {}) if plain is None else plain.html
    if not html.strip():
        return ParsedDocument(
            doc.path,
            (),
            (
                *diagnostics,
                Diagnostic(
                    doc.path, front.body_line, "the note has no text under its front matter and headline: skipped (write the note below the closing '---')"
                ),
            ),
        )

    if "slug" in meta and (not isinstance(meta["slug"], str) or slugify(meta["slug"]) != meta["slug"].strip()):
        wanted = meta.pop("slug")
        fixed = slugify(str(wanted)) if isinstance(wanted, (str, int, float)) else None
        hint = f" (use 'slug: {fixed}')" if fixed and fixed != "untitled" else ""
        diagnostics.append(
            Diagnostic(doc.path, front.line("slug"), f"slug {wanted!r} is not a slug: lowercase letters, digits and hyphens only{hint}: ignored")
        )
    for key in ("tags", "apart"):
        if key in meta:
            meta[key] = _word_list(front, key, diagnostics)

    article = Article(
        id=doc.path.rsplit(".", 1)[0],
        source=doc.path,
        line=front.body_line,
        kind="note",
        headline=title,
        paragraphs=tuple(_paragraph_texts(tokens)) if plain is None else plain.paragraphs,
        outlet=front.text("outlet", diagnostics),
        author=front.text("author", diagnostics),
        credit=front.text("credit", diagnostics),
        dateline=front.text("dateline", diagnostics),
        date=_date(doc, front, diagnostics),
        url=front.url("url", diagnostics),
        body_html=html,
        region=front.text("region", diagnostics),
        theme=front.text("theme", diagnostics),
        tags=meta.get("tags", ()),
        story_key=front.text("story", diagnostics),
        meta={k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool, list, tuple))},
    )
    return ParsedDocument(doc.path, (article,), tuple(diagnostics))


# Text a draft flag may be written as that clearly means "publish it"; any other text keeps it back.
NOT_DRAFT_WORDS = {"false", "no", "off", "n", "0", ""}


def _is_draft(front: FrontMatter, diagnostics: list[Diagnostic]) -> bool:
    """Whether ``draft:`` keeps the note back. Anything but true or false is a warning; unclear
    values are read as a draft, since publishing a draft cannot be undone."""
    value = (front.meta or {}).get("draft", False)
    if isinstance(value, bool) or value is None:
        return bool(value)
    publish = isinstance(value, (str, int, float)) and str(value).strip().lower() in NOT_DRAFT_WORDS
    outcome = "read as false: the note is published" if publish else "the note is treated as a draft and not published"
    diagnostics.append(Diagnostic(front.path, front.line("draft"), f"draft {value!r} is not true or false: {outcome} (write draft: true or draft: false)"))
    return not publish


def _word_list(front: FrontMatter, key: str, diagnostics: list[Diagnostic]) -> tuple[str, ...]:
    """``tags:`` and ``apart:``: a list of words (or one line of them, comma-separated)."""
    value = (front.meta or {}).get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or any(isinstance(v, (bool, list, dict, set, bytes)) or v is None for v in value):
        diagnostics.append(Diagnostic(front.path, front.line(key), f"'{key}' must be a list of words (e.g. {key}: [floods, Malaysia]), not {value!r}: ignored"))
        return ()
    return tuple(str(v).strip() for v in value if str(v).strip())


def _date(doc: SourceDocument, front: FrontMatter, diagnostics: list[Diagnostic]) -> ArticleDate | None:
    meta = front.meta or {}
    if "date" in meta:
        date = _front_matter_date(meta["date"])
        if date is not None:
            return date
        diagnostics.append(
            Diagnostic(
                doc.path,
                front.line("date"),
                f"date {meta['date']!r} is not a date (use YYYY-MM-DD): the note is dated by its file's modification time instead",
            )
        )
    try:
        return ArticleDate(dt.datetime.fromtimestamp(doc.mtime, dt.UTC), DateSource.FILE_MTIME)
    except (OverflowError, OSError, ValueError):  # a file dated beyond what a datetime can hold
        return None


def _front_matter_date(value: Any) -> ArticleDate | None:
    if isinstance(value, dt.datetime):
        return ArticleDate(value, DateSource.FRONT_MATTER)
    if isinstance(value, dt.date):
        return ArticleDate(value, DateSource.FRONT_MATTER)
    if isinstance(value, str):
        try:
            return ArticleDate(dt.datetime.fromisoformat(value.strip()), DateSource.FRONT_MATTER)
        except ValueError:
            return None
    return None


def _first_heading(tokens) -> str | None:
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return _inline_text(tokens[i + 1]) or None
    return None


def _drop_title_heading(tokens, title: str):
    """The headline is shown by the template; drop a leading '# Title' that repeats it."""
    if len(tokens) >= 3 and tokens[0].type == "heading_open" and tokens[0].tag == "h1" and _inline_text(tokens[1]) == title:
        return tokens[3:]
    return tokens


def _paragraph_texts(tokens) -> list[str]:
    texts = []
    for i, token in enumerate(tokens):
        if token.type == "inline" and i > 0 and tokens[i - 1].type == "paragraph_open":
            texts.append(_inline_text(token))
    return [t for t in texts if t]


def _inline_text(token) -> str:
    """The plain text of an inline token: line breaks become spaces, images their alt text."""
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child))
    return " ".join("".join(parts).split())
