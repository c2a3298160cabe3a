"""Merge stage: articles -> stories.

PLACEHOLDER: one story per article until issue 3 lands.
"""

from __future__ import annotations

from typing import Sequence

from .config import MergeConfig
from .models import Article, Story
from .slugs import slugify, unique_slug


def merge_articles(articles: Sequence[Article], config: MergeConfig) -> list[Story]:
    taken: set[str] = set()
    stories = []
    for article in articles:
        stories.append(Story(slug=unique_slug(slugify(article.headline), taken), title=article.headline, articles=(article,)))
    return stories
