"""Related stories: ranked by the entities they share (rarer ones count more) and their themes.

Candidates come from an inverted index (entity -> stories), never from comparing all pairs; an
entity named by more than ``MAX_POSTINGS`` stories ("Facebook" in a big digest) is too common to
relate anything and is skipped. Stories that share no entity are topped up with their neighbours
in time among stories of the same region and theme.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace
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
    postings: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        for slug in {ref.slug for ref in item.classification.entities}:
            postings[slug].append(i)
    total = len(items)
    rarity = {slug: math.log(total / len(found)) for slug, found in postings.items()}
    buckets = _neighbour_buckets(items)

    result = []
    for i, item in enumerate(items):
        scores: dict[int, float] = defaultdict(float)
        for slug in {ref.slug for ref in item.classification.entities}:
            found = postings[slug]
            if len(found) > MAX_POSTINGS:
                continue
            for j in found:
                if j != i:
                    scores[j] += rarity[slug]
        for j in list(scores):
            scores[j] += _theme_bonus(item, items[j])
            if scores[j] < MIN_SCORE:
                del scores[j]
        if len(scores) < limit:
            for j in buckets.get(i, ()):
                if j not in scores:
                    scores[j] = _theme_bonus(item, items[j]) * 0.5
        best = sorted(scores, key=lambda j: (-scores[j], items[j].slug))[:limit]
        result.append(replace(item, related=tuple(items[j].slug for j in best)))
    return result


def _theme_bonus(a: ClassifiedStory, b: ClassifiedStory) -> float:
    fa, fb = a.classification, b.classification
    bonus = SAME_THEME if fa.theme and fa.theme == fb.theme else 0.0
    shared = {s.name for s in fa.themes} & {s.name for s in fb.themes} - {fa.theme}
    bonus += SHARED_THEME * len(shared)
    if fa.region and fa.region == fb.region:
        bonus += SAME_REGION
    if fa.countries and fb.countries and fa.countries[0] == fb.countries[0]:
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
