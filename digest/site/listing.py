"""What ``digest list`` prints: plain records of stories and articles, ready for JSON."""

from __future__ import annotations

from typing import Any

from digest.models import Digest
from digest.site.model import story_path
from digest.wording import named_source


def story_records(digest: Digest) -> list[dict[str, Any]]:
    records = []
    for item in digest.stories:
        story, filing = item.story, item.classification
        version = {a.id: a for a in story.articles}
        date = story.date
        records.append({
            "slug": story.slug,
            "title": story.title,
            "date": date.isoformat() if date else None,
            "date_source": date.source.value if date else None,
            "outlets": list(dict.fromkeys(name for name in map(named_source, story.articles) if name)),
            "authors": list(story.authors),
            "articles": len(story.articles),
            "article_ids": [a.id for a in story.articles],
            "summary": " ".join(story.summary) or None,
            "adds": [{"article": add.article_id, "outlet": named_source(version[add.article_id]), "sentences": list(add.sentences)}
                     for add in story.adds],
            "region": filing.region,
            "countries": list(filing.countries),
            "theme": filing.theme,
            "section": filing.section,
            "entities": [entity.name for entity in filing.entities],
            "related": list(item.related),
            "path": story_path(story.slug),
        })
    return records


def article_records(digest: Digest) -> list[dict[str, Any]]:
    story_of = digest.story_of()
    return [
        {
            "id": a.id,
            "story": story_of.get(a.id),
            "source": a.source,
            "kind": a.kind,
            "outlet": a.outlet,
            "headline": a.headline,
            "author": a.author,
            "credit": a.credit,
            "photo_credit": a.photo_credit,
            "dateline": a.dateline,
            "date": a.date.isoformat() if a.date else None,
            "date_source": a.date.source.value if a.date else None,
            "date_approximate": a.date.approximate if a.date else None,
            "aggregator": a.aggregator,
            "url": a.url,
            "paragraphs": len(a.paragraphs),
        }
        for a in digest.articles
    ]
