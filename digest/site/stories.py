"""The per-story values of the site graph: a story's page, its links, its dates and order."""

from __future__ import annotations

from collections import defaultdict
from types import MappingProxyType
from typing import Any

from digest.models import ClassifiedStory, EntityRef, Story
from digest.site.model import Context, Contribution, Crumb, Page
from digest.wording import clip, describe_evidence, label, teaser

ENTITY_KINDS = MappingProxyType({"person": "People", "organisation": "Organisations", "organization": "Organisations", "place": "Places"})


def links_of(item: ClassifiedStory) -> tuple:
    """(countries, entities, (outlet, contribution) for each version, outlets) of a story, each once."""
    filing, story = item.classification, item.story
    adds = {add.article_id: add.sentences for add in story.adds}
    contributed = tuple((article.outlet, Contribution(item, article, version_anchor(n), adds.get(article.id, ())))
                        for n, article in enumerate(story.articles, 1) if article.outlet)
    return tuple(dict.fromkeys(filing.countries)), tuple({ref.slug: ref for ref in filing.entities}.values()), contributed, story.outlets


def story_page(item, group, newer, older, related, paths, home, section_feed, thread=None) -> Page:
    story = item.story
    date, latest = story_dates(story)
    return Page(
        paths.story(item.slug), "story.html", story.title,
        Context({"item": item, "section": group, "related": related, "newer": newer, "older": older, "thread": thread}, story_values),
        description=clip(teaser(story), 200) or story.title, kind="story",
        breadcrumbs=(home, Crumb(group.name, group.path), Crumb(story.title, None)),
        feeds=(section_feed,) if section_feed else (), lastmod=(latest or date).day if (latest or date) else None,
    )


def story_values(item: ClassifiedStory, **_) -> dict[str, Any]:
    """What a story page shows that follows from its story alone: worked out when the page is rendered."""
    story, filing = item.story, item.classification
    adds = {add.article_id: add.sentences for add in story.adds}
    versions = tuple((version_anchor(n), article, adds.get(article.id, ())) for n, article in enumerate(story.articles, 1))
    region_targets = {filing.region, *filing.countries} - {None}
    why_region = tuple(describe_evidence(e) for e in filing.evidence if e.target in region_targets)
    why_theme = tuple(describe_evidence(e) for e in filing.evidence if filing.theme and e.target == filing.theme)
    kinds: dict[str, list[EntityRef]] = defaultdict(list)
    for ref in {ref.slug: ref for ref in filing.entities}.values():
        kinds[ref.kind].append(ref)
    entity_groups = tuple((ENTITY_KINDS.get(kind, label(kind) + "s"), tuple(refs)) for kind, refs in sorted(kinds.items(), key=lambda kv: _kind_order(kv[0])))
    return {"story": story, "filing": filing, "versions": versions, "why_region": why_region, "why_theme": why_theme,
            "entity_groups": entity_groups}


def version_anchor(n: int) -> str:
    return f"version-{n}"


def newest_first(item: ClassifiedStory) -> tuple:
    date = story_dates(item.story)[0]
    return (date is None, -(date.day.toordinal()) if date else 0, item.story.title.lower(), item.slug)


def story_dates(story: Story) -> tuple:
    """(earliest, latest) date of a story (each kept on the story once worked out: see ``Story.date``)."""
    return story.date, story.latest


def _kind_order(kind: str) -> tuple:
    return (list(ENTITY_KINDS).index(kind) if kind in ENTITY_KINDS else len(ENTITY_KINDS), kind)

