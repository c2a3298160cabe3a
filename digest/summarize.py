"""What a story says: its headline, a short extractive summary, and what each version adds.

Everything here is taken from the versions, never written up. Sentences are compared by their content-word
bigrams ("aqeel malik", "481 accounts"), so a sentence another outlet reworded ("Daesh group" for "Islamic State
group") still counts as shared, while one that brings a new fact or figure does not.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

from .models import Article, OutletAddition
from .similarity import STOP_WORDS, tokens
from .text import split_sentences

# A sentence is shared when at least this share of its content-word bigrams appears in another version.
SHARED_BIGRAMS = 0.5
SUMMARY_SENTENCES = 3
SUMMARY_WORDS = 75  # stop adding sentences once the summary is this long
MIN_SENTENCE_WORDS = 6
MAX_SENTENCE_WORDS = 60


class _Sentence:
    __slots__ = ("text", "words", "bigrams")

    def __init__(self, text: str):
        self.text = text
        self.words = [w for w in tokens(text) if w not in STOP_WORDS]
        self.bigrams = set(zip(self.words, self.words[1:])) if len(self.words) > 1 else set((w,) for w in self.words)

    @property
    def length(self) -> int:
        return self.text.count(" ") + 1

    def repeats(self, other: "_Sentence") -> bool:
        return len(self.bigrams & other.bigrams) >= SHARED_BIGRAMS * min(len(self.bigrams), len(other.bigrams))


def _sentences(article: Article) -> list[_Sentence]:
    return [_Sentence(s) for paragraph in article.paragraphs for s in split_sentences(paragraph)]


def tell(versions: Sequence[Article]) -> tuple[str, tuple[str, ...], tuple[OutletAddition, ...]]:
    """(headline, summary, what each version adds), reading each version's sentences once."""
    if len(versions) == 1:
        return _editor_headline(versions) or versions[0].headline, _editor_summary(versions) or _lead(versions[0]), ()
    sentences = [_sentences(v) for v in versions]
    weight: Counter = Counter()  # how many versions use each content word: what the outlets agree the story is about
    for version, sents in zip(versions, sentences):
        weight.update({w for s in sents for w in s.words} | {w for w in tokens(version.headline) if w not in STOP_WORDS})
    headline = _editor_headline(versions) or _informative_headline(versions, weight)
    summary = _editor_summary(versions) or _central(sentences, weight)
    return headline, summary, _adds(versions, sentences)


def _adds(versions: Sequence[Article], sentences: list[list[_Sentence]]) -> tuple[OutletAddition, ...]:
    """For each version, the sentences whose wording no other version has."""
    own = [set().union(*(s.bigrams for s in sents)) for sents in sentences]
    in_versions = Counter(b for bigrams in own for b in bigrams)
    adds = []
    for version, sents, mine in zip(versions, sentences, own):
        added: list[str] = []
        for s in sents:
            if not s.bigrams or s.text in added:
                continue
            elsewhere = sum(1 for b in s.bigrams if in_versions[b] > (1 if b in mine else 0))
            if elsewhere < SHARED_BIGRAMS * len(s.bigrams):
                added.append(s.text)
        adds.append(OutletAddition(version.id, version.outlet, tuple(added)))
    return tuple(adds)


def _lead(article: Article) -> tuple[str, ...]:
    """A single version's summary: its opening sentences, as news is written lead first."""
    chosen: list[str] = []
    total = 0
    for paragraph in article.paragraphs:
        for sentence in split_sentences(paragraph):
            length = sentence.count(" ") + 1
            if not MIN_SENTENCE_WORDS <= length <= MAX_SENTENCE_WORDS:
                continue
            chosen.append(sentence)
            total += length
            if len(chosen) >= SUMMARY_SENTENCES or total >= SUMMARY_WORDS:
                return tuple(chosen)
    return tuple(chosen)


def _central(sentences: list[list[_Sentence]], weight: Counter) -> tuple[str, ...]:
    """The leads and the sentences most versions agree on, without saying the same thing twice."""
    candidates = []
    for v, sents in enumerate(sentences):
        for position, s in enumerate(sents):
            distinct = set(s.words)
            if not distinct or not MIN_SENTENCE_WORDS <= s.length <= MAX_SENTENCE_WORDS:
                continue
            centrality = sum(weight[w] for w in distinct) / math.sqrt(len(distinct) + 4)
            candidates.append((centrality / (1 + 0.3 * position), v, position, s))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    chosen: list[tuple[int, int, _Sentence]] = []
    total = 0
    for _, v, position, s in candidates:
        if any(s.repeats(other) for *_, other in chosen):
            continue
        chosen.append((v, position, s))
        total += s.length
        if len(chosen) >= SUMMARY_SENTENCES or total >= SUMMARY_WORDS:
            break
    return tuple(s.text for _, _, s in sorted(chosen, key=lambda c: (c[0], c[1])))


def _informative_headline(versions: Sequence[Article], weight: Counter) -> str:
    """The headline whose words most versions share; ties go to the longer-told version, then the first seen."""
    def informative(item: tuple[int, Article]) -> tuple:
        i, article = item
        words = {w for w in tokens(article.headline) if w not in STOP_WORDS}
        return (sum(weight[w] for w in words), len(article.text), -i)

    return max(enumerate(versions), key=informative)[1].headline


def _editor_headline(versions: Sequence[Article]) -> str | None:
    """An editor's note in the story (a Markdown document) names it."""
    return next((v.headline for v in versions if v.kind == "note"), None)


def _editor_summary(versions: Sequence[Article]) -> tuple[str, ...]:
    for version in versions:
        written = version.meta.get("summary") if version.kind == "note" and version.meta else None
        if isinstance(written, str) and written.strip():
            return tuple(split_sentences(written))
    return ()
