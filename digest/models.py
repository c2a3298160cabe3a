"""The data model: plain, frozen values passed from one pipeline stage to the next.

load -> parse -> merge -> classify -> site graph -> render -> write. Each stage takes
these values and returns new ones; nothing here touches the disk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the settings are built from these models; a Digest only carries them
    from digest.settings.config import Config


class Level(str, Enum):
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Diagnostic:
    """A problem with one input, reported as ``path:line: message``."""

    path: str
    line: int | None
    message: str
    level: Level = Level.WARNING

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.level.value}: {self.message}"


@dataclass(frozen=True)
class SourceDocument:
    """One file of ``content/`` as read from disk, already decoded."""

    path: str  # relative to the content folder, with forward slashes
    text: str
    sha256: str  # of the raw bytes: the parse cache key
    mtime: float
    encoding: str = "utf-8"


class DateSource(str, Enum):
    """Where an article's date came from, most to least trustworthy."""

    FRONT_MATTER = "front-matter"  # the editor wrote it
    DATELINE = "dateline"  # "KOTA KINABALU (July 28):" with the year known
    DATELINE_WEEKDAY = "dateline+weekday"  # year inferred from "Friday (July 25)"
    DATELINE_CAPTURE = "dateline+capture"  # year taken from the capture time
    DATELINE_PAGE = "dateline+page"  # year taken from the page's other datelines
    RELATIVE_AGE = "relative-age"  # "7 hours ago" against a known capture time
    RELATIVE_AGE_PAGE = "relative-age+datelines"  # against a capture day inferred from the datelines, approximate
    RELATIVE_AGE_FILE = "relative-age+file-time"  # against the time the file was saved, approximate
    CAPTURE_TIME = "capture-time"  # the page's capture time, approximate
    FILE_MTIME = "file-mtime"  # last resort, approximate


# Human wording for pages and the CLI.
DATE_SOURCE_LABELS: Mapping[DateSource, str] = MappingProxyType({
    DateSource.FRONT_MATTER: "date given by the editor",
    DateSource.DATELINE: "date from the dateline",
    DateSource.DATELINE_WEEKDAY: "date from the dateline, year inferred from the weekday",
    DateSource.DATELINE_CAPTURE: "date from the dateline, year from the capture time",
    DateSource.DATELINE_PAGE: "date from the dateline, year from the page's other datelines",
    DateSource.RELATIVE_AGE: "date from the page's relative age",
    DateSource.RELATIVE_AGE_PAGE: "approximate: the page's relative age, against the capture day its datelines imply",
    DateSource.RELATIVE_AGE_FILE: "approximate: the page's relative age, against the time its file was saved",
    DateSource.CAPTURE_TIME: "approximate: the page's capture time",
    DateSource.FILE_MTIME: "approximate: the file's modification time",
})


@dataclass(frozen=True)
class ArticleDate:
    value: dt.date | dt.datetime
    source: DateSource
    quote: str | None = None  # the page's own words it was worked out from: "7 hours ago"

    @property
    def approximate(self) -> bool:
        return self.source in (DateSource.CAPTURE_TIME, DateSource.FILE_MTIME, DateSource.RELATIVE_AGE_PAGE, DateSource.RELATIVE_AGE_FILE)

    @property
    def day(self) -> dt.date:
        return self.value.date() if isinstance(self.value, dt.datetime) else self.value

    @property
    def label(self) -> str:
        return DATE_SOURCE_LABELS[self.source]

    def isoformat(self) -> str:
        return self.day.isoformat()


