"""Write stage: the only code that writes to output/.

The new site arrives complete, in memory; files whose bytes are unchanged are not
rewritten, files the new build no longer has are removed. The parse cache lives in
output/.digest-cache/ and is never published.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping

from .cache import CACHE_DIR, ParseCache
from .errors import BuildError

MANIFEST = "manifest.json"
SEARCH_DIR = "pagefind"  # written by the Pagefind indexer, after the pages
KEEP = {CACHE_DIR, SEARCH_DIR}


def load_cache(output_dir: Path) -> ParseCache:
    return ParseCache.load(output_dir)


def write_output(files: Mapping[str, bytes], output_dir: Path, cache: ParseCache | None = None) -> tuple[int, int]:
    """Make ``output_dir`` hold exactly ``files`` (plus the cache and search index). Returns (written, deleted)."""
    if output_dir.exists() and not output_dir.is_dir():
        raise BuildError("the output path exists and is not a folder", str(output_dir), hint="remove it or choose another --output")
    output_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = output_dir / CACHE_DIR
    previous = _read_manifest(cache_dir)
    written = 0
    manifest = {}
    for rel, data in files.items():
        digest = hashlib.sha256(data).hexdigest()
        manifest[rel] = digest
        target = output_dir / rel
        if previous.get(rel) == digest and target.is_file():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)  # readers (the preview server) never see half a file
        written += 1
    deleted = _remove_stale(output_dir, set(files))
    cache_dir.mkdir(exist_ok=True)
    (cache_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    if cache is not None:
        (cache_dir / "parse.pickle.tmp").write_bytes(cache.dumps())
        os.replace(cache_dir / "parse.pickle.tmp", cache_dir / "parse.pickle")
    return written, deleted


def _read_manifest(cache_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((cache_dir / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _remove_stale(output_dir: Path, keep: set[str]) -> int:
    deleted = 0
    for dirpath, dirnames, filenames in os.walk(output_dir, topdown=True):
        rel_dir = Path(dirpath).relative_to(output_dir).as_posix()
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in KEEP]
        for name in filenames:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if rel not in keep:
                (Path(dirpath) / name).unlink()
                deleted += 1
    for dirpath, dirnames, filenames in os.walk(output_dir, topdown=False):
        path = Path(dirpath)
        if path != output_dir and path.name not in KEEP and not any(path.iterdir()):
            path.rmdir()
    return deleted


def run_search_indexer(output_dir: Path) -> bool:
    """Index the written site with Pagefind (its binary ships in the pagefind[bin] wheel)."""
    try:
        import pagefind  # noqa: F401
    except ImportError:
        return False
    result = subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(output_dir), "--output-subdir", SEARCH_DIR],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise BuildError(f"the search indexer (pagefind) failed: {result.stderr.strip() or result.stdout.strip()}", str(output_dir))
    return True
