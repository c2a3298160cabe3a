"""Write stage: the only code that writes to output/.

The new site arrives complete, in memory. It is made in a staging folder beside ``output/`` (the site before the
last, changed only where it differs: files whose bytes are unchanged are hard links to the published ones),
indexed for search there, and switched in whole (``digest.publish.swap``): ``output/`` is always exactly the old site or the new one, never a mix, and
its search index always holds exactly its own pages. The parse cache lives in output/.digest-cache/ and is never
published; a build that changes no page updates only the cache, in place.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pickle
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from digest.errors import BuildError
from digest.pipeline.cache import CACHE_DIR, PAGES_FILE, ParseCache
from digest.publish.mirror import Mirror, files_in, mirror_tree
from digest.publish.mirror import replace_file as _replace
from digest.publish.safety import MARKER, MARKER_TEXT
from digest.publish.search import SEARCH_DIR, Pages, forget_search, index_search, is_current, site_hash
from digest.publish.swap import claim_staging, keep_as_spare, recover, remove_tree, staging_folder, switch_in

MANIFEST = "manifest.json"
KEEP = frozenset({CACHE_DIR, SEARCH_DIR})


class _Kept(bytes):
    """Stands for a page's bytes when ``output/`` already holds them (see ``kept_pages``)."""


KEPT: bytes = _Kept()  # compared by identity: the writer leaves such a file as it is


def kept_pages(output_dir: Path, cache: ParseCache) -> dict[str, str]:
    """Pages the last build wrote that are still in ``output_dir`` as written: path -> the render key they
    were made with. A file that is missing, or whose size changed since, is not kept (it is rendered again)."""
    memo = cache.pages
    if not memo:
        return {}
    manifest = _read_manifest(output_dir / CACHE_DIR)
    root = str(output_dir)
    kept = {}
    for rel, (key, digest, size) in memo.items():
        if manifest.get(rel) != digest:
            continue
        try:
            if os.stat(os.path.join(root, rel)).st_size != size:
                continue
        except OSError:
            continue
        kept[rel] = key
    return kept


def write_output(files: Mapping[str, bytes], output_dir: Path, cache: ParseCache | None = None,
                 page_keys: Mapping[str, str] | None = None, *, search: bool = False, exchange: bool = True) -> tuple[int, int]:
    """Make ``output_dir`` hold exactly ``files`` (plus the cache and, with ``search``, the search index), all at
    once: the new site is made beside the old one and switched in (see ``digest.publish.swap``). Returns
    (written, deleted). A disk that is full, read-only or not ours to write is a ``BuildError`` naming the path
    and the system's error, and the old output is left as it was.

    A file whose bytes are ``KEPT`` is already in ``output_dir`` as the last build wrote it: it is carried over.
    ``page_keys`` (page path -> render key) is kept in the cache with each page's hash and size, so the next
    build knows which pages it need not render (see ``kept_pages``)."""
    output = Path(os.path.realpath(output_dir))
    staging = staging_folder(output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        recover(output)
        previous = _read_manifest(output / CACHE_DIR)
        plan = _Plan.of(files, output, previous, cache, page_keys)
        if plan.unchanged(output, previous, search):
            _save_cache(output, plan, cache, previous)  # in place: every cache file is valid on its own
            return 0, 0
        staging = claim_staging(output)
        try:
            written = plan.stage(staging, output)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):  # a file where a folder now goes, or so
            remove_tree(staging)
            written = plan.stage(staging, output)
        _save_cache(staging, plan, cache, None)
        _index_search(staging, output, plan, previous, search)
        deleted = len(set(files_in(output, KEEP)) - set(files) - {MARKER})
        switch_in(staging, output, exchange)
        keep_as_spare(staging, output)  # the superseded site: where the next build starts from
    except BaseException as exc:  # a failed or interrupted build leaves no staging folder behind
        remove_tree(staging)
        if isinstance(exc, OSError):
            raise _disk_problem(exc, output) from exc
        raise
    return written, deleted