@dataclass(frozen=True)
class Article:
    """One article: a captured page's lead, one of its related articles, or a Markdown note."""

    id: str  # stable: "<source without extension>" for the lead/note, "<...>#<n>" for related n
    source: str  # file relative to content/
    line: int  # line in the source where the article starts
    kind: str  # "lead", "related" or "note"
    headline: str
    paragraphs: tuple[str, ...]  # plain text; for notes, the text of the Markdown blocks
    outlet: str | None = None
    author: str | None = None
    credit: str | None = None  # agency or syndication credit: "AP", "IPA Service"
    photo_credit: str | None = None
    dateline: str | None = None  # the place: "ISLAMABAD"
    date: ArticleDate | None = None
    url: str | None = None
    aggregator: str | None = None  # the site the page was captured from, e.g. "Daily8"
    body_html: str | None = None  # Markdown notes: the rendered body (raw HTML off)
    region: str | None = None  # editor overrides from front matter
    theme: str | None = None
    tags: tuple[str, ...] = ()
    story_key: str | None = None  # editor: articles with the same key are one story
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class ParsedDocument:
    """What one reader made of one document: its articles and what went wrong."""

    source: str
    articles: tuple[Article, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    # The build days it holds on, when it depends on the day (a weekday-only dateline: see ``digest.read.dates``):
    # (first, after the last). On another day the document is read again.
    build_days: tuple[dt.date, dt.date] | None = None
    # The file's modification time (``SourceDocument.mtime``) its dates were worked out from, when any was (an undated
    # note, a page dated by its file's time); with the file at another time, the document is read again.
    file_time: float | None = None


@dataclass(frozen=True)
class OutletAddition:
    """The sentences that only one version of a story has."""

    article_id: str
    outlet: str | None
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Story:
    """One event, as told by one or more articles (versions)."""

    slug: str
    title: str
    articles: tuple[Article, ...]  # every version, in date order
    summary: tuple[str, ...] = ()  # 2-3 sentences taken from the versions
    adds: tuple[OutletAddition, ...] = ()

    # Worked out once per story and kept on it (a story is frozen, so they stay true): every list page and feed
    # that shows a story asks for its dates, several times each.
    @cached_property
    def dates(self) -> tuple[ArticleDate, ...]:
        return tuple(a.date for a in self.articles if a.date is not None)

    @cached_property
    def date(self) -> ArticleDate | None:
        """The earliest, preferring exact dates over approximate ones."""
        exact = [d for d in self.dates if not d.approximate]
        pool = exact or list(self.dates)
        return min(pool, key=lambda d: d.day) if pool else None

    @cached_property
    def latest(self) -> ArticleDate | None:
        exact = [d for d in self.dates if not d.approximate]
        pool = exact or list(self.dates)
        return max(pool, key=lambda d: d.day) if pool else None

    @property
    def outlets(self) -> tuple[str, ...]:
        return _unique(a.outlet for a in self.articles)

    @property
    def authors(self) -> tuple[str, ...]:
        return _unique(a.author for a in self.articles)


def _unique(values) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return tuple(seen)


@dataclass(frozen=True)
class Evidence:
    """One reason a story is filed where it is: "'Pakistan' x5 in headline, dateline, body"."""

    term: str
    target: str  # the region, country or theme it counts for
    where: tuple[str, ...]  # "headline", "dateline", "lead" (first 50 words), "body", "front-matter"
    count: int
    weight: float  # what it added to the target's score
    kind: str = ""  # what the target is: "country", "region", "theme"
    via: str = ""  # how the term leads to the target: "a place in Pakistan", "demonym"

    def __str__(self) -> str:
        via = f" ({self.via})" if self.via else ""
        return f"'{self.term}' ×{self.count} in {', '.join(self.where)}{via} → {self.target} +{self.weight:.1f}"


@dataclass(frozen=True)
class Score:
    name: str
    score: float


@dataclass(frozen=True)
class EntityRef:
    slug: str
    name: str
    kind: str  # "person", "organisation", "place"
    aliases: tuple[str, ...] = ()  # the other names it goes by in this story: "Chaudhry", "TTP"
    mentions: int = 0  # in this story


OTHER_NEWS = "Other news"  # the section of stories no configured section takes


@dataclass(frozen=True)
class Classification:
    """Where a story is filed, and why. Filled by the classify stage."""

    region: str | None = None
    regions: tuple[Score, ...] = ()  # primary first
    countries: tuple[str, ...] = ()  # names, primary first
    country_scores: tuple[Score, ...] = ()
    theme: str | None = None  # a theme key: "security"
    themes: tuple[Score, ...] = ()
    section: str = OTHER_NEWS
    entities: tuple[EntityRef, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    overridden: tuple[str, ...] = ()  # "region", "theme": set by the editor


@dataclass(frozen=True)
class ClassifiedStory:
    story: Story
    classification: Classification
    related: tuple[str, ...] = ()  # slugs of related stories, best first

    @property
    def slug(self) -> str:
        return self.story.slug


@dataclass(frozen=True)
class Digest:
    """Everything known about the content, before any page exists."""

    config: Config
    articles: tuple[Article, ...]
    stories: tuple[ClassifiedStory, ...]
    diagnostics: tuple[Diagnostic, ...]

    def story(self, slug: str) -> ClassifiedStory | None:
        return next((s for s in self.stories if s.slug == slug), None)

    def story_of(self) -> Mapping[str, str]:
        """Article id -> its story's slug."""
        return {a.id: s.slug for s in self.stories for a in s.story.articles}
