"""Graph stage: the digest as a set of pages, each a template plus the values it shows.

Paths are relative to the output root and always name a file ("stories/x/index.html"),
so links built from them work from disk, from a domain root and from a sub-path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .build import Digest


@dataclass(frozen=True)
class Page:
    path: str  # file path relative to the output root
    template: str
    title: str
    context: Mapping[str, Any]


@dataclass(frozen=True)
class SiteGraph:
    digest: Digest
    pages: tuple[Page, ...]


def story_path(slug: str) -> str:
    return f"stories/{slug}/index.html"


def build_site_graph(digest: Digest) -> SiteGraph:
    stories = sorted(digest.stories, key=_newest_first)
    pages = [Page("index.html", "index.html", digest.config.site.title, {"stories": stories})]
    for item in stories:
        pages.append(Page(story_path(item.slug), "story.html", item.story.title, {"item": item, "story": item.story}))
    pages.append(Page("404.html", "404.html", "Page not found", {}))
    return SiteGraph(digest, tuple(pages))


def _newest_first(item) -> tuple:
    date = item.story.date
    return (date is None, -(date.day.toordinal()) if date else 0, item.story.title.lower())
