"""Text helpers shared by the readers and the merge stage: sentences and paragraphs.

``split_sentences`` cuts running text at sentence ends but never after an abbreviation
(``U.S.``, ``Dr. S Jaishankar``) or an initial. ``split_paragraphs`` puts a body that
arrived as one long line back into paragraphs the way a newspaper sets them: the lede
alone, quotations in their own paragraphs, two or three sentences otherwise, and never
a break while a quotation is still open. Both are a single linear pass over the text.
"""

from __future__ import annotations

import re

# Words after which a full stop does not end a sentence.
ABBREVIATIONS = frozenset({
    "dr", "mr", "mrs", "ms", "prof", "sen", "rep", "gov", "gen", "col", "lt", "capt", "sgt", "st", "jr", "sr",
    "vs", "etc", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "mt", "ft", "dept", "univ", "approx", "est", "u.s", "u.k", "u.n", "e.g", "i.e",
    "a.m", "p.m", "sdn", "bhd", "pte", "govt", "hon", "rev", "maj", "adm", "cmdr", "supt", "insp", "u.s.a", "u.a.e",
})
# Abbreviations only before a number ("No. 10", "Fig. 3"): "said no. Then" ends a sentence.
NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "fig", "vol", "art", "pp"})
# Abbreviations that also end sentences ("... talks with the U.S. The deal ..."): a break is
# made after them only when the next word is one that typically opens a sentence.
CAN_END_SENTENCE = frozenset({"u.s", "u.k", "u.n", "etc", "inc", "ltd", "co", "corp", "a.m", "p.m", "bhd", "jr", "sr", "u.s.a", "u.a.e"})
# Capitalised words that open sentences far more often than they appear inside a headline
# or a name. Used to find where one piece of run-together text ends and a sentence begins.
SENTENCE_STARTERS = frozenset({
    "The", "A", "An", "He", "She", "It", "They", "We", "I", "You", "His", "Her", "Its", "Their", "Our", "My",
    "This", "That", "These", "Those", "There", "Here", "But", "And", "Or", "So", "Yet", "Meanwhile", "However",
    "Earlier", "Later", "Also", "According", "After", "Before", "When", "While", "As", "If", "Although", "Despite",
    "Last", "Mr", "Mrs", "Ms", "Speaking", "Asked", "Separately", "Today", "Yesterday", "Now", "Some", "Many",
    "Most", "Other", "Others", "Several", "Both", "Such", "During", "Since", "Until", "In", "On", "At", "For",
})

# Sentence punctuation, closing quotes or brackets, white space, then a capital or digit.
_BOUNDARY = re.compile(r"""[.!?](["'”’)\]]*)\s+(?=["'“‘(\[]?[A-Z0-9])""")
_LEADING_PUNCT = "\"'“‘([«"
_FIRST_WORD = re.compile(r"""["'“‘(\[]?([A-Za-z]+)""")

# Paragraph sizes for bodies that arrive as one line (characters, sentences).
LEDE_CHARS = 100  # a first sentence at least this long is a paragraph of its own
PARAGRAPH_CHARS = 320  # close a paragraph at the next sentence end once it is this long
PARAGRAPH_MAX_CHARS = 480  # ... and never grows past this by taking one more sentence
PARAGRAPH_SENTENCES = 3


