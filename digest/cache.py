"""The parse cache: each document is parsed once, keyed by its content hash.

A result is reused only when the document's bytes, the capture settings and the reader
code are all unchanged. ``digest build`` and ``digest serve`` share it; ``--clean`` skips it.
"""

from __future__ import annotations

import hashlib
import pickle
from functools import lru_cache
from pathlib import Path

from .config import CaptureConfig
from .models import ParsedDocument, SourceDocument

CACHE_DIR = ".digest-cache"  # inside output/, never published (see write.py)
CACHE_FILE = "parse.pickle"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Changes whenever the reader code or the data model changes, so stale results are never reused."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([here / "models.py", here / "config.py", *(here / "readers").glob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class ParseCache:
    def __init__(self, entries: dict[tuple[str, str], ParsedDocument] | None = None):
        self.entries = entries or {}
        self.used: set[tuple[str, str]] = set()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(doc: SourceDocument, capture: CaptureConfig) -> tuple[str, str]:
        # The path is part of the key: article ids and diagnostics name the file.
        settings = hashlib.sha256(repr(capture).encode()).hexdigest()[:16]
        return (f"{doc.path}\0{doc.sha256}", f"{code_fingerprint()}{settings}")

    def get(self, doc: SourceDocument, capture: CaptureConfig) -> ParsedDocument | None:
        key = self._key(doc, capture)
        result = self.entries.get(key)
        self.used.add(key)
        if result is None:
            self.misses += 1
        else:
            self.hits += 1
        return result

    def put(self, doc: SourceDocument, capture: CaptureConfig, result: ParsedDocument) -> None:
        key = self._key(doc, capture)
        self.entries[key] = result
        self.used.add(key)

    def dumps(self) -> bytes:
        """The entries used by this build only: deleted and edited documents drop out."""
        live = {key: value for key, value in self.entries.items() if key in self.used}
        return pickle.dumps(live, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, output_dir: Path) -> "ParseCache":
        path = output_dir / CACHE_DIR / CACHE_FILE
        try:
            entries = pickle.loads(path.read_bytes())
        except Exception:  # missing, truncated or from another version: start afresh
            return cls()
        return cls(entries if isinstance(entries, dict) else None)
