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
Python (``digest.stories.reading``); everything after that is array arithmetic.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digest.models import Article, DateSource
from digest.stories.arrays import distinct, hash_order, in_thread, ranges
from digest.stories.reading import Reading
from digest.stories.tokens import STOP_WORDS

# Multipliers that turn three word hashes into one shingle hash (odd 64-bit constants, wrapping arithmetic).
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


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
    def build(cls, codes: np.ndarray, width: int, n: int, weight: np.ndarray | None = None) -> _Table:
        """From sorted, distinct codes ``article * width + feature``."""
        width = max(width, 1)
        return cls(codes, weight, np.searchsorted(codes, np.arange(n + 1, dtype=np.int64) * width), width)

    @property
    def weights(self) -> np.ndarray:
        """``weight`` of a weighted table (words, names); the shingle table has none to give."""
        if self.weight is None:
            raise TypeError("this table's entries are unweighted")
        return self.weight

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
        feature, weight, start = self.feature(), self.weights, self.start
        out = np.zeros(len(a))
        by_b = np.argsort(b, kind="stable")
        a, b = a[by_b], b[by_b]
        first = np.flatnonzero(np.r_[True, b[1:] != b[:-1]]) if len(b) else np.empty(0, dtype=np.int64)
        rows = max(_DENSE_CELLS // self.width, 64)
        dense = np.zeros((min(rows, len(first)), self.width))
        for lo in range(0, len(first), rows):
            p0, p1 = first[lo], (first[lo + rows] if lo + rows < len(first) else len(b))
            looked_up = b[first[lo:lo + rows]]
            held, row = ranges(start[looked_up], start[looked_up + 1])
            dense[row, feature[held]] = weight[held] if weigh_b else 1.0
            walked = a[p0:p1]
            entry, pair = ranges(start[walked], start[walked + 1])
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

    def __init__(self, articles: Sequence[Article], reading: Reading, *, max_shared: int, neighbours: int):
        """``max_shared`` and ``neighbours``: which keys propose pairs, and how many (``key_pairs``). For large
        archives on two cores, a second thread finds the shingles of one part of the hash range and their pairs
        while this one builds the word and name tables and then does the other part."""
        n = self.n = len(articles)
        vocabulary = reading.vocabulary
        width = max(len(vocabulary), 1)
        stop, word_hash = vocabulary_tables(vocabulary)
        ids = reading.ids
        owner = reading.owner
        shingles = (ids, owner, stop, word_hash, n, max_shared, neighbours)
        theirs = in_thread(_shingle_part, *shingles, (0, _SPLIT)) if n >= PARALLEL_INDEX_MIN else None
        self.day = np.array([_exact_day(a) for a in articles], dtype=np.int64)  # -1: undated or approximate

        # Content words, weighted TF-IDF: 1 + log(tf), times log((n + 1) / (df + 1)) + 1.
        content = np.flatnonzero(~stop[ids])
        codes, tf = distinct(owner[content].astype(np.int64) * width + ids[content], counts=True, runs=True)
        del content
        w_feature = codes % width
        df = np.bincount(w_feature, minlength=len(vocabulary))
        idf = self.word_idf = inverse_frequency(df, n)
        self.words = _Table.build(codes, width, n, (1.0 + np.log(tf)) * idf[w_feature])
        del codes, tf, w_feature
        self.word_norm = np.sqrt(np.bincount(self.words.owner(), weights=self.words.weights ** 2, minlength=n))

        # Names, each counted once per article, weighted by rarity.
        name_width = max(len(reading.name_vocabulary), 1)
        codes = distinct(reading.name_owner.astype(np.int64) * name_width + reading.name_ids, runs=True)
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
        self.shingle_hashes = np.concatenate([p.hashes for p in parts])  # sorted: the parts are ranges in order
        self._shingle_pairs = _summed([(p.pairs, p.shared) for p in parts])
        # Which articles hold each shingle: (shingle, article) entries in shingle order, shingles numbered in hash
        # order; what a re-merge looks new versions up in (``digest.stories.remerge``). The parts go: what they
        # hold besides is in the two arrays above.
        offsets = np.cumsum([0] + [len(p.hashes) for p in parts[:-1]])
        self.shingle_key = np.concatenate([p.key + np.int32(offset) for p, offset in zip(parts, offsets)])
        self.shingle_holder = np.concatenate([p.owner for p in parts])
        del parts
        self.shingle_count = np.bincount(self.shingle_holder, minlength=n)

    def candidates(self, min_keys: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs (a < b) sharing at least ``min_keys`` rare shingles or rare names, never all pairs; and how
        many rare shingles each pair shares (the ``text`` evidence: common phrases say nothing of an event)."""
        found = [self._shingle_pairs, self._name_pairs]
        shingle_codes, shingle_counts = found[0]
        codes = distinct(np.concatenate([c[k >= min_keys] for c, k in found]), runs=True)
        pos = np.minimum(np.searchsorted(shingle_codes, codes), max(len(shingle_codes) - 1, 0))
        shared = np.where(shingle_codes[pos] == codes, shingle_counts[pos], 0) if len(shingle_codes) else np.zeros(len(codes), dtype=np.int64)
        return codes // self.n, codes % self.n, shared

    def forget_pairs(self) -> None:
        """Let go of the pairs the keys proposed (``candidates``), once judged: a tenth of a large archive's tables."""
        self._shingle_pairs = self._name_pairs = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))

    def evidence(self, a: np.ndarray, b: np.ndarray, shared_shingles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(text, words, names) for each pair, each in [0, 1]; many pairs are judged in two halves on two cores
        (each pair's evidence is its own: the halves give exactly what one pass gives)."""
        if len(a) < PARALLEL_EVIDENCE_MIN:
            return self._evidence(a, b, shared_shingles)
        half = len(a) // 2
        theirs = in_thread(self._evidence, a[half:], b[half:], shared_shingles[half:])
        mine = self._evidence(a[:half], b[:half], shared_shingles[:half])
        return tuple(np.concatenate(parts) for parts in zip(mine, theirs()))  # type: ignore[return-value]

    def _evidence(self, a: np.ndarray, b: np.ndarray, shared_shingles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return pair_evidence(shared_shingles, self.shingle_count[a], self.shingle_count[b],
                             self.words.overlap(a, b), self.word_norm[a], self.word_norm[b],
                             self.names.overlap(a, b, weigh_b=False), self.name_weight[a], self.name_weight[b])


def pair_evidence(shared_shingles, shingles_a, shingles_b, word_overlap, word_norm_a, word_norm_b, name_overlap, name_weight_a,
                  name_weight_b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(text, words, names) of pairs of articles, each in [0, 1], from what each pair shares and what each side holds:
    arrays of pairs (a full merge) or one pair's numbers (a re-merge, which gets 0-d arrays back).

    text: rare shingles shared, of the shorter side's; words: the cosine of their TF-IDF word vectors; names: the
    weight of the names shared, of the lighter side's."""
    return (_share(shared_shingles, np.minimum(shingles_a, shingles_b)), _share(word_overlap, np.multiply(word_norm_a, word_norm_b)),
            _share(name_overlap, np.minimum(name_weight_a, name_weight_b)))


def _share(part, whole) -> np.ndarray:
    """part / whole, at most 1 (0 where whole is 0)."""
    whole = np.asarray(whole)
    return np.minimum(np.divide(part, whole, out=np.zeros(whole.shape), where=whole > 0), 1.0)


def merge_score(config, text, words, names):
    """The combined evidence that two articles tell one event (compared with ``config.threshold``)."""
    return config.text_weight * text + config.words_weight * words + config.names_weight * names


# Archives from this many articles find their shingles and shingle pairs on two cores (``Corpus``).
PARALLEL_INDEX_MIN = 3000
# From this many pairs to judge, ``Corpus.evidence`` judges half of them on a second thread. The index and the
# evidence are array arithmetic, which numpy does outside the interpreter lock: threads, not forked processes, which
# would map, and count, the merge stage's memory twice.
PARALLEL_EVIDENCE_MIN = 20_000
# The second thread takes the shingles with hashes below this, this one the rest (after its word and name tables).
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
    order, hashes = hash_order(hashes)  # equal hashes keep their token order: their articles in first-seen order
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
    unique, counts = distinct(np.concatenate(codes), counts=True)
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


def _exact_day(article: Article) -> int:
    """The day the merge window counts from; -1 when none. A page's capture time counts: a captured lead was
    news when the page was saved, so two leads captured weeks apart are not one event."""
    if article.date is None or (article.date.approximate and article.date.source is not DateSource.CAPTURE_TIME):
        return -1
    return article.date.day.toordinal()
