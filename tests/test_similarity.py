"""The merge stage's array building blocks, checked against plain Python on small inputs, and its two-core
paths checked against one core."""

from __future__ import annotations

import itertools
import random
import sys
import threading
from collections import Counter

import numpy as np
import pytest
from helpers import REPO

import digest.forking
import digest.stories.arrays
import digest.stories.merge
import digest.stories.reading
import digest.stories.similarity
import digest.stories.summarize
from digest.settings.config import MergeConfig
from digest.stories.arrays import in_thread
from digest.stories.merge import merge_stories
from digest.stories.similarity import _Table, key_pairs

sys.path.insert(0, str(REPO / "bench"))
from generate import generate  # noqa: E402


@pytest.mark.parametrize("n", [40, 100_000])  # pair codes in 32 bits, and in 64 (past 65,536 articles)
def test_key_pairs_counts_shared_keys_and_pairs_each_article_with_its_next_neighbours(n):
    rng = random.Random(3)
    keys = 60
    held = {k: sorted(rng.sample(range(n), rng.choice([1, 2, 3, 5, 12]))) for k in range(keys)}
    entries = sorted((k, a) for k, owners in held.items() for a in owners)
    key = np.array([k for k, _ in entries], dtype=np.int32)
    owner = np.array([a for _, a in entries], dtype=np.int32)

    codes, counts = key_pairs(key, owner, n, max_shared=10, neighbours=3)

    expected: Counter = Counter()
    for owners in held.values():
        if 2 <= len(owners) <= 10:  # a key twelve articles hold proposes nothing
            for i, j in itertools.combinations(range(len(owners)), 2):
                if j - i <= 3:  # each article with its next three only
                    expected[owners[i] * n + owners[j]] += 1
    assert dict(zip(codes.tolist(), counts.tolist())) == dict(expected)
    assert list(codes) == sorted(expected)


def test_overlap_sums_the_weights_of_shared_features_exactly_in_any_number_of_batches(monkeypatch):
    rng = np.random.default_rng(7)
    n, width = 300, 500
    rows = [np.sort(rng.choice(width, size=rng.integers(0, 40), replace=False)) for _ in range(n)]
    codes = np.concatenate([a * width + r for a, r in enumerate(rows)]).astype(np.int64)
    weight = rng.random(len(codes)) + 0.5
    table = _Table.build(codes, width, n, weight)
    a = rng.integers(0, n, 2000)
    b = rng.integers(0, n, 2000)

    def by_hand(weigh_b: bool) -> list[float]:
        w = {int(c): float(x) for c, x in zip(codes, weight)}
        sums = []
        for i, j in zip(a.tolist(), b.tolist()):
            small, large = (i, j) if len(rows[i]) <= len(rows[j]) else (j, i)
            total = 0.0
            for f in rows[small].tolist():  # in feature order, as the table sums them
                if large * width + f in w:
                    total += w[small * width + f] * (w[large * width + f] if weigh_b else 1.0)
            sums.append(total)
        return sums

    for cells in (1 << 20, 1):  # one batch of rows; a batch of 64 rows at a time
        monkeypatch.setattr(digest.stories.similarity, "_DENSE_CELLS", cells)
        assert table.overlap(a, b).tolist() == by_hand(True)
        assert table.overlap(a, b, weigh_b=False).tolist() == by_hand(False)


def test_every_step_on_two_cores_gives_what_one_core_gives(monkeypatch):
    articles = generate(600, seed=11).articles

    def merged():
        stories, stats = merge_stories(articles, MergeConfig())  # nothing kept: everything read afresh
        return [(s.slug, s.title, [a.id for a in s.articles], s.summary, s.adds) for s in stories], (stats.candidates, stats.compared, stats.merged)

    one_core = merged()
    for module, name in ((digest.stories.merge, "PARALLEL_READ_MIN"), (digest.stories.similarity, "PARALLEL_INDEX_MIN"),
                         (digest.stories.similarity, "PARALLEL_EVIDENCE_MIN"), (digest.stories.summarize, "PARALLEL_TELL_MIN")):
        monkeypatch.setattr(module, name, 0)
    monkeypatch.setattr(digest.stories.reading, "_CHUNK", 50)  # many chunks: both processes take some
    two_cores = merged()
    assert two_cores == one_core
    assert one_core[1][2] > 100  # the archive has re-reports to merge


