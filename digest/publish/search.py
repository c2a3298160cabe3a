"""Search: the site's Pagefind index, made in shards so that an edit re-indexes a small part of it.

Pagefind keeps the text of every page it indexes in memory until it is done: one run over 10,000 stories needs
gigabytes. So the pages Pagefind would index (those with a ``data-pagefind-body`` element; every page when the
theme marks none) are split into shards by a hash of their folder (``stories/<slug>``), so that a page stays in
its shard from build to build. Each shard is indexed by a Pagefind run of its own, over a folder of hard links
to just its pages, into ``pagefind/<shard>/``; ``pagefind/shards.json`` lists the shards, and the search page
loads the first and merges the others in the browser (Pagefind's ``mergeIndex``). A build indexes again only
the shards where a page came, went, or changed outside its ``data-pagefind-ignore`` parts (an edit also changes
other stories' "related" lists and neighbours' links, which the index never holds); the other shards are
carried over as hard links.

The number of shards is a power of two near sqrt(pages / 40), kept while the archive stays within a factor of
two of that: about 560 pages a shard at 10,000 articles, 1,400 at 100,000. Fewer, larger shards would cost
memory and re-indexing time; more would cost the browser a request per shard for each word it looks up.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from digest.publish.copies import indexed_part, is_marked, search_copy
from digest.publish.indexer import Indexer, Run
from digest.publish.mirror import mirror_tree, replace_file
from digest.publish.swap import remove_tree

SEARCH_DIR = "pagefind"  # written by the Pagefind indexer, after the pages
SHARDS_FILE = "shards.json"  # in SEARCH_DIR: the shards the search page merges, the first one loaded first
STATE_FILE = "search.json"  # in the cache: what the published index was made from
WORK_DIR = ".digest-search"  # in the staging folder, while indexing: each run's pages, as links
PAGES_PER_SHARD_SQUARED = 40  # shards = sqrt(pages / this), as a power of two
EARLY_STARTS = 4  # runs started before every page is put (each a guess that may be called off)



@dataclass(frozen=True)
class SearchState:
    """What an index was made from: the site (its manifest's hash), the number of shards, and the pages marked
    with ``data-pagefind-body`` (none: Pagefind indexes every page), with the shard of each (as kept: working
    them out costs ~0.1 s at 10,000 articles, before the edited story's shard can be laid out)."""

    site: str
    shards: int
    marked: frozenset[str]
    numbers: Mapping[str, int] = field(default_factory=dict, compare=False)

    def dumps(self, numbers: Mapping[str, int]) -> bytes:
        """With the shard of each marked page, when ``numbers`` holds them all."""
        marked = sorted(self.marked)
        kept = [numbers[rel] for rel in marked] if all(rel in numbers for rel in marked) else []
        return json.dumps({"site": self.site, "shards": self.shards, "marked": marked, "numbers": kept}).encode("utf-8")

    @classmethod
    def load(cls, folder: Path, site: str) -> SearchState | None:
        """The state of ``folder``'s index, if it was made from the site whose manifest hashes to ``site`` and
        every shard it lists is there."""
        try:
            data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
            marked, numbers = list(data["marked"]), data.get("numbers") or []
            shards = int(data["shards"])
            known = dict(zip(marked, numbers)) if len(numbers) == len(marked) and all(type(n) is int for n in numbers) else {}
            if any(shard_of(rel, shards) != known[rel] for rel in marked[:3] if known):  # kept by code that shards otherwise
                known = {}
            state = cls(str(data["site"]), shards, frozenset(marked), known)
            listed = json.loads((folder.parent / SEARCH_DIR / SHARDS_FILE).read_text(encoding="utf-8"))["shards"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if state.site != site or not all((folder.parent / SEARCH_DIR / name / "pagefind.js").is_file() for name in listed):
            return None
        return state


def searchable(marked: frozenset[str], manifest: Iterable[str]) -> list[str]:
    """The pages Pagefind indexes: those marked, or every page when none is."""
    return sorted(marked) if marked else sorted(rel for rel in manifest if rel.endswith(".html"))


def site_hash(manifest: bytes) -> str:
    return hashlib.sha256(manifest).hexdigest()


def is_current(output: Path, cache_dir: str, manifest: bytes) -> bool:
    """Whether ``output``'s search index was made from exactly the site ``manifest`` lists."""
    return SearchState.load(output / cache_dir, site_hash(manifest)) is not None


def shard_count(pages: int, previous: int | None = None) -> int:
    """How many shards for this many pages: a power of two near sqrt(pages / 40), or the previous count while it
    is within a factor of two of that (so that a growing archive is not re-indexed whole at every build)."""
    ideal = math.sqrt(pages / PAGES_PER_SHARD_SQUARED)
    if previous is not None and previous / 2 <= max(ideal, 1) <= previous * 2:
        return previous
    return 1 << max(0, round(math.log2(ideal))) if ideal > 1 else 1


def shard_of(page: str, shards: int) -> int:
    """The shard of a page: by its folder (``stories/<slug>``), so that an entity's later pages go with its first."""
    group = "/".join(page.split("/")[:2]).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(group, digest_size=8).digest(), "big") % shards


def shard_name(number: int, shards: int) -> str:
    return f"{number:0{len(str(shards - 1))}d}"


@dataclass(frozen=True)
class Pages:
    """A site's pages as the index sees them: path -> hash, and the hash of that manifest's file (None: none)."""

    hashes: Mapping[str, str]
    site: str | None


class ShardIndexing:
    """One build's search index, made in the staging folder while the rest of the build goes on.

    After an edit, a shard is indexed again as soon as one of its pages is ``put`` changed where Pagefind looks:
    its other pages are the published ones (or those put already), and Pagefind runs while the build renders the
    rest, carries the unchanged files and writes the cache. A page of that shard put later, changed where
    Pagefind looks, starts its run again. ``start``, once every file is put, works out the shards from the whole
    site, keeps each run started early whose pages turned out to be exactly its shard's, and starts the others
    (every shard, after a cold build); ``complete`` waits for them and lists the shards. The published shards
    whose pages are unchanged are carried over as links."""

    def __init__(self, output: Path, cache_dir: str, published: Pages) -> None:
        self.output, self.cache_dir, self.published = output, cache_dir, published
        self.old = SearchState.load(output / cache_dir, published.site) if published.site else None
        self.written: dict[str, bool] = {}  # the pages put with new bytes -> whether each is marked
        self.verdicts: dict[str, bool] = {}  # of those, whether each changes its shard's index (after an edit)
        self.indexer: Indexer | None = None
        self.early_starts = 0
        self.state: SearchState | None = None
        self.names: list[str] = []
        self._old_shards: dict[int, set[str]] | None = None
        self._numbers: dict[str, int] = dict(self.old.numbers) if self.old else {}  # page -> its shard (see ``_shard``)
        self._numbers_for = self.old.shards if self.old else None  # the count of shards they are for
        self.guesses: dict[str, tuple[bytes, Run]] = {}  # page -> what Pagefind was given of it on a guess, and that run

    def put(self, staging: Path, rel: str, data: bytes) -> None:
        """A page written into ``staging`` with new bytes ``data``."""
        self.written[rel] = marked = is_marked(data)
        old = self.old
        if old is None:
            return
        was, now = (rel in old.marked, marked) if old.marked else (True, True)
        dirty = self.verdicts[rel] = was != now or (now and _changed_for_search(self.output / rel, data))
        guessed, run = self.guesses.pop(rel, (None, None))
        if run is not None and self.indexer is not None and self.indexer.runs.get(run.name) is run:
            if dirty and guessed == self._given(data):
                return  # the run on the guess was given what this page gives Pagefind: it goes on
            self.indexer.call_off(run.name)
            if dirty:  # laid out again (the page left to lay out) for the run started below
                self.prepare(staging, [rel])
        if not dirty:
            return
        number = self._shard(rel, old.shards)
        if self.early_starts == EARLY_STARTS:  # no more guesses: what this shard's run was given is stale now
            if self.indexer is not None:
                self.indexer.call_off(shard_name(number, old.shards))
            return
        self.early_starts += 1
        members = {page for page in self._old_members(number) if self.written.get(page, True)}
        members.update(page for page, marked in self.written.items() if (marked or not old.marked) and self._shard(page, old.shards) == number)
        (staging / SEARCH_DIR).mkdir(exist_ok=True)
        self._start(staging, shard_name(number, old.shards), sorted(members))

    def prepare(self, staging: Path, pages: Iterable[str]) -> None:
        """Pages likely to be put changed (an edit's): the other pages of their published shards laid out for
        Pagefind now, so that a run started when one of them is put has little left to lay out."""
        old = self.old
        if old is None:
            return
        indexed = set(pages) & (old.marked or self.published.hashes.keys())
        for number in sorted({self._shard(rel, old.shards) for rel in indexed})[:EARLY_STARTS]:
            members, name = self._old_members(number), shard_name(number, old.shards)
            pages = {rel: None if rel in indexed else self.output / rel for rel in sorted(members)}
            self._indexer(staging).prepare(name, pages, staging / SEARCH_DIR / name)

    def guess(self, staging: Path, rel: str, data: bytes) -> None:
        """A page an edit will likely put with ``data``, told before it is made (see ``Publication.guess``): its
        published shard is laid out with ``data`` in its place and indexed at once. ``put`` keeps that run only
        if the page turns out to give Pagefind the same bytes; a page never put calls it off at ``start``."""
        old = self.old
        if old is None or rel not in (old.marked or self.published.hashes) or self.early_starts == EARLY_STARTS:
            return
        number = self._shard(rel, old.shards)
        name, indexer = shard_name(number, old.shards), self._indexer(staging)
        if name in indexer.runs or name in indexer.layouts:
            return
        self.early_starts += 1
        source = indexer.work / f"{name}.guess.html"
        source.write_bytes(data)
        pages = {page: source if page == rel else self.output / page for page in sorted(self._old_members(number))}
        (staging / SEARCH_DIR).mkdir(exist_ok=True)
        indexer.prepare(name, pages, staging / SEARCH_DIR / name)
        self.guesses[rel] = (self._given(data), indexer.start(name, pages, staging / SEARCH_DIR / name))

    def start(self, staging: Path, manifest: Mapping[str, str], site: str, spare: bool = False) -> None:
        """Every file is put: index each shard whose pages changed (or keep its run started early), carry the others.
        ``spare``: ``staging`` was the spare, exactly as it was published (see ``digest.publish.write``)."""
        old, previous, output = self.old, self.published.hashes, self.output
        changed = [rel for rel in manifest.keys() | previous.keys() if rel.endswith(".html") and manifest.get(rel) != previous.get(rel)]
        if old is None:
            marked = frozenset(rel for rel in manifest if rel.endswith(".html") and self._is_marked(rel))
        else:
            gained = {rel for rel in changed if rel in manifest and self._is_marked(rel)}
            marked = frozenset((old.marked - set(changed)) | gained)
        pages = searchable(marked, manifest)
        state = self.state = SearchState(site, shard_count(len(pages), old.shards if old else None), marked)
        shards: dict[int, list[str]] = {}
        for rel in pages:
            shards.setdefault(self._shard(rel, state.shards), []).append(rel)
        if old is None or old.shards != state.shards or bool(old.marked) != bool(marked):
            stale = set(shards)
        else:
            stale = {self._shard(rel, state.shards) for rel in changed if self._reindex(rel, manifest, old, state)}
        names = {number: shard_name(number, state.shards) for number in sorted(shards)}
        wanted = {names[number]: shards[number] for number in sorted(stale & set(shards))}
        running = self.indexer.runs if self.indexer is not None else {}
        for _, run in self.guesses.values():  # guessed pages never put (kept as published, or gone): guesses unchecked
            if running.get(run.name) is run:
                self.indexer.call_off(run.name)  # type: ignore[union-attr]
        self.guesses.clear()
        for name, run in list(running.items()):  # before their folders are touched: runs whose pages turned out otherwise
            if list(run.pages) != wanted.get(name):
                self.indexer.call_off(name)  # type: ignore[union-attr]
        target = staging / SEARCH_DIR  # may hold the index of the site before last: what is still right stays linked
        target.mkdir(exist_ok=True)
        for entry in os.scandir(target):
            if entry.is_dir(follow_symlinks=False) and entry.name not in names.values():
                remove_tree(Path(entry.path))
            elif not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)  # shards.json is written anew; anything else is not the index's
        for number, name in names.items():
            if number not in stale and not (spare and _carried_whole(output / SEARCH_DIR / name, target / name)):
                mirror_tree(output / SEARCH_DIR / name, target / name)
        for name, shard in wanted.items():
            if name not in running:
                self._start(staging, name, shard)
        self.names = list(names.values())

    def complete(self, staging: Path) -> None:
        """Wait for the runs (a failure is a ``BuildError``), then list the shards and say what the index was made from."""
        if self.indexer is not None:
            self.indexer.wait()
        assert self.state is not None, "start comes first"
        replace_file(staging / SEARCH_DIR / SHARDS_FILE, json.dumps({"shards": self.names}).encode("utf-8"))
        replace_file(staging / self.cache_dir / STATE_FILE, self.state.dumps(self._numbers if self._numbers_for == self.state.shards else {}))
        (staging / self.cache_dir / "search.stamp").unlink(missing_ok=True)  # what digest kept before the index had shards

    def close(self) -> None:
        """Stop every run (the build failed)."""
        if self.indexer is not None:
            self.indexer.close()

    def _start(self, staging: Path, name: str, pages: list[str]) -> None:
        sources = {rel: staging / rel if rel in self.written else self.output / rel for rel in pages}
        self._indexer(staging).start(name, sources, staging / SEARCH_DIR / name)

    def _shard(self, rel: str, shards: int) -> int:
        """``shard_of``, worked out once a page (or read with the published index) for one count of shards: the
        published index's (a count kept), or the first asked for."""
        if self._numbers_for is None:
            self._numbers_for = shards
        if shards != self._numbers_for:
            return shard_of(rel, shards)
        number = self._numbers.get(rel)
        if number is None:
            number = self._numbers[rel] = shard_of(rel, shards)
        return number

    def _given(self, page: bytes) -> bytes:
        """What Pagefind is given of a page (see ``lay_out``)."""
        copy = search_copy(page)
        return page if copy is None else copy

    def _indexer(self, staging: Path) -> Indexer:
        if self.indexer is None:
            self.indexer = Indexer(staging, self.output, WORK_DIR, search_copy)
        return self.indexer

    def _old_members(self, number: int) -> set[str]:
        """The pages of a published shard."""
        if self._old_shards is None:
            assert self.old is not None
            self._old_shards = {}
            for rel in searchable(self.old.marked, self.published.hashes):
                self._old_shards.setdefault(self._shard(rel, self.old.shards), set()).add(rel)
        return self._old_shards.get(number, set())

    def _is_marked(self, rel: str) -> bool:
        found = self.written.get(rel)
        return found if found is not None else is_marked((self.output / rel).read_bytes())

    def _reindex(self, rel: str, manifest: Mapping[str, str], old: SearchState, new: SearchState) -> bool:
        """Whether a changed page changes its shard's index: it came, went, or changed where Pagefind looks."""
        if rel in self.verdicts:
            return self.verdicts[rel]
        was = rel in old.marked if old.marked else True
        now = rel in new.marked if new.marked else rel in manifest
        if was != now:
            return True
        return now and rel not in self.written  # not put: gone, or carried


def _carried_whole(published: Path, spare: Path) -> bool:
    """Whether a shard of the spare is the published one, file for file: its entry file is the very file published.
    The last build then carried that shard over into what is now published (every file linked, none else), and
    nothing changed the spare since (a build that does removes its stamp first)."""
    try:
        one, other = os.stat(published / "pagefind-entry.json"), os.stat(spare / "pagefind-entry.json")
    except OSError:
        return False
    return (one.st_ino, one.st_dev) == (other.st_ino, other.st_dev)


def forget_search(staging: Path, cache_dir: str) -> None:
    """No index (not a stale one)."""
    remove_tree(staging / SEARCH_DIR)
    (staging / cache_dir / STATE_FILE).unlink(missing_ok=True)


def _changed_for_search(published: Path, data: bytes) -> bool:
    try:
        before = published.read_bytes()
    except OSError:
        return True
    return indexed_part(before) != indexed_part(data)
