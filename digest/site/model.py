"""The site graph's values: the pages, and what each template is given to show.

Paths are relative to the output root and always name a file ("stories/x/index.html"),
so links built from them work from disk (where a folder does not open its index.html),
from a domain root and from a sub-path. Public addresses (canonical, feeds, sitemap) use
the folder form, absolute from ``site.base_url``: see ``public_url``.
"""

from __future__ import annotations

import datetime as dt
from collections import abc
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from digest.models import Article, ClassifiedStory, Digest, EntityRef
from digest.slugs import slugify


@dataclass(frozen=True)
class Crumb:
    title: str
    path: str | None  # None for the current page


@dataclass(frozen=True)
class Pager:
    number: int  # 1-based
    count: int
    paths: tuple[str, ...]  # every page of the list, in order

    @property
    def prev(self) -> str | None:
        return self.paths[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.paths[self.number] if self.number < self.count else None


@dataclass(frozen=True)
class Feed:
    """An Atom feed and a JSON Feed of the same stories."""

    title: str
    atom: str  # output paths
    json: str
    home: str  # the page the feed belongs to
    stories: tuple[ClassifiedStory, ...]  # newest first, at most FEED_ENTRIES


@dataclass(frozen=True)
class Group:
    """A named list of stories: a section, region, country, theme or outlet (its stories are kept apart,
    so a page that links to a group does not count as showing all of them)."""

    kind: str  # "section", "region", "country", "theme", "outlet"
    name: str
    path: str  # its first page
    count: int  # of stories


@dataclass(frozen=True)
class Contribution:
    """One outlet's version of one story, and what only it says."""

    item: ClassifiedStory
    article: Article
    anchor: str  # the version's id on the story page
    adds: tuple[str, ...]  # (anchor and adds follow from item and article: fingerprints hash only those, see Hasher)


@dataclass(frozen=True)
class EntityEntry:
    ref: EntityRef
    path: str
    count: int  # of stories
    related: tuple[tuple[EntityRef, int], ...] = ()  # (entity, stories shared), most shared first
    see_also: tuple[ClassifiedStory, ...] = ()  # newest stories of the related entities that do not name this one


@dataclass(frozen=True)
class Page:
    path: str  # file path relative to the output root
    template: str
    title: str  # unique across the site
    context: Mapping[str, Any]
    description: str = ""
    kind: str = "page"
    breadcrumbs: tuple[Crumb, ...] = ()
    pager: Pager | None = None
    feeds: tuple[Feed, ...] = ()  # advertised with <link rel="alternate">
    in_sitemap: bool = True
    root_relative: bool = False  # links from the site's base path (404.html is served at any depth)
    lastmod: dt.date | None = None
    fingerprint: str = ""

    @property
    def folder(self) -> str:
        """The public form of the path: "stories/x/" for "stories/x/index.html", "" for the front page."""
        return self.path[: -len("index.html")] if self.path.endswith("index.html") else self.path


class Context(abc.Mapping):
    """A page's values: the ``given`` ones, and those ``derive(**given)`` works out from them, made on first read.

    A fingerprint hashes only the given values (see ``fingerprint``): the others follow from them and
    from digest's code, which every fingerprint includes."""

    __slots__ = ("given", "_derive", "_values")

    def __init__(self, given: Mapping[str, Any], derive: abc.Callable[..., Mapping[str, Any]]):
        self.given = given
        self._derive = derive
        self._values: dict[str, Any] | None = None

    def __reduce__(self) -> tuple:
        """Pickled (in the graph memo a build keeps) without what was worked out: it is made again when read."""
        return (Context, (self.given, self._derive))

    def _all(self) -> dict[str, Any]:
        if self._values is None:
            self._values = {**self.given, **self._derive(**self.given)}
        return self._values

    def __getitem__(self, key: str) -> Any:
        values = self._values
        if values is None:
            if key in self.given:  # no need to work the rest out
                return self.given[key]
            values = self._all()
        return values[key]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __getstate__(self):
        return (self.given, self._derive, self._values)

    def __setstate__(self, state) -> None:
        self.given, self._derive, self._values = state


@dataclass(frozen=True)
class Paths:
    """Where each kind of page lives. Names map to slugs chosen once, so two names never share a folder."""

    slugs: Mapping[str, Mapping[str, str]]  # kind -> name -> slug

    def story(self, slug: str) -> str:
        return f"stories/{slug}/index.html"

    def entity(self, slug: str) -> str:
        return f"entities/{slug}/index.html"

    def group(self, kind: str, name: str) -> str:
        slug = self.slugs.get(kind, {}).get(name) or slugify(name)
        return f"{PLURAL[kind]}/{slug}/index.html"

    def section(self, name: str) -> str:
        return self.group("section", name)

    def region(self, name: str) -> str:
        return self.group("region", name)

    def country(self, name: str) -> str:
        return self.group("country", name)

    def theme(self, name: str) -> str:
        return self.group("theme", name)

    def outlet(self, name: str) -> str:
        return self.group("outlet", name)


PLURAL = MappingProxyType({"section": "sections", "region": "regions", "country": "countries", "theme": "themes", "outlet": "outlets"})


@dataclass(frozen=True)
class SiteGraph:
    digest: Digest
    pages: tuple[Page, ...]
    paths: Paths
    sections: tuple[Group, ...] = ()  # in the configured order, empty ones left out
    feeds: tuple[Feed, ...] = ()  # the site's, then each section's
    edition: tuple[dt.date | None, dt.date | None] = (None, None)
    site_key: str = ""  # hash of what every page shows (settings, navigation)
    threads: tuple = ()  # the running events (``site/threads.py``), newest first


def story_path(slug: str) -> str:
    return f"stories/{slug}/index.html"


def public_url(base_url: str, path: str) -> str:
    """The absolute public address of an output file, in folder form for index pages."""
    folder = path[: -len("index.html")] if path.endswith("index.html") else path
    return base_url + folder
