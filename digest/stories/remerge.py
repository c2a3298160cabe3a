"""Re-merging after a save: the preview server's merge, which reads and compares only what was edited.

A full merge (``digest.stories.merge``) reads every article and builds corpus-wide tables (how rare each shingle, word
and name is) before it compares anything: at 10,000 articles that is seconds, too slow to follow an editor's saves.
``Remerger`` keeps the last full merge's tables and the pairs it scored. After a save:

- the articles whose content changed, and the new ones, are read (``reading.read_fresh``, a few milliseconds)
  and put in the kept tables' terms: their shingles, words and names weighed with the kept rarities;
- their candidate pairs come from the kept inverted index, by the full merge's rules (a key shared by 2 to
  ``max_shared`` articles, each paired with its ``neighbours`` nearest in first-seen order, two shared keys), and
  are judged with the same evidence and threshold; the kept pairs of unchanged articles stand, but for those whose
  comparisons the save shifts (a key many hold pairs only nearest holders: ``digest.stories.shifts``): judged again;
- the groups are formed again from all pairs (editor settings first, strongest pairs first: cheap), and only the
  stories whose versions changed are told again; every other story comes back as the very ``Story`` object of the
  last build, so the later stages' memos recognise it at once.

The kept rarities are those of the last full merge: an edit shifts them slightly, so a pair at the very edge of
the threshold can be judged differently than a full merge would (``digest build --clean`` merges in full). A full
merge runs again when the settings change, when a save touches many articles, and once the articles changed since
the last full merge pass ``FULL_AGAIN_SHARE`` of the archive.
"""

from __future__ import annotations

import copy
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from digest.models import Article, Story
from digest.settings.config import MergeConfig
from digest.stories.merge import MergeRun, MergeStats, _date_order, _seen_key, editor_groups, full_merge, group, story_key_groups, story_slugs
from digest.stories.reading import Reading, ReadingMemo, read_fresh
from digest.stories.shifts import KeyHolders, holders_among, kept_places
from digest.stories.similarity import Corpus, inverse_frequency, merge_score, pair_evidence, vocabulary_tables, word_shingles
from digest.stories.summarize import tell_all

FULL_AGAIN_SHARE = 0.05  # of the archive changed since the last full merge: merge in full again
FULL_AGAIN_AT_ONCE = 0.02  # of the archive changed by one save (a checkout, a bulk edit): merge in full


@dataclass(frozen=True)
class _Features:
    """One article in the kept tables' terms. Feature ids past the kept vocabularies are words or names the
    last full merge never saw (weighed as held by this article alone)."""

    shingles: np.ndarray  # uint64 hashes, sorted, distinct
    words: np.ndarray  # int64 word ids, sorted
    word_weights: np.ndarray
    word_norm: float
    names: np.ndarray  # int64 name ids, sorted
    name_weights: np.ndarray
    day: int  # -1: undated or approximate


_MERGE_ONLY = ("_shingle_pairs", "_name_pairs", "shingle_key")  # a Corpus's tables that only the full merge reads


