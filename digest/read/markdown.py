"""Markdown notes: YAML front matter, then a Markdown body rendered with markdown-it-py (raw HTML off)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml
from markdown_it import MarkdownIt

from digest.settings.config import YAML_LOADER, CaptureConfig
from digest.models import Article, ArticleDate, DateSource, Diagnostic, ParsedDocument, SourceDocument
from digest.slugs import slugify

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
# "commonmark" with html disabled: raw HTML in a note is shown as text, never injected into the page.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

KNOWN_KEYS = frozenset({"title", "date", "outlet", "author", "url", "region", "theme", "tags", "credit", "dateline", "story", "apart", "summary", "draft", "slug"})


def read_front_matter(doc: SourceDocument) -> tuple[dict[str, Any] | None, str, int, Diagnostic | None]:
    """Split a leading ``---`` YAML block off a document: (meta, body, body's first line, problem).

    ``meta`` is ``{}`` when there is no front matter and None when it is broken (``problem`` says why;
    the body is then what follows the closing ``---``, or the whole text when there is none).
    """
    match = _FRONT_MATTER.match(doc.text)
    if not match:
        if doc.text.startswith("---\n") or doc.text.rstrip() == "---":
            return None, doc.text, 1, Diagnostic(doc.path, 1, "front matter is opened with '---' but never closed: skipped (add a closing '---' line)")
        return {}, doc.text, 1, None
    body_line = doc.text[: match.end()].count("\n") + 1
    try:
        loaded = yaml.load(match.group(1) or "", Loader=YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1  # +1 for 1-based, +1 for the opening ---
        problem = getattr(exc, "problem", None) or "invalid YAML"
        return None, doc.text[match.end():], body_line, Diagnostic(doc.path, line, f"invalid YAML front matter: {problem}: skipped (check quoting and indentation)")
    if not isinstance(loaded, dict):
        return None, doc.text[match.end():], body_line, Diagnostic(doc.path, 2, "front matter must be a mapping of keys (title: ..., date: ...): skipped")
    return loaded, doc.text[match.end():], body_line, None


def read_markdown(doc: SourceDocument, capture: CaptureConfig | None = None) -> ParsedDocument:
    diagnostics: list[Diagnostic] = []
    meta, body, body_line, problem = read_front_matter(doc)
    if meta is None:
        return ParsedDocument(doc.path, (), (problem,))

    if meta.get("draft") is True:
        return ParsedDocument(doc.path, (), ())
    for key in meta:
        if key not in KNOWN_KEYS:
            diagnostics.append(Diagnostic(doc.path, _key_line(doc.text, key), f"unknown front matter key '{key}' is kept but not used"))

    title = meta.get("title")
    tokens = _MARKDOWN.parse(body)
    if not title:
        title = _first_heading(tokens)
    if not title or not str(title).strip():
        return ParsedDocument(doc.path, (), (Diagnostic(doc.path, 1, "no headline: add 'title:' to the front matter or start the body with '# Headline': skipped"),))
    title = str(title).strip()

    if "slug" in meta and (not isinstance(meta["slug"], str) or slugify(meta["slug"]) != meta["slug"].strip()):
        wanted = meta.pop("slug")
        fixed = slugify(str(wanted)) if isinstance(wanted, (str, int, float)) else None
        hint = f" (use 'slug: {fixed}')" if fixed and fixed != "untitled" else ""
        diagnostics.append(Diagnostic(doc.path, _key_line(doc.text, "slug"), f"slug {wanted!r} is not a slug: lowercase letters, digits and hyphens only{hint}: ignored"))

    date = None
    if "date" in meta:
        date = _front_matter_date(meta["date"])
        if date is None:
            diagnostics.append(Diagnostic(doc.path, _key_line(doc.text, "date"), f"date {meta['date']!r} is not a date (use YYYY-MM-DD): the note is dated by its file's modification time instead"))
    if date is None:
        date = ArticleDate(dt.datetime.fromtimestamp(doc.mtime, dt.timezone.utc), DateSource.FILE_MTIME)

    html = _MARKDOWN.renderer.render(_drop_title_heading(tokens, title), _MARKDOWN.options, {})
    tags = meta.get("tags") or ()
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    article = Article(
        id=doc.path.rsplit(".", 1)[0],
        source=doc.path,
        line=body_line,
        kind="note",
        headline=title,
        paragraphs=tuple(_paragraph_texts(tokens)),
        outlet=_text(meta.get("outlet")),
        author=_text(meta.get("author")),
        credit=_text(meta.get("credit")),
        dateline=_text(meta.get("dateline")),
        date=date,
        url=_text(meta.get("url")),
        body_html=html,
        region=_text(meta.get("region")),
        theme=_text(meta.get("theme")),
        tags=tuple(str(t) for t in tags if str(t).strip()),
        story_key=_text(meta.get("story")),
        meta={k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool, list))},
    )
    return ParsedDocument(doc.path, (article,), tuple(diagnostics))


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


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value).strip()


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


def _key_line(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(f"{key}:"):
            return number
    return None
