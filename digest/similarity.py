"""Evidence that two articles report the same event, and the index that says which pairs are worth comparing.

Three kinds of evidence, each a number in [0, 1]:

- ``text``: shared wording, as the share of the shorter article's word 3-shingles that the other one also has
  (a re-report that copies a wire text scores high even when one version is three times longer);
- ``words``: TF-IDF cosine of the content words (catches the same event written differently);
- ``entities``: shared capitalised names (people, organisations, places), weighted by how rare each name is.

Candidate pairs come from an inverted index over rare keys (shingles and names shared by 2..``max_df`` articles),
built and joined with numpy sorts, so the work grows with the number of articles, not with its square. Names and
shingles that half the archive shares ("Prime Minister", "said on Friday") say nothing about an event and are
skipped; within a key shared by many articles, each is paired only with its nearest neighbours in time.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .models import Article

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does doing down during each either even ever every few for from further had has have having
he her here hers herself him himself his how however i if in into is it its itself just last least less like made
make many may me might more most much must my myself near neither new no nor not now of off on once one only or other
our ours ourselves out over own per put quite rather really said same say says saying see seen she should since so
some still such than that the their theirs them themselves then there these they this those though through to too
two under until up upon us very via was we well were what when where whether which while who whom whose why will
with within without would yet you your yours yourself week weeks day days year years time told added also according
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow mr mrs ms dr
january february march april may june july august september october november december
""".split())

# Titles that precede names: "Datuk Seri Salleh Said Keruak" and "Salleh Said Keruak" are one person.
HONORIFICS = frozenset("""
datuk seri dato tan sri tun tunku dr mr mrs ms madam prof president prime minister deputy state secretary senator
chief general gen barrister sir lord king queen prince sheikh the a an former minister's
""".split())

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# A capitalised phrase: "Balochistan Liberation Army", "Tehrik-e-Taliban Pakistan", "GRS", "Gabungan Rakyat Sabah".
_NAME = re.compile(r"(?<![\w'’])[A-Z][\w'’-]*(?:\s+(?:(?:of|bin|binti|al|de|la|van|von|der|e)\s+)?[A-Z][\w'’-]*)*")
_POSSESSIVE = re.compile(r"['’]s?$")

# Multipliers that turn three word hashes into one shingle hash (odd 64-bit constants, wrapping arithmetic).
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))
_ENTITY_SALT = np.uint64(0xD6E8FEB86659FD93)


@dataclass(frozen=True)
class Evidence:
    text: float
    words: float
    entities: float

    def score(self, weights: tuple[float, float, float]) -> float:
        return weights[0] * self.text + weights[1] * self.words + weights[2] * self.entities


class Features:
    """What the merge stage keeps of one article: enough to score it against any other, nothing more."""

    __slots__ = ("words", "norm", "names", "name_weight", "shingles", "day")

    def __init__(self, words: dict[str, float], names: frozenset[str], day: int | None):
        self.words = words  # content word -> 1 + log(tf); IDF applied when scoring
        self.names = names
        self.norm = 0.0  # TF-IDF vector length, set once the corpus' document frequencies are known
        self.name_weight = 0.0
        self.shingles = 0  # distinct 3-shingles, set by the index
        self.day = day  # proleptic ordinal of an exact date; None when undated or approximate


