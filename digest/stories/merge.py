"""Merge stage: articles -> stories, one per event, however many outlets reported it.

0. Read: every article is tokenised, cut into sentences and searched for names once, into arrays
   (``digest.stories.reading.read``), on two cores for large archives; articles unchanged since the last call are not
   read again, so the preview server's re-merge after a save reads only what was edited.
1. Index: the pairs worth comparing are those sharing a rare word 3-shingle or a rare name (``digest.stories.similarity``);
   never every pair, so the stage stays near-linear as the archive grows. ``MergeStats.compared`` counts them.
2. Judge: each candidate pair is one event when its combined evidence (shared wording, similar vocabulary, shared
   names) reaches ``merge.threshold`` and its exact dates are at most ``merge.window_days`` apart. Undated and
   approximately dated articles are never kept apart by the window.
3. Group: the strongest pairs join first; a group never takes in an article the editor forced apart from one of
   its members (``merge.apart``, front matter ``apart:``), and editor groups (``merge.together``, front matter
   ``story:``) are joined before anything else.
4. Tell: each group becomes a ``Story`` with a stable slug, a headline, a summary and what each version adds
   (``digest.stories.summarize``): every multi-version story at once, by array arithmetic on what was read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from digest.models import Article, Diagnostic, Story
from digest.settings.config import MergeConfig
from digest.slugs import slugify, unique_slug
from digest.stories.reading import Reading, ReadingMemo, read
from digest.stories.summarize import tell_all

if TYPE_CHECKING:
    from digest.stories.similarity import Corpus


@dataclass
class MergeStats:
    """What the stage did: enough to prove it never compares all pairs."""

    articles: int = 0
    candidates: int = 0  # distinct pairs the index proposed
    compared: int = 0  # pairs whose evidence was computed (candidates inside the time window)
    merged: int = 0  # pairs that joined two groups
    forced: int = 0  # joins made by the editor (story:, merge.together)
    refused: int = 0  # joins refused because the editor keeps the articles apart
    stories: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)


def merge_stories(articles: Sequence[Article], config: MergeConfig, memo: ReadingMemo | None = None) -> tuple[list[Story], MergeStats]:
    """The stories of these articles; ``memo`` keeps what was read for the next call (none: nothing is kept)."""
    run = full_merge(articles, config, memo)
    return run.stories, run.stats


@dataclass(frozen=True)
class MergeRun:
    """A full merge and what it worked out on the way: what ``digest.stories.remerge`` keeps to re-merge a few edits."""

    stories: list[Story]
    stats: MergeStats
    articles: Sequence[Article]  # in first-seen order: the indices below are places in it
    reading: Reading | None
    corpus: object | None  # digest.stories.similarity.Corpus
    pairs: list[tuple[float, int, int]]  # (score, a, b), a < b: every pair that reached the threshold


def full_merge(articles: Sequence[Article], config: MergeConfig, memo: ReadingMemo | None = None) -> MergeRun:
    stats = MergeStats(articles=len(articles))
    if not articles:
        return MergeRun([], stats, (), None, None, [])
    # Work in first-seen order (see ``_seen_key``) so the result never depends on the order articles arrive in.
    articles = sorted(articles, key=_seen_key)
    index = {a.id: i for i, a in enumerate(articles)}
    reading = read(articles, PARALLEL_READ_MIN, memo)
    pairs, corpus = _scored_pairs(articles, reading, config, stats)
    corpus.forget_pairs()  # judged: not needed to tell the stories, nor kept
    groups = group(articles, index, pairs, config, stats)
    stories = _tell(articles, reading, groups)
    stats.stories = len(stories)
    return MergeRun(stories, stats, articles, reading, corpus, pairs)


def group(
    articles: Sequence[Article], index: dict[str, int], pairs: Iterable[tuple[float, int, int]], config: MergeConfig, stats: MergeStats
) -> list[list[int]]:
    """Editor groups first, then the strongest pairs (strongest first), never joining what the editor keeps apart."""
    groups = editor_groups(articles, index, config, stats)
    for score, i, j in pairs:
        if score < config.threshold:
            break
        if groups.join(i, j):
            stats.merged += 1
        elif groups.find(i) != groups.find(j):
            stats.refused += 1
    return groups.members()


def editor_groups(articles: Sequence[Article], index: dict[str, int], config: MergeConfig, stats: MergeStats) -> _Groups:
    """The groups the editor forces (``together``, ``story:``) and keeps apart (``apart``), with their diagnostics."""
    groups = _Groups(len(articles))
    _apply_apart(articles, index, config, groups, stats)
    _apply_together(articles, index, config, groups, stats)
    return groups


# ---------------------------------------------------------------- judging pairs


def _scored_pairs(articles: Sequence[Article], reading: Reading, config: MergeConfig, stats: MergeStats) -> tuple[list[tuple[float, int, int]], Corpus]:
    """Candidate pairs from the index that reach the threshold, strongest first; and the corpus they came from."""
    import numpy as np

    from digest.stories.similarity import Corpus, merge_score

    corpus = Corpus(articles, reading, max_shared=config.max_shared, neighbours=config.neighbours)
    a, b, shared = corpus.candidates()
    stats.candidates = len(a)
    day_a, day_b = corpus.day[a], corpus.day[b]
    in_window = (day_a < 0) | (day_b < 0) | (np.abs(day_a - day_b) <= config.window_days)
    a, b, shared = a[in_window], b[in_window], shared[in_window]
    stats.compared = len(a)
    text, words, names = corpus.evidence(a, b, shared)
    score = merge_score(config, text, words, names)
    keep = np.flatnonzero(score >= config.threshold)
    order = keep[np.lexsort((b[keep], a[keep], -score[keep]))]
    return list(zip(score[order].tolist(), a[order].tolist(), b[order].tolist())), corpus


# ---------------------------------------------------------------- grouping


class _Groups:
    """Union-find whose groups remember which "apart" sets their members belong to."""

    def __init__(self, n: int):
        self.parent = list(range(n))
        self.apart: list[frozenset[int]] = [frozenset()] * n  # per root: the apart sets its members are in

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> bool:
        ri, rj = self.find(i), self.find(j)
        if ri == rj or self.apart[ri] & self.apart[rj]:
            return False
        if rj < ri:
            ri, rj = rj, ri
        self.parent[rj] = ri
        self.apart[ri] = self.apart[ri] | self.apart[rj]
        return True

    def keep_apart(self, i: int, tag: int) -> None:
        root = self.find(i)
        self.apart[root] = self.apart[root] | {tag}

    def members(self) -> list[list[int]]:
        groups: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            groups.setdefault(self.find(i), []).append(i)
        return list(groups.values())


def _apply_apart(articles, index, config: MergeConfig, groups: _Groups, stats: MergeStats) -> None:
    sets = [(list(ids), ("digest.yaml", "merge.apart")) for ids in config.apart]
    for article in articles:
        apart = article.meta.get("apart") if article.meta else None
        if apart:
            ids = [apart] if isinstance(apart, str) else [str(x) for x in apart]
            sets.append(([article.id, *ids], (article.source, "front matter 'apart'")))
    for tag, (ids, where) in enumerate(sets):
        for article_id in _known(ids, index, where, stats):
            groups.keep_apart(index[article_id], tag)


def _apply_together(articles, index, config: MergeConfig, groups: _Groups, stats: MergeStats) -> None:
    sets = [(list(ids), ("digest.yaml", "merge.together")) for ids in config.together]
    sets += [(ids, ("", f"front matter 'story: {key}'")) for key, ids in story_key_groups(articles).items()]
    for ids, where in sets:
        known = _known(ids, index, where, stats)
        for other in known[1:]:
            if groups.join(index[known[0]], index[other]):
                stats.forced += 1
            elif groups.find(index[known[0]]) != groups.find(index[other]):
                path, setting = where
                stats.diagnostics.append(
                    Diagnostic(
                        path or articles[index[other]].source,
                        None,
                        f"{setting}: '{known[0]}' and '{other}' are forced both together and apart: kept apart (remove one of the two settings)",
                    )
                )


def story_key_groups(articles: Iterable[Article]) -> dict[str, list[str]]:
    """Front matter ``story:`` key -> the ids of the articles that carry it."""
    by_key: dict[str, list[str]] = {}
    for article in articles:
        if article.story_key:
            by_key.setdefault(article.story_key, []).append(article.id)
    return by_key


def _known(ids: Iterable[str], index, where: tuple[str, str], stats: MergeStats) -> list[str]:
    known = []
    for article_id in ids:
        if article_id in index:
            known.append(article_id)
        else:
            path, setting = where
            stats.diagnostics.append(
                Diagnostic(path, None, f"{setting}: no article has the id '{article_id}' (`digest list --articles` shows the ids): ignored")
            )
    return known


# ---------------------------------------------------------------- telling


def _seen_key(article: Article) -> tuple:
    """First seen first: the earliest known date (exact or approximate, capture and file times included), then id."""
    day = article.date.day.toordinal() if article.date else 10**7
    return (day, article.id)


def _tell(articles: Sequence[Article], reading: Reading, groups: list[list[int]]) -> list[Story]:
    """Stories with slugs that never change when a version is added later.

    The slug comes from the story's first-seen article, which a later addition does not replace; when two stories
    would share a slug, the one seen first keeps it and the others get a short hash of their first article's id.
    """
    groups = sorted(groups, key=min)  # articles are in first-seen order, so min() is each story's first article
    versions = [sorted(members, key=lambda i: _date_order(articles[i])) for members in groups]
    return name_stories(articles, versions, tell_all(articles, reading, versions))


def name_stories(articles: Sequence[Article], versions: Sequence[Sequence[int]], told: Sequence) -> list[Story]:
    """Stories from their versions (in first-seen order of their first article) and what ``tell_all`` said of them."""
    slugs = story_slugs([(articles[min(ordered)], [articles[i] for i in ordered]) for ordered in versions])
    return [
        Story(slug=slug, title=title, articles=tuple(articles[i] for i in ordered), summary=summary, adds=adds)
        for slug, ordered, (title, summary, adds) in zip(slugs, versions, told)
    ]


def story_slugs(stories: Iterable[tuple[Article, Sequence[Article]]]) -> list[str]:
    """The slug of each story, given its first-seen article and its versions, stories in first-seen order.

    An editor's note among the versions may set it (front matter ``slug:``, which keeps the address when the
    headline is edited); otherwise it comes from the first-seen article's headline. The first story to want a
    slug gets it; another story wanting it gets a short hash of its first article's id."""
    taken: set[str] = set()
    slugs = []
    for first, versions in stories:
        chosen = next((v.meta["slug"] for v in versions if v.kind == "note" and v.meta and isinstance(v.meta.get("slug"), str)), None)
        base = slugify(chosen or first.headline)
        slug = base if base not in taken else f"{base}-{hashlib.sha1(first.id.encode()).hexdigest()[:6]}"
        slugs.append(unique_slug(slug, taken))
    return slugs


# Reading the articles (tokens, sentences, names: the stage's one Python pass over the text) runs on two cores
# when at least this many articles are new to it; below, starting a second process costs more than it saves (a fork
# and handing back what it read: ~0.02 s; reading takes ~0.3 ms an article, so 1,000 articles gain ~0.1 s of wall).
# It includes cutting every version into sentences, the part of telling the stories that is not array arithmetic.
PARALLEL_READ_MIN = 500


def _date_order(article: Article) -> tuple:
    """Exact dates first in date order, then approximate and undated versions; ties by id."""
    if article.date is None:
        return (2, 0, article.id)
    return (1 if article.date.approximate else 0, article.date.day.toordinal(), article.id)
