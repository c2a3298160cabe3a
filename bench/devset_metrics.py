"""How well digest files, relates and merges a labelled set of articles: the development set's figures.

Pure functions of the classified stories and the labels; ``bench/devset.py`` runs them on the BBC set and
``tests/test_devset.py`` on a dozen hand-written articles.

- theme accuracy: articles whose story's theme is the labelled theme;
- region accuracy: hand-labelled articles whose story's region is one the label accepts (``A|B``; ``-`` accepts
  no region, for articles about no place in particular);
- related precision@3: of each story's first three related stories, the share of the same topic (a story's
  topic is its articles' most common one);
- merge precision: of the pairs of articles merged into one story, the share labelled as one event;
- event recall: of the pairs labelled as one event, the share merged into one story (and the share of events
  told as one story, whole).

Every figure is given for the whole set and for each split (``dev``: tuned on; ``held-out``: only reported).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from digest.models import ClassifiedStory

NO_REGION = "-"
SPLITS = ("all", "dev", "held-out")


@dataclass(frozen=True)
class Label:
    id: str  # the corpus's id of the article
    topic: str
    theme: str
    regions: tuple[str, ...] = ()  # accepted regions; empty: not labelled by hand
    event: str = ""  # articles with the same event are reports of one event
    split: str = "dev"


def read_labels(path: Path) -> dict[str, Label]:
    """id -> label, from a CSV with the columns id, topic, theme, region, event, split."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {
            row["id"]: Label(row["id"], row["topic"], row["theme"], tuple(r.strip() for r in row["region"].split("|") if r.strip()),
                             row["event"], row["split"])
            for row in csv.DictReader(handle)
        }


@dataclass
class Ratio:
    hits: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.hits += bool(hit)
        self.total += 1

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    def __str__(self) -> str:
        return f"{self.value:.3f} ({self.hits}/{self.total})" if self.total else "-"


@dataclass
class Figures:
    theme: Ratio = field(default_factory=Ratio)
    region: Ratio = field(default_factory=Ratio)
    related_at_3: Ratio = field(default_factory=Ratio)
    merge_precision: Ratio = field(default_factory=Ratio)
    event_recall: Ratio = field(default_factory=Ratio)  # pairs of one event merged
    events_whole: Ratio = field(default_factory=Ratio)  # events told as one story, all their reports together


@dataclass(frozen=True)
class Miss:
    """One wrong answer, for reading what went wrong."""

    kind: str  # "theme", "region", "related", "merge"
    article: str
    expected: str
    got: str
    headline: str


def measure(stories: Sequence[ClassifiedStory], labels: Mapping[str, Label], misses: list[Miss] | None = None) -> dict[str, Figures]:
    """The figures per split. ``labels`` is keyed by digest's article id; unlabelled articles are left out."""
    figures = {split: Figures() for split in SPLITS}
    topic_of = {item.slug: _topic(item, labels) for item in stories}
    story_of: dict[str, str] = {}
    for item in stories:
        filing = item.classification
        mine = [a for a in item.story.articles if a.id in labels]
        for article in mine:
            label = labels[article.id]
            story_of[article.id] = item.slug
            for split in ("all", label.split):
                figures[split].theme.add(filing.theme == label.theme)
                if label.regions:
                    figures[split].region.add((filing.region or NO_REGION) in label.regions)
            if misses is not None and filing.theme != label.theme:
                misses.append(Miss("theme", label.id, label.theme, str(filing.theme), article.headline))
            if misses is not None and label.regions and (filing.region or NO_REGION) not in label.regions:
                misses.append(Miss("region", label.id, "|".join(label.regions), filing.region or NO_REGION, article.headline))
        if not mine or topic_of[item.slug] is None:
            continue
        split = labels[mine[0].id].split
        for slug in item.related[:3]:
            same = topic_of.get(slug) == topic_of[item.slug]
            for name in ("all", split):
                figures[name].related_at_3.add(same)
            if misses is not None and not same:
                misses.append(Miss("related", labels[mine[0].id].id, str(topic_of[item.slug]), f"{slug} ({topic_of.get(slug)})", item.story.title))
        for a, b in combinations(sorted(mine, key=lambda x: x.id), 2):
            one_event = bool(labels[a.id].event) and labels[a.id].event == labels[b.id].event
            for name in ("all", labels[a.id].split):
                figures[name].merge_precision.add(one_event)
            if misses is not None and not one_event:
                misses.append(Miss("merge", labels[a.id].id, "apart", labels[b.id].id, f"{a.headline} | {b.headline}"))
    for members in _events(labels, story_of).values():
        split = labels[members[0]].split
        for a, b in combinations(members, 2):
            for name in ("all", split):
                figures[name].event_recall.add(story_of[a] == story_of[b])
        for name in ("all", split):
            figures[name].events_whole.add(len({story_of[m] for m in members}) == 1)
    return figures


def _topic(item: ClassifiedStory, labels: Mapping[str, Label]) -> str | None:
    topics = Counter(labels[a.id].topic for a in item.story.articles if a.id in labels)
    return min(topics, key=lambda t: (-topics[t], t)) if topics else None


def _events(labels: Mapping[str, Label], present: Iterable[str]) -> dict[str, list[str]]:
    """event -> its articles (digest ids) that are in the digest, for events with at least two."""
    events: dict[str, list[str]] = {}
    for article_id in sorted(present):
        if labels[article_id].event:
            events.setdefault(labels[article_id].event, []).append(article_id)
    return {event: members for event, members in events.items() if len(members) > 1}


def table(figures: Mapping[str, Figures]) -> str:
    """The figures as a Markdown table: one row per measure, one column per split."""
    rows = [
        ("theme accuracy", "theme"),
        ("region accuracy (hand-labelled)", "region"),
        ("related precision@3 (same topic)", "related_at_3"),
        ("merge precision (pairs)", "merge_precision"),
        ("event recall (pairs)", "event_recall"),
        ("events told as one story", "events_whole"),
    ]
    splits = [s for s in SPLITS if s in figures]
    lines = ["| measure | " + " | ".join(splits) + " |", "| --- |" + " --- |" * len(splits)]
    for title, name in rows:
        lines.append(f"| {title} | " + " | ".join(str(getattr(figures[s], name)) for s in splits) + " |")
    return "\n".join(lines)
