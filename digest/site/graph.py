"""Graph stage: the digest as a set of pages, each a template plus exactly the values it shows.

Paths are relative to the output root and always name a file ("stories/x/index.html"),
so links built from them work from disk (where a folder does not open its index.html),
from a domain root and from a sub-path. Public addresses (canonical, feeds, sitemap) use
the folder form, absolute from ``site.base_url``: see ``public_url``.

Every page carries a ``fingerprint``: a hash of the template name and every value it
shows, so a renderer can reuse the bytes of pages whose fingerprint did not change. A story
page's values are mostly worked out from its story (its versions, why it is filed where it
is, its entities by kind): its ``Context`` hashes only what they are worked out from, digest's
code is part of every fingerprint, and the worked-out values are made only when the page is
rendered, so a rebuild that renders a few pages works out a few pages' values.
Building the graph is one pass over the stories plus one over their links (entities,
outlets, related slugs): no pass compares stories with each other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import operator
from collections import Counter, abc, defaultdict
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping, Sequence

from digest.models import Digest
from digest.pipeline.cache import pipeline_fingerprint
from digest.models import Article, Classification, ClassifiedStory, DateSource, EntityRef, Level, Story
from digest.site.redirects import usable_redirects
from digest.slugs import slugify, unique_slug

OTHER_NEWS = "Other news"
RELATED_ENTITIES = 12  # entities shown as "often in the same stories" on an entity page
SEE_ALSO = 5  # stories of related entities shown on an entity page
FEED_ENTRIES = 50


# ---------------------------------------------------------------- values the templates see


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


PLURAL = {"section": "sections", "region": "regions", "country": "countries", "theme": "themes", "outlet": "outlets"}


@dataclass(frozen=True)
class SiteGraph:
    digest: Digest
    pages: tuple[Page, ...]
    paths: Paths
    sections: tuple[Group, ...] = ()  # in the configured order, empty ones left out
    feeds: tuple[Feed, ...] = ()  # the site's, then each section's
    edition: tuple[dt.date | None, dt.date | None] = (None, None)
    site_key: str = ""  # hash of what every page shows (settings, navigation)


def story_path(slug: str) -> str:
    return f"stories/{slug}/index.html"


def public_url(base_url: str, path: str) -> str:
    """The absolute public address of an output file, in folder form for index pages."""
    folder = path[: -len("index.html")] if path.endswith("index.html") else path
    return base_url + folder


# ---------------------------------------------------------------- the graph


def build_site_graph(digest: Digest) -> SiteGraph:
    site = digest.config.site
    per_page = max(site.per_page, 1)
    stories = tuple(sorted(digest.stories, key=newest_first))
    by_slug = {item.slug: item for item in stories}

    groups: dict[str, dict[str, list[ClassifiedStory]]] = {kind: defaultdict(list) for kind in PLURAL}
    entities: dict[str, list[ClassifiedStory]] = defaultdict(list)
    entity_refs: dict[str, EntityRef] = {}
    contributions: dict[str, list[Contribution]] = defaultdict(list)
    story_links: dict[str, tuple[ClassifiedStory, tuple]] = {}
    for item in stories:  # one pass over stories and their links
        kept = _LAST.links.get(item.slug)
        if kept is None or kept[0] is not item:  # the last graph's, for the very same story
            kept = (item, _links(item))
        story_links[item.slug] = kept
        countries, refs, contributed, outlets = kept[1]
        filing = item.classification
        groups["section"][filing.section or OTHER_NEWS].append(item)
        if filing.region:
            groups["region"][filing.region].append(item)
        for country in countries:
            groups["country"][country].append(item)
        if filing.theme:
            groups["theme"][filing.theme].append(item)
        for ref in refs:
            entities[ref.slug].append(item)
            entity_refs.setdefault(ref.slug, ref)
        for outlet, contribution in contributed:
            contributions[outlet].append(contribution)
        for outlet in outlets:
            groups["outlet"][outlet].append(item)

    paths = Paths({kind: _slugs(names) for kind, names in groups.items()})
    section_order = _section_order(digest.config.sections, groups["section"])
    sections = tuple(_group("section", name, groups, paths) for name in section_order)
    listed = lambda group: tuple(groups[group.kind][group.name])  # noqa: E731 - the stories of a group
    feeds = (Feed(f"{site.title}: all stories", "feed.xml", "feed.json", "index.html", stories[:FEED_ENTRIES]),) + tuple(
        Feed(f"{site.title}: {group.name}", _folder(group.path) + "feed.xml", _folder(group.path) + "feed.json", group.path, listed(group)[:FEED_ENTRIES])
        for group in sections
    )
    nav = tuple((g.name, g.path) for g in sections)
    # digest's own code is part of it: a page's derived values (and the templates' filters) change with it.
    site_key = _hash_of((dataclasses.astuple(site), nav, digest.config.sections, pipeline_fingerprint()))
    last = _LAST if _LAST.site_key == site_key else _Last()
    hasher = Hasher()
    feeds = tuple(_same_feed(feed, last.feeds.get(feed.atom), hasher) for feed in feeds)  # the last graph's object when unchanged
    site_feed = feeds[:1]
    section_feeds = dict(zip((g.name for g in sections), feeds[1:]))
    dates = [d for item in stories for d in story_dates(item.story) if d]
    edition = (min(d.day for d in dates), max(d.day for d in dates)) if dates else (None, None)

    pages: list[Page] = []
    home = Crumb("Front page", "index.html")
    pages.append(Page(
        "index.html", "index.html", site.title, {
            "sections": tuple((g, listed(g)[:per_page]) for g in sections),  # the rest are on the section's pages
            "edition": edition, "story_count": len(stories), "outlet_count": len(groups["outlet"]),
        },
        description=site.description, kind="front", feeds=site_feed, lastmod=edition[1],
    ))

    # Stories: previous/next within their section. A page made from the very same values as in the last
    # graph is that graph's page (with its fingerprint): after an edit, most stories are the same objects.
    story_pages: dict[str, tuple[tuple, Page]] = {}
    for group in sections:
        members = listed(group)
        feed = section_feeds.get(group.name)
        for i, item in enumerate(members):
            newer = members[i - 1] if i > 0 else None
            older = members[i + 1] if i + 1 < len(members) else None
            related = tuple(by_slug[slug] for slug in item.related if slug in by_slug and slug != item.slug)
            made_from = (item, newer, older, feed, related, group)
            old = last.story_pages.get(item.slug)
            if old is not None and _made_alike(old[0], made_from):
                page = old[1]
            else:
                page = _story_page(item, group, newer, older, related, paths, home, feed)
            story_pages[item.slug] = (made_from, page)
            pages.append(page)

    regions, countries, themes = (_sorted_groups(kind, groups, paths) for kind in ("region", "country", "theme"))
    hubs = {"region": Crumb("Regions and countries", "regions/index.html"), "country": Crumb("Regions and countries", "regions/index.html"),
            "theme": Crumb("Themes", "themes/index.html")}
    for kind_groups in (sections, regions, countries, themes):
        for group in kind_groups:
            kind = group.kind
            crumbs = (home,) + ((hubs[kind],) if kind in hubs else ())
            title = group.name if kind == "section" else f"{label(group.name)}: {kind}"
            pages += _list_pages(group.path, "list.html", title, listed(group), per_page, crumbs, kind, {"group": group},
                                 f"{group.count} {_stories(group.count)} {KIND_PHRASE[kind]} {label(group.name)}, newest first.",
                                 (section_feeds[group.name],) if kind == "section" else ())
    pages.append(Page("regions/index.html", "groups.html", "Regions and countries", {"lists": (("Regions", regions), ("Countries", countries))},
                      description="Every region and country the stories of this digest are filed under.", kind="hub",
                      breadcrumbs=(home, Crumb("Regions and countries", None))))
    pages.append(Page("themes/index.html", "groups.html", "Themes", {"lists": (("Themes", themes),)},
                      description="Every theme the stories of this digest are filed under.", kind="hub", breadcrumbs=(home, Crumb("Themes", None))))

    # Entities: their stories, and the entities that share stories with them.
    entries = []
    for slug in sorted(entities, key=lambda s: (entity_refs[s].name.lower(), s)):
        related = Counter()
        for item in entities[slug]:
            related.update({ref.slug for ref in item.classification.entities} - {slug})
        top = sorted(related.items(), key=lambda kv: (-kv[1], entity_refs[kv[0]].name.lower()))[:RELATED_ENTITIES]
        own = {item.slug for item in entities[slug]}
        see_also: dict[str, ClassifiedStory] = {}
        for other, _ in top:  # a few of each related entity's newest stories: bounded work per entity
            for item in entities[other][:SEE_ALSO]:
                if item.slug not in own:
                    see_also.setdefault(item.slug, item)
        chosen = tuple(sorted(see_also.values(), key=newest_first)[:SEE_ALSO])
        entries.append(EntityEntry(entity_refs[slug], paths.entity(slug), len(entities[slug]), tuple((entity_refs[s], n) for s, n in top), chosen))
    entity_hub = Crumb("People, organisations and places", "entities/index.html")
    for entry in entries:
        pages += _list_pages(entry.path, "entity.html", entry.ref.name, tuple(entities[entry.ref.slug]), per_page, (home, entity_hub), "entity",
                             {"entry": entry}, f"{entry.ref.name} ({entry.ref.kind}): {entry.count} {_stories(entry.count)} in {site.title}.")
    pages += _list_pages("entities/index.html", "entities.html", "People, organisations and places", tuple(entries), per_page * 5,
                         (home,), "hub", {}, f"Every person, organisation and place named in {site.title}, A to Z.", item_key="entries")

    # Outlets: what each one contributed.
    outlets = _sorted_groups("outlet", groups, paths)
    outlet_hub = Crumb("Outlets", "outlets/index.html")
    for group in outlets:
        items = tuple(contributions[group.name])
        pages += _list_pages(group.path, "outlet.html", f"{group.name}: outlet", items, per_page, (home, outlet_hub), "outlet", {"group": group},
                             f"What {group.name} contributed to {site.title}: {len(items)} {'version' if len(items) == 1 else 'versions'}, and what only it reported.",
                             item_key="contributions")
    pages.append(Page("outlets/index.html", "groups.html", "Outlets", {"lists": (("Outlets", outlets),)},
                      description="Every outlet whose reporting is in this digest, with the number of stories it reported.", kind="hub",
                      breadcrumbs=(home, Crumb("Outlets", None))))

    pages += _list_pages("archive/index.html", "archive.html", "Archive", stories, per_page * 2, (home,), "archive", {},
                         f"Every story in {site.title} by date, newest first.")
    pages.append(Page("search/index.html", "search.html", "Search", {}, description=f"Search the stories, people and organisations of {site.title}.",
                      kind="search", breadcrumbs=(home, Crumb("Search", None))))
    pages.append(Page("about/index.html", "about.html", "About this digest", {"facts": _facts(digest, stories, groups, entities, section_order)},
                      description=f"How {site.title} is made: the documents it reads, how stories are merged and filed, and what was counted.",
                      kind="about", breadcrumbs=(home, Crumb("About", None))))
    pages.append(Page("404.html", "404.html", "Page not found", {}, description="This page does not exist.", kind="404",
                      in_sitemap=False, root_relative=True))
    for redirect in usable_redirects(digest.config, by_slug)[0]:  # old addresses of stories (digest.yaml redirects:)
        item = by_slug[redirect.to]
        pages.append(Page(story_path(redirect.old), "redirect.html", f"Moved: {item.story.title}", {"item": item, "target": story_path(redirect.to)},
                          description=f"This story has moved to a new address: {item.story.title}.", kind="redirect", in_sitemap=False))

    pages = _unique_titles(pages)
    for page in pages:
        if page.fingerprint:  # a story page of the last graph, made from the same values
            continue
        old = last.pages.get(page.path)
        known = old.fingerprint if old is not None and old.fingerprint and _same_page(old, page) else None
        # Made above and not yet handed out: the fingerprint is set in place (replace() costs more).
        object.__setattr__(page, "fingerprint", known or fingerprint(page, site_key, hasher))
    _LAST.remember(site_key, pages, feeds, story_pages, story_links)
    return SiteGraph(digest, tuple(pages), paths, sections, feeds, edition, site_key)


# ---------------------------------------------------------------- what the last graph made


class _Last:
    """The last graph's pages and feeds, so the next graph (a preview rebuilds after every save) reuses the pages
    made from the same values, and the fingerprints of pages that show the same values. Stories and articles
    count as the same only when they are the very same objects (the parse cache, merge and classify hand the
    unchanged ones back as they were): comparing them by value would cost what hashing them does."""

    def __init__(self) -> None:
        self.site_key = ""
        self.pages: dict[str, Page] = {}
        self.feeds: dict[str, Feed] = {}
        self.story_pages: dict[str, tuple[tuple, Page]] = {}  # slug -> (what its page was made from, the page)
        self.links: dict[str, tuple[ClassifiedStory, tuple]] = {}  # slug -> (story, what _links made of it)

    def remember(self, site_key: str, pages: list[Page], feeds: tuple[Feed, ...], story_pages: dict, links: dict) -> None:
        self.site_key = site_key
        self.pages = {page.path: page for page in pages}
        self.feeds = {feed.atom: feed for feed in feeds}
        self.story_pages = story_pages
        self.links = links


_LAST = _Last()  # one site's: each graph replaces it


def _made_alike(old: tuple, new: tuple) -> bool:
    """(item, newer, older, feed, related, group) of a story page: the same objects, and an equal group."""
    return (old[0] is new[0] and old[1] is new[1] and old[2] is new[2] and old[3] is new[3] and old[5] == new[5]
            and len(old[4]) == len(new[4]) and all(map(operator.is_, old[4], new[4])))


def _same_feed(feed: Feed, old: Feed | None, hasher: "Hasher") -> Feed:
    """The last graph's feed if it shows the same: every story page of its section links to it. A story told
    again with the same content (a re-merge's neighbour of an edit) is a new object with the same key."""
    if old is None or (feed.title, feed.atom, feed.json, feed.home) != (old.title, old.atom, old.json, old.home):
        return feed
    if len(feed.stories) == len(old.stories) and all(map(operator.is_, feed.stories, old.stories)):
        return old
    return old if hasher.key(feed) == hasher.key(old) else feed


def _same_page(old: Page, new: Page) -> bool:
    return _same((old.path, old.template, old.title, old.description, old.kind, old.breadcrumbs, old.pager, old.feeds,
                  old.in_sitemap, old.root_relative, old.lastmod, old.context),
                 (new.path, new.template, new.title, new.description, new.kind, new.breadcrumbs, new.pager, new.feeds,
                  new.in_sitemap, new.root_relative, new.lastmod, new.context))


_BY_VALUE = frozenset({str, int, float, bool, dt.date, dt.datetime, Crumb, Pager, Group, EntityRef})
_BY_FIELDS = {Feed: ("title", "atom", "json", "home", "stories"), EntityEntry: ("ref", "path", "count", "related", "see_also"),
              Contribution: ("item", "article")}  # a contribution's anchor and adds follow from these


def _same(a: Any, b: Any) -> bool:
    """Whether two values show the same: the same object, equal plain values, or containers of such."""
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind in _BY_VALUE:
        return a == b
    if kind is tuple or kind is list:  # mostly the very same items: checked at C speed first
        return len(a) == len(b) and (all(map(operator.is_, a, b)) or all(map(_same, a, b)))
    if kind is dict:
        return a.keys() == b.keys() and all(_same(value, b[key]) for key, value in a.items())
    if kind is Context:
        return a._derive is b._derive and _same(a.given, b.given)
    names = _BY_FIELDS.get(kind)
    return names is not None and all(_same(getattr(a, name), getattr(b, name)) for name in names)


def _links(item: ClassifiedStory) -> tuple:
    """(countries, entities, (outlet, contribution) for each version, outlets) of a story, each once."""
    filing, story = item.classification, item.story
    adds = {add.article_id: add.sentences for add in story.adds}
    contributed = tuple((article.outlet, Contribution(item, article, version_anchor(n), adds.get(article.id, ())))
                        for n, article in enumerate(story.articles, 1) if article.outlet)
    return tuple(dict.fromkeys(filing.countries)), tuple({ref.slug: ref for ref in filing.entities}.values()), contributed, story.outlets


def _story_page(item, group, newer, older, related, paths, home, section_feed) -> Page:
    story = item.story
    date, latest = story_dates(story)
    return Page(
        paths.story(item.slug), "story.html", story.title,
        Context({"item": item, "section": group, "related": related, "newer": newer, "older": older}, _story_values),
        description=clip(teaser(story), 200) or story.title, kind="story",
        breadcrumbs=(home, Crumb(group.name, group.path), Crumb(story.title, None)),
        feeds=(section_feed,) if section_feed else (), lastmod=(latest or date).day if (latest or date) else None,
    )


def _story_values(item: ClassifiedStory, **_) -> dict[str, Any]:
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


def _list_pages(first: str, template: str, title: str, items: Sequence, per_page: int, crumbs: tuple[Crumb, ...], kind: str,
                context: Mapping[str, Any], description: str, feeds: tuple[Feed, ...] = (), item_key: str = "stories") -> list[Page]:
    """One page per ``per_page`` items: ``x/index.html``, ``x/page/2/index.html``..."""
    chunks = [items[i:i + per_page] for i in range(0, len(items), per_page)] or [items[:0]]
    folder = _folder(first)
    paths = tuple(first if n == 1 else f"{folder}page/{n}/index.html" for n in range(1, len(chunks) + 1))
    pages = []
    for n, (path, chunk) in enumerate(zip(paths, chunks), 1):
        pager = Pager(n, len(chunks), paths) if len(chunks) > 1 else None
        suffix = f" (page {n} of {len(chunks)})" if n > 1 else ""
        here = crumbs + ((Crumb(title, first), Crumb(f"Page {n}", None)) if n > 1 else (Crumb(title, None),))
        pages.append(Page(path, template, title + suffix, {**context, item_key: tuple(chunk), "first_number": (n - 1) * per_page + 1},
                          description=description + suffix, kind=kind, breadcrumbs=here, pager=pager, feeds=feeds))
    return pages


def _facts(digest: Digest, stories, groups, entities, section_order) -> Mapping[str, Any]:
    articles = digest.articles
    dated = Counter(a.date.source.value if a.date else "undated" for a in articles)
    return {
        "documents": len({a.source for a in articles}),
        "articles": len(articles),
        "stories": len(stories),
        "merged": sum(1 for item in stories if len(item.story.articles) > 1),
        "outlets": len(groups["outlet"]),
        "entities": len(entities),
        "regions": len(groups["region"]),
        "countries": len(groups["country"]),
        "themes": len(groups["theme"]),
        "sections": tuple((name, len(groups["section"][name])) for name in section_order),
        "date_sources": tuple(sorted(dated.items(), key=lambda kv: -kv[1])),
        "warnings": len(digest.diagnostics),
        "generated": generated_date(),
    }


def generated_date() -> dt.date:
    """Today (UTC), or SOURCE_DATE_EPOCH for reproducible builds. A day, so rebuilds the same day give the same bytes."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.datetime.now(dt.timezone.utc).date()


# ---------------------------------------------------------------- fingerprints


def fingerprint(page: Page, site_key: str, hasher: "Hasher") -> str:
    """A hash of the template and every value the page shows (of a ``Context``, the values the rest is worked out from)."""
    pager = page.pager
    # The page's own fields in one repr (of plain values: a dataclass's repr is slow), then its context.
    parts = [site_key, repr((page.path, page.template, page.title, page.description, page.kind, page.in_sitemap, page.root_relative,
                             page.lastmod, tuple((c.title, c.path) for c in page.breadcrumbs),
                             (pager.number, pager.count, pager.paths) if pager else None))]
    parts += [hasher.key(feed) for feed in page.feeds]
    context = page.context.given if isinstance(page.context, Context) else page.context
    for name, value in context.items():
        parts.append(name)
        hasher.feed(parts, value)
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]


class Hasher:
    """Turns values into text to hash; each frozen dataclass is hashed once and remembered, so a story
    shown on many pages costs one hash, and a page's fingerprint costs what it shows.

    The keys of stories and articles are also kept on the objects themselves (they are frozen, so a key
    stays true): the stories a build reuses from the cache (see cache.py) come with their keys."""

    _ATOMS = frozenset({str, int, float, bool, type(None), dt.date, dt.datetime, DateSource, Level})
    _MODELS = (Article, EntityRef)  # their repr is complete: hash it in one go
    _KEPT = (ClassifiedStory, Story, Classification, Article)  # objects that live from build to build
    _STAMP = "_digest_content_key"
    # Small values made for one page (a crumb, a pager, an outlet's version of a story): the fields that
    # make them are fed in place, which costs less than hashing each one apart (a large site makes tens of
    # thousands). A contribution's anchor and added sentences follow from its story and article.
    _INLINE = {Crumb: ("title", "path"), Pager: ("number", "count", "paths"), Contribution: ("item", "article")}

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Any, str]] = {}
        self._fields: dict[type, tuple[str, ...]] = {}

    def feed(self, parts: list[str], value: Any) -> None:
        kind = type(value)
        if kind in self._ATOMS:
            parts.append(repr(value))
        elif kind is tuple or kind is list:
            parts.append("[")
            atoms, inline = self._ATOMS, self._INLINE
            for inner in value:  # the common items inline: a large site feeds hundreds of thousands
                inner_kind = type(inner)
                if inner_kind in atoms:
                    parts.append(repr(inner))
                elif inner_kind in inline:
                    self._feed_fields(parts, inner)
                elif hasattr(inner_kind, "__dataclass_fields__"):
                    parts.append(self.key(inner))
                else:
                    self.feed(parts, inner)
            parts.append("]")
        elif kind in self._INLINE:
            self._feed_fields(parts, value)
        elif hasattr(kind, "__dataclass_fields__"):
            parts.append(self.key(value))
        elif kind is dict or isinstance(value, abc.Mapping):
            parts.append("{")
            for key, inner in value.items():
                self.feed(parts, key)
                self.feed(parts, inner)
            parts.append("}")
        else:
            parts.append(repr(value))

    def _feed_fields(self, parts: list[str], obj: Any) -> None:
        parts.append(f"({type(obj).__name__}")
        for name in self._INLINE[type(obj)]:
            self.feed(parts, getattr(obj, name))
        parts.append(")")

    def _names(self, kind: type) -> tuple[str, ...]:
        names = self._fields.get(kind)
        if names is None:
            names = self._fields[kind] = tuple(f.name for f in dataclasses.fields(kind))
        return names

    def key(self, obj: Any) -> str:
        stamped = getattr(obj, "__dict__", None)
        if stamped:  # a story, classification or article keeps its key (see below): the common case first
            kept = stamped.get(self._STAMP)
            if kept is not None:
                return kept
        hit = self._memo.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        kept = isinstance(obj, self._KEPT) and hasattr(obj, "__dict__")
        digest = obj.__dict__.get(self._STAMP) if kept else None
        if digest is None:
            if isinstance(obj, self._MODELS):
                text = repr(obj)
            else:
                parts = [type(obj).__name__]
                for name in self._names(type(obj)):
                    self.feed(parts, getattr(obj, name))
                text = "\x00".join(parts)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if kept:
                object.__setattr__(obj, self._STAMP, digest)  # not a field: equality and repr ignore it
        self._memo[id(obj)] = (obj, digest)  # keeps obj alive, so its id is not reused
        return digest


def _hash_of(value: Any) -> str:
    parts: list[str] = []
    Hasher().feed(parts, value)
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]


# ---------------------------------------------------------------- words and order


KIND_TITLE = {"region": "region", "country": "country", "theme": "theme", "outlet": "outlet", "section": "section"}
KIND_PHRASE = {"section": "in the section", "region": "filed under the region", "country": "about", "theme": "filed under the theme", "outlet": "reported by"}
ENTITY_KINDS = {"person": "People", "organisation": "Organisations", "organization": "Organisations", "place": "Places"}
_WHERE = {"headline": "the headline", "lead": "the opening paragraph", "dateline": "the dateline", "body": "the text", "front-matter": "the editor's front matter", "summary": "the summary"}


def label(name: str) -> str:
    """Display form of a taxonomy key: "security" -> "Security"; names already capitalised are kept."""
    return name[:1].upper() + name[1:] if name and name == name.lower() else name


def describe_evidence(evidence) -> str:
    """One reason in words: 'Pakistan' appears 5 times, in the headline and the text (South Asia)."""
    times = {1: "once", 2: "twice"}.get(evidence.count, f"{evidence.count} times")
    where = join_words([_WHERE.get(w, w) for w in evidence.where]) or "the story"
    target = "" if evidence.target.lower() == evidence.term.lower() else f", which points to {label(evidence.target)}"
    return f"“{evidence.term}” appears {times} in {where}{target}."


def join_words(words: Sequence[str]) -> str:
    words = list(words)
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def teaser(story) -> str:
    """The story's summary, or (until the summariser has run) the opening sentences of its first version."""
    if story.summary:
        return " ".join(story.summary)
    for article in story.articles:
        if article.paragraphs:
            return clip(article.paragraphs[0], 320)
    return ""


def source_name(article: Article) -> str:
    """What to call the source of a version: its outlet, else the agency credited, else where it was captured."""
    if article.outlet:
        return article.outlet
    if article.credit:
        return article.credit
    return f"unnamed outlet via {article.aggregator}" if article.aggregator else "unnamed outlet"


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:—- ")
    return cut + "…"


def version_anchor(n: int) -> str:
    return f"version-{n}"


def newest_first(item: ClassifiedStory) -> tuple:
    date = story_dates(item.story)[0]
    return (date is None, -(date.day.toordinal()) if date else 0, item.story.title.lower(), item.slug)


def story_dates(story: Story) -> tuple:
    """(earliest, latest) date of a story, worked out once per story object: each is a pass over its
    articles, and the graph asks for them several times per story."""
    kept = story.__dict__.get("_digest_dates")
    if kept is None:
        kept = (story.date, story.latest)
        object.__setattr__(story, "_digest_dates", kept)  # not a field: equality and repr ignore it
    return kept


def _stories(n: int) -> str:
    return "story" if n == 1 else "stories"


def _folder(path: str) -> str:
    return path[: -len("index.html")]


def _kind_order(kind: str) -> tuple:
    return (list(ENTITY_KINDS).index(kind) if kind in ENTITY_KINDS else len(ENTITY_KINDS), kind)


def _slugs(names: Iterable[str]) -> dict[str, str]:
    taken: set[str] = {"page"}  # "page" is the pagination folder
    return {name: unique_slug(slugify(name), taken) for name in sorted(names)}


def _section_order(configured: Sequence[Mapping[str, Any]], present: Mapping[str, list]) -> list[str]:
    names = [s["name"] for s in configured if isinstance(s, Mapping) and isinstance(s.get("name"), str)]
    order = list(dict.fromkeys(names + [OTHER_NEWS]))
    order += sorted(name for name in present if name not in order)
    return [name for name in order if present.get(name)]


def _group(kind: str, name: str, groups, paths: Paths) -> Group:
    return Group(kind, name, paths.group(kind, name), len(groups[kind][name]))


def _sorted_groups(kind: str, groups, paths: Paths) -> tuple[Group, ...]:
    named = groups[kind]
    return tuple(_group(kind, name, groups, paths) for name in sorted(named, key=lambda n: (-len(named[n]), n.lower())))


def _unique_titles(pages: list[Page]) -> list[Page]:
    """Two stories may share a headline; their pages may not share a title."""
    seen: Counter = Counter(page.title for page in pages)
    taken: set[str] = set()
    out = []
    for page in pages:
        title = page.title
        if seen[title] > 1 or title in taken:
            if page.kind == "story":
                story = page.context["item"].story
                hint = ", ".join(story.outlets) or (story.date.isoformat() if story.date else "")
                title = f"{title} ({hint})" if hint else title
            n = 2
            base = title
            while title in taken:
                title, n = f"{base} ({n})", n + 1
        taken.add(title)
        out.append(page if title == page.title else replace(page, title=title, fingerprint=""))
    return out
