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
Python; everything after that is array arithmetic, so 100,000 articles take seconds, not hours.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Sequence

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
with within without would yet you your yours yourself week weeks day days year years time told added according
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow mr mrs ms dr
january february march april june july august september october november december
""".split())

# Titles that precede names: "Datuk Seri Salleh Said Keruak" and "Salleh Said Keruak" are one person.
HONORIFICS = frozenset("""
datuk seri dato tan sri tun tunku dr mr mrs ms madam prof president prime minister deputy state secretary senator
chief general gen barrister sir lord king queen prince sheikh the a an former
""".split())

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# A capitalised phrase: "Balochistan Liberation Army", "Tehrik-e-Taliban Pakistan", "GRS", "Gabungan Rakyat Sabah".
_NAME = re.compile(r"(?<![\w'’])[A-Z][\w'’-]*(?:\s+(?:(?:of|bin|binti|al|de|la|van|von|der|e)\s+)?[A-Z][\w'’-]*)*")
_POSSESSIVE = re.compile(r"['’]s?$")

# Multipliers that turn three word hashes into one shingle hash (odd 64-bit constants, wrapping arithmetic).
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))
_PAIRS_PER_BATCH = 50_000  # bounds the memory of the vectorised overlap


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


# Phrase -> its name keys. Names recur across thousands of articles: working each out once halves the cost.
_NAME_KEYS: dict[str, tuple[str, ...]] = {}


def names(text: str) -> set[str]:
    """Capitalised phrases without titles, plus their words: "salleh said keruak", "salleh", "keruak"."""
    found: set[str] = set()
    for phrase in _NAME.findall(text):
        keys = _NAME_KEYS.get(phrase)
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


class _Ids(dict):
    """Word -> dense id, handing out the next id to a word never seen before."""

    def __missing__(self, key: str) -> int:
        value = self[key] = len(self)
        return value


@dataclass(frozen=True)
class _Table:
    """One kind of feature as (article, feature) entries sorted by article then feature, with weights."""

    owner: np.ndarray  # article of each entry
    feature: np.ndarray  # dense feature id
    weight: np.ndarray  # float64
    start: np.ndarray  # first entry of each article; start[n] == len(entries)
    width: int  # number of distinct features

    @classmethod
    def build(cls, codes: np.ndarray, width: int, n: int, weight: np.ndarray | None = None) -> "_Table":
        """From sorted, distinct codes ``article * width + feature``."""
        width = max(width, 1)
        owner, feature = codes // width, codes % width
        weight = np.ones(len(codes)) if weight is None else weight
        return cls(owner, feature, weight, np.searchsorted(owner, np.arange(n + 1)), width)

    def sizes(self) -> np.ndarray:
        return np.diff(self.start)

    def overlap(self, a: np.ndarray, b: np.ndarray, b_weight: np.ndarray | None = None) -> np.ndarray:
        """For each pair (a[k], b[k]): sum over their shared features of weight(a) * weight(b) (or b_weight)."""
        b_weight = self.weight if b_weight is None else b_weight
        sizes = self.sizes()
        a, b = np.where(sizes[a] <= sizes[b], a, b), np.where(sizes[a] <= sizes[b], b, a)  # expand the smaller
        codes = self.owner.astype(np.int64) * self.width + self.feature
        out = np.zeros(len(a))
        for lo in range(0, len(a), _PAIRS_PER_BATCH):
            pa, pb = a[lo:lo + _PAIRS_PER_BATCH], b[lo:lo + _PAIRS_PER_BATCH]
            counts = self.start[pa + 1] - self.start[pa]
            pair = np.repeat(np.arange(len(pa)), counts)
            first = np.repeat(self.start[pa] - np.r_[0, np.cumsum(counts)[:-1]], counts)
            entry = first + np.arange(len(pair))
            probe = pb[pair].astype(np.int64) * self.width + self.feature[entry]
            pos = np.minimum(np.searchsorted(codes, probe), len(codes) - 1)
            hit = codes[pos] == probe
            out[lo:lo + len(pa)] = np.bincount(pair[hit], weights=self.weight[entry[hit]] * b_weight[pos[hit]], minlength=len(pa))
        return out


class Corpus:
    """The features of every article, as arrays: tokenised once, then compared by array arithmetic."""

    def __init__(self, articles: Sequence[Article]):
        n = self.n = len(articles)
        words, name_ids = _Ids(), _Ids()
        token_ids: list[int] = []
        lengths = np.empty(n, dtype=np.int64)
        name_owner: list[int] = []
        name_feature: list[int] = []
        for i, article in enumerate(articles):
            text = article_text(article)
            ids = list(map(words.__getitem__, tokens(text)))
            token_ids.extend(ids)
            lengths[i] = len(ids)
            found = list(map(name_ids.__getitem__, names(text)))
            name_feature.extend(found)
            name_owner.extend([i] * len(found))
        vocabulary = list(words)
        stop = np.fromiter((w in STOP_WORDS or len(w) < 2 for w in vocabulary), dtype=bool, count=len(vocabulary))
        word_hash = np.fromiter((zlib.crc32(w.encode()) | (len(w) << 32) for w in vocabulary), dtype=np.uint64, count=len(vocabulary))
        ids = np.asarray(token_ids, dtype=np.int64)
        owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
        self.day = np.array([_exact_day(a) for a in articles], dtype=np.int64)  # -1: undated or approximate

        # Content words, weighted TF-IDF: 1 + log(tf), times log((n + 1) / (df + 1)) + 1.
        content = ~stop[ids]
        codes, tf = _distinct(owner[content] * len(vocabulary) + ids[content], counts=True)
        w_feature = codes % max(len(vocabulary), 1)
        df = np.bincount(w_feature, minlength=len(vocabulary))
        idf = np.log((n + 1) / (df + 1)) + 1.0
        self.words = _Table.build(codes, len(vocabulary), n, (1.0 + np.log(tf)) * idf[w_feature])
        self.word_norm = np.sqrt(np.bincount(self.words.owner, weights=self.words.weight ** 2, minlength=n))

        # Word 3-shingles inside one article, not all stop words, each counted once per article.
        h = word_hash[ids]
        end = np.repeat(np.cumsum(lengths), lengths)
        position = np.arange(len(ids))
        valid = position + 2 < end
        valid[-2:] = False
        valid &= ~(stop[ids] & np.r_[stop[ids][1:], True] & np.r_[stop[ids][2:], True, True])
        keep = np.flatnonzero(valid)
        shingles = h[keep] * _MIX[0] + h[keep + 1] * _MIX[1] + h[keep + 2] * _MIX[2]
        order = np.argsort(shingles, kind="stable")
        new = np.r_[True, shingles[order][1:] != shingles[order][:-1]] if len(order) else np.empty(0, dtype=bool)
        shingle_id = np.empty(len(order), dtype=np.int64)
        shingle_id[order] = np.cumsum(new) - 1
        width = int(new.sum())
        self.shingles = _Table.build(_distinct(owner[keep] * width + shingle_id), width, n)

        # Names, each counted once per article, weighted by rarity.
        codes = _distinct(np.asarray(name_owner, dtype=np.int64) * max(len(name_ids), 1) + np.asarray(name_feature, dtype=np.int64))
        n_feature = codes % max(len(name_ids), 1)
        name_df = np.bincount(n_feature, minlength=len(name_ids))
        name_idf = np.log((n + 1) / (name_df + 1)) + 1.0
        self.names = _Table.build(codes, len(name_ids), n, name_idf[n_feature])
        self.name_weight = np.bincount(self.names.owner, weights=self.names.weight, minlength=n)

    def candidates(self, rank: np.ndarray, *, max_shared: int, neighbours: int, min_keys: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs (a < b) sharing at least ``min_keys`` rare shingles or rare names, never all pairs; and how
        many rare shingles each pair shares (the ``text`` evidence: common phrases say nothing of an event)."""
        found = []
        for table in (self.shingles, self.names):
            a, b, count = shared_key_pairs(table.feature, table.owner, rank, max_df=max_shared, neighbours=neighbours)
            found.append((a * self.n + b, count))
        shingle_codes, shingle_counts = found[0]
        codes = _distinct(np.concatenate([c[k >= min_keys] for c, k in found]))
        pos = np.minimum(np.searchsorted(shingle_codes, codes), max(len(shingle_codes) - 1, 0))
        shared = np.where(shingle_codes[pos] == codes, shingle_counts[pos], 0) if len(shingle_codes) else np.zeros(len(codes), dtype=np.int64)
        return codes // self.n, codes % self.n, shared

    def evidence(self, a: np.ndarray, b: np.ndarray, shared_shingles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(text, words, names) for each pair, each in [0, 1]."""
        shingle_count = self.shingles.sizes()
        shorter = np.minimum(shingle_count[a], shingle_count[b])
        text = np.divide(shared_shingles, shorter, out=np.zeros(len(a)), where=shorter > 0)
        norms = self.word_norm[a] * self.word_norm[b]
        words = np.divide(self.words.overlap(a, b), norms, out=np.zeros(len(a)), where=norms > 0)
        lighter = np.minimum(self.name_weight[a], self.name_weight[b])
        shared = self.names.overlap(a, b, b_weight=np.ones(len(self.names.owner)))
        named = np.divide(shared, lighter, out=np.zeros(len(a)), where=lighter > 0)
        return np.minimum(text, 1.0), np.minimum(words, 1.0), np.minimum(named, 1.0)


def shared_key_pairs(keys: np.ndarray, owners: np.ndarray, rank: np.ndarray, *, max_df: int, neighbours: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of articles (a, b, how many keys they share) among keys held by 2..max_df articles.

    Within one key the owners are ordered by ``rank`` (first seen first) and each is paired with the next
    ``neighbours`` only: a key shared by a long-running story still links its versions in a chain, and no key
    costs more than ``neighbours`` pairs per article. Counts are exact for keys with at most neighbours + 1 owners.
    """
    empty = np.empty(0, dtype=np.int64)
    if len(keys) == 0:
        return empty, empty, empty
    order = np.lexsort((rank[owners], keys))
    keys, owners = keys[order], owners[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    lengths = np.diff(np.r_[starts, len(keys)])
    run_length = np.repeat(lengths, lengths)
    usable = (run_length >= 2) & (run_length <= max_df)
    keys, owners = keys[usable], owners[usable]
    n = np.int64(len(rank))
    codes = []
    for d in range(1, neighbours + 1):
        if d >= len(keys):
            break
        same = keys[:-d] == keys[d:]
        if not same.any():
            break
        a, b = owners[:-d][same], owners[d:][same]
        codes.append(np.minimum(a, b) * n + np.maximum(a, b))
    if not codes:
        return empty, empty, empty
    unique, counts = _distinct(np.concatenate(codes), counts=True)
    return unique // n, unique % n, counts


def _distinct(values: np.ndarray, counts: bool = False):
    """Sorted distinct values (and how often each occurs), by one sort: numpy's hashing unique is slower here."""
    values = np.sort(values)
    first = np.flatnonzero(np.r_[True, values[1:] != values[:-1]]) if len(values) else np.empty(0, dtype=np.int64)
    if not counts:
        return values[first]
    return values[first], np.diff(np.r_[first, len(values)])


def _exact_day(article: Article) -> int:
    if article.date is None or article.date.approximate:
        return -1
    return article.date.day.toordinal()