class _Tables:
    """What the last full merge knew of its articles, kept to judge a few new versions against them."""

    def __init__(self, run: MergeRun):
        merged: Corpus = run.corpus  # type: ignore[assignment]
        # Shingle -> the articles holding it, as the full merge found them; and article -> its shingles.
        self.shingle_holders, self.shingle_start = merged.shingle_holder, _starts(merged.shingle_key, len(merged.shingle_hashes))
        self.article_shingles = merged.shingle_key[np.argsort(merged.shingle_holder, kind="stable")]
        self.article_shingle_start = _starts(merged.shingle_holder, merged.n)
        corpus = copy.copy(merged)
        for name in _MERGE_ONLY:  # not held on to, nor written into the build's session
            corpus.__dict__.pop(name, None)
        reading: Reading = run.reading  # type: ignore[assignment]
        self.n = corpus.n
        self.ids = [a.id for a in run.articles]
        self.index = {article_id: i for i, article_id in enumerate(self.ids)}
        self.corpus = corpus
        self.word_id = {w: i for i, w in enumerate(reading.vocabulary)}
        self.name_id = {w: i for i, w in enumerate(reading.name_vocabulary)}
        self.word_idf, self.name_idf = corpus.word_idf, corpus.name_idf
        self.unseen_idf = float(inverse_frequency(1, self.n))  # a word or name one article holds
        self.name_holders, self.name_start = _holders(corpus.names)
        self._features: dict[int, _Features] = {}

    def __getstate__(self) -> dict:
        # The features worked out so far are views of the tables' arrays, copied when pickled: cheaper to work out
        # again than to write into each build's session delta (a re-merge may judge dozens of kept articles).
        return {**self.__dict__, "_features": {}}

    def features(self, i: int) -> _Features:
        """A kept article's features, worked out from the tables when first asked for."""
        found = self._features.get(i)
        if found is None:
            c = self.corpus
            w0, w1 = c.words.start[i], c.words.start[i + 1]
            n0, n1 = c.names.start[i], c.names.start[i + 1]
            s0, s1 = self.article_shingle_start[i], self.article_shingle_start[i + 1]
            found = self._features[i] = _Features(
                c.shingle_hashes[self.article_shingles[s0:s1]], c.words.codes[w0:w1] % c.words.width,
                c.words.weights[w0:w1], float(c.word_norm[i]), c.names.codes[n0:n1] % c.names.width,
                c.names.weights[n0:n1], int(c.day[i]))
        return found


def _starts(keys: np.ndarray, width: int) -> np.ndarray:
    """Where each key's run starts in these keys sorted (and where the last one ends): ``width + 1`` places, int32
    when they fit (a large archive's shingles are tens of millions)."""
    return np.r_[0, np.cumsum(np.bincount(keys, minlength=width), dtype=np.int32 if len(keys) < 2**31 else np.int64)]


def _holders(table) -> tuple[np.ndarray, np.ndarray]:
    """Inverted index: the articles holding each feature (in first-seen order, as the articles are), and where
    each feature's run starts."""
    feature = table.feature()
    order = np.argsort(feature, kind="stable")
    return table.owner()[order], np.searchsorted(feature[order], np.arange(table.width + 1))


