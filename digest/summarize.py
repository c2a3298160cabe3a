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


def sentences(article: Article) -> list[str]:
    return [s for paragraph in article.paragraphs for s in split_sentences(paragraph)]


def _content(sentence: str) -> list[str]:
    return [w for w in tokens(sentence) if w not in STOP_WORDS]


def _bigrams(words: list[str]) -> set[tuple[str, ...]]:
    if len(words) < 2:
        return {tuple(words)} if words else set()
    return set(zip(words, words[1:]))


def what_each_adds(versions: Sequence[Article]) -> tuple[OutletAddition, ...]:
    """For each version of a story told more than once, the sentences no other version has."""
    if len(versions) < 2:
        return ()
    per_version = [[(s, _bigrams(_content(s))) for s in sentences(v)] for v in versions]
    own = [set().union(*(b for _, b in sents)) if sents else set() for sents in per_version]
    in_versions = Counter(b for bigrams in own for b in bigrams)
    adds = []
    for version, sents, mine in zip(versions, per_version, own):
        added: list[str] = []
        for sentence, bigrams in sents:
            if not bigrams or sentence in added:
                continue
            elsewhere = sum(1 for b in bigrams if in_versions[b] > (1 if b in mine else 0))
            if elsewhere / len(bigrams) < SHARED_BIGRAMS:
                added.append(sentence)
        adds.append(OutletAddition(version.id, version.outlet, tuple(added)))
    return tuple(adds)


def summarize(versions: Sequence[Article]) -> tuple[str, ...]:
    """2-3 sentences: the lead of the best-told version, then the sentences most versions agree on.

    An editor's note in the story with ``summary:`` in its front matter is used instead.
    """
    for version in versions:
        written = version.meta.get("summary") if version.kind == "note" and version.meta else None
        if isinstance(written, str) and written.strip():
            return tuple(split_sentences(written))
    weight = _word_weights(versions)
    candidates = []
    for v, version in enumerate(versions):
        for position, sentence in enumerate(sentences(version)):
            words = _content(sentence)
            length = len(sentence.split())
            if not words or not MIN_SENTENCE_WORDS <= length <= MAX_SENTENCE_WORDS:
                continue
            centrality = sum(weight[w] for w in set(words)) / math.sqrt(len(set(words)) + 4)
            # News is written lead first: the opening sentences carry the event.
            candidates.append((centrality / (1 + 0.3 * position), v, position, sentence, _bigrams(words)))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    chosen: list[tuple[int, int, str, set]] = []
    total = 0
    for _, v, position, sentence, bigrams in candidates:
        if any(len(bigrams & other) >= SHARED_BIGRAMS * min(len(bigrams), len(other)) for *_, other in chosen):
            continue  # says what a chosen sentence already says
        chosen.append((v, position, sentence, bigrams))
        total += len(sentence.split())
        if len(chosen) >= SUMMARY_SENTENCES or total >= SUMMARY_WORDS:
            break
    # Read in the order the story is told: by version, then by position.
    return tuple(sentence for _, _, sentence, _ in sorted(chosen, key=lambda c: (c[0], c[1])))


def choose_headline(versions: Sequence[Article]) -> str:
    """The editor's (a note's) headline, else the one whose words most versions share, else the longest-told's."""
    notes = [v for v in versions if v.kind == "note"]
    if notes:
        return notes[0].headline
    if len(versions) == 1:
        return versions[0].headline
    weight = _word_weights(versions)

    def informative(article: Article) -> tuple:
        words = set(_content(article.headline))
        return (sum(weight[w] for w in words), len(article.text), -versions.index(article))

    return max(versions, key=informative).headline


def _word_weights(versions: Sequence[Article]) -> Counter:
    """How many versions use each content word: what the story is about, as its outlets agree."""
    weight: Counter = Counter()
    for version in versions:
        weight.update(set(_content(version.headline + " " + version.text)))
    return weight