def tokens(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_words(words: Iterable[str]) -> Counter:
    return Counter(w for w in words if w not in STOP_WORDS and len(w) > 1)


def names(text: str) -> frozenset[str]:
    """Capitalised phrases, without titles, plus their single words: "salleh said keruak", "salleh", "keruak"."""
    found: set[str] = set()
    for match in _NAME.finditer(text):
        parts = [_POSSESSIVE.sub("", p).lower() for p in match.group(0).split()]
        while parts and parts[0] in HONORIFICS:
            parts = parts[1:]
        parts = [p for p in parts if p]
        if not parts or (len(parts) == 1 and (parts[0] in STOP_WORDS or parts[0] in HONORIFICS)):
            continue
        found.add(" ".join(parts))
        if len(parts) > 1:
            found.update(p for p in parts if len(p) > 2 and p not in STOP_WORDS and p not in HONORIFICS)
    return frozenset(found)


def article_text(article: Article) -> str:
    return article.headline + ".\n\n" + article.text


class Corpus:
    """The features of every article, their document frequencies, and the word hashes the index is built from."""

    def __init__(self, articles: Sequence[Article]):
        self.articles = articles
        self.features: list[Features] = []
        word_df: Counter = Counter()
        name_df: Counter = Counter()
        self._token_hashes: list[np.ndarray] = []
        self._stop_flags: list[np.ndarray] = []
        self._name_hashes: list[np.ndarray] = []
        cache: dict[str, tuple[int, bool]] = {}
        for article in articles:
            text = article_text(article)
            words = tokens(text)
            counts = content_words(words)
            found = names(text)
            word_df.update(counts.keys())
            name_df.update(found)
            hashes = np.empty(len(words), dtype=np.uint64)
            stops = np.empty(len(words), dtype=bool)
            for i, w in enumerate(words):
                entry = cache.get(w)
                if entry is None:
                    entry = cache[w] = (zlib.crc32(w.encode()) | (len(w) << 32), w in STOP_WORDS)
                hashes[i], stops[i] = entry
            self._token_hashes.append(hashes)
            self._stop_flags.append(stops)
            self._name_hashes.append(np.fromiter((zlib.crc32(n.encode()) for n in found), dtype=np.uint64, count=len(found)))
            tf = {w: 1.0 + math.log(c) for w, c in counts.items()}
            self.features.append(Features(tf, found, _exact_day(article)))
        n = len(articles)
        self.word_idf = {w: math.log((n + 1) / (df + 1)) + 1.0 for w, df in word_df.items()}
        self.name_idf = {w: math.log((n + 1) / (df + 1)) + 1.0 for w, df in name_df.items()}
        for f in self.features:
            f.norm = math.sqrt(sum((tf * self.word_idf[w]) ** 2 for w, tf in f.words.items())) or 1.0
            f.name_weight = sum(self.name_idf[x] for x in f.names)

    # ---------------------------------------------------------------- evidence

    def evidence(self, i: int, j: int, shared_shingles: int) -> Evidence:
        a, b = self.features[i], self.features[j]
        shorter = min(a.shingles, b.shingles)
        text = min(1.0, shared_shingles / shorter) if shorter else 0.0
        small, large = (a.words, b.words) if len(a.words) <= len(b.words) else (b.words, a.words)
        idf = self.word_idf
        dot = sum(tf * large[w] * idf[w] ** 2 for w, tf in small.items() if w in large)
        words = dot / (a.norm * b.norm)
        common = a.names & b.names
        lighter = min(a.name_weight, b.name_weight)
        entities = sum(self.name_idf[x] for x in common) / lighter if common and lighter else 0.0
        return Evidence(text, words, entities)

    # ---------------------------------------------------------------- index

    def shingle_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """(key, article) for each distinct word 3-shingle of each article that is not all stop words."""
        keys, owners = [], []
        for i, (h, stop) in enumerate(zip(self._token_hashes, self._stop_flags)):
            if len(h) < 3:
                self.features[i].shingles = 0
                continue
            shingles = h[:-2] * _MIX[0] + h[1:-1] * _MIX[1] + h[2:] * _MIX[2]
            shingles = np.unique(shingles[~(stop[:-2] & stop[1:-1] & stop[2:])])
            self.features[i].shingles = len(shingles)
            keys.append(shingles)
            owners.append(np.full(len(shingles), i, dtype=np.int64))
        return _concat(keys, np.uint64), _concat(owners, np.int64)

    def name_keys(self) -> tuple[np.ndarray, np.ndarray]:
        keys = [h ^ _ENTITY_SALT for h in self._name_hashes]
        owners = [np.full(len(h), i, dtype=np.int64) for i, h in enumerate(self._name_hashes)]
        return _concat(keys, np.uint64), _concat(owners, np.int64)


def shared_key_pairs(keys: np.ndarray, owners: np.ndarray, rank: np.ndarray, *, max_df: int, neighbours: int) -> dict[tuple[int, int], int]:
    """Pairs of articles that share a key with 2..max_df owners, with how many such keys they share.

    Within one key the owners are ordered by ``rank`` (date, then id) and each is paired with the next
    ``neighbours`` only: a key shared by a long-running story still links its versions in a chain, and no key
    costs more than ``neighbours`` pairs per article. Counts are exact for keys with at most neighbours + 1 owners.
    """
    if len(keys) == 0:
        return {}
    order = np.lexsort((rank[owners], keys))
    keys, owners = keys[order], owners[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    lengths = np.diff(np.r_[starts, len(keys)])
    run_length = np.repeat(lengths, lengths)
    usable = (run_length >= 2) & (run_length <= max_df)
    keys, owners = keys[usable], owners[usable]
    codes = []
    n = np.int64(len(rank))
    for d in range(1, neighbours + 1):
        if d >= len(keys):
            break
        same = keys[:-d] == keys[d:]
        if not same.any():
            break
        a, b = owners[:-d][same], owners[d:][same]
        codes.append(np.minimum(a, b) * n + np.maximum(a, b))
    if not codes:
        return {}
    unique, counts = np.unique(np.concatenate(codes), return_counts=True)
    return {(int(c // n), int(c % n)): int(k) for c, k in zip(unique, counts)}


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)


def _exact_day(article: Article) -> int | None:
    if article.date is None or article.date.approximate:
        return None
    return article.date.day.toordinal()
