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
import importlib
import json
import math
import os
import re
import selectors
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from digest.errors import BuildError
from digest.processes import dying_with_parent
from digest.publish.mirror import linker, mirror_tree, replace_file
from digest.publish.swap import remove_tree

SEARCH_DIR = "pagefind"  # written by the Pagefind indexer, after the pages
SHARDS_FILE = "shards.json"  # in SEARCH_DIR: the shards the search page merges, the first one loaded first
STATE_FILE = "search.json"  # in the cache: what the published index was made from
WORK_DIR = ".digest-search"  # in the staging folder, while indexing: each shard's pages, as links
PAGES_PER_SHARD_SQUARED = 40  # shards = sqrt(pages / this), as a power of two
SMALL_SHARD = 1000  # pages: Pagefind indexes two such shards at once (each is multi-threaded, but not throughout),
# larger ones one at a time, so that its memory stays under ~0.5 GB

_MARK = b"data-pagefind-body"
_IGNORED = re.compile(rb"<([a-zA-Z][a-zA-Z0-9-]*)(?=[\s/>])[^<>]*?\sdata-pagefind-ignore\b[^<>]*>")
_KEEPS_INDEX_DATA = re.compile(rb"data-pagefind-(?:filter|meta|sort)")
_VOID = frozenset(b"area base br col embed hr img input link meta source track wbr".split())


@dataclass(frozen=True)
class SearchState:
    """What an index was made from: the site (its manifest's hash), the number of shards, and the pages marked
    with ``data-pagefind-body`` (none: Pagefind indexes every page)."""

    site: str
    shards: int
    marked: frozenset[str]

    def dumps(self) -> bytes:
        return json.dumps({"site": self.site, "shards": self.shards, "marked": sorted(self.marked)}).encode("utf-8")

    @classmethod
    def load(cls, folder: Path, site: str) -> SearchState | None:
        """The state of ``folder``'s index, if it was made from the site whose manifest hashes to ``site`` and
        every shard it lists is there."""
        try:
            data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
            state = cls(str(data["site"]), int(data["shards"]), frozenset(data["marked"]))
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


def is_marked(page: bytes) -> bool:
    """Whether a page has an element marked ``data-pagefind-body`` (the words in its text do not count)."""
    at = page.find(_MARK)
    while at >= 0:
        if page.rfind(b"<", 0, at) > page.rfind(b">", 0, at):
            return True
        at = page.find(_MARK, at + len(_MARK))
    return False


def indexed_part(page: bytes) -> bytes:
    """The page without its ``data-pagefind-ignore`` elements: what can change what Pagefind makes of it."""
    kept, at = [], 0
    for match in _IGNORED.finditer(page):
        if match.start() < at:
            continue  # inside an element already left out
        end = _element_end(page, match.group(1).lower(), match.end())
        if end is None or _KEEPS_INDEX_DATA.search(page, match.start(), end):
            continue  # an element never closed is kept whole: a change in it must not go unseen
        kept.append(page[at:match.start()])
        at = end
    kept.append(page[at:])
    return b"".join(kept)


def _element_end(page: bytes, name: bytes, start: int) -> int | None:
    if name in _VOID:
        return start
    depth = 1
    for tag in re.finditer(rb"<(/?)" + re.escape(name) + rb"(?=[\s/>])[^<>]*>", page[start:], re.IGNORECASE):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return start + tag.end()
    return None


@dataclass(frozen=True)
class Pages:
    """A site's pages as the index sees them: path -> hash, and the hash of that manifest's file (None: none)."""

    hashes: Mapping[str, str]
    site: str | None


def index_search(staging: Path, output: Path, cache_dir: str, new: Pages, published: Pages, read: Callable[[str], bytes]) -> None:
    """Give the staged site (its cache already saved) its search index: the published shards whose pages are
    unchanged, as links, and the others made again by Pagefind (its binary ships in the pagefind[bin] wheel).
    ``published`` is what ``output`` holds now, ``read`` gives a staged page's bytes."""
    manifest, previous, site = new.hashes, published.hashes, new.site or ""
    old = SearchState.load(output / cache_dir, published.site) if published.site else None
    changed = [rel for rel in manifest.keys() | previous.keys() if rel.endswith(".html") and manifest.get(rel) != previous.get(rel)]
    if old is None:
        marked = frozenset(rel for rel in manifest if rel.endswith(".html") and is_marked(read(rel)))
    else:
        gained = {rel for rel in changed if rel in manifest and is_marked(read(rel))}
        marked = frozenset((old.marked - set(changed)) | gained)
    pages = searchable(marked, manifest)
    state = SearchState(site, shard_count(len(pages), old.shards if old else None), marked)
    shards: dict[int, list[str]] = {}
    for rel in pages:
        shards.setdefault(shard_of(rel, state.shards), []).append(rel)
    if old is None or old.shards != state.shards or bool(old.marked) != bool(marked):
        stale = set(shards)
    else:
        stale = {shard_of(rel, state.shards) for rel in changed if _reindex(rel, manifest, old, state, output, read)}
    names = {number: shard_name(number, state.shards) for number in sorted(shards)}
    target = staging / SEARCH_DIR  # may hold the index of the site before last: what is still right stays linked
    target.mkdir(exist_ok=True)
    for entry in os.scandir(target):
        if entry.is_dir(follow_symlinks=False) and entry.name not in names.values():
            remove_tree(Path(entry.path))
        elif not entry.is_dir(follow_symlinks=False):
            os.unlink(entry.path)  # shards.json is written anew; anything else is not the index's
    for number, name in names.items():
        if number in stale:
            remove_tree(target / name)
        else:
            mirror_tree(output / SEARCH_DIR / name, target / name)
    _run_pagefind(staging, {names[number]: shards[number] for number in sorted(stale & set(shards))}, output)
    replace_file(target / SHARDS_FILE, json.dumps({"shards": list(names.values())}).encode("utf-8"))
    replace_file(staging / cache_dir / STATE_FILE, state.dumps())
    (staging / cache_dir / "search.stamp").unlink(missing_ok=True)  # what digest kept before the index had shards


