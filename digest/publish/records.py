"""What the cache records of the published site: its manifest (every file -> its sha256) and its stamp with the
sizes of its files but the pages (see ``digest.publish.write``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from digest.publish.mirror import replace_file

MANIFEST = "manifest.json"
SITE_FILE = "site.json"  # in the cache: the stamp of the site published, and the sizes of its files but the pages
SiteRecord = tuple[str, dict[str, int]]


def manifest_bytes(manifest: Mapping[str, str]) -> bytes:
    return json.dumps(manifest).encode("utf-8")


def read_site_record(cache_dir: Path) -> SiteRecord | None:
    try:
        data = json.loads((cache_dir / SITE_FILE).read_text(encoding="utf-8"))
        return (data["site"], data["files"]) if isinstance(data["site"], str) and isinstance(data["files"], dict) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_site_record(cache_dir: Path, record: SiteRecord | None, old: SiteRecord | None) -> None:
    """The site's stamp and its other files' sizes (none: no stamp is known, and an old one must not stay)."""
    if record is None:
        (cache_dir / SITE_FILE).unlink(missing_ok=True)
    elif record != old:
        replace_file(cache_dir / SITE_FILE, json.dumps({"site": record[0], "files": record[1]}).encode("utf-8"))


def parse_manifest(data: bytes | None) -> dict[str, str]:
    """The manifest in ``data`` (``read_bytes``' None: none, as for a damaged one)."""
    if data is None:
        return {}
    try:
        manifest = json.loads(data.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError included
        return {}
    return manifest if isinstance(manifest, dict) else {}


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None
