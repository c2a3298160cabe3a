"""Related stories: ranked by the entities they share (rarer ones count more) and their themes.

Candidates come from an inverted index (entity -> stories), never from comparing all pairs; an
entity named by more than ``MAX_POSTINGS`` stories ("Facebook" in a big digest) is too common to
relate anything and is skipped. Stories that share no entity are topped up with their neighbours
in time among stories of the same region and theme.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digest.models import Classification, ClassifiedStory

RELATED = 5  # per story
MAX_POSTINGS = 100
SAME_THEME = 3.0  # a shared primary theme: readers follow a subject more than a name (devset: related P@3)
SHARED_THEME = 0.25  # each other theme both stories have
SAME_REGION = 0.25
SAME_COUNTRY = 0.5  # the same primary country
PLACE_SHARE = 0.25  # a shared place counts this much of a shared person or organisation: a city is not a subject
MIN_SCORE = 1.0  # below this, one common entity ("Facebook") is all two stories share: not related
# ... and one entity alone never relates two stories that share no theme, region or country.


def related_stories(items: Sequence[ClassifiedStory], limit: int = RELATED, last: RelatedMemo | None = None) -> list[ClassifiedStory]:
    """Each story with the slugs of its ``limit`` best related stories.

    Every pair of stories sharing an entity is scored at once with numpy (6,500 stories share
    ~0.5 M such pairs: a Python loop over them took ~3 s, this ~0.1 s); only stories with fewer than
    ``limit`` candidates are topped up, in Python, from their neighbours in time. With ``last`` (the caller
    keeps it between runs), a story whose story, classification and related stories are what they were is the
    last run's object.
    """
    n = len(items)
    if n == 0:
        return []
    if last and limit == RELATED:
        unchanged = _as_last_time(items, last)
        if unchanged is not None:
            return _reused(unchanged, last)
    postings: dict[str, list[int]] = defaultdict(list)
    places: set[str] = set()
    for i, item in enumerate(items):
        for slug in {ref.slug for ref in item.classification.entities}:
            postings[slug].append(i)
        places.update(ref.slug for ref in item.classification.entities if ref.kind == "place")
    kept = [(slug, found) for slug, found in postings.items() if 1 < len(found) <= MAX_POSTINGS]
    groups = [found for _, found in kept]
    rarity = np.array([math.log(n / len(found)) * (PLACE_SHARE if slug in places else 1.0) for slug, found in kept], dtype=float)
    sizes = np.array([len(found) for found in groups], dtype=np.int64)
    flat = np.array([i for found in groups for i in found], dtype=np.int64)
    facets = [_Facets.of(item) for item in items]
    best_rows, best_cols, best_scores = _shared_entity_pairs(flat, sizes, rarity, n, facets, items)

    # Rows sorted by story, then best first (score, then slug): the first ``limit`` of each story's run.
    slugs = [item.story.slug for item in items]
    slug_rank = np.empty(n, dtype=np.int64)
    slug_rank[sorted(range(n), key=slugs.__getitem__)] = np.arange(n)
    order = np.lexsort((slug_rank[best_cols], -best_scores, best_rows))
    rows, cols, scores = best_rows[order], best_cols[order], best_scores[order]
    counts = np.bincount(rows, minlength=n)
    starts = np.cumsum(counts) - counts
    position = np.arange(len(rows)) - starts[rows]
    top = position < limit
    chosen: list[list[int]] = [[] for _ in range(n)]
    for i, j in zip(rows[top].tolist(), cols[top].tolist()):
        chosen[i].append(j)

    buckets = _neighbour_buckets(items)
    # Stories with fewer than ``limit`` candidates of their own theme are topped up: a story that shares only
    # common names with its own subject's stories should not be related to other subjects' stories alone.
    theme_code = {theme: k for k, theme in enumerate(sorted({str(f.theme) for f in facets}))}
    themes = np.array([theme_code[str(f.theme)] if f.theme else -1 for f in facets], dtype=np.int64)
    same_theme = (themes[rows] >= 0) & (themes[rows] == themes[cols])
    own_subject = np.bincount(rows[same_theme], minlength=n)
    short = [i for i in np.flatnonzero(own_subject < limit).tolist() if buckets.get(i)]
    if short:
        cols_list, scores_list, starts_list, counts_list = cols.tolist(), scores.tolist(), starts.tolist(), counts.tolist()
        for i in short:  # few candidates: add its neighbours in time, scored by what they share but halved
            mine, start = facets[i], starts_list[i]
            found = dict(zip(cols_list[start:start + counts_list[i]], scores_list[start:start + counts_list[i]]))
            for j in buckets[i]:
                if j not in found:
                    found[j] = mine.bonus(facets[j]) * 0.5
            chosen[i] = heapq.nsmallest(limit, found, key=lambda j: (-found[j], slugs[j]))
    return _reused([(item.story, item.classification, tuple([slugs[j] for j in chosen[i]])) for i, item in enumerate(items)], last)


# The last call's results by (story, classification) object: a story whose story, classification and related
# stories are what they were comes back as the same object, so later stages (the site graph) can tell what
# did not change by identity. Holds only the last call's stories, so it never grows beyond one site.
RelatedMemo = dict[tuple[int, int], ClassifiedStory]


def _as_last_time(items: Sequence[ClassifiedStory], last: RelatedMemo) -> list[tuple] | None:
    """When every story's slug, day, entities, themes, region and country (all that related stories are worked out
    from) are what the last call had, story for story, its related stories again (an edit that names no new
    entity and moves no story leaves them all as they were); else None. Stories and classifications the last
    call had (the very objects) are not looked into: only edited stories cost anything."""
    if len(items) != len(last):
        return None
    before = {item.slug: item for item in last.values()}
    made = []
    for item in items:
        old = before.get(item.slug)
        if old is None:
            return None
        if old.story is not item.story and _day(old) != _day(item):
            return None
        if old.classification is not item.classification and _inputs(old.classification) != _inputs(item.classification):
            return None
        made.append((item.story, item.classification, old.related))
    return made


def _inputs(filing: Classification) -> tuple:
    """What of a story's classification its related stories (and the others') are worked out from."""
    return (frozenset((ref.slug, ref.kind) for ref in filing.entities), filing.theme, frozenset(s.name for s in filing.themes),
            filing.region, filing.countries[0] if filing.countries else None)


def _reused(made: list[tuple], last: RelatedMemo | None) -> list[ClassifiedStory]:
    if last is None:
        return [ClassifiedStory(story, classification, related) for story, classification, related in made]
    out = []
    for story, classification, related in made:
        old = last.get((id(story), id(classification)))
        if old is None or old.story is not story or old.classification is not classification or old.related != related:
            old = ClassifiedStory(story, classification, related)
        out.append(old)
    last.clear()
    last.update(((id(item.story), id(item.classification)), item) for item in out)
    return out


def _shared_entity_pairs(flat, sizes, rarity, n: int, facets: Sequence[_Facets], items) -> tuple:
    """(story, other story, score) for every pair sharing an entity whose score reaches ``MIN_SCORE``.

    ``flat`` holds each entity's stories one entity after another (``sizes`` of them each): every
    entity contributes all ordered pairs of its stories, weighted by its rarity; a pair's score is the
    sum over its shared entities, plus what their themes, regions and countries share.
    """
    empty = np.zeros(0, dtype=np.int64)
    if len(flat) == 0:
        return empty, empty, np.zeros(0)
    per_element = np.repeat(sizes, sizes)  # each story of an entity pairs with all of that entity's stories
    group_start = np.repeat(np.cumsum(sizes) - sizes, sizes)
    total = int(per_element.sum())
    out_start = np.cumsum(per_element) - per_element
    within = np.arange(total, dtype=np.int64) - np.repeat(out_start, per_element)
    left = np.repeat(flat, per_element)
    right = flat[np.repeat(group_start, per_element) + within]
    weight = np.repeat(np.repeat(rarity, sizes), per_element)
    distinct = left != right
    pair = left[distinct] * n + right[distinct]
    keys, inverse = np.unique(pair, return_inverse=True)
    shared = np.bincount(inverse.ravel(), weights=weight[distinct], minlength=len(keys))
    entities = np.bincount(inverse.ravel(), minlength=len(keys))
    rows, cols = keys // n, keys % n
    bonus, anchored = _bonus(facets, rows, cols)
    scores = shared + bonus
    # One shared entity and not the same theme, region or country is a passing mention ("said in a Facebook
    # post"), however rare the entity is in a small digest: not related.
    keep = (scores >= MIN_SCORE) & ((entities >= 2) | anchored)
    return rows[keep], cols[keep], scores[keep]


def _bonus(facets: Sequence[_Facets], rows, cols) -> tuple[np.ndarray, np.ndarray]:
    """``_Facets.bonus`` for many pairs at once (the same sums, in the same order, so the same floats), and
    whether each pair has the same primary theme, region or primary country."""
    ids: dict = {}

    def code(value) -> int:
        return -1 if value is None else ids.setdefault(value, len(ids))

    theme = np.array([code(f.theme) for f in facets], dtype=np.int64)
    region = np.array([code(("region", f.region)) if f.region else -1 for f in facets], dtype=np.int64)
    country = np.array([code(("country", f.country)) if f.country is not None else -1 for f in facets], dtype=np.int64)
    names = sorted({t for f in facets for t in f.themes}, key=str)
    if len(names) <= 62:  # each story's themes as bits of one integer: shared themes = bits in common
        bit = {name: 1 << k for k, name in enumerate(names)}
        others = np.array([sum(bit[t] for t in f.other_themes) for f in facets], dtype=np.int64)
        themes = np.array([sum(bit[t] for t in f.themes) for f in facets], dtype=np.int64)
        common = others[rows] & themes[cols]
        shared = np.zeros(len(rows), dtype=np.int64)
        for k in range(len(names)):
            shared += (common >> k) & 1
    else:
        width = max(len(f.themes) for f in facets)
        padded_others = np.full((len(facets), width), -2, dtype=np.int64)  # -2 and -3 pad: never equal
        padded_themes = np.full((len(facets), width), -3, dtype=np.int64)
        for i, f in enumerate(facets):
            padded_others[i, :len(f.other_themes)] = [code(t) for t in f.other_themes]
            padded_themes[i, :len(f.themes)] = [code(t) for t in f.themes]
        shared = np.zeros(len(rows), dtype=np.int64)
        for a in range(width):
            mine = padded_others[rows, a]
            for b in range(width):
                shared += mine == padded_themes[cols, b]
    same_theme = (theme[rows] >= 0) & (theme[rows] == theme[cols])
    same_region = (region[rows] >= 0) & (region[rows] == region[cols])
    same_country = (country[rows] >= 0) & (country[rows] == country[cols])
    bonus = np.where(same_theme, SAME_THEME, 0.0)
    bonus = bonus + SHARED_THEME * shared
    bonus = bonus + np.where(same_region, SAME_REGION, 0.0)
    bonus = bonus + np.where(same_country, SAME_COUNTRY, 0.0)
    return bonus, same_theme | same_region | same_country


@dataclass(frozen=True)
class _Facets:
    theme: str | None
    other_themes: frozenset[str]  # its themes but the primary one
    themes: frozenset[str]
    region: str | None
    country: str | None  # the primary country

    @classmethod
    def of(cls, item: ClassifiedStory) -> _Facets:
        filing = item.classification
        themes = frozenset(s.name for s in filing.themes)
        return cls(filing.theme, themes - {filing.theme}, themes, filing.region, filing.countries[0] if filing.countries else None)

    def bonus(self, other: _Facets) -> float:
        """How much sharing a theme, a region and a primary country adds to what two stories share."""
        bonus = SAME_THEME if self.theme and self.theme == other.theme else 0.0
        bonus += SHARED_THEME * len(self.other_themes & other.themes)
        if self.region and self.region == other.region:
            bonus += SAME_REGION
        if self.country is not None and self.country == other.country:
            bonus += SAME_COUNTRY
        return bonus


def _neighbour_buckets(items: Sequence[ClassifiedStory], reach: int = RELATED) -> dict[int, list[int]]:
    """Story -> the stories nearest in date that share its region and theme (same bucket)."""
    buckets: dict[tuple, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        filing = item.classification
        if filing.region and filing.theme:
            buckets[(filing.region, filing.theme)].append(i)
    near: dict[int, list[int]] = {}
    for members in buckets.values():
        members.sort(key=lambda i: (_day(items[i]), items[i].slug))
        for position, i in enumerate(members):
            window = members[max(0, position - reach):position] + members[position + 1:position + 1 + reach]
            near[i] = window
    return near


def _day(item: ClassifiedStory) -> str:
    date = item.story.date
    return date.isoformat() if date else ""
