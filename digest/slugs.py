"""URL slugs: lowercase ASCII words joined by hyphens, stable for the same input."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_WORD = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=1 << 16)  # a story's slug is asked for again at every preview re-merge
def slugify(text: str, max_words: int = 10, max_length: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    ascii_text = ascii_text.replace("'", "")
    words = [w for w in _NON_WORD.split(ascii_text) if w]
    slug = "-".join(words[:max_words])[:max_length].strip("-")
    return slug or "untitled"


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def is_slug(text: str) -> bool:
    """Lowercase ASCII letters and digits, words joined by single hyphens: what ``slugify`` makes."""
    return _SLUG.fullmatch(text) is not None


def unique_slug(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is not in ``taken``; records the choice."""
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug
