"""A story's coverage, as a story page draws it: which outlets reported it, when, and how their headlines differ.

Each version becomes one row of a small timeline: its place on the story's span of days (a fraction
the stylesheet turns into a position; no script draws anything), and its headline cut into the words
it shares with the other versions' headlines and the words only it uses.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from digest.models import Article, ArticleDate, Story
from digest.wording import source_name

MAX_TICKS = 8  # day marks on the axis; a longer span shows only its first and last day
_WORD = re.compile(r"([\w'’-]+)")


@dataclass(frozen=True)
class CoverageRow:
    anchor: str  # the version's id on the story page
    source: str  # the outlet, else the agency credited, else where it was captured
    article: Article
    date: ArticleDate | None
    at: float | None  # 0..1 along the span; None when undated
    headline: tuple[tuple[str, bool], ...]  # (text, only this version's headline says it)


@dataclass(frozen=True)
class Coverage:
    rows: tuple[CoverageRow, ...]
    first: dt.date | None
    last: dt.date | None
    ticks: tuple[tuple[dt.date, float], ...]  # (day, 0..1) marks on the axis
    sources: int  # distinct sources

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1 if self.first and self.last else 0


def coverage_of(story: Story, anchors: tuple[str, ...]) -> Coverage:
    """``anchors``: the id of each version on the page, in the order of ``story.articles``."""
    days = [a.date.day for a in story.articles if a.date is not None]
    first, last = (min(days), max(days)) if days else (None, None)
    span = (last - first).days if first and last else 0
    word_counts = Counter(word for article in story.articles for word in set(_words(article.headline)))
    several = len(story.articles) > 1
    rows = tuple(
        CoverageRow(anchor, source_name(article), article, article.date, _place(article.date, first, span),
                    _marked(article.headline, word_counts) if several else ((article.headline, False),))
        for anchor, article in zip(anchors, story.articles)
    )
    if first is None:
        ticks: tuple[tuple[dt.date, float], ...] = ()
    elif span + 1 <= MAX_TICKS:
        ticks = tuple((first + dt.timedelta(days=n), _fraction(n, span)) for n in range(span + 1))
    else:
        ticks = ((first, 0.0), (last, 1.0)) if last else ()
    return Coverage(rows, first, last, ticks, len({row.source for row in rows}))


def _place(date: ArticleDate | None, first: dt.date | None, span: int) -> float | None:
    if date is None or first is None:
        return None
    return _fraction((date.day - first).days, span)


def _fraction(n: int, span: int) -> float:
    """A day's place on the axis; a story of one day sits in the middle."""
    return round(n / span, 4) if span else 0.5


def _telling(word: str) -> bool:
    """Whether a word says something on its own: not a short function word ("to", "a", "of"); acronyms and numbers do."""
    return len(word) > 3 or (len(word) > 1 and word.isupper()) or any(c.isdigit() for c in word)


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


def _marked(headline: str, counts: Counter) -> tuple[tuple[str, bool], ...]:
    """The headline in runs of text, each marked True when it is words no other version's headline uses
    (with the spaces between them, so a phrase reads as one)."""
    pieces = [piece for piece in _WORD.split(headline) if piece]
    own = [bool(_WORD.fullmatch(piece)) and counts[piece.lower()] == 1 and _telling(piece) for piece in pieces]
    for n in range(1, len(pieces) - 1):
        if pieces[n].isspace() and own[n - 1] and own[n + 1]:
            own[n] = True
    runs: list[tuple[str, bool]] = []
    for piece, flag in zip(pieces, own):
        if runs and runs[-1][1] == flag:
            runs[-1] = (runs[-1][0] + piece, flag)
        else:
            runs.append((piece, flag))
    return tuple(runs)
