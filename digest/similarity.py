"""Evidence that two articles report the same event, and the index that says which pairs are worth comparing.

Three kinds of evidence, each a number in [0, 1]:

- ``text``: shared wording, the share of the shorter article's word 3-shingles the other one also has (a
  re-report copying a wire text scores high even when one version is three times longer);
- ``words``: TF-IDF cosine of the content words (the same event written differently);
- ``names``: shared capitalised names (people, organisations, places), rarer names counting more.

Candidate pairs come from an inverted index over rare keys (shingles and names shared by 2..``max_shared``
articles), built and joined with numpy sorts: the work grows with the number of articles, not its square. Keys
that much of the archive shares ("Prime Minister", "said on Friday") say nothing about one event; within a key
shared by many articles, each is paired only with its nearest neighbours in time. The text is tokenised once in
Python (``read``); everything after that is array arithmetic.
"""

from __future__ import annotations

import functools
import gc
import itertools
import multiprocessing as mp
import os
import pickle
import re
import zlib
from array import array
from dataclasses import dataclass, replace
from typing import Iterator, Sequence

import numpy as np

from .models import Article
from .text import sentence_spans

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does doing down during each either even ever every few for from further had has have having
he her here hers herself him himself his how however i if in into is it its itself just last least less like made
make many may me might more most much must my myself near neither new no nor not now of off on once one only or other
our ours ourselves out over own per put quite rather really said same say says saying see seen she should since so
some still such than that the their theirs them themselves then there these they this those though through to too
two under until up upon us very via was we well were what when where whether which while who whom whose why will
with within without would yet you your yours yourself week weeks day days year years time told added according
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow mr mrs ms dr
january february march april june july august september october november december
""".split())

# Titles that precede names: "Datuk Seri Salleh Said Keruak" and "Salleh Said Keruak" are one person.
HONORIFICS = frozenset("""
datuk seri dato tan sri tun tunku dr mr mrs ms madam prof president prime minister deputy state secretary senator
chief general gen barrister sir lord king queen prince sheikh the a an former
""".split())

# A word (letters and digits, "pakistan's" whole), or the end mark the reader puts after each sentence.
_WORD_OR_END = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|\x01")
# A capitalised phrase: "Balochistan Liberation Army", "Tehrik-e-Taliban Pakistan", "GRS", "Gabungan Rakyat Sabah".
_NAME = re.compile(r"[A-Z](?<![\w'’][A-Z])[\w'’-]*(?:\s+(?:(?:of|bin|binti|al|de|la|van|von|der|e)\s+)?[A-Z][\w'’-]*)*")
_POSSESSIVE = re.compile(r"['’]s?$")

# Multipliers that turn three word hashes into one shingle hash (odd 64-bit constants, wrapping arithmetic).
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


# Phrase -> its name keys. Names recur across thousands of articles: working each out once halves the cost.
_NAME_KEYS: dict[str, tuple[str, ...]] = {}


def names(text: str) -> set[str]:
    """Capitalised phrases without titles, plus their words: "salleh said keruak", "salleh", "keruak"."""
    found: set[str] = set()
    known = _NAME_KEYS.get
    for phrase in dict.fromkeys(_NAME.findall(text)):  # a name recurs in an article: look it up once (in order)
        keys = known(phrase)
        if keys is None:
            keys = _name_keys(phrase)
            if len(_NAME_KEYS) < 500_000:
                _NAME_KEYS[phrase] = keys
        found.update(keys)
    return found


def _name_keys(phrase: str) -> tuple[str, ...]:
    parts = [_POSSESSIVE.sub("", p).lower() for p in phrase.split()]
    while parts and parts[0] in HONORIFICS:
        del parts[0]
    if not parts or (len(parts) == 1 and (parts[0] in STOP_WORDS or parts[0] in HONORIFICS or not parts[0])):
        return ()
    words = [p for p in parts if len(p) > 2 and p not in STOP_WORDS and p not in HONORIFICS] if len(parts) > 1 else []
    return (" ".join(parts), *words)


def article_text(article: Article) -> str:
    return article.headline + ".\n\n" + article.text


class _Vocabulary(dict):
    """Word -> id, handing the next id to a word never seen before (ids in order of first use), and ``listing``,
    the words by id. Keys are what the reader finds (UTF-8 bytes for words, str for names); ``decode`` lists
    them as str. A key set to -1 beforehand (the end mark) is no word and gets no id."""

    def __init__(self, decode: bool = False, marks: tuple = ()):
        super().__init__(dict.fromkeys(marks, -1))
        self.listing: list = []
        self._decode = decode

    def __missing__(self, key) -> int:
        value = self[key] = len(self.listing)
        self.listing.append(key.decode() if self._decode else key)
        return value


@dataclass(frozen=True)
class _Table:
    """One kind of feature as (article, feature) entries sorted by article then feature, with weights.

    Entries are held as one int64 code each, ``article * width + feature``: owner and feature are worked out
    when needed, so 100,000 articles' shingles take one array, not three."""

    codes: np.ndarray  # int64, sorted, distinct
    weight: np.ndarray | None  # float64, or None: every entry weighs 1
    start: np.ndarray  # first entry of each article; start[n] == len(entries)
    width: int  # number of distinct features

    @classmethod
    def build(cls, codes: np.ndarray, width: int, n: int, weight: np.ndarray | None = None) -> "_Table":
        """From sorted, distinct codes ``article * width + feature``."""
        width = max(width, 1)
        return cls(codes, weight, np.searchsorted(codes, np.arange(n + 1, dtype=np.int64) * width), width)

    def sizes(self) -> np.ndarray:
        return np.diff(self.start)

    def owner(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.start) - 1, dtype=np.int32), self.sizes())

    def feature(self) -> np.ndarray:
        return (self.codes % self.width).astype(np.int32)

    def overlap(self, a: np.ndarray, b: np.ndarray, weigh_b: bool = True) -> np.ndarray:
        """For each pair (a[k], b[k]): sum over their shared features of weight(a) * weight(b) (or weight(a) only).

        The smaller article of each pair is walked; the larger ones are laid out as dense rows (feature ->
        weight), a batch of them at a time, so looking a feature up is one array access, not a binary search."""
        sizes = self.sizes()
        smaller = sizes[a] <= sizes[b]
        a, b = np.where(smaller, a, b), np.where(smaller, b, a)
        feature, weight, start = self.feature(), self.weight, self.start
        out = np.zeros(len(a))
        by_b = np.argsort(b, kind="stable")
        a, b = a[by_b], b[by_b]
        first = np.flatnonzero(np.r_[True, b[1:] != b[:-1]]) if len(b) else np.empty(0, dtype=np.int64)
        rows = max(1, _DENSE_CELLS // self.width, 64)
        dense = np.zeros((min(rows, len(first)), self.width))
        for lo in range(0, len(first), rows):
            p0, p1 = first[lo], (first[lo + rows] if lo + rows < len(first) else len(b))
            looked_up = b[first[lo:lo + rows]]
            held, row = _ranges(start[looked_up], start[looked_up + 1])
            dense[row, feature[held]] = weight[held] if weigh_b else 1.0
            walked = a[p0:p1]
            entry, pair = _ranges(start[walked], start[walked + 1])
            row_of_pair = np.repeat(np.arange(len(looked_up)), np.diff(np.r_[first[lo:lo + rows], p1]))
            found = dense[row_of_pair[pair], feature[entry]]  # 0 where the larger article lacks the feature
            out[by_b[p0:p1]] = np.bincount(pair, weights=found * weight[entry], minlength=len(walked))
            dense[row, feature[held]] = 0.0
        return out


# Cells of the dense rows ``_Table.overlap`` lays out at once (float64: 8 MB); at least 64 rows however wide.
_DENSE_CELLS = 1 << 20


class Corpus:
    """The features of every article, as arrays, and the pairs of articles worth comparing: read once
    (``Reading``), then compared by array arithmetic. Articles are in first-seen order."""

    def __init__(self, articles: Sequence[Article], reading: "Reading", *, max_shared: int, neighbours: int):
        """``max_shared`` and ``neighbours``: which keys propose pairs, and how many (``key_pairs``). For large
        archives on two cores, a second process finds the shingles of one part of the hash range and their pairs
        while this one builds the word and name tables and then does the other part."""
        n = self.n = len(articles)
        vocabulary = reading.vocabulary
        width = max(len(vocabulary), 1)
        stop, word_hash = vocabulary_tables(vocabulary)
        ids = reading.ids
        owner = reading.owner
        shingles = (ids, owner, stop, word_hash, n, max_shared, neighbours)
        theirs = forked(_shingle_part, *shingles, (0, _SPLIT)) if n >= PARALLEL_INDEX_MIN else None
        self.day = np.array([_exact_day(a) for a in articles], dtype=np.int64)  # -1: undated or approximate

        # Content words, weighted TF-IDF: 1 + log(tf), times log((n + 1) / (df + 1)) + 1.
        content = np.flatnonzero(~stop[ids])
        codes, tf = _distinct(owner[content].astype(np.int64) * width + ids[content], counts=True, runs=True)
        del content
        w_feature = codes % width
        df = np.bincount(w_feature, minlength=len(vocabulary))
        idf = self.word_idf = inverse_frequency(df, n)
        self.words = _Table.build(codes, width, n, (1.0 + np.log(tf)) * idf[w_feature])
        del codes, tf, w_feature
        self.word_norm = np.sqrt(np.bincount(self.words.owner(), weights=self.words.weight ** 2, minlength=n))

        # Names, each counted once per article, weighted by rarity.
        name_width = max(len(reading.name_vocabulary), 1)
        codes = _distinct(reading.name_owner.astype(np.int64) * name_width + reading.name_ids, runs=True)
        n_feature = codes % name_width
        name_df = np.bincount(n_feature, minlength=name_width)
        name_idf = self.name_idf = inverse_frequency(name_df, n)
        self.names = _Table.build(codes, name_width, n, name_idf[n_feature])
        self.name_weight = np.bincount(self.names.owner(), weights=self.names.weight, minlength=n)
        by_name = np.sort(n_feature * n + self.names.owner())
        self._name_pairs = key_pairs(by_name // n, by_name % n, n, max_shared=max_shared, neighbours=neighbours)
        del codes, n_feature, by_name

        # Word 3-shingles inside one article, not all stop words, each counted once per article.
        if theirs is None:
            parts = [_shingle_part(*shingles, (0, _END_OF_HASHES))]
        else:
            parts = [theirs(), _shingle_part(*shingles, (_SPLIT, _END_OF_HASHES))]
        self._shingle_parts = parts
        self.shingle_hashes = np.concatenate([p.hashes for p in parts])  # sorted: the parts are ranges in order
        self.shingle_count = sum(np.bincount(p.owner, minlength=n) for p in parts)
        self._shingle_pairs = _summed([(p.pairs, p.shared) for p in parts])

    @functools.cached_property
    def shingles(self) -> "_Table":
        """The shingle table, article by article, shingles numbered in hash order: what a preview re-merge
        looks articles up in (``digest.remerge``); a build never needs it."""
        width, offset, codes = len(self.shingle_hashes), 0, []
        for part in self._shingle_parts:
            codes.append(part.owner.astype(np.int64) * width + (part.key + offset))
            offset += len(part.hashes)
        return _Table.build(_distinct(np.concatenate(codes)), width, self.n)

    def candidates(self, min_keys: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs (a < b) sharing at least ``min_keys`` rare shingles or rare names, never all pairs; and how
        many rare shingles each pair shares (the ``text`` evidence: common phrases say nothing of an event)."""
        found = [self._shingle_pairs, self._name_pairs]
        shingle_codes, shingle_counts = found[0]
        codes = _distinct(np.concatenate([c[k >= min_keys] for c, k in found]), runs=True)
        pos = np.minimum(np.searchsorted(shingle_codes, codes), max(len(shingle_codes) - 1, 0))
        shared = np.where(shingle_codes[pos] == codes, shingle_counts[pos], 0) if len(shingle_codes) else np.zeros(len(codes), dtype=np.int64)
        return codes // self.n, codes % self.n, shared

    def evidence(self, a: np.ndarray, b: np.ndarray, shared_shingles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(text, words, names) for each pair, each in [0, 1]; many pairs are judged in two halves on two cores
        (each pair's evidence is its own: the halves give exactly what one pass gives)."""
        if len(a) < PARALLEL_EVIDENCE_MIN:
            return self._evidence(a, b, shared_shingles)
        half = len(a) // 2
        theirs = forked(self._evidence, a[half:], b[half:], shared_shingles[half:])
        mine = self._evidence(a[:half], b[:half], shared_shingles[:half])
        return tuple(np.concatenate(parts) for parts in zip(mine, theirs()))  # type: ignore[return-value]

    def _evidence(self, a: np.ndarray, b: np.ndarray, shared_shingles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        shingle_count = self.shingle_count
        shorter = np.minimum(shingle_count[a], shingle_count[b])
        text = np.divide(shared_shingles, shorter, out=np.zeros(len(a)), where=shorter > 0)
        norms = self.word_norm[a] * self.word_norm[b]
        words = np.divide(self.words.overlap(a, b), norms, out=np.zeros(len(a)), where=norms > 0)
        lighter = np.minimum(self.name_weight[a], self.name_weight[b])
        shared = self.names.overlap(a, b, weigh_b=False)
        named = np.divide(shared, lighter, out=np.zeros(len(a)), where=lighter > 0)
        return np.minimum(text, 1.0), np.minimum(words, 1.0), np.minimum(named, 1.0)


# Archives from this many articles find their shingles and shingle pairs on two cores (``Corpus``).
PARALLEL_INDEX_MIN = 3000
# From this many pairs to judge, ``Corpus.evidence`` judges half of them in a second process.
PARALLEL_EVIDENCE_MIN = 20_000
# The second process takes the shingles with hashes below this, this one the rest (after its word and name tables).
_END_OF_HASHES = 1 << 64
_SPLIT = int(_END_OF_HASHES * 0.6)


@dataclass(frozen=True)
class _ShinglePart:
    """The shingles whose hashes fall in one range, and the pairs of articles they propose."""

    hashes: np.ndarray  # uint64: the distinct hashes, sorted; a shingle's key is its place here
    key: np.ndarray  # int32: one entry per (shingle, article holding it), sorted by key, then article
    owner: np.ndarray  # int32: the article of each entry
    pairs: np.ndarray  # int64: codes a * n + b of the pairs proposed, sorted
    shared: np.ndarray  # int64: how many of these shingles each pair shares


def _shingle_part(ids, owner, stop, word_hash, n: int, max_shared: int, neighbours: int, hash_range: tuple[int, int]) -> _ShinglePart:
    """Word 3-shingles inside one article, not all stop words, with a hash in ``hash_range`` [lo, hi)."""
    keep, hashes = word_shingles(ids, owner, stop, word_hash, hash_range)
    order, hashes = _hash_order(hashes)  # equal hashes keep their token order: their articles in first-seen order
    owners = owner[keep[order]]
    del keep, order
    new = np.r_[True, hashes[1:] != hashes[:-1]] if len(hashes) else np.empty(0, dtype=bool)
    key = np.cumsum(new, dtype=np.int32) - 1
    entry = new.copy()
    entry[1:] |= owners[1:] != owners[:-1]  # a shingle an article repeats counts once
    key, owners = key[entry], owners[entry]
    pairs, shared = key_pairs(key, owners, n, max_shared=max_shared, neighbours=neighbours)
    return _ShinglePart(hashes[new], key, owners, pairs, shared)


def key_pairs(key: np.ndarray, owner: np.ndarray, n: int, *, max_shared: int, neighbours: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of articles (codes a * n + b, a < b) among keys held by 2..max_shared articles, and how many of those
    keys each pair shares. Entries (key, article) are distinct and sorted by key, then article (first seen first).

    Within one key each article is paired with the next ``neighbours`` only: a key shared by a long-running story
    still links its versions in a chain, and no key costs more than ``neighbours`` pairs per article. Counts are
    exact for keys with at most neighbours + 1 articles.
    """
    empty = np.empty(0, dtype=np.int64)
    if len(key) == 0:
        return empty, empty
    held = np.bincount(key)  # articles holding each key: most keys are one article's only, and propose nothing
    usable = (held[key] >= 2) & (held[key] <= max_shared)
    narrow = n * n <= 1 << 32  # codes fit in 32 bits, which sort about twice as fast as 64
    key, owner = key[usable], owner[usable].astype(np.uint32 if narrow else np.int64)
    codes = []
    for d in range(1, neighbours + 1):
        if d >= len(key):
            break
        same = key[:-d] == key[d:]
        if not same.any():
            break
        codes.append(owner[:-d][same] * owner.dtype.type(n) + owner[d:][same])
    if not codes:
        return empty, empty
    unique, counts = _distinct(np.concatenate(codes), counts=True)
    return unique.astype(np.int64), counts


def _summed(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct codes with counts, from several such lists: counts of a code found in several added up."""
    if len(parts) == 1:
        return parts[0]
    codes = np.concatenate([c for c, _ in parts])
    counts = np.concatenate([k for _, k in parts])
    if not len(codes):
        return codes, counts
    bits = int(counts.max()).bit_length()
    if int(codes.max()).bit_length() + bits <= 63:  # each count packed below its code: one merge of sorted runs
        packed = np.sort((codes << bits) | counts, kind="stable")
        codes, counts = packed >> bits, packed & ((1 << bits) - 1)
    else:
        order = np.argsort(codes, kind="stable")
        codes, counts = codes[order], counts[order]
    first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    return codes[first], np.add.reduceat(counts, first)


def _hash_order(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.argsort(hashes)`` (an order that sorts them) and the sorted hashes, several times faster than argsort
    of uint64, which numpy does without its vectorised sort: the position is packed into the low bits of each
    hash, the packed int64 values sorted by the vectorised sort, and the few places where two hashes differ only
    in the bits given up are put right by a stable sort of an almost sorted array."""
    m = len(hashes)
    if m < 2:
        return np.arange(m, dtype=np.int64), hashes.copy()
    bits = np.uint64(int(m - 1).bit_length())
    packed = hashes >> bits
    packed <<= bits
    packed |= np.arange(m, dtype=np.uint64)
    packed ^= np.uint64(1 << 63)  # uint64 order as int64 order
    packed = np.sort(packed.view(np.int64)).view(np.uint64)
    packed &= np.uint64((1 << int(bits)) - 1)
    order = packed.view(np.int64)
    ordered = hashes[order]
    if (ordered[1:] < ordered[:-1]).any():
        fix = np.argsort(ordered, kind="stable")
        order, ordered = order[fix], ordered[fix]
    return order, ordered


def _dense_ids(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for non-negative int64 values, by the vectorised sort when each
    value and its position fit in 63 bits together (numpy's unique argsorts, several times slower)."""
    m = len(values)
    bits = int(max(m - 1, 1)).bit_length()
    if m < 2 or int(values.max()).bit_length() + bits > 63:
        return np.unique(values, return_inverse=True)
    packed = np.sort((values << bits) | np.arange(m, dtype=np.int64))
    ordered = packed >> bits
    new = np.r_[True, ordered[1:] != ordered[:-1]]
    ids = np.empty(m, dtype=np.int64)
    ids[packed & ((1 << bits) - 1)] = np.cumsum(new) - 1
    return ordered[new], ids


def inverse_frequency(df, n: int):
    """The weight of a word or name held by ``df`` of ``n`` articles: log((n + 1) / (df + 1)) + 1."""
    return np.log((n + 1) / (df + 1)) + 1.0


def vocabulary_tables(vocabulary: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per word id: whether it is a stop word (or one letter), and its hash (the same in every call)."""
    stop = np.fromiter((w in STOP_WORDS or len(w) < 2 for w in vocabulary), dtype=bool, count=len(vocabulary))
    word_hash = np.fromiter((zlib.crc32(w.encode()) | (len(w) << 32) for w in vocabulary), dtype=np.uint64, count=len(vocabulary))
    return stop, word_hash


def word_shingles(ids: np.ndarray, owner: np.ndarray, stop: np.ndarray, word_hash: np.ndarray,
                  hash_range: tuple[int, int] = (0, _END_OF_HASHES)) -> tuple[np.ndarray, np.ndarray]:
    """Word 3-shingles inside one article, not all stop words, with a hash in ``hash_range`` [lo, hi): (position
    of each shingle's first token, its hash)."""
    if len(ids) < 3:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint64)
    is_stop = stop[ids]
    valid = owner[:-2] == owner[2:]  # the three words are in one article
    valid &= ~(is_stop[:-2] & is_stop[1:-1] & is_stop[2:])
    del is_stop
    h = word_hash[ids]
    hashes = h[:-2] * _MIX[0]  # every position's, in contiguous passes: cheaper than gathering the valid ones
    hashes += h[1:-1] * _MIX[1]
    hashes += h[2:] * _MIX[2]
    del h
    lo, hi = hash_range
    if lo > 0:
        valid &= hashes >= np.uint64(lo)
    if hi < _END_OF_HASHES:
        valid &= hashes < np.uint64(hi)
    keep = np.flatnonzero(valid)
    return keep, hashes[keep]


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class Reading:
    """Every article read once: its words as ids, its sentences, its names.

    Tokens of an article are its headline's, then each sentence's in order (the words of the whole text, as
    sentences never split a word); each sentence row says how many tokens it has, how many words it is long and
    where it is in its paragraph (with white space normalised, as ``split_sentences`` returns it).
    """

    ids: np.ndarray  # int32: dense word id of every token, words numbered in order of first use
    vocabulary: list[str]
    owner: np.ndarray  # int32: article of every token
    token_start: np.ndarray  # int64, n + 1: first token of each article
    headline_tokens: np.ndarray  # int32: tokens of each article's headline (they come first)
    sentence_start: np.ndarray  # int64, n + 1: first sentence row of each article
    sentences: np.ndarray  # int32 rows (tokens, words, paragraph, begin, end)
    name_ids: np.ndarray  # int32: dense name id of each (article, name) entry
    name_owner: np.ndarray  # int32
    name_vocabulary: list[str]

    def sentence_text(self, article: Article, row: int, normalised: dict | None = None) -> str:
        """The sentence's text; ``normalised`` keeps each paragraph's normalised text for its next sentences."""
        _, _, paragraph, begin, end = self.sentences[row].tolist()
        return cut_sentence(article, paragraph, begin, end, normalised)


def cut_sentence(article: Article, paragraph: int, begin: int, end: int, normalised: dict | None = None) -> str:
    """A sentence by its place in its paragraph, white space normalised as when it was read; ``normalised``
    keeps each paragraph's normalised text, (article id, paragraph) -> text, for its next sentences."""
    if normalised is None:
        return " ".join(article.paragraphs[paragraph].split())[begin:end]
    key = (article.id, paragraph)
    text = normalised.get(key)
    if text is None:
        text = normalised[key] = " ".join(article.paragraphs[paragraph].split())
    return text[begin:end]


# What earlier calls read: the arrays of the last call (ids in the persistent vocabularies below) and, by article
# id, (hash of headline and paragraphs, its place in them). The preview server merges everything again after every
# save; with this, only the edited documents are read again. Kept for archives up to CACHE_ARTICLES only.
CACHE_ARTICLES = 20_000
_CACHE: dict[str, tuple[int, int]] = {}
_PREVIOUS: list["_Arrays"] = []
_END = "\x01"  # closes each headline and sentence in the text given to the tokeniser: never part of a word
_WORDS = _Vocabulary(decode=True, marks=(_END.encode(),))
_NAMES = _Vocabulary()
_READING: Sequence[Article] = ()  # the articles being read, inherited by forked workers (never pickled)
_ROW = 5


@dataclass(frozen=True)
class _Arrays:
    """Some articles read: word and name ids (the persistent ones, or the second reading process's own)."""

    words: np.ndarray  # int32
    headline_tokens: np.ndarray  # int32 per article
    token_start: np.ndarray  # int64, articles + 1
    sentences: np.ndarray  # int32 rows
    sentence_start: np.ndarray  # int64, articles + 1
    names: np.ndarray  # int32
    name_start: np.ndarray  # int64, articles + 1

    @classmethod
    def join(cls, parts: list["_Arrays"]) -> "_Arrays":
        if len(parts) == 1:
            return parts[0]
        empty = np.empty(0, dtype=np.int32)

        def starts(name: str) -> np.ndarray:
            return np.r_[0, np.cumsum(np.concatenate([np.diff(getattr(p, name)) for p in parts] or [empty]), dtype=np.int64)]
        return cls(np.concatenate([p.words for p in parts] or [empty]), np.concatenate([p.headline_tokens for p in parts] or [empty]),
                   starts("token_start"), np.concatenate([p.sentences for p in parts] or [np.empty((0, _ROW), dtype=np.int32)]),
                   starts("sentence_start"), np.concatenate([p.names for p in parts] or [empty]), starts("name_start"))

    def take(self, which: np.ndarray) -> "_Arrays":
        """These articles, in this order."""
        def gather(values, start):
            index, _ = _ranges(start[which], start[which + 1])
            return values[index], np.r_[0, np.cumsum(start[which + 1] - start[which], dtype=np.int64)]
        words, token_start = gather(self.words, self.token_start)
        sentences, sentence_start = gather(self.sentences, self.sentence_start)
        names, name_start = gather(self.names, self.name_start)
        return _Arrays(words, self.headline_tokens[which], token_start, sentences, sentence_start, names, name_start)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All indices start..end of each range, concatenated, and the range each belongs to."""
    lengths = ends - starts
    which = np.repeat(np.arange(len(starts)), lengths)
    offsets = np.r_[0, np.cumsum(lengths)[:-1]] if len(lengths) else lengths
    return np.arange(int(lengths.sum())) - np.repeat(offsets - starts, lengths), which


def read(articles: Sequence[Article], parallel_min: int) -> Reading:
    """Read every article (on two cores when at least ``parallel_min`` articles are new)."""
    n = len(articles)
    if len(_WORDS) > 5_000_000:  # a long-running server that has seen many edits: start afresh
        _forget(vocabulary=True)
    fresh_vocabulary = not _WORDS.listing
    keys = [hash((a.headline, a.paragraphs)) for a in articles]
    known = [_CACHE.get(a.id, (None, -1)) for a in articles]
    todo = [i for i, (key, _) in enumerate(known) if key != keys[i]]
    fresh = _Arrays.join(list(_read_all(articles, todo, parallel_min)))
    if len(todo) == n:
        arrays = fresh
    else:  # cached articles from the last call's arrays, new ones from this call's, in article order
        previous = _PREVIOUS[0]
        where = np.array([place for _, place in known], dtype=np.int64)
        where[todo] = len(previous.headline_tokens) + np.arange(len(todo))
        arrays = _Arrays.join([previous, fresh]).take(where)
    _forget()
    if n <= CACHE_ARTICLES:
        _CACHE.update((a.id, (keys[i], i)) for i, a in enumerate(articles))
        _PREVIOUS.append(arrays)
    return _reading_of(arrays, n, fresh_vocabulary)


def read_fresh(articles: Sequence[Article]) -> Reading:
    """These articles read in this process, without using or changing what ``read`` keeps between calls:
    the few articles a preview re-merge must read (``digest.remerge``)."""
    fresh_vocabulary = not _WORDS.listing
    chunks = _read_all(articles, list(range(len(articles))), parallel_min=len(articles) + 1)
    return _reading_of(_Arrays.join(list(chunks)), len(articles), fresh_vocabulary)


def _reading_of(arrays: "_Arrays", n: int, fresh_vocabulary: bool) -> Reading:
    if fresh_vocabulary:  # ids were handed out in order of first use in this very call
        ids, vocabulary = arrays.words, list(_WORDS.listing)
        name_ids, name_vocabulary = arrays.names, list(_NAMES.listing)
    else:
        ids, vocabulary = _dense(arrays.words, _WORDS.listing)
        name_ids, name_vocabulary = _dense(arrays.names, _NAMES.listing)
    tokens_each, names_each = np.diff(arrays.token_start), np.diff(arrays.name_start)
    return Reading(
        ids=ids, vocabulary=vocabulary, owner=np.repeat(np.arange(n, dtype=np.int32), tokens_each),
        token_start=arrays.token_start, headline_tokens=arrays.headline_tokens, sentence_start=arrays.sentence_start,
        sentences=arrays.sentences, name_ids=name_ids, name_owner=np.repeat(np.arange(n, dtype=np.int32), names_each),
        name_vocabulary=name_vocabulary)


def _forget(vocabulary: bool = False) -> None:
    """Forget the articles read (and with ``vocabulary``, the persistent word and name ids too)."""
    global _WORDS, _NAMES
    _CACHE.clear()
    _PREVIOUS.clear()
    if vocabulary:
        _WORDS, _NAMES = _Vocabulary(decode=True, marks=(_END.encode(),)), _Vocabulary()


def _dense(gids: np.ndarray, words: list[str]) -> tuple[np.ndarray, list[str]]:
    """Persistent ids -> ids numbered in order of first use in this call (the result never depends on history)."""
    if not len(gids):
        return np.empty(0, dtype=np.int32), []
    unique = _first_use(gids)
    dense = np.empty(int(unique.max()) + 1, dtype=np.int32)
    dense[unique] = np.arange(len(unique), dtype=np.int32)
    return dense[gids], [words[g] for g in unique.tolist()]


def _first_use(ids: np.ndarray) -> np.ndarray:
    """The distinct ids in order of first occurrence."""
    unique, first = np.unique(ids, return_index=True)
    return unique[np.argsort(first)]


_CHUNK = 250


def _chunked(todo: list[int]) -> list[list[int]]:
    """Up to _CHUNK articles a chunk, at least eight chunks: the two processes share the last ones out evenly."""
    size = max(1, min(_CHUNK, -(-len(todo) // 8)))
    return [todo[k:k + size] for k in range(0, len(todo), size)]


def _read_all(articles: Sequence[Article], todo: list[int], parallel_min: int) -> Iterator["_Arrays"]:
    """Each chunk read, in order, with persistent word and name ids; on two cores when it pays. A generator:
    each chunk can be dropped once used.

    On two cores this process reads chunks from the front and a second one from the back, each taking the next
    chunk when done with the last, until they meet: however fast each runs, they finish together. This process
    gives its words persistent ids as it reads; the second one numbers them its own way, and its chunks are put
    in persistent ids after, in order, so that ids are always handed out in order of first use."""
    global _READING
    chunks = _chunked(todo)
    _READING = articles
    try:
        if len(todo) < parallel_min or len(chunks) < 2 or (os.cpu_count() or 1) < 2 or "fork" not in mp.get_all_start_methods():
            yield from (_read_chunk(chunk, _WORDS, _NAMES) for chunk in chunks)
            return
        context = mp.get_context("fork")
        ends, lock = context.RawArray("i", [0, len(chunks)]), context.Lock()  # next from the front, last from the back
        theirs = forked(_read_from_back, chunks, ends, lock)
        try:
            while (k := _claim(ends, lock, from_back=False)) is not None:
                yield _read_chunk(chunks[k], _WORDS, _NAMES)
        finally:  # the second process is waited for even when the caller stops early
            their_words, their_names, found = theirs()
        word_ids, name_ids = np.full(len(their_words), -1, dtype=np.int32), np.full(len(their_names), -1, dtype=np.int32)
        for _, chunk, first_words, first_names in sorted(found, key=lambda item: item[0]):
            _persist(word_ids, first_words, their_words, _WORDS)
            _persist(name_ids, first_names, their_names, _NAMES)
            yield replace(chunk, words=word_ids[chunk.words], names=name_ids[chunk.names])
    finally:
        _READING = ()


def _persist(persistent: np.ndarray, first_used: np.ndarray, words: list, vocabulary: _Vocabulary) -> None:
    """Give the second process's words used first in a chunk (in order) their persistent ids."""
    new = first_used[persistent[first_used] < 0]
    if len(new):
        persistent[new] = np.fromiter(map(vocabulary.__getitem__, [words[i] for i in new.tolist()]), dtype=np.int32, count=len(new))


def _claim(ends, lock, from_back: bool) -> int | None:
    """The next chunk to read from one end, or None when every chunk is taken."""
    with lock:
        front, back = ends[0], ends[1]
        if front >= back:
            return None
        if from_back:
            ends[1] = back - 1
            return back - 1
        ends[0] = front + 1
        return front


def _read_from_back(chunks: list[list[int]], ends, lock) -> tuple[list[bytes], list[str], list[tuple]]:
    """The second process's part: its words and names by its own ids, and per chunk, the chunk read with those
    ids and the ids in order of first use."""
    words, names = _Vocabulary(marks=(_END.encode(),)), _Vocabulary()
    found = []
    while (k := _claim(ends, lock, from_back=True)) is not None:
        chunk = _read_chunk(chunks[k], words, names)
        found.append((k, chunk, _first_use(chunk.words), _first_use(chunk.names)))
    return words.listing, names.listing, found


def forked(function, *args):
    """Start ``function(*args)`` in a forked child process and return a call that waits for its result.

    The child sees this process's memory as it is now (nothing is pickled on the way in; only the result comes
    back): the way to use the second core for work that needs everything read so far. Without a second core or
    without fork, the function runs here and now."""
    if (os.cpu_count() or 1) < 2 or "fork" not in mp.get_all_start_methods():
        result = function(*args)
        return lambda: result
    context = mp.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_run_forked, args=(send, function, args), daemon=True)
    # Objects the garbage collector would walk in either process while the child lives (writing to every page it
    # visits, which makes the kernel copy pages both processes still share): out of its reach until the child ends.
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    child.start()
    send.close()

    def wait():
        try:
            ok, value = _receive(receive)
        except EOFError:
            raise RuntimeError(f"the worker process running {function.__name__} ended without a result (exit code {child.exitcode})") from None
        finally:
            receive.close()
            child.join()
            if not frozen_before:  # what the caller froze itself stays frozen
                gc.unfreeze()
        if not ok:
            raise value
        return value
    return wait


def _run_forked(send, function, args) -> None:
    gc.disable()  # a short life: nothing to collect that matters, and collecting would copy shared pages
    try:
        result = (True, function(*args))
    except BaseException as error:  # handed back to the parent, which raises it
        result = (False, error)
    buffers: list[pickle.PickleBuffer] = []  # numpy arrays travel as raw bytes, not copied into the pickle
    data = pickle.dumps(result, protocol=5, buffer_callback=buffers.append)
    send.send((data, [memoryview(b).nbytes for b in buffers]))
    for buffer in buffers:
        send.send_bytes(buffer.raw())
    send.close()


def _receive(receive) -> tuple:
    data, sizes = receive.recv()
    buffers = []
    for size in sizes:
        buffer = bytearray(size)  # writable: arrays unpickled from it are ordinary arrays
        if size:
            receive.recv_bytes_into(buffer)
        else:
            receive.recv_bytes()
        buffers.append(buffer)
    return pickle.loads(data, buffers=buffers)


# The tokeniser's fast path, exactly ``_WORD_OR_END`` on ASCII text: every byte that is not a letter, a digit, an
# apostrophe or the end mark becomes a space (bytes >= 128 are kept: they only occur in words the regex already
# cut out), then an apostrophe not between two word bytes becomes a space too, and ``bytes.split`` does the rest.
_TO_SPACE = bytes(c if (chr(c).isalnum() or c in (1, 39) or c >= 128) else 32 for c in range(256))
_LONE_APOSTROPHE = re.compile(rb"(?<![^ \x01'])'|'(?![^ \x01'])")


def _tokens(pieces: list[str]) -> list[bytes]:
    """The tokens of each piece (words, UTF-8, and each end mark), in order: ``_WORD_OR_END.findall`` on them all."""
    text = "".join(pieces)
    if not text.isascii():  # the regex for pieces with non-ASCII letters (its \w is Unicode), bytes.split for the rest
        find = _WORD_OR_END.findall
        text = " ".join(" ".join(find(piece)) if not piece.isascii() else piece for piece in pieces)
    blob = text.encode().replace(b"\x01", b" \x01 ").translate(_TO_SPACE)
    if b"'" in blob:
        blob = _LONE_APOSTROPHE.sub(b" ", blob)
    return blob.split()


def _read_chunk(positions: list[int], words: _Vocabulary, found_names: _Vocabulary) -> "_Arrays":
    """Tokens, sentences and names of some articles, with ids from these vocabularies.

    The chunk's headlines and sentences, each closed by ``_END``, are tokenised together (``_tokens``); the end
    mark is a token of its own (id -1): where those fall says how many words each sentence has.
    """
    end_mark = _END
    pieces: list[str] = []
    piece = pieces.append
    counts, spans_flat, spans_each, paragraph_of, names_each, name_ids = array("i"), array("i"), array("i"), array("i"), array("i"), array("i")
    name_id = found_names.__getitem__
    sentences_of, chain = sentence_spans, itertools.chain.from_iterable
    for i in positions:
        article = _READING[i]
        piece(article.headline.lower().replace(end_mark, " ") + end_mark)
        count = 0
        for p, paragraph in enumerate(article.paragraphs):
            text = " ".join(paragraph.split())
            spans = sentences_of(text)
            lowered = text.lower()
            if end_mark in text:  # not a word character either way
                text, lowered = text.replace(end_mark, " "), lowered.replace(end_mark, " ")
            if len(lowered) == len(text):
                piece(end_mark.join([lowered[b:e] for b, e in spans]) + end_mark)
            else:  # a letter whose lower case is longer ("İ"): lower each sentence
                piece(end_mark.join([text[b:e].lower() for b, e in spans]) + end_mark)
            spans_flat.extend(chain(spans))
            spans_each.append(len(spans))
            paragraph_of.append(p)
            count += len(spans)
        counts.append(count)
        named = names(article_text(article))
        name_ids.extend(map(name_id, named))
        names_each.append(len(named))
    ids_array = np.fromiter(map(words.__getitem__, _tokens(pieces)), dtype=np.int32)
    # Words of each headline and sentence: the spaces between two end marks, plus one (UTF-8 keeps both one byte).
    marks = np.frombuffer("".join(pieces).encode(), dtype=np.uint8)
    del pieces
    spaces_before = np.searchsorted(np.flatnonzero(marks == 32), np.flatnonzero(marks == 1))
    del marks
    word_counts = np.diff(np.r_[0, spaces_before]) + 1
    counts_array = np.frombuffer(counts, dtype=np.int32)
    ends = np.flatnonzero(ids_array < 0)
    segment = np.diff(np.r_[-1, ends]) - 1  # tokens of each headline and sentence, in order
    head_at = np.r_[0, np.cumsum(counts_array + 1)[:-1]].astype(np.int64)
    heads = segment[head_at].astype(np.int32)
    tokens_each = np.add.reduceat(segment, head_at).astype(np.int32) if len(head_at) else np.empty(0, dtype=np.int32)
    is_head = np.zeros(len(segment), dtype=bool)
    is_head[head_at] = True
    place = np.frombuffer(spans_flat, dtype=np.int32).reshape(-1, 2)
    table = np.empty((len(place), _ROW), dtype=np.int32)
    table[:, 0] = segment[~is_head]
    table[:, 1] = word_counts[~is_head]
    table[:, 2] = np.repeat(np.frombuffer(paragraph_of, dtype=np.int32), np.frombuffer(spans_each, dtype=np.int32))
    table[:, 3:] = place
    return _Arrays(ids_array[ids_array >= 0], heads, _starts(tokens_each), table, _starts(counts_array),
                   np.frombuffer(name_ids, dtype=np.int32), _starts(np.frombuffer(names_each, dtype=np.int32)))


def _starts(sizes: np.ndarray) -> np.ndarray:
    return np.r_[0, np.cumsum(sizes, dtype=np.int64)]


def _distinct(values: np.ndarray, counts: bool = False, runs: bool = False):
    """Sorted distinct values (and how often each occurs), by one sort: numpy's hashing unique is slower here.

    ``runs``: the values arrive mostly in order already (codes ``article * width + feature`` of articles in
    order, or a few sorted lists joined): numpy's stable sort, a merge sort, is then several times faster."""
    values = np.sort(values, kind="stable" if runs else None)
    first = np.flatnonzero(np.r_[True, values[1:] != values[:-1]]) if len(values) else np.empty(0, dtype=np.int64)
    if not counts:
        return values[first]
    return values[first], np.diff(np.r_[first, len(values)])


def _exact_day(article: Article) -> int:
    if article.date is None or article.date.approximate:
        return -1
    return article.date.day.toordinal()
