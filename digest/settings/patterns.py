"""The user's regular expressions (``capture:`` in ``digest.yaml``): checked when the settings load,
run with a time limit when documents are read.

They are compiled with the ``regex`` package, not ``re``: it takes the same syntax, copes with
most nested repetitions (``(a+)+``) without backtracking for ever, and can stop a match that
runs too long (``(a|aa)+$``), which ``re`` cannot.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import regex

# One match, search or scan of one article's paragraph: the shipped patterns take microseconds. A scan of a
# long text gets more (regex counts the time of a whole finditer), so only runaway backtracking is stopped.
MATCH_SECONDS = 0.25
SECONDS_PER_MB = 1.0

# The named groups each kind of pattern must have: the reader takes its result from them.
REQUIRED_GROUPS = {
    "datelines": ("place",),
    "relative_ages": ("n", "unit"),
    "bylines": ("author",),
    "credits": ("credit",),
}
PATTERN_SETTINGS = ("inline_promos", "photo_captions", "bylines", "credits", "datelines", "relative_ages")


class PatternTooSlow(Exception):
    """A user pattern ran over ``MATCH_SECONDS`` on one text."""

    def __init__(self, pattern: str, seconds: float):
        super().__init__(pattern)
        self.pattern = pattern
        self.seconds = round(seconds, 2)


@dataclass(frozen=True)
class UserPattern:
    """A compiled ``capture:`` pattern whose every use is bounded in time."""

    source: str
    compiled: regex.Pattern

    def match(self, text: str) -> regex.Match | None:
        return self._bounded(self.compiled.match, text)

    def search(self, text: str) -> regex.Match | None:
        return self._bounded(self.compiled.search, text)

    def finditer(self, text: str) -> Iterator[regex.Match]:
        return iter(self._bounded(lambda t, timeout: list(self.compiled.finditer(t, timeout=timeout)), text))

    def _bounded(self, operation, text: str):
        seconds = MATCH_SECONDS + SECONDS_PER_MB * len(text) / 1_000_000
        try:
            return operation(text, timeout=seconds)
        except TimeoutError as exc:
            raise PatternTooSlow(self.source, seconds) from exc


@lru_cache(maxsize=64)
def compile_patterns(patterns: tuple[str, ...]) -> tuple[UserPattern, ...]:
    return tuple(UserPattern(p, regex.compile(p)) for p in patterns)


def pattern_problems(setting: str, patterns: tuple[str, ...]) -> str | None:
    """What is wrong with the patterns of one ``capture:`` setting, or None."""
    for pattern in patterns:
        try:
            compiled = regex.compile(pattern)
        except (regex.error, ValueError, OverflowError, RecursionError) as exc:
            return f"invalid regular expression {pattern!r}: {exc}"
        missing = [group for group in REQUIRED_GROUPS.get(setting, ()) if group not in compiled.groupindex]
        if missing:
            groups = " and ".join(f"(?P<{group}>...)" for group in missing)
            return f"{pattern!r} has no {groups} group: each {setting} pattern must name what it captures that way"
    return None
