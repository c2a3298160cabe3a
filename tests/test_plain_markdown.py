"""The fast path for plain notes (digest/read/plain_markdown.py): whenever it renders a body, it renders exactly
what markdown-it does (HTML and paragraph texts), and it does render the notes digest is mostly fed.

Bodies are built by Hypothesis from the pieces where a hand-written reader would go wrong: emphasis next to
punctuation, unclosed or nested delimiters, links with titles or odd addresses, images, list and rule markers,
headings and quotes, hard breaks, setext underlines, reference definitions, entities, escapes, tabs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digest.pipeline.load import read_document
from digest.read import markdown as markdown_reader
from digest.read.markdown import _MARKDOWN, _paragraph_texts, read_markdown
from digest.read.plain_markdown import render_plain

EXPLORE = os.environ.get("DIGEST_FUZZ_PROFILE") == "explore"  # as in test_fuzz.py: random, and more examples

WORDS = ["river", "Dam", "x", "9", "2024", "ÉTÉ", "naïve", "don't", "co-op", "(aside)", '"quoted"', "a>b", "50%"]
MARKUP = ["**", "*", "_", "__", "***", "[", "]", "(", ")", "!", "![", "`", "\\", "<", ">", "&", "&amp;", "#", "~", "|", ":",
          "[link](https://example.org/a-b)", "[x](http://Host.org/)", "[y](https://a.org/p q)", '[t](https://a.org/ "title")',
          "](https://b.org/)", "https://c.org/", "**BOLD**", "*em*", "\u00a0", "\u2028", "\t"]
LINE_STARTS = ["", "", "", "# ", "## ", "###### ", "####### ", "> ", ">", "- ", "* ", "+ ", "1. ", "2) ", "    ", " ", "***", "---",
               "===", "| a | b |", "[ref]: https://example.org/r", "```", "~~~", "<div>", "**", "*", "(", '"']
LINE_ENDS = ["", "", "", "  ", " ", "\\", " #", " ##", ".", "!", "**", "*"]

token = st.one_of(st.sampled_from(WORDS), st.sampled_from(MARKUP), st.text(alphabet="ab *[]()_!\n", max_size=4))
line = st.builds(lambda start, tokens, spaces, end: start + "".join(t + s for t, s in zip(tokens, spaces)).rstrip(" ") + end,
                 st.sampled_from(LINE_STARTS), st.lists(token, min_size=1, max_size=8),
                 st.lists(st.sampled_from([" ", " ", "", "  "]), min_size=8, max_size=8), st.sampled_from(LINE_ENDS))
body = st.lists(st.one_of(line, st.just(""), st.just("   ")), min_size=1, max_size=8).map("\n".join)

# Nearly plain notes, so that many bodies do take the fast path: its own markup next to words, punctuation and
# one another, and now and then a piece that is not plain.
NEAR = ["**A**", "*b*", "**Ab Cd**", "*a.b*", "[c d](https://example.org/x)", "[e](http://f.org)", ",", ".", ":", "!", "?", ")",
        "(", '"', "'", ">", "—", "é", "A", "word", "9", "*", "**", "[", "_", "\\", "&", "<"]
plain_line = st.builds(lambda start, tokens, spaces: start + "".join(t + s for t, s in zip(tokens, spaces)).rstrip(" "),
                       st.sampled_from(["", "", "", "", "> ", "## ", "**", "*"]),
                       st.lists(st.sampled_from(WORDS[:5] + NEAR), min_size=1, max_size=10),
                       st.lists(st.sampled_from([" ", " ", " ", ""]), min_size=10, max_size=10))
plain_body = st.lists(st.one_of(plain_line, st.just("")), min_size=1, max_size=6).map("\n".join)


def markdown_it(text: str) -> tuple[str, tuple[str, ...]]:
    tokens = _MARKDOWN.parse(text)
    return _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {}), tuple(_paragraph_texts(tokens))


PLAIN_NOTE = (
    "**PORTO** — The harbour *reopened* on Monday, officials said, after [the storm](https://example.org/storm-2024) "
    'passed. "We are back", said the **Port Authority**.\n'
    "A second line of the same paragraph (with a note).\n\n"
    "## What comes next\n\n"
    "> \"Ships will wait\", a pilot said.\n"
    "> Another line of the quote.\n\n"
    "Last paragraph, with a > sign and a [link](http://example.org/a/b.html).\n"
)


@settings(deadline=None, derandomize=not EXPLORE, database=None, max_examples=3000 if EXPLORE else 400,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(body, plain_body))
@example(PLAIN_NOTE)
@example("**a **b** c**")
@example("*a* b*")
@example("x **y**z")
@example("**y**.x and *z*)")
@example("a\n**b** c")
@example("a\n* b")
@example("Title\n===")
@example("a\n---")
@example("[a](https://x.org/)b [c](https://x.org/d)e")
@example("![a](https://x.org/a.png)")
@example("[ref]\n\n[ref]: https://example.org/")
@example("> a\nb")
@example("## A ##")
@example("a | b\n--|--")
@example("Line  \nbreak")
@example("\u00a0a")
@example("a\u00a0")
def test_the_fast_path_renders_exactly_what_markdown_it_renders(text):
    fast = render_plain(text)
    if fast is not None:
        assert (fast.html, fast.paragraphs) == markdown_it(text)


@pytest.mark.parametrize("text", [
    PLAIN_NOTE,
    "One paragraph.",
    "**DATELINE** — Words and [a link](https://example.org/x) and *emphasis*.\n\nMore words.\n",
    "## A heading with a [link](https://example.org/of) in it\n\nText.",
    '> "A quote," she said.',
])
def test_plain_notes_take_the_fast_path(text):
    fast = render_plain(text)
    assert fast is not None, "a plain note went to markdown-it"
    assert (fast.html, fast.paragraphs) == markdown_it(text)


@pytest.mark.parametrize("text", ["# Title\n\nText.", "- a list", "Text with `code`.", "An &amp; entity.", "a_b_c", "Tabbed\ttext",
                                  "Hard  \nbreak", "[ref]: https://example.org/", "(**a**)", ""])
def test_anything_else_is_left_to_markdown_it(text):
    assert render_plain(text) is None


def test_a_note_reads_the_same_through_either_path(tmp_path: Path, monkeypatch):
    note = tmp_path / "note.md"
    note.write_text(f"---\ntitle: Harbour reopens\ndate: 2024-05-01\noutlet: Sea News\n---\n\n{PLAIN_NOTE}", encoding="utf-8")
    doc, problems = read_document(note, tmp_path)
    assert doc is not None and not problems
    fast = read_markdown(doc)
    monkeypatch.setattr(markdown_reader, "render_plain", lambda text: None)
    slow = read_markdown(doc)
    assert fast == slow
    assert fast.articles[0].paragraphs[0].startswith("PORTO — The harbour reopened on Monday")
