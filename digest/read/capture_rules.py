"""``capture:`` settings as the captured-page reader uses them: line sets, and the user's patterns
compiled once per process, each use bounded in time (``digest.settings.patterns``)."""

from __future__ import annotations

from dataclasses import dataclass

from digest.read.dates import Age, parse_age
from digest.settings.config import CaptureConfig
from digest.settings.patterns import UserPattern, compile_patterns


@dataclass(frozen=True)
class Rules:
    """``CaptureConfig`` with its patterns compiled."""

    chrome: frozenset[str]
    related_marker: str
    aggregators: tuple[tuple[str, tuple[str, ...]], ...]
    promos: tuple[UserPattern, ...]
    captions: tuple[UserPattern, ...]
    bylines: tuple[UserPattern, ...]
    credits: tuple[UserPattern, ...]
    datelines: tuple[UserPattern, ...]
    ages: tuple[UserPattern, ...]
    tag_words: int


def rules_for(capture: CaptureConfig) -> Rules:
    return Rules(
        chrome=frozenset(capture.chrome_lines),
        related_marker=capture.related_marker,
        aggregators=tuple((name, tuple(lines)) for name, lines in capture.aggregators.items()),
        promos=compile_patterns(capture.inline_promos),
        captions=compile_patterns(capture.photo_captions),
        bylines=compile_patterns(capture.bylines),
        credits=compile_patterns(capture.credits),
        datelines=compile_patterns(capture.datelines),
        ages=compile_patterns(capture.relative_ages),
        tag_words=capture.trailing_tag_words,
    )


def match_age(line: str, rules: Rules) -> Age | None:
    for pattern in rules.ages:
        match = pattern.match(line)
        if match:
            return parse_age(match)
    return None


def aggregator_of(chrome: list[str], rules: Rules) -> str | None:
    for name, markers in rules.aggregators:
        if any(marker in line for line in chrome for marker in markers):
            return name
    return None