def forget_search(staging: Path, cache_dir: str) -> None:
    """No index (not a stale one)."""
    remove_tree(staging / SEARCH_DIR)
    (staging / cache_dir / STATE_FILE).unlink(missing_ok=True)


def _reindex(rel: str, manifest: Mapping[str, str], old: SearchState, new: SearchState, output: Path,
             read: Callable[[str], bytes]) -> bool:
    """Whether a changed page changes its shard's index: it came, went, or changed where Pagefind looks."""
    was = rel in old.marked if old.marked else True
    now = rel in new.marked if new.marked else rel in manifest
    if was != now:
        return True
    if not now:
        return False
    try:
        before = (output / rel).read_bytes()
    except OSError:
        return True
    return indexed_part(before) != indexed_part(read(rel))


def _run_pagefind(staging: Path, shards: Mapping[str, list[str]], output: Path) -> None:
    """Index each shard by a Pagefind run of its own, over a folder of links to its pages, a few runs at once.
    A shard's links are made just before its run starts (the first run need not wait for every shard's), and a
    run that ends makes room for the next at once, whichever of those running it is."""
    work = staging / WORK_DIR
    remove_tree(work)
    link = linker()
    command = _pagefind_command()
    waiting = list(shards)
    at_once = 2 if max((len(pages) for pages in shards.values()), default=0) <= SMALL_SHARD else 1
    running: dict[int, _Run] = {}  # by the file descriptor of its output
    with selectors.DefaultSelector() as ended:
        try:
            while waiting or running:
                while waiting and len(running) < at_once:
                    name = waiting.pop(0)
                    for rel in shards[name]:
                        (work / name / rel).parent.mkdir(parents=True, exist_ok=True)
                        link(staging / rel, work / name / rel)
                    run = _Run(_start_pagefind(command, work / name, staging / SEARCH_DIR / name, output))
                    running[run.fd] = run
                    ended.register(run.fd, selectors.EVENT_READ)
                for key, _ in ended.select():
                    run = running[key.fd]
                    if run.read():
                        continue
                    ended.unregister(key.fd)
                    del running[key.fd]
                    if run.process.wait() != 0:
                        errors = run.output.decode("utf-8", "replace").strip()
                        raise BuildError(f"the search indexer (pagefind) failed: {errors}", str(output))
        finally:
            for run in running.values():
                run.process.kill()
                run.process.wait()
            remove_tree(work)


class _Run:
    """A running Pagefind and what it has printed so far (with ``--quiet``, errors only)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        self.process, self.fd, self.output = process, process.stdout.fileno(), b""

    def read(self) -> bool:
        """Take what it printed since; False once it has closed its output (it has ended, or is ending)."""
        data = os.read(self.fd, 65536)
        self.output += data
        if not data:
            self.process.stdout.close()  # type: ignore[union-attr]
        return bool(data)


def _pagefind_command() -> list[str]:
    """Pagefind's binary itself, looked for as ``python -m pagefind`` looks (``PAGEFIND_BINARY_PATH``, the extended
    binary's wheel, the pagefind[bin] wheel, the PATH), so that no Python starts only to hand over to it (~60 ms a
    run, and a build runs it once a shard). Not by importing ``pagefind.service``, which imports asyncio (~0.1 s).
    Nothing found: ``python -m pagefind``, which then says what is missing."""
    found = os.environ.get("PAGEFIND_BINARY_PATH")
    for wheel in ("pagefind_bin_extended", "pagefind_bin"):
        if found:
            break
        try:
            found = str(importlib.import_module(wheel).get_executable())
        except Exception:  # noqa: BLE001 - not installed, or no binary for this platform in it: look further
            continue
    found = found or shutil.which("pagefind_extended") or shutil.which("pagefind")
    return [found] if found and os.path.isfile(found) else [sys.executable, "-m", "pagefind"]


def _start_pagefind(command: list[str], site: Path, bundle: Path, output: Path) -> subprocess.Popen[bytes]:
    try:
        argv, preexec = dying_with_parent([*command, "--site", str(site), "--output-path", str(bundle), "--quiet"])
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=preexec)
    except OSError as error:  # a PAGEFIND_BINARY_PATH that is not a program, say
        raise BuildError(f"the search indexer (pagefind) could not start: {command[0]}: {error.strerror}", str(output)) from error
