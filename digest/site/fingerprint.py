"""Page fingerprints: a hash of the template and every value a page shows.

A renderer reuses the bytes of pages whose fingerprint did not change. A story page's ``Context``
hashes only the values the rest is worked out from: digest's code is part of every fingerprint.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import operator
from collections import abc
from typing import Any

from digest.models import Article, Classification, ClassifiedStory, DateSource, EntityRef, Evidence, Level, OutletAddition, Score, Story
from digest.site.model import Context, Contribution, Crumb, Page, Pager


def fingerprint(page: Page, site_key: str, hasher: Hasher) -> str:
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
    STAMP = "_digest_content_key"
    # Small values made for one page (a crumb, a pager, an outlet's version of a story): the fields that
    # make them are fed in place, which costs less than hashing each one apart (a large site makes tens of
    # thousands). A contribution's anchor and added sentences follow from its story and article.
    _INLINE = {Crumb: ("title", "path"), Pager: ("number", "count", "paths"), Contribution: ("item", "article")}
    # Small values whose fields are all plain (text, numbers, tuples of text): a story's classification holds dozens.
    # Each is fed as one repr of its fields' values (made in C), not hashed apart.
    _FLAT = {kind: (kind.__name__, operator.attrgetter(*(f.name for f in dataclasses.fields(kind)))) for kind in (Evidence, Score, OutletAddition, EntityRef)}

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Any, str]] = {}
        self._fields: dict[type, tuple[str, ...]] = {}

    def feed(self, parts: list[str], value: Any) -> None:
        kind = type(value)
        if kind in self._ATOMS:
            parts.append(repr(value))
        elif kind is tuple or kind is list:
            parts.append("[")
            atoms, inline, flat = self._ATOMS, self._INLINE, self._FLAT
            for inner in value:  # the common items inline: a large site feeds hundreds of thousands
                inner_kind = type(inner)
                if inner_kind in atoms:
                    parts.append(repr(inner))
                elif inner_kind in flat:
                    name, values = flat[inner_kind]
                    parts.append(name + repr(values(inner)))
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
            kept = stamped.get(self.STAMP)
            if kept is not None:
                return kept
        hit = self._memo.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        kept = isinstance(obj, self._KEPT) and hasattr(obj, "__dict__")
        digest = obj.__dict__.get(self.STAMP) if kept else None
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
                object.__setattr__(obj, self.STAMP, digest)  # not a field: equality and repr ignore it
        self._memo[id(obj)] = (obj, digest)  # keeps obj alive, so its id is not reused
        return digest


def hash_of(value: Any) -> str:
    parts: list[str] = []
    Hasher().feed(parts, value)
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]