def test_only_reading_forks_a_process_the_index_evidence_and_telling_use_a_thread(monkeypatch):
    # A forked child maps its parent's memory as its own: the merge stage's tables would be counted twice.
    articles = generate(400, seed=5).articles
    for module, name in ((digest.stories.similarity, "PARALLEL_INDEX_MIN"), (digest.stories.similarity, "PARALLEL_EVIDENCE_MIN"),
                         (digest.stories.summarize, "PARALLEL_TELL_MIN")):
        monkeypatch.setattr(module, name, 0)
    monkeypatch.setattr(digest.stories.merge, "PARALLEL_READ_MIN", 10**9)
    forks, threads = [], []
    real_start, real_thread = digest.forking._start, digest.stories.arrays.ThreadPoolExecutor.submit
    monkeypatch.setattr(digest.forking, "_start", lambda *args: forks.append(args) or real_start(*args))
    monkeypatch.setattr(digest.stories.arrays.ThreadPoolExecutor, "submit", lambda pool, f, *args: threads.append(f) or real_thread(pool, f, *args))
    monkeypatch.setattr(digest.stories.arrays.os, "cpu_count", lambda: 2)
    stories, _ = merge_stories(articles, MergeConfig())
    assert forks == []
    assert [f.__name__ for f in threads] == ["_shingle_part", "_evidence", "_tell_part"]
    assert any(len(s.articles) > 1 for s in stories)


def test_work_on_a_second_thread_hands_back_its_result_or_raises_its_error(monkeypatch):
    monkeypatch.setattr(digest.stories.arrays.os, "cpu_count", lambda: 2)
    assert in_thread(np.sort, np.array([3, 1, 2]))().tolist() == [1, 2, 3]
    assert in_thread(threading.current_thread)() is not threading.current_thread()
    with pytest.raises(ValueError, match="invalid literal"):
        in_thread(int, "seven")()
    monkeypatch.setattr(digest.stories.arrays.os, "cpu_count", lambda: 1)
    assert in_thread(threading.current_thread)() is threading.current_thread()  # one core: here and now


def test_an_empty_paragraph_is_no_sentence_and_spoils_nothing_after_it():
    from dataclasses import replace

    from digest.models import Article
    from digest.stories.reading import read

    gap = Article(id="gap", source="gap.md", line=1, kind="lead", headline="Floods in Vellora",
                  paragraphs=("Floods forced 12,000 people from their homes.", "", "   ", "The river burst its banks near Ambrel."))
    after = Article(id="after", source="after.md", line=1, kind="lead", headline="İstanbul café reopens",
                    paragraphs=("The café on the Bosphorus reopened on Monday. Queues formed early.",))
    reading = read([gap, after, replace(gap, id="plain", paragraphs=tuple(p for p in gap.paragraphs if p.strip()))], parallel_min=10**9)

    def rows(k):
        return reading.sentences[reading.sentence_start[k]:reading.sentence_start[k + 1]]

    assert [reading.sentence_text(gap, r) for r in range(reading.sentence_start[0], reading.sentence_start[1])] == [
        "Floods forced 12,000 people from their homes.", "The river burst its banks near Ambrel."]
    assert rows(0)[:, 2].tolist() == [0, 3]  # each sentence knows its paragraph, the empty ones counted
    assert rows(0)[:, [0, 1, 3, 4]].tolist() == rows(2)[:, [0, 1, 3, 4]].tolist()  # as if the gap were not there
    assert [reading.sentence_text(after, r) for r in range(reading.sentence_start[1], reading.sentence_start[2])] == [
        "The café on the Bosphorus reopened on Monday.", "Queues formed early."]
    tokens = np.diff(reading.token_start).tolist()
    assert tokens[0] == tokens[2]  # the same words, with or without the gap


def test_a_vocabulary_past_its_limit_starts_afresh_and_reads_as_a_fresh_process_would(monkeypatch):
    from digest.stories.reading import ReadingMemo, read

    first, second = generate(60, seed=2).articles, generate(40, seed=3).articles
    alone = read(second, parallel_min=10**9)  # what a fresh process reads
    memo = ReadingMemo()
    read(first, parallel_min=10**9, memo=memo)
    grown = len(memo.words.listing)
    monkeypatch.setattr(digest.stories.reading, "VOCABULARY_MAX", grown - 1)
    again = read(second, parallel_min=10**9, memo=memo)
    assert len(memo.words.listing) == len(alone.vocabulary)  # the first archive's words were dropped
    assert again.vocabulary == alone.vocabulary and np.array_equal(again.ids, alone.ids)
