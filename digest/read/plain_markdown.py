"""The Markdown most notes are written in, rendered without markdown-it's parser: the same HTML, ~4x sooner.

A note's body is usually paragraphs of words, with now and then ``**strong**``, ``*emphasis*``, a ``[link](http://
plain.address/)``, a ``## heading`` or a ``> quoted paragraph``. For such a body, markdown-it's block and inline
parsers (two thirds of the parse stage's time) only find what a few regular expressions find. ``render_plain``
takes a body apart that way only where the CommonMark rules leave no room for doubt, and gives up (None: let
markdown-it do it) on anything else: a line that could start another kind of block (a list, a code block, a
table, a setext underline, a reference definition), a title heading (``#``), a character that could begin
other inline syntax (backslash, backtick, ``_``, ``<``, ``&``, an image), a delimiter that is not plainly
between a space and a word, trailing spaces (hard breaks), tabs, ``\\r`` or NUL (which markdown-it normalises).

That what it renders is markdown-it's HTML, byte for byte, is tested against markdown-it on generated bodies
(Hypothesis, tests/test_plain_markdown.py) and was compared on every note of the 10,000- and 100,000-article
benchmark corpora.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it.common.utils import escapeHtml

# An address markdown-it's normalizeLink gives back as it is: a lower-case http(s) host, then a path of letters,
# digits and ``-._~/`` (nothing it would percent-encode, punycode or lower-case). Most links in notes are such.
PLAIN_URL = r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*(?:/[A-Za-z0-9._~/-]*)?"

# A line that can only be paragraph text: it starts with a letter, a quotation mark, a parenthesis or the
# asterisks of emphasis before a word, never with what opens or interrupts a block (#, >, -, +, =, |, :, "* " or
# "***" of a list or a rule, digits of a list, spaces of a code block, [ of a reference definition, backticks or
# tildes of a fence, < of HTML).
_TEXT_LINE = re.compile(r"[A-Za-z\"'(]|\*\*?[A-Za-z0-9]")
_HEADING = re.compile(r"(#{2,6}) (?=[A-Za-z\"'(])(.*[^\s#])")  # not "#": the title heading is markdown-it's
_QUOTED = "> "

# A delimiter run opens when a space, a line break or the start is before it and a letter or digit after it,
# and closes when a letter or digit is before it and a space, a line break, the end or punctuation after it:
# then it can do only one of the two, and CommonMark's rules pair it with its twin whatever else the line holds.
_WORD_END = r"(?<=[A-Za-z0-9])"
_AFTER_CLOSE = r"(?=[ \n.,;:!?)\"']|\Z)"
_INLINE = re.compile(
    rf"(?<![^ \n])\*\*(?P<strong>[A-Za-z0-9][^*_\[\]\n]*?{_WORD_END})\*\*{_AFTER_CLOSE}"
    rf"|(?<![^ \n])\*(?P<em>[A-Za-z0-9][^*_\[\]\n]*?{_WORD_END})\*{_AFTER_CLOSE}"
    rf"|\[(?P<text>[^\[\]*_\n]+)\]\((?P<href>{PLAIN_URL})\)"
)
_MARKUP_START = re.compile(r"[*\[]")
_NOT_PLAIN = re.compile(r"[*_\[\]\\`<&\t\r\0]")  # in text outside what _INLINE took (or in a link's text)


@dataclass(frozen=True)
class PlainNote:
    html: str  # as markdown-it renders the body
    paragraphs: tuple[str, ...]  # each paragraph's text, as ``digest.read.markdown`` takes it from the tokens


def render_plain(body: str) -> PlainNote | None:
    """The body's HTML and paragraph texts, or None when it is not plain enough to be sure of them."""
    if "\t" in body or "\r" in body or "\0" in body or "![" in body:
        return None
    html: list[str] = []
    paragraphs: list[str] = []
    for block in _blocks(body):
        first = block[0]
        if len(block) == 1 and first.startswith("#"):
            heading = _HEADING.fullmatch(first)
            inline = _inline(heading[2]) if heading else None
            if inline is None:
                return None
            level = len(heading[1])  # type: ignore[index]
            html.append(f"<h{level}>{inline[0]}</h{level}>\n")
            continue
        quoted = first.startswith(_QUOTED)
        lines = [line[len(_QUOTED):] for line in block if line.startswith(_QUOTED)] if quoted else block
        if len(lines) != len(block) or not all(_TEXT_LINE.match(line) and not line[-1].isspace() for line in lines):
            return None
        inline = _inline("\n".join(lines))
        if inline is None:
            return None
        html.append(f"<blockquote>\n<p>{inline[0]}</p>\n</blockquote>\n" if quoted else f"<p>{inline[0]}</p>\n")
        if text := " ".join(inline[1].split()):
            paragraphs.append(text)
    return PlainNote("".join(html), tuple(paragraphs)) if html else None


def _blocks(body: str) -> list[list[str]]:
    """The runs of lines between blank ones (markdown-it's blank: spaces only)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in body.split("\n"):
        if line.strip(" "):
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _inline(source: str) -> tuple[str, str] | None:
    """(HTML, plain text) of a paragraph's or heading's text, or None when it holds anything not sure to be plain."""
    html: list[str] = []
    plain: list[str] = []
    at = 0
    while (mark := _MARKUP_START.search(source, at)) is not None:
        found = _INLINE.match(source, mark.start())  # every * or [ starts one of these, or the text is not plain
        between = source[at:mark.start()]
        if found is None or _NOT_PLAIN.search(between) or _NOT_PLAIN.search(found["strong"] or found["em"] or found["text"]):
            return None
        html.append(escapeHtml(between))
        plain.append(between)
        if found["strong"] is not None:
            html.append(f"<strong>{escapeHtml(found['strong'])}</strong>")
            plain.append(found["strong"])
        elif found["em"] is not None:
            html.append(f"<em>{escapeHtml(found['em'])}</em>")
            plain.append(found["em"])
        else:
            html.append(f'<a href="{escapeHtml(found["href"])}">{escapeHtml(found["text"])}</a>')
            plain.append(found["text"])
        at = found.end()
    rest = source[at:]
    if _NOT_PLAIN.search(rest):
        return None
    html.append(escapeHtml(rest))
    plain.append(rest)
    return "".join(html), "".join(plain)
