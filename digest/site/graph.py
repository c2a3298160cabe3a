"""Graph stage: the digest as a set of pages, each a template plus exactly the values it shows.

Every page carries a ``fingerprint`` (``site/fingerprint.py``): a hash of the template name and every
value it shows, so a renderer can reuse the bytes of pages whose fingerprint did not change. A story
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
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from digest.fingerprints import pipeline_fingerprint
from digest.models import OTHER_NEWS, ClassifiedStory, Digest, EntityRef
from digest.read.dates import build_day
from digest.site.fingerprint import Hasher, fingerprint, hash_of
from digest.site.front import front_page
from digest.site.memo import GraphMemo, made_alike, same_feed, same_page
from digest.site.model import PLURAL, Contribution, Crumb, EntityEntry, Feed, Group, Page, Pager, Paths, SiteGraph, story_path
from digest.site.redirects import usable_redirects
from digest.site.stories import links_of, newest_first, story_dates, story_page
from digest.site.threads import thread_pages
from digest.slugs import slugify, unique_slug
from digest.wording import label

RELATED_ENTITIES = 12  # entities shown as "often in the same stories" on an entity page
SEE_ALSO = 5  # stories of related entities shown on an entity page
FEED_ENTRIES = 50
KIND_PHRASE = MappingProxyType({"section": "in the section", "region": "filed under the region", "country": "about",
                                "theme": "filed under the theme", "outlet": "reported by"})


# ---------------------------------------------------------------- the graph


def build_site_graph(digest: Digest, memo: GraphMemo | None = None, today: dt.date | None = None) -> SiteGraph:
    """The site's pages. ``memo`` holds what the last graph made, for the caller to keep between builds: pages made
    from the same values are that graph's pages, with their fingerprints (none: everything is made afresh).
    ``today``: the build's day, which the about page shows (``build_day()`` when not given)."""
    memo = memo if memo is not None else GraphMemo()
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
        kept = memo.links.get(item.slug)
        if kept is None or kept[0] is not item:  # the last graph's, for the very same story
            kept = (item, links_of(item))
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
    threads = memo.threads.find(stories, digest.config.threads)
    thread_of = {item.slug: thread for thread in threads for item in thread.stories}
    nav = tuple((g.name, g.path) for g in sections) + ((("Timelines", "threads/index.html"),) if threads else ())
    # digest's own code is part of it: a page's derived values (and the templates' filters) change with it.
    site_key = hash_of((dataclasses.astuple(site), nav, digest.config.sections, pipeline_fingerprint()))
    last = memo if memo.site_key == site_key else GraphMemo()
    hasher = Hasher()
    feeds = tuple(same_feed(feed, last.feeds.get(feed.atom), hasher) for feed in feeds)  # the last graph's object when unchanged
    site_feed = feeds[:1]
    section_feeds = dict(zip((g.name for g in sections), feeds[1:]))
    dates = [d for item in stories for d in story_dates(item.story) if d]
    edition = (min(d.day for d in dates), max(d.day for d in dates)) if dates else (None, None)

    pages: list[Page] = []
    home = Crumb("Front page", "index.html")
    front = front_page(stories, tuple((g, listed(g)) for g in sections), per_page)  # the rest are on the section's pages
    pages.append(Page(
        "index.html", "index.html", site.title, {
            "lead": front.lead, "secondary": front.secondary, "sections": front.sections,
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
            thread = thread_of.get(item.slug)
            made_from = (item, newer, older, feed, related, group, thread)
            old = last.story_pages.get(item.slug)
            if old is not None and made_alike(old[0], made_from):
                page = old[1]
            else:
                page = story_page(item, group, newer, older, related, paths, home, feed, thread)
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
        sharing: Counter[str] = Counter()  # entity slug -> stories shared with this one
        for item in entities[slug]:
            sharing.update({ref.slug for ref in item.classification.entities} - {slug})
        top = sorted(sharing.items(), key=lambda kv: (-kv[1], entity_refs[kv[0]].name.lower()))[:RELATED_ENTITIES]
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
                             f"What {group.name} contributed to {site.title}: {len(items)} {'version' if len(items) == 1 else 'versions'}, "
                             "and what only it reported.",
                             item_key="contributions")
    pages.append(Page("outlets/index.html", "groups.html", "Outlets", {"lists": (("Outlets", outlets),)},
                      description="Every outlet whose reporting is in this digest, with the number of stories it reported.", kind="hub",
                      breadcrumbs=(home, Crumb("Outlets", None))))

    if threads:  # the timelines of running events, and their index (linked from the navigation only when there are some)
        timelines = Crumb("Timelines", "threads/index.html")
        pages += thread_pages(threads, (home, timelines), site.title)
        pages += _list_pages("threads/index.html", "threads.html", "Timelines", threads, per_page * 2, (home,), "hub", {},
                             f"Events {site.title} followed over several days, each with the timeline of its stories.", item_key="threads")
    pages += _list_pages("archive/index.html", "archive.html", "Archive", stories, per_page * 2, (home,), "archive", {},
                         f"Every story in {site.title} by date, newest first.")
    pages.append(Page("search/index.html", "search.html", "Search", {}, description=f"Search the stories, people and organisations of {site.title}.",
                      kind="search", breadcrumbs=(home, Crumb("Search", None))))
    facts = _facts(digest, stories, groups, entities, section_order, today or build_day())
    pages.append(Page("about/index.html", "about.html", "About this digest", {"facts": facts},
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
        last_page = last.pages.get(page.path)
        known = last_page.fingerprint if last_page is not None and last_page.fingerprint and same_page(last_page, page) else None
        # Made above and not yet handed out: the fingerprint is set in place (replace() costs more).
        object.__setattr__(page, "fingerprint", known or fingerprint(page, site_key, hasher))
    memo.remember(site_key, pages, feeds, story_pages, story_links)
    return SiteGraph(digest, tuple(pages), paths, sections, feeds, edition, site_key, threads)


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


def _facts(digest: Digest, stories, groups, entities, section_order, today: dt.date) -> Mapping[str, Any]:
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
        "generated": today,  # a day, so rebuilds the same day give the same bytes
    }


def _stories(n: int) -> str:
    return "story" if n == 1 else "stories"


def _folder(path: str) -> str:
    return path[: -len("index.html")]


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