class Remerger:
    """Merges like ``merge_stories``, remembering enough between calls to redo only what a save changed."""

    def __init__(self) -> None:
        self.config: MergeConfig | None = None
        self.tables: _Tables | None = None
        self.articles: dict[str, Article] = {}  # as last merged
        self.seen: dict[str, tuple] = {}  # article id -> its first-seen order key
        self.changed: dict[str, _Features] = {}  # articles new or edited since the full merge, in the tables' terms
        self.gone: set[str] = set()  # kept articles removed or edited since the full merge
        self.pairs: dict[str, dict[str, float]] = {}  # article id -> the articles it reached the threshold with
        self.stories: list[Story] = []  # as last returned
        self.story_of: dict[str, Story] = {}  # article id -> its story
        self.extra_words: dict[str, int] = {}
        self.extra_names: dict[str, int] = {}
        self.full_merges = 0
        self.reading = ReadingMemo()  # what full merges and re-reads keep between calls

    @property
    def ready(self) -> bool:
        """Whether a full merge has been kept (until then, a call merges in full)."""
        return self.tables is not None

    def merge(self, articles: Sequence[Article], config: MergeConfig) -> tuple[list[Story], MergeStats]:
        known = self.articles.get
        edited = [a for a in articles if known(a.id) is not a and known(a.id) != a]
        present = {a.id for a in articles}
        removed = [i for i in self.articles if i not in present]
        tables = self.tables
        if (tables is None or config != self.config or len(edited) + len(removed) > max(8, FULL_AGAIN_AT_ONCE * len(articles))
                or len(self.changed) + len(edited) > max(8, FULL_AGAIN_SHARE * tables.n)):
            return self._full(articles, config)
        try:
            return self._again(articles, edited, removed, config)
        except BaseException:
            self.tables = None  # half-updated: the next call merges in full
            raise

    # -- a full merge, kept

    def _full(self, articles: Sequence[Article], config: MergeConfig) -> tuple[list[Story], MergeStats]:
        run = full_merge(articles, config, self.reading)
        self.full_merges += 1
        self.config = config
        self.articles = {a.id: a for a in articles}
        self.seen = {a.id: _seen_key(a) for a in articles}
        self.changed, self.gone = {}, set()
        self.extra_words, self.extra_names = {}, {}
        self.tables = _Tables(run) if run.corpus is not None else None
        ids = [a.id for a in run.articles]
        self.pairs = {}
        for score, i, j in run.pairs:
            self.pairs.setdefault(ids[i], {})[ids[j]] = score
            self.pairs.setdefault(ids[j], {})[ids[i]] = score
        self._keep(run.stories)
        return run.stories, run.stats

    def _keep(self, stories: list[Story]) -> None:
        self.stories = stories
        self.story_of = {a.id: story for story in stories for a in story.articles}

    # -- a few articles changed

    def _again(self, articles: Sequence[Article], edited: list[Article], removed: list[str], config: MergeConfig) -> tuple[list[Story], MergeStats]:
        tables = self.tables
        assert tables is not None
        stats = MergeStats(articles=len(articles))
        touched = {a.id for a in edited} | set(removed)
        left = {i: (f, self.seen[i]) for i in touched if (f := self._version(i)) is not None}  # the versions this save takes away
        for article_id in touched:
            self.changed.pop(article_id, None)
            if article_id in tables.index:
                self.gone.add(article_id)
            self._unpair(article_id)
        self.articles = {a.id: a for a in articles}
        seen = self.seen
        for article in edited:
            seen[article.id] = _seen_key(article)
        for article_id in removed:
            seen.pop(article_id, None)
        ordered = sorted(articles, key=lambda a: seen[a.id])
        rank = {a.id: i for i, a in enumerate(ordered)}
        self.changed.update(zip((a.id for a in edited), self._read(edited)))
        # Unchanged articles whose comparisons a version coming or going shifts are judged again too; an edit that
        # keeps its article's place in first-seen order shifts only through the keys it drops or gains.
        stay = {i for i, (_, key) in left.items() if seen.get(i) == key}
        versions = [(f, key, self.changed[i] if i in stay else None) for i, (f, key) in left.items()] + [
            (self.changed[a.id], seen[a.id], left[a.id][0] if a.id in stay else None) for a in edited]
        moved = KeyHolders(tables, self.changed, self.gone, seen, config)
        shifted = sorted(set().union(*(moved.shifted(*version) for version in versions)) - touched, key=rank.__getitem__)
        for article_id in shifted:
            self._unpair(article_id)
        judging = [*shifted, *(a.id for a in edited)]
        # What may group differently: the edited articles, what they now pair with, and the stories they left.
        seeds = {*judging} | {a.id for t in touched if t in self.story_of for a in self.story_of[t].articles}
        for k, article_id in enumerate(judging):
            for score, a, b in self._judge(article_id, set(judging[:k]), rank, config, stats):
                self.pairs.setdefault(a, {})[b] = score
                self.pairs.setdefault(b, {})[a] = score
                seeds.add(b)
        affected = self._reach(seeds & self.articles.keys(), articles, config)
        editor_groups(ordered, rank, config, stats)  # the editor settings' diagnostics, against every article
        sub = [a for a in ordered if a.id in affected]  # in first-seen order
        where = {a.id: k for k, a in enumerate(sub)}
        pairs = sorted(((score, where[a], where[b]) for a in affected for b, score in self.pairs.get(a, {}).items()
                        if b in where and where[a] < where[b]), key=lambda p: (-p[0], p[1], p[2]))
        counted = MergeStats()
        groups = group(sub, where, pairs, config, counted)
        stats.merged, stats.refused, stats.forced = counted.merged, counted.refused, counted.forced
        stories = self._tell(ordered, rank, sub, groups, affected | touched)
        stats.stories = len(stories)
        return stories, stats

    def _unpair(self, article_id: str) -> None:
        for other in self.pairs.pop(article_id, {}):
            self.pairs[other].pop(article_id, None)

    def _reach(self, seeds: set[str], articles: Sequence[Article], config: MergeConfig) -> set[str]:
        """Every article joined to the seeds by a pair, an editor's group or a story: all that may regroup."""
        forced: dict[str, set[str]] = {}
        for ids in [*config.together, *story_key_groups(articles).values()]:
            for article_id in ids:
                forced.setdefault(article_id, set()).update(ids)
        reached, todo = set(seeds), list(seeds)
        while todo:
            article_id = todo.pop()
            linked = [*self.pairs.get(article_id, ()), *forced.get(article_id, ())]
            story = self.story_of.get(article_id)
            if story is not None:
                linked += [a.id for a in story.articles]
            for other in linked:
                if other not in reached and other in self.articles:
                    reached.add(other)
                    todo.append(other)
        return reached

    def _current(self, article_id: str) -> _Features:
        """A present article's version, in the kept tables' terms."""
        tables = self.tables
        assert tables is not None
        found = self.changed.get(article_id)
        return tables.features(tables.index[article_id]) if found is None else found

    def _version(self, article_id: str) -> _Features | None:
        """The version of an article the last call merged, in the kept tables' terms."""
        tables, found = self.tables, self.changed.get(article_id)
        assert tables is not None
        kept = found is None and article_id in tables.index and article_id not in self.gone
        return tables.features(tables.index[article_id]) if kept else found

    def _read(self, edited: list[Article]) -> list[_Features]:
        """The edited articles' features, weighed with the kept rarities."""
        tables = self.tables
        assert tables is not None
        reading = read_fresh(edited, self.reading)
        stop, word_hash = vocabulary_tables(reading.vocabulary)
        keep, hashes = word_shingles(reading.ids, reading.owner, stop, word_hash)
        shingle_owner = reading.owner[keep]
        word_ids = np.array([self._id(w, tables.word_id, self.extra_words) for w in reading.vocabulary], dtype=np.int64)
        name_ids = np.array([self._id(w, tables.name_id, self.extra_names) for w in reading.name_vocabulary], dtype=np.int64)
        found = []
        for k, article in enumerate(edited):
            t0, t1 = reading.token_start[k], reading.token_start[k + 1]
            tokens = reading.ids[t0:t1]
            words, tf = np.unique(word_ids[tokens[~stop[tokens]]], return_counts=True)
            weights = (1.0 + np.log(tf)) * self._weigh(words, tables.word_idf, tables.unseen_idf)
            names = np.unique(name_ids[reading.name_ids[reading.name_owner == k]])
            day = -1 if article.date is None or article.date.approximate else article.date.day.toordinal()
            found.append(_Features(np.unique(hashes[shingle_owner == k]), words, weights, float(np.sqrt((weights ** 2).sum())),
                                   names, self._weigh(names, tables.name_idf, tables.unseen_idf), day))
        return found

    @staticmethod
    def _id(word: str, kept: dict[str, int], extra: dict[str, int]) -> int:
        found = kept.get(word)
        if found is None:
            found = extra.setdefault(word, len(kept) + len(extra))
        return found

    @staticmethod
    def _weigh(ids: np.ndarray, idf: np.ndarray, unseen: float) -> np.ndarray:
        known = ids < len(idf)
        return np.where(known, idf[np.minimum(ids, len(idf) - 1)] if len(idf) else unseen, unseen)

    def _judge(self, article_id: str, judged: set[str], rank: dict[str, int], config: MergeConfig, stats: MergeStats) -> list[tuple[float, str, str]]:
        """The pairs of one article (edited, or shifted by an edit) that reach the threshold, but those with an
        article ``judged`` before it in this call (that one's pairs already hold them)."""
        tables = self.tables
        assert tables is not None
        mine = self._current(article_id)
        shared_shingles = self._neighbours(article_id, mine.shingles, tables.corpus.shingle_hashes, tables.shingle_holders,
                                           tables.shingle_start, lambda f: f.shingles, rank, config)
        shared_names = self._neighbours(article_id, mine.names, None, tables.name_holders, tables.name_start,
                                        lambda f: f.names, rank, config)
        candidates = sorted(({other for other, count in shared_shingles.items() if count >= 2}
                             | {other for other, count in shared_names.items() if count >= 2}) - judged)
        stats.candidates += len(candidates)
        found = []
        for other in candidates:
            theirs = self._current(other)
            if mine.day >= 0 and theirs.day >= 0 and abs(mine.day - theirs.day) > config.window_days:
                continue
            stats.compared += 1
            score = float(merge_score(config, *_evidence(shared_shingles.get(other, 0), mine, theirs)))
            if score >= config.threshold:
                found.append((score, article_id, other))
        return found

    def _neighbours(self, me: str, keys: np.ndarray, kept_keys: np.ndarray | None, holders: np.ndarray, start: np.ndarray,
                    keys_of, rank: dict[str, int], config: MergeConfig) -> dict[str, int]:
        """Per other article: how many of my rare keys it holds within ``neighbours`` of me in first-seen order."""
        tables = self.tables
        assert tables is not None
        at = kept_places(keys, kept_keys, start)
        held = np.where(at >= 0, start[at + 1] - start[at], 0)
        ids, gone, changed = tables.ids, self.gone, self.changed
        counts: dict[str, int] = {}
        edited_holders = holders_among(keys, {k: keys_of(f) for k, f in changed.items() if k != me})
        # A key no kept article holds, or held by too many even after the edits, proposes nothing.
        edited = np.fromiter(edited_holders, dtype=keys.dtype, count=len(edited_holders))
        worth = ((held >= 1) & (held <= config.max_shared + len(gone))) | np.isin(keys, edited)
        for key, f in zip(keys[worth].tolist(), at[worth].tolist()):
            holders_here = [ids[h] for h in holders[start[f] : start[f + 1]].tolist()] if f >= 0 else []
            holders_here = [h for h in holders_here if h not in gone and h != me] + edited_holders.get(key, [])
            if not holders_here or len(holders_here) + 1 > config.max_shared:
                continue
            holders_here.sort(key=rank.__getitem__)
            place = bisect_left([rank[h] for h in holders_here], rank[me])
            for other in holders_here[max(0, place - config.neighbours) : place + config.neighbours]:
                counts[other] = counts.get(other, 0) + 1
        return counts

    # -- telling

    def _tell(self, ordered: list[Article], rank: dict[str, int], sub: list[Article], groups: list[list[int]], dropped: set[str]) -> list[Story]:
        """The regrouped stories told (again, when their versions changed); every other story, none of whose
        versions is ``dropped`` (regrouped, edited or removed), as it was."""
        versions = [sorted(members, key=lambda i: _date_order(sub[i])) for members in groups]
        previous_of = self.story_of
        told: list = [None] * len(groups)
        again = []
        for k, members in enumerate(versions):
            previous = previous_of.get(sub[members[0]].id)
            if previous is not None and len(previous.articles) == len(members) and all(a is sub[i] or a == sub[i] for a, i in zip(previous.articles, members)):
                told[k] = previous
            else:
                again.append(k)
        if again:
            involved = sorted({i for k in again for i in versions[k]})
            local = {i: place for place, i in enumerate(involved)}
            reading = read_fresh([sub[i] for i in involved], self.reading)
            for k, (title, summary, adds) in zip(again, tell_all([sub[i] for i in involved], reading, [[local[i] for i in versions[k]] for k in again])):
                told[k] = Story(slug="", title=title, articles=tuple(sub[i] for i in versions[k]), summary=summary, adds=adds)
        kept = [s for s in self.stories if all(a.id not in dropped for a in s.articles)]
        stories = sorted(kept + told, key=lambda s: min(rank[a.id] for a in s.articles))
        slugs = story_slugs((min(s.articles, key=lambda a: rank[a.id]), s.articles) for s in stories)
        stories = [s if s.slug == slug else replace(s, slug=slug) for s, slug in zip(stories, slugs)]
        stories = [self._same(s) for s in stories]
        self._keep(stories)
        return stories

    def _same(self, story: Story) -> Story:
        """The last build's Story object when this one equals it, so later stages' memos know it at once."""
        previous = self.story_of.get(story.articles[0].id)
        return previous if previous is not None and (previous is story or previous == story) else story


def _evidence(shared_shingles: int, a: _Features, b: _Features) -> tuple:
    """(text, words, names) of one pair, as a full merge judges it."""
    _, i, j = np.intersect1d(a.words, b.words, assume_unique=True, return_indices=True)
    _, k, _ = np.intersect1d(a.names, b.names, assume_unique=True, return_indices=True)
    return pair_evidence(
        shared_shingles,
        len(a.shingles),
        len(b.shingles),
        float((a.word_weights[i] * b.word_weights[j]).sum()),
        a.word_norm,
        b.word_norm,
        float(a.name_weights[k].sum()),
        float(a.name_weights.sum()),
        float(b.name_weights.sum()),
    )