@dataclass(frozen=True)
class _Plan:
    """The new site against the old: each file's hash and size, and which can be carried over unchanged."""

    files: Mapping[str, bytes]
    manifest: dict[str, str]  # path -> sha256
    sizes: dict[str, int]
    carried: frozenset[str]  # in the old output with these very bytes
    pages: dict[str, tuple[str, str, int]] | None  # the page memo to keep (see ``kept_pages``)

    @classmethod
    def of(cls, files, output: Path, previous: dict[str, str], cache: ParseCache | None, page_keys) -> _Plan:
        old_pages = cache.pages if cache is not None and page_keys is not None else {}
        manifest, sizes, carried = {}, {}, set()
        for rel, data in files.items():
            if data is KEPT:
                manifest[rel], sizes[rel] = previous[rel], old_pages[rel][2]
                carried.add(rel)
                continue
            manifest[rel], sizes[rel] = hashlib.sha256(data).hexdigest(), len(data)
            if previous.get(rel) == manifest[rel] and _size(output / rel) == len(data):  # a file changed by hand is written again
                carried.add(rel)
        pages = None
        if page_keys is not None:
            pages = {rel: (key, manifest[rel], sizes[rel]) for rel, key in page_keys.items() if rel in manifest}
        return cls(files, manifest, sizes, frozenset(carried), pages)

    def unchanged(self, output: Path, previous: dict[str, str], search: bool) -> bool:
        """Whether the old output is already this site (with its marker and, if wanted, its search index)."""
        if len(self.carried) != len(self.files) or previous != self.manifest or not (output / MARKER).is_file():
            return False
        return not search or is_current(output, CACHE_DIR, self.manifest_bytes())

    def manifest_bytes(self) -> bytes:
        return json.dumps(self.manifest).encode("utf-8")

    def stage(self, staging: Path, output: Path) -> int:
        """Make ``staging`` (empty, or an earlier site) the new site: unchanged files as hard links to the
        published ones, the rest written. Returns how many files were written afresh."""
        staging.mkdir(exist_ok=True)
        mirror = Mirror(staging, leave_out=KEEP)
        mirror.put(MARKER, MARKER_TEXT.encode("utf-8"))
        for rel, data in self.files.items():
            if rel in self.carried:
                mirror.carry(rel, output / rel)
            else:
                mirror.put(rel, data)
        mirror.finish()
        mirror_tree(output / CACHE_DIR, staging / CACHE_DIR)
        return len(self.files) - len(self.carried)


def _save_cache(folder: Path, plan: _Plan, cache: ParseCache | None, previous: dict[str, str] | None) -> None:
    """The cache files that changed, each replaced whole (never written into: it may be a link to the old one)."""
    cache_dir = folder / CACHE_DIR
    cache_dir.mkdir(exist_ok=True)
    if plan.manifest != previous:
        _replace(cache_dir / MANIFEST, plan.manifest_bytes())
    if cache is None:
        return
    for name, data in cache.files().items():  # in order: the session refers to the gather memo's objects
        if data is None:
            (cache_dir / name).unlink(missing_ok=True)
        else:
            _replace(cache_dir / name, data)
    if plan.pages is not None and plan.pages != cache.pages:
        _replace(cache_dir / PAGES_FILE, pickle.dumps(plan.pages, protocol=pickle.HIGHEST_PROTOCOL))


DISK_HINTS = {
    errno.ENOSPC: "the disk is full: free some space, or build elsewhere with --output",
    errno.EDQUOT: "your disk quota is used up: free some space, or build elsewhere with --output",
    errno.EROFS: "that disk is read-only: build onto a writable one with --output (or output_dir in digest.yaml)",
    errno.EACCES: "you may not write there: make the folder (and the one holding it) writable, or choose another with --output",
    errno.EPERM: "you may not write there: make the folder (and the one holding it) writable, or choose another with --output",
}


def _disk_problem(exc: OSError, output: Path) -> BuildError:
    name = errno.errorcode.get(exc.errno or 0, "error")
    hint = DISK_HINTS.get(exc.errno or 0, "check that folder and its disk")
    return BuildError(f"cannot write the site: {exc.strerror or exc} ({name}); the previous output was left as it was",
                      str(exc.filename or output), hint=hint)


def _size(path: Path) -> int:
    try:
        info = os.stat(path)
    except OSError:
        return -1
    return info.st_size if stat.S_ISREG(info.st_mode) else -1


def _read_manifest(cache_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((cache_dir / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _index_search(staging: Path, output: Path, plan: _Plan, previous: dict[str, str], search: bool) -> None:
    """Give the staged site its search index (see ``digest.publish.search``); without ``search``, or without
    Pagefind installed, none (not a stale one)."""
    if search:
        try:
            import pagefind  # noqa: F401
        except ImportError:
            search = False
    if not search:
        forget_search(staging, CACHE_DIR)
        return

    def read(rel: str) -> bytes:
        data = plan.files[rel]
        return (staging / rel).read_bytes() if data is KEPT else data

    try:
        published = site_hash((output / CACHE_DIR / MANIFEST).read_bytes())
    except OSError:
        published = None
    index_search(staging, output, CACHE_DIR, Pages(plan.manifest, site_hash(plan.manifest_bytes())), Pages(previous, published), read)
