"""The leading ``---`` YAML block of a document (a note's front matter, a captured page's header),
and its values read as the types digest wants: text that is text, links that are safe to follow.

A value of the wrong type is a warning with its line and is left out, never shown as "[1, 2]".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from digest.characters import describe_removed
from digest.models import Diagnostic, SourceDocument
from digest.settings.yaml_safe import YamlProblem, load_yaml

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
SAFE_URL_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class FrontMatter:
    """``meta`` is ``{}`` when the document has no front matter and None when it is broken
    (``diagnostics`` say why; ``body`` is then what follows the closing ``---``, or the whole text)."""

    path: str
    meta: dict[str, Any] | None
    body: str
    body_line: int  # the line of the document ``body`` starts on
    diagnostics: tuple[Diagnostic, ...] = ()
    lines: Mapping[tuple, int] = field(default_factory=dict)  # key path -> line in the document

    def line(self, key: str) -> int | None:
        return self.lines.get((key,))

    def text(self, key: str, diagnostics: list[Diagnostic]) -> str | None:
        """The value of ``key`` as text; a list, mapping or true/false is a warning and None."""
        value = (self.meta or {}).get(key)
        if value is None or value == "":
            return None
        if isinstance(value, (list, dict, set, bytes, bool)):
            diagnostics.append(Diagnostic(self.path, self.line(key), f"'{key}' must be text, not {_shown(value)}: ignored"))
            return None
        return str(value).strip() or None

    def url(self, key: str, diagnostics: list[Diagnostic]) -> str | None:
        """The value of ``key`` when it is a link safe to publish: http(s) or relative. ``javascript:``,
        ``data:`` and every other scheme are a warning and None: the link is not made."""
        value = self.text(key, diagnostics)
        if value is None:
            return None
        if not is_safe_url(value):
            diagnostics.append(Diagnostic(self.path, self.line(key), f"'{key}' {_shown(value)} is not an http(s) or relative address: no link is made to it"))
            return None
        return value


def is_safe_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1": an unclosed IPv6 address
        return False
    return parts.scheme in SAFE_URL_SCHEMES and bool(parts.netloc) if parts.scheme else True


def read_front_matter(doc: SourceDocument) -> FrontMatter:
    """Split a leading ``---`` YAML block off a document and read it."""
    match = _FRONT_MATTER.match(doc.text)
    if not match:
        if doc.text.startswith("---\n") or doc.text.rstrip() == "---":
            return FrontMatter(
                doc.path,
                None,
                doc.text,
                1,
                (Diagnostic(doc.path, 1, "front matter is opened with '---' but never closed: skipped (add a closing '---' line)"),),
            )
        return FrontMatter(doc.path, {}, doc.text, 1)
    body, body_line = doc.text[match.end() :], doc.text[: match.end()].count("\n") + 1
    try:
        document = load_yaml(match.group(1) or "", line_offset=1)  # the opening --- is line 1
    except YamlProblem as problem:
        return FrontMatter(
            doc.path,
            None,
            body,
            body_line,
            (Diagnostic(doc.path, problem.line or 1, f"invalid YAML front matter: {problem.message}: skipped ({problem.hint})"),),
        )
    lines = document.lines
    cleaned = tuple(Diagnostic(doc.path, line, f"removed {describe_removed(list(removed))}") for line, removed in document.removed)
    meta = {} if document.data is None else document.data
    if not isinstance(meta, dict):
        return FrontMatter(
            doc.path, None, body, body_line, (*cleaned, Diagnostic(doc.path, 2, "front matter must be a mapping of keys (title: ..., date: ...): skipped"))
        )
    not_text = [key for key in meta if not isinstance(key, str)]
    for key in not_text:
        cleaned += (Diagnostic(doc.path, 2, f"front matter key {key!r} is not a name: ignored"),)
        del meta[key]
    return FrontMatter(doc.path, meta, body, body_line, cleaned, lines)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
