"""What the last site graph made, so the next graph (a preview rebuilds after every save) reuses it."""

from __future__ import annotations

import datetime as dt
import gc
import operator
import pickle
from collections.abc import Iterable
from types import MappingProxyType
from typing import Any, BinaryIO

from digest.models import ClassifiedStory, EntityRef
from digest.pipeline import store
from digest.site.fingerprint import Hasher
from digest.site.model import Context, Contribution, Crumb, EntityEntry, Feed, Group, Page, Pager
from digest.site.threads import ThreadMemo


class GraphMemo:
    """The last graph's pages and feeds, so the next graph (a preview rebuilds after every save) reuses the pages
    made from the same values, and the fingerprints of pages that show the same values. Stories and articles
    count as the same only when they are the very same objects (the parse cache, merge and classify hand the
    unchanged ones back as they were): comparing them by value would cost what hashing them does."""

    def __init__(self, threads: dict | None = None) -> None:
        """``threads``: the thread facts a build kept (see ``ParseCache.kept_threads``), by story object."""
        self.site_key = ""
        self.pages: dict[str, Page] = {}
        self.feeds: dict[str, Feed] = {}
        self.story_pages: dict[str, tuple[tuple, Page]] = {}  # slug -> (what its page was made from, the page)
        self.links: dict[str, tuple[ClassifiedStory, tuple]] = {}  # slug -> (story, what _links made of it)
        self.threads = ThreadMemo()  # kept whatever the settings: it knows which settings its threads are for
        self.threads.terms = dict(threads or {})

    def remember(self, site_key: str, pages: list[Page], feeds: tuple[Feed, ...], story_pages: dict, links: dict) -> None:
        self.site_key = site_key
        self.pages = {page.path: page for page in pages}
        self.feeds = {feed.atom: feed for feed in feeds}
        self.story_pages = story_pages
        self.links = links

    def dump(self, file: BinaryIO) -> None:
        """This memo for a build in another process (see ``restore``), pickled into ``file``: each story, story
        told and article its pages show is named by its slug or id and the key its content hashed to, not pickled.
        A build after an edit then makes again only the pages whose values changed, as a preview does."""
        roster: list[tuple[str, str, str]] = []
        named: list[Any] = []  # the objects the roster names, in its order
        seen: set[int] = set()
        for item, _ in self.links.values():
            for obj, name in ((item, item.slug), (item.story, item.slug), *((article, article.id) for article in item.story.articles)):
                key = obj.__dict__.get(Hasher.STAMP)
                if key is not None and id(obj) not in seen:  # one never hashed is shown on no page
                    seen.add(id(obj))
                    named.append(obj)
                    roster.append((type(obj).__name__, name, key))
        threads = self.threads
        pickle.dump(roster, file, protocol=pickle.HIGHEST_PROTOCOL)
        store.dump(file, (self.site_key, self.pages, self.feeds, self.story_pages, self.links,
                          threads.stories, threads.config, threads.threads, threads.names, threads.slugs), named)

    def restore(self, file: BinaryIO, stories: Iterable[ClassifiedStory]) -> None:
        """Take up what ``dump`` wrote, its stories and articles resolved to this build's ``stories`` and their
        articles: the very objects when their content key is the one named, else a stand-in that is none of this
        build's objects, so that what showed it is made again. Raises what unpickling raises."""
        current: dict[tuple[str, str], Any] = {}
        for item in stories:
            current["ClassifiedStory", item.slug] = item
            current["Story", item.slug] = item.story
            for article in item.story.articles:
                current["Article", article.id] = article
        roster = pickle.load(file)
        resolved = []
        for kind, name, key in roster:
            obj = current.get((kind, name))
            resolved.append(obj if obj is not None and obj.__dict__.get(Hasher.STAMP) == key else _Gone())
        collecting = gc.isenabled()
        gc.disable()  # loading makes ~500,000 objects and no garbage: the collector's passes would double the time
        try:
            (self.site_key, self.pages, self.feeds, self.story_pages, self.links,
             self.threads.stories, self.threads.config, self.threads.threads, self.threads.names, self.threads.slugs) = store.load(file, resolved)
        finally:
            if collecting:
                gc.enable()
        gc.freeze()  # as the cache's parts (``store.read``): no full collection of the stages after traverses them again


class _Gone:
    """Stands for a story or article a dumped memo showed that this build no longer has as it was."""


def made_alike(old: tuple, new: tuple) -> bool:
    """(item, newer, older, feed, related, group, thread) of a story page: the same objects, and an equal group."""
    return (old[0] is new[0] and old[1] is new[1] and old[2] is new[2] and old[3] is new[3] and old[5] == new[5] and old[6] is new[6]
            and len(old[4]) == len(new[4]) and all(map(operator.is_, old[4], new[4])))


def same_feed(feed: Feed, old: Feed | None, hasher: Hasher) -> Feed:
    """The last graph's feed if it shows the same: every story page of its section links to it. A story told
    again with the same content (a re-merge's neighbour of an edit) is a new object with the same key."""
    if old is None or (feed.title, feed.atom, feed.json, feed.home) != (old.title, old.atom, old.json, old.home):
        return feed
    if len(feed.stories) == len(old.stories) and all(map(operator.is_, feed.stories, old.stories)):
        return old
    return old if hasher.key(feed) == hasher.key(old) else feed


def same_page(old: Page, new: Page) -> bool:
    return _same((old.path, old.template, old.title, old.description, old.kind, old.breadcrumbs, old.pager, old.feeds,
                  old.in_sitemap, old.root_relative, old.lastmod, old.context),
                 (new.path, new.template, new.title, new.description, new.kind, new.breadcrumbs, new.pager, new.feeds,
                  new.in_sitemap, new.root_relative, new.lastmod, new.context))


_BY_VALUE = frozenset({str, int, float, bool, dt.date, dt.datetime, Crumb, Pager, Group, EntityRef})
_BY_FIELDS = MappingProxyType({Feed: ("title", "atom", "json", "home", "stories"), EntityEntry: ("ref", "path", "count", "related", "see_also"),
              Contribution: ("item", "article")})  # a contribution's anchor and adds follow from these


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

