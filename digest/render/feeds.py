"""Feeds, sitemap and robots.txt: the non-HTML files of the site.

Atom comes from feedgen; JSON Feed 1.1 is a small JSON document, written with ``json``.
Every id and link is absolute from ``site.base_url``. Dates are the stories' own, never
the build time, so the same content gives the same bytes: an undated story has no
publication date, and its required "updated" is the edition's latest date.
"""

from __future__ import annotations

import datetime as dt
import json
from html import escape as _escape
from typing import TYPE_CHECKING

from feedgen.feed import FeedGenerator

from digest.site.model import public_url
from digest.wording import source_name, teaser


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities (what xml.sax.saxutils.escape does, without importing urllib)."""
    return _escape(text, quote=False)


if TYPE_CHECKING:
    from digest.models import ClassifiedStory
    from digest.settings.config import Config
    from digest.site.model import Feed, SiteGraph

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def feed_files(graph: SiteGraph, config: Config) -> dict[str, bytes]:
    base = config.site.base_url
    fallback = _midnight(graph.edition[1]) if graph.edition[1] else EPOCH  # for undated stories
    files: dict[str, bytes] = {}
    for feed in graph.feeds:
        files[feed.atom] = atom_feed(feed, graph, config, fallback)
        files[feed.json] = json_feed(feed, graph, config, fallback)
    files["sitemap.xml"] = sitemap(graph, base)
    files["robots.txt"] = f"User-agent: *\nAllow: /\n\nSitemap: {base}sitemap.xml\n".encode()
    return files


def atom_feed(feed: Feed, graph: SiteGraph, config: Config, fallback: dt.datetime) -> bytes:
    site, base = config.site, config.site.base_url
    fg = FeedGenerator()
    fg.id(public_url(base, feed.atom))
    fg.title(feed.title)
    fg.subtitle(site.description)
    fg.link(href=public_url(base, feed.home), rel="alternate", type="text/html")
    fg.link(href=public_url(base, feed.atom), rel="self", type="application/atom+xml")
    fg.author({"name": site.author or site.title})
    fg.language(site.language)
    fg.generator("digest")
    fg.updated(max((_updated(item, fallback) for item in feed.stories), default=fallback))
    for item in feed.stories:
        story = item.story
        url = public_url(base, graph.paths.story(item.slug))
        entry = fg.add_entry(order="append")
        entry.id(url)
        entry.title(story.title)
        entry.link(href=url, rel="alternate", type="text/html")
        if story.date:  # an undated story has no publication date; never invent one
            entry.published(_published(item, fallback))
        entry.updated(_updated(item, fallback))
        for outlet in story.outlets or (site.title,):
            entry.author({"name": outlet})
        entry.summary(teaser(story) or story.title)
        entry.content(_content_html(item), type="html")
        for name in _categories(item):
            entry.category(term=name)
    return fg.atom_str(pretty=True)


def json_feed(feed: Feed, graph: SiteGraph, config: Config, fallback: dt.datetime) -> bytes:
    site, base = config.site, config.site.base_url
    items = []
    for item in feed.stories:
        story = item.story
        url = public_url(base, graph.paths.story(item.slug))
        dates = {"date_published": _published(item, fallback).isoformat()} if story.date else {}
        items.append({
            "id": url,
            "url": url,
            "title": story.title,
            "summary": teaser(story) or story.title,
            "content_html": _content_html(item),
            **dates,
            "date_modified": _updated(item, fallback).isoformat(),
            "authors": [{"name": outlet} for outlet in story.outlets] or [{"name": site.title}],
            "tags": _categories(item),
        })
    document = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": public_url(base, feed.home),
        "feed_url": public_url(base, feed.json),
        "description": site.description,
        "language": site.language,
        "authors": [{"name": site.author or site.title}],
        "items": items,
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def sitemap(graph: SiteGraph, base: str) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in graph.pages:
        if not page.in_sitemap:
            continue
        lastmod = f"<lastmod>{page.lastmod.isoformat()}</lastmod>" if page.lastmod else ""
        lines.append(f"<url><loc>{escape(public_url(base, page.path))}</loc>{lastmod}</url>")
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


def _content_html(item: ClassifiedStory) -> str:
    story = item.story
    parts = [f"<p>{escape(sentence)}</p>" for sentence in (story.summary or (teaser(story),)) if sentence]
    sources = ", ".join(escape(name) for name in dict.fromkeys(source_name(a) for a in story.articles))
    parts.append(f"<p>Reported by {sources}.</p>" if len(story.articles) > 1 else f"<p>Source: {sources}.</p>")
    return "".join(parts)


def _categories(item: ClassifiedStory) -> list[str]:
    filing = item.classification
    return list(dict.fromkeys(x for x in (filing.section, filing.region, filing.theme) if x))


def _published(item: ClassifiedStory, fallback: dt.datetime) -> dt.datetime:
    date = item.story.date
    return _moment(date.value) if date else fallback


def _updated(item: ClassifiedStory, fallback: dt.datetime) -> dt.datetime:
    date = item.story.latest or item.story.date
    return max(_moment(date.value), _published(item, fallback)) if date else fallback


def _moment(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return _midnight(value)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
