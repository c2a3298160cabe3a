"""The leading ``---`` YAML block of a document (a note's front matter, a captured page's header),
and its values read as the types digest wants: text that is text, links that are safe to follow.

A value of the wrong type is a warning with its line and is left out, never shown as "[1, 2]".
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from digest.characters import describe_removed
from digest.models import Diagnostic, SourceDocument
from digest.read.plain_yaml import read_plain_yaml
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


def read_front_matter(doc: SourceDocument, text_keys: Collection[str] = ()) -> FrontMatter:
    """Split a leading ``---`` YAML block off a document and read it.

    A value of one of ``text_keys`` that YAML rejects only because it holds ``: `` (``title: Peru earthquake:
    Twelve dead``) is read as the text after the key's own ``: ``, with a warning giving the quoted line to write:
    a headline with a colon is too common to lose the note over."""
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
    block = match.group(1) or ""
    recovered: tuple[Diagnostic, ...] = ()
    try:  # the opening --- is line 1
        document = read_plain_yaml(block, line_offset=1) or load_yaml(block, line_offset=1)
    except YamlProblem as first_problem:
        original = block.splitlines(keepends=True)
        quoted = _quote_colon_values(original, text_keys)
        unreadable: YamlProblem | None = first_problem
        if quoted != original:
            try:
                document, unreadable = load_yaml("".join(quoted), line_offset=1), None
            except YamlProblem as remaining:  # the colons were not all: say what else is wrong
                unreadable = remaining
        if unreadable is not None:
            return FrontMatter(doc.path, None, body, body_line, (_unreadable(doc.path, quoted, unreadable),))
        recovered = tuple(
            Diagnostic(doc.path, number + 2, f"'{text.split(':', 1)[0]}' has an unquoted ': ' in its value: read as the text after "
                                             f"the first ': ' (quote it to say so: {text.strip()})")
            for number, text in enumerate(quoted) if text != original[number]
        )
    lines = document.lines
    cleaned = recovered + tuple(Diagnostic(doc.path, line, f"removed {describe_removed(list(removed))}") for line, removed in document.removed)
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


_KEY_VALUE = re.compile(r"(?P<key>[A-Za-z_][\w-]*):[ \t]+(?P<value>[^\s\"'\[{|>&*!%@`#][^\n]*?: [^\n]*?)[ \t]*(?P<end>\n?)\Z")


def _quote_colon_values(lines: list[str], text_keys: Collection[str]) -> list[str]:
    """The lines, each unindented ``key: value: more`` line of a text key with its value double-quoted."""
    return [_quoted(found) if (found := _KEY_VALUE.match(text)) and found["key"] in text_keys else text for text in lines]


def _quoted(found: re.Match[str]) -> str:
    value = found["value"].split(" #", 1)[0].rstrip()  # " #" starts a YAML comment
    return f"{found['key']}: {json.dumps(value, ensure_ascii=False)}{found['end']}"


def _unreadable(path: str, lines: list[str], problem: YamlProblem) -> Diagnostic:
    """The warning for front matter that cannot be read: the offending line quoted, and how to write it."""
    line = problem.line or 1
    if not 2 <= line <= len(lines) + 1 and problem.context_line:  # the block ended inside an unclosed "[" or "{"
        line = problem.context_line
    raw = lines[line - 2] if 2 <= line <= len(lines) + 1 else ""
    text = raw.strip()
    key, colon, value = text.partition(": ")
    if colon and raw[:1].isalpha() and ": " in value:
        fix = f"quote the value: {key}: {json.dumps(value.strip(), ensure_ascii=False)}"
    else:
        fix = problem.hint
    shown = f" in '{text if len(text) <= 80 else text[:77] + '...'}'" if text else ""
    return Diagnostic(path, line, f"invalid YAML front matter{shown}: {problem.message}: skipped ({fix})")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
