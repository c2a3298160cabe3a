"""Reading: every article tokenised, cut into sentences and searched for names once, into numpy arrays.

The index, the evidence and the telling of the merge stage all work on what is read here (``Reading``): words
and names as integer ids, sentences as rows of integers. Large archives are read on two cores; articles
unchanged since the last call are not read again, so the preview server's re-merge after a save reads only what
was edited.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from digest.forking import can_fork, forked
from digest.models import Article
from digest.read.text import sentence_spans
from digest.stories.arrays import first_use, ranges
from digest.stories.tokens import END, article_text, names, tokens


class _Vocabulary(dict):
    """Word -> id, handing the next id to a word never seen before (ids in order of first use), and ``listing``,
    the words by id. Keys are what the reader finds (UTF-8 bytes for words, str for names); ``decode`` lists
    them as str. A key set to -1 beforehand (the end mark) is no word and gets no id."""

    def __init__(self, decode: bool = False, marks: tuple = ()):
        super().__init__(dict.fromkeys(marks, -1))
        self.listing: list = []
        self._decode = decode

    @classmethod
    def pair(cls, decode: bool) -> tuple[_Vocabulary, _Vocabulary]:
        """Words (UTF-8 bytes, the end mark no word; listed as str with ``decode``) and names (str)."""
        return cls(decode=decode, marks=(END.encode(),)), cls()

    def __missing__(self, key) -> int:
        value = self[key] = len(self.listing)
        self.listing.append(key.decode() if self._decode else key)
        return value


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


CACHE_ARTICLES = 20_000  # archives up to this size are kept for the next read
VOCABULARY_MAX = 5_000_000  # words kept between calls; past this, the vocabulary starts afresh
_ROW = 5


class ReadingMemo:
    """What earlier reads keep for the next, held by the caller (the preview's re-merger keeps one for as long as it
    runs): the persistent word and name ids, the name keys of phrases seen, and what the last call read, the
    arrays (ids in the persistent vocabularies) and by article id (hash of headline and paragraphs, its place in
    them). The preview server merges everything again after every save; with this, only the edited documents are
    read again. Articles are kept for archives up to CACHE_ARTICLES only. A fresh memo reads the same, only slower."""

    def __init__(self) -> None:
        self.words, self.names = _Vocabulary.pair(decode=True)
        self.name_keys: dict[str, tuple[str, ...]] = {}
        self.articles: dict[str, tuple[int, int]] = {}
        self.previous: _Arrays | None = None

    def forget(self, vocabulary: bool = False) -> None:
        """Forget the articles read (and with ``vocabulary``, the persistent word and name ids too)."""
        self.articles = {}
        self.previous = None
        if vocabulary:
            self.words, self.names = _Vocabulary.pair(decode=True)


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
    def join(cls, parts: list[_Arrays]) -> _Arrays:
        if len(parts) == 1:
            return parts[0]
        empty = np.empty(0, dtype=np.int32)

        def starts(name: str) -> np.ndarray:
            return np.r_[0, np.cumsum(np.concatenate([np.diff(getattr(p, name)) for p in parts] or [empty]), dtype=np.int64)]
        return cls(np.concatenate([p.words for p in parts] or [empty]), np.concatenate([p.headline_tokens for p in parts] or [empty]),
                   starts("token_start"), np.concatenate([p.sentences for p in parts] or [np.empty((0, _ROW), dtype=np.int32)]),
                   starts("sentence_start"), np.concatenate([p.names for p in parts] or [empty]), starts("name_start"))

    def take(self, which: np.ndarray) -> _Arrays:
        """These articles, in this order."""
        def gather(values, start):
            index, _ = ranges(start[which], start[which + 1])
            return values[index], np.r_[0, np.cumsum(start[which + 1] - start[which], dtype=np.int64)]
        words, token_start = gather(self.words, self.token_start)
        sentences, sentence_start = gather(self.sentences, self.sentence_start)
        names, name_start = gather(self.names, self.name_start)
        return _Arrays(words, self.headline_tokens[which], token_start, sentences, sentence_start, names, name_start)


def read(articles: Sequence[Article], parallel_min: int, memo: ReadingMemo | None = None) -> Reading:
    """Read every article (on two cores when at least ``parallel_min`` articles are new), reusing and updating
    what ``memo`` kept from the last call (nothing is kept without one)."""
    memo = memo if memo is not None else ReadingMemo()
    n = len(articles)
    if len(memo.words) > VOCABULARY_MAX:  # a long-running server that has seen many edits: start afresh
        memo.forget(vocabulary=True)
    fresh_vocabulary = not memo.words.listing
    keys = [hash((a.headline, a.paragraphs)) for a in articles]
    known = [memo.articles.get(a.id, (None, -1)) for a in articles]
    todo = [i for i, (key, _) in enumerate(known) if key != keys[i]]
    fresh = _Arrays.join(list(_read_all(articles, todo, parallel_min, memo)))
    if len(todo) == n:
        arrays = fresh
    else:  # cached articles from the last call's arrays, new ones from this call's, in article order
        previous = memo.previous
        assert previous is not None, "articles are known only with the arrays they were read into"
        where = np.array([place for _, place in known], dtype=np.int64)
        where[todo] = len(previous.headline_tokens) + np.arange(len(todo))
        arrays = _Arrays.join([previous, fresh]).take(where)
    memo.forget()
    if n <= CACHE_ARTICLES:
        memo.articles = {a.id: (keys[i], i) for i, a in enumerate(articles)}
        memo.previous = arrays
    return _reading_of(arrays, n, fresh_vocabulary, memo)


def read_fresh(articles: Sequence[Article], memo: ReadingMemo | None = None) -> Reading:
    """These articles read in this process, without using or changing the articles ``read`` keeps between calls
    (only the vocabularies): the few articles a preview re-merge must read (``digest.stories.remerge``)."""
    memo = memo if memo is not None else ReadingMemo()
    fresh_vocabulary = not memo.words.listing
    chunks = _read_all(articles, list(range(len(articles))), len(articles) + 1, memo)
    return _reading_of(_Arrays.join(list(chunks)), len(articles), fresh_vocabulary, memo)


def _reading_of(arrays: _Arrays, n: int, fresh_vocabulary: bool, memo: ReadingMemo) -> Reading:
    if fresh_vocabulary:  # ids were handed out in order of first use in this very call
        ids, vocabulary = arrays.words, list(memo.words.listing)
        name_ids, name_vocabulary = arrays.names, list(memo.names.listing)
    else:
        ids, vocabulary = _dense(arrays.words, memo.words.listing)
        name_ids, name_vocabulary = _dense(arrays.names, memo.names.listing)
    tokens_each, names_each = np.diff(arrays.token_start), np.diff(arrays.name_start)
    return Reading(
        ids=ids, vocabulary=vocabulary, owner=np.repeat(np.arange(n, dtype=np.int32), tokens_each),
        token_start=arrays.token_start, headline_tokens=arrays.headline_tokens, sentence_start=arrays.sentence_start,
        sentences=arrays.sentences, name_ids=name_ids, name_owner=np.repeat(np.arange(n, dtype=np.int32), names_each),
        name_vocabulary=name_vocabulary)


def _dense(gids: np.ndarray, words: list[str]) -> tuple[np.ndarray, list[str]]:
    """Persistent ids -> ids numbered in order of first use in this call (the result never depends on history)."""
    if not len(gids):
        return np.empty(0, dtype=np.int32), []
    unique = first_use(gids)
    dense = np.empty(int(unique.max()) + 1, dtype=np.int32)
    dense[unique] = np.arange(len(unique), dtype=np.int32)
    return dense[gids], [words[g] for g in unique.tolist()]


_CHUNK = 250


def _chunked(todo: list[int]) -> list[list[int]]:
    """Up to _CHUNK articles a chunk, at least eight chunks: the two processes share the last ones out evenly."""
    size = max(1, min(_CHUNK, -(-len(todo) // 8)))
    return [todo[k:k + size] for k in range(0, len(todo), size)]


def _read_all(articles: Sequence[Article], todo: list[int], parallel_min: int, memo: ReadingMemo) -> Iterator[_Arrays]:
    """Each chunk read, in order, with persistent word and name ids; on two cores when it pays. A generator:
    each chunk can be dropped once used.

    On two cores this process reads chunks from the front and a second one from the back, each taking the next
    chunk when done with the last, until they meet: however fast each runs, they finish together. This process
    gives its words persistent ids as it reads; the second one numbers them its own way, and its chunks are put
    in persistent ids after, in order, so that ids are always handed out in order of first use."""
    chunks = _chunked(todo)
    words, found_names, name_keys = memo.words, memo.names, memo.name_keys
    if len(todo) < parallel_min or len(chunks) < 2 or not can_fork():
        yield from (_read_chunk(articles, chunk, words, found_names, name_keys) for chunk in chunks)
        return
    context = mp.get_context("fork")
    ends, lock = context.RawArray("i", [0, len(chunks)]), context.Lock()  # next from the front, last from the back
    theirs = forked(_read_from_back, articles, chunks, ends, lock, name_keys)  # the articles are inherited, not pickled
    try:
        while (k := _claim(ends, lock, from_back=False)) is not None:
            yield _read_chunk(articles, chunks[k], words, found_names, name_keys)
    finally:  # the second process is waited for even when the caller stops early
        their_words, their_names, found = theirs()
    word_ids, name_ids = np.full(len(their_words), -1, dtype=np.int32), np.full(len(their_names), -1, dtype=np.int32)
    for _, chunk, first_words, first_names in sorted(found, key=lambda item: item[0]):
        _persist(word_ids, first_words, their_words, words)
        _persist(name_ids, first_names, their_names, found_names)
        yield replace(chunk, words=word_ids[chunk.words], names=name_ids[chunk.names])


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


def _read_from_back(articles: Sequence[Article], chunks: list[list[int]], ends, lock, name_keys: dict) -> tuple[list[bytes], list[str], list[tuple]]:
    """The second process's part: its words and names by its own ids, and per chunk, the chunk read with those
    ids and the ids in order of first use."""
    words, found_names = _Vocabulary.pair(decode=False)
    found = []
    while (k := _claim(ends, lock, from_back=True)) is not None:
        chunk = _read_chunk(articles, chunks[k], words, found_names, name_keys)
        found.append((k, chunk, first_use(chunk.words), first_use(chunk.names)))
    return words.listing, found_names.listing, found


def _read_chunk(articles: Sequence[Article], positions: list[int], words: _Vocabulary, found_names: _Vocabulary,
                name_keys: dict[str, tuple[str, ...]]) -> _Arrays:
    """Tokens, sentences and names of some articles, with ids from these vocabularies.

    The chunk's headlines and sentences, each closed by ``END``, are tokenised together (``tokens``); the end
    mark is a token of its own (id -1): where those fall says how many words each sentence has.
    """
    end_mark = END
    pieces: list[str] = []
    piece = pieces.append
    counts, spans_flat, spans_each, paragraph_of, names_each, name_ids = array("i"), array("i"), array("i"), array("i"), array("i"), array("i")
    name_id = found_names.__getitem__
    sentences_of, chain = sentence_spans, itertools.chain.from_iterable
    for i in positions:
        article = articles[i]
        piece(article.headline.lower().replace(end_mark, " ") + end_mark)
        count = 0
        for p, paragraph in enumerate(article.paragraphs):
            text = " ".join(paragraph.split())
            spans = sentences_of(text)
            if not spans:  # an empty paragraph: no sentence, so no end mark either (each end mark closes one)
                continue
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
        named = names(article_text(article), name_keys)
        name_ids.extend(map(name_id, named))
        names_each.append(len(named))
    ids_array = np.fromiter(map(words.__getitem__, tokens(pieces)), dtype=np.int32)
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