def split_sentences(text: str) -> list[str]:
    """Split running text into sentences, keeping abbreviations (U.S., Dr. S Jaishankar) and initials whole."""
    text = " ".join(text.split())
    return [text[start:end] for start, end in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of the sentences of ``text``, surrounding white space excluded."""
    spans, start = [], 0
    for match in _BOUNDARY.finditer(text):
        end = match.start() + 1
        # Only the last word matters; look at a bounded window so long runs stay linear.
        last_word = text[max(start, end - 40):end].rsplit(None, 1)[-1].lstrip(_LEADING_PUNCT).rstrip(".!?").lower()
        if last_word in NUMBER_ABBREVIATIONS and text[match.end():match.end() + 1].isdigit():
            continue
        if last_word in ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            if last_word not in CAN_END_SENTENCE or not _opens_sentence(text, match.end()):
                continue
        spans.append((start, match.end(1)))
        start = match.end()
    spans.append((start, len(text)))
    # A sentence found here starts at a non-space (the boundary's look-ahead) and ends at its mark or closing
    # quote: only the first can start with white space, only the last end with it or be nothing else.
    if len(spans) == 1:
        return [_strip_span(text, 0, len(text))] if text.strip() else []
    if text[:1].isspace():
        spans[0] = _strip_span(text, *spans[0])
    if text[-1:].isspace():
        spans[-1] = _strip_span(text, *spans[-1])
    return spans


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _opens_sentence(text: str, pos: int) -> bool:
    word = _FIRST_WORD.match(text, pos)
    return word is not None and word.group(1) in SENTENCE_STARTERS


def split_paragraphs(text: str) -> list[str]:
    """Group the sentences of a one-line body into newspaper-sized paragraphs.

    A new paragraph starts where a quotation starts; a paragraph that opened with a
    quotation ends with the sentence that closes it (its attribution included); other
    paragraphs close after ``PARAGRAPH_SENTENCES`` sentences or ``PARAGRAPH_CHARS``
    characters, and a long lede stands alone. No break is made inside an open quotation
    unless a new quotation opens there, which is how papers run a quote on across
    paragraphs ('... none of our business. "What is important ...').
    """
    paragraphs: list[str] = []
    current: list[str] = []
    size = 0
    quote: str | None = None  # the kind of quotation open at the end of the last sentence
    quote_age = 0  # sentences it has been open: a quote that never closes was misread
    quoted_paragraph = quote_closed = False
    for sentence in split_sentences(text):
        opens = starts_with_quote(sentence)
        if current and (opens or quote is None):
            full = (len(current) >= PARAGRAPH_SENTENCES or size >= PARAGRAPH_CHARS or size + len(sentence) > PARAGRAPH_MAX_CHARS
                    or (not paragraphs and size >= LEDE_CHARS))
            if opens or full or quote_closed:
                paragraphs.append(" ".join(current))
                current, size = [], 0
        if not current:
            quoted_paragraph = opens
        current.append(sentence)
        size += len(sentence) + 1
        quote = quote_state(sentence, quote)
        quote_age = quote_age + 1 if quote else 0
        if quote_age > MAX_QUOTE_SENTENCES:
            quote, quote_age = None, 0
        quote_closed = quoted_paragraph and quote is None
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def starts_with_quote(text: str) -> bool:
    if not text:
        return False
    if text[0] in "\"“«":
        return True
    return text[0] in "'‘" and len(text) > 1 and text[1].isalnum()


def quote_state(text: str, open_kind: str | None = None) -> str | None:
    """The kind of quotation (``'"'`` or ``"'"``) open at the end of ``text``, or None.

    Straight quotes are told apart by position: after a space (or at the start) a quote
    opens, otherwise it closes. A single quote after a letter is an apostrophe
    (``Pakistan's``, ``GRS' decision``) unless a single-quoted passage is open. An opening
    quote while one is open re-opens it: a quotation run on into a new paragraph.
    """
    kind = open_kind
    last = len(text) - 1
    for mark in _QUOTE_MARK.finditer(text):
        i, ch = mark.start(), mark.group()
        before = text[i - 1] if i else " "
        after = text[i + 1] if i < last else " "
        after_space = before.isspace() or before in _OPENERS
        if ch in "\"“”«»":
            if ch in "“«" or (ch == '"' and after_space):
                kind = '"'
            else:
                kind = None
        elif ch != "’" and after_space and after.isalnum():
            kind = kind or "'"  # a single quote nested in a double one is not tracked
        elif kind == "'" and not after.isalnum():
            kind = None
    return kind


MAX_QUOTE_SENTENCES = 8
_QUOTE_MARK = re.compile("[\"“”«»'‘’]")
_OPENERS = "([—–-\"“"
