"""Write stage: the only code that writes to output/.

The new site arrives complete, in memory; files whose bytes are unchanged are not
rewritten, files the new build no longer has are removed. The parse cache lives in
output/.digest-cache/ and is never published.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path
from typing import Mapping

from digest.pipeline.cache import CACHE_DIR, CACHE_FILE, CLASSIFY_FILE, GATHER_FILE, PAGES_FILE, STAT_FILE, ParseCache
from digest.errors import BuildError

MANIFEST = "manifest.json"
SEARCH_DIR = "pagefind"  # written by the Pagefind indexer, after the pages
KEEP = frozenset({CACHE_DIR, SEARCH_DIR})


class _Kept(bytes):
    """Stands for a page's bytes when ``output/`` already holds them (see ``kept_pages``)."""


KEPT: bytes = _Kept()  # compared by identity: the writer leaves such a file as it is


def load_cache(output_dir: Path) -> ParseCache:
    return ParseCache.load(output_dir)


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
                 page_keys: Mapping[str, str] | None = None) -> tuple[int, int]:
    """Make ``output_dir`` hold exactly ``files`` (plus the cache and search index). Returns (written, deleted).

    A file whose bytes are ``KEPT`` is already in ``output_dir`` as the last build wrote it: it is left alone.
    ``page_keys`` (page path -> render key) is kept in the cache with each page's hash and size, so the next
    build knows which pages it need not render (see ``kept_pages``)."""
    if output_dir.exists() and not output_dir.is_dir():
        raise BuildError("the output path exists and is not a folder", str(output_dir), hint="remove it or choose another --output")
    output_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = output_dir / CACHE_DIR
    previous = _read_manifest(cache_dir)
    old_pages = cache.pages if cache is not None and page_keys is not None else {}
    written = 0
    manifest = {}
    sizes: dict[str, int] = {}
    for rel, data in files.items():
        if data is KEPT:
            manifest[rel] = previous[rel]
            sizes[rel] = old_pages[rel][2]
            continue
        digest = hashlib.sha256(data).hexdigest()
        manifest[rel] = digest
        sizes[rel] = len(data)
        target = output_dir / rel
        if previous.get(rel) == digest and _size(target) == len(data):  # a file changed by hand is written again
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)  # readers (the preview server) never see half a file
        written += 1
    deleted = _remove_stale(output_dir, set(files))
    cache_dir.mkdir(exist_ok=True)
    if manifest != previous:
        _replace(cache_dir / MANIFEST, json.dumps(manifest).encode("utf-8"))
    if cache is not None:
        if cache.needs_writing:
            _replace(cache_dir / CACHE_FILE, cache.dumps())
        if cache.stats_changed:
            _replace(cache_dir / STAT_FILE, cache.stats_dumps())
        if cache.gathered_changed:
            _replace(cache_dir / GATHER_FILE, cache.gathered_dumps())
            _replace(cache_dir / CLASSIFY_FILE, cache.classify_memo_dumps())
        if page_keys is not None:
            pages = {rel: (key, manifest[rel], sizes[rel]) for rel, key in page_keys.items() if rel in manifest}
            if pages != old_pages:
                _replace(cache_dir / PAGES_FILE, pickle.dumps(pages, protocol=pickle.HIGHEST_PROTOCOL))
    return written, deleted


def _size(path: Path) -> int:
    try:
        info = os.stat(path)
    except OSError:
        return -1
    return info.st_size if stat.S_ISREG(info.st_mode) else -1


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _read_manifest(cache_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((cache_dir / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _remove_stale(output_dir: Path, keep: set[str]) -> int:
    """Remove every file not in ``keep`` (outside the cache and search folders), then the folders left empty.
    One walk, with plain strings: a large site has thousands of files."""
    deleted = 0
    root = str(output_dir)
    walked: list[tuple[str, str, int]] = []  # (folder, parent, entries left), parents before children
    for dirpath, dirnames, filenames in os.walk(root, topdown=True):
        rel_dir = dirpath[len(root) + 1:].replace(os.sep, "/")
        if not rel_dir:
            dirnames[:] = [d for d in dirnames if d not in KEEP]
        left = len(dirnames)
        for name in filenames:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if rel in keep:
                left += 1
            else:
                os.unlink(os.path.join(dirpath, name))
                deleted += 1
        walked.append((dirpath, os.path.dirname(dirpath), left))
    removed: dict[str, int] = {}  # folder -> subfolders of it removed
    for dirpath, parent, left in reversed(walked):  # children first
        if dirpath != root and os.path.basename(dirpath) not in KEEP and left - removed.get(dirpath, 0) <= 0:
            try:
                os.rmdir(dirpath)
            except OSError:
                continue  # not empty after all (a symlink, a file that appeared): leave it
            removed[parent] = removed.get(parent, 0) + 1
    return deleted


SEARCH_STAMP = "search.stamp"  # the manifest the search index was made from


def run_search_indexer(output_dir: Path) -> bool:
    """Index the written site with Pagefind (its binary ships in the pagefind[bin] wheel).
    Skipped when the index was made from exactly the files ``output_dir`` holds now."""
    try:
        import pagefind  # noqa: F401
    except ImportError:
        return False
    cache_dir = output_dir / CACHE_DIR
    try:
        indexed = hashlib.sha256((cache_dir / MANIFEST).read_bytes()).hexdigest()
    except OSError:
        indexed = None
    stamp = cache_dir / SEARCH_STAMP
    if indexed and (output_dir / SEARCH_DIR).is_dir() and stamp.is_file() and stamp.read_text(encoding="utf-8") == indexed:
        return True
    stamp.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(output_dir), "--output-subdir", SEARCH_DIR],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise BuildError(f"the search indexer (pagefind) failed: {result.stderr.strip() or result.stdout.strip()}", str(output_dir))
    if indexed:
        _replace(stamp, indexed.encode("utf-8"))
    return True
