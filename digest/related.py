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
from dataclasses import dataclass, replace
from typing import Sequence

from .models import ClassifiedStory

RELATED = 5  # per story
MAX_POSTINGS = 100
SAME_THEME = 0.75  # a shared primary theme
SHARED_THEME = 0.25  # each other theme both stories have
SAME_REGION = 0.25
SAME_COUNTRY = 0.5  # the same primary country
MIN_SCORE = 1.0  # below this, one common entity ("Facebook") is all two stories share: not related


def related_stories(items: Sequence[ClassifiedStory], limit: int = RELATED) -> list[ClassifiedStory]:
    entity_slugs = [{ref.slug for ref in item.classification.entities} for item in items]
    postings: dict[str, list[int]] = defaultdict(list)
    for i, slugs in enumerate(entity_slugs):
        for slug in slugs:
            postings[slug].append(i)
    total = len(items)
    rarity = {slug: math.log(total / len(found)) for slug, found in postings.items()}
    buckets = _neighbour_buckets(items)
    facets = [_Facets.of(item) for item in items]  # what the theme bonus compares, worked out once per story

    result = []
    for i, item in enumerate(items):
        scores: dict[int, float] = defaultdict(float)
        for slug in entity_slugs[i]:
            found = postings[slug]
            if len(found) > MAX_POSTINGS:
                continue
            weight = rarity[slug]
            for j in found:
                if j != i:
                    scores[j] += weight
        mine = facets[i]
        for j in list(scores):
            scores[j] += mine.bonus(facets[j])
            if scores[j] < MIN_SCORE:
                del scores[j]
        if len(scores) < limit:
            for j in buckets.get(i, ()):
                if j not in scores:
                    scores[j] = mine.bonus(facets[j]) * 0.5
        best = heapq.nsmallest(limit, scores, key=lambda j: (-scores[j], items[j].slug))
        result.append(replace(item, related=tuple(items[j].slug for j in best)))
    return result


@dataclass(frozen=True)
class _Facets:
    theme: str | None
    other_themes: frozenset[str]  # its themes but the primary one
    themes: frozenset[str]
    region: str | None
    country: str | None  # the primary country

    @classmethod
    def of(cls, item: ClassifiedStory) -> "_Facets":
        filing = item.classification
        themes = frozenset(s.name for s in filing.themes)
        return cls(filing.theme, themes - {filing.theme}, themes, filing.region, filing.countries[0] if filing.countries else None)

    def bonus(self, other: "_Facets") -> float:
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
