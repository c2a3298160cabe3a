"""Publication dates for the articles of one captured page. Dates are never invented.

What a page can tell, from most to least trustworthy:

1. **A dateline date** — in the dateline itself (``KOTA KINABALU (July 28):``) or as the
   weekday-and-date of the lede sentence right after a dateline (``ISLAMABAD: Pakistan on
   Friday (July 25) urged ...``). A missing year is found, in this order, from
   - the weekday: the latest year, not after the capture time (or the build's day, ``today``,
     when that is not known), in which that day falls on that weekday (``dateline+weekday``).
     Only this rule reads ``today``: ``days_holding`` says on which days the result is the same;
   - the capture time, when the page or ``capture.capture_time`` gives one: the latest such
     day not after it (``dateline+capture``);
   - the page's other datelines whose year is known: the year that puts the day nearest to
     them (``dateline+page``).
   Otherwise the article is undated.
2. **A relative age** (``7 hours ago``), read as "at least 7 and under 8 hours before the
   capture". Against a known capture time it gives the day directly (``relative-age``).
   Without one, the capture time is *inferred* from the page's datelines: the page is taken
   to be captured on the day of its latest dateline date, and every article that has both
   a dateline date and an age narrows that window (published during its dateline day, so
   captured between day + age and day + 1 day + age). An age then resolves to the calendar day
   on which most possible publication instants fall, when they span at most two days; the date
   is marked approximate (``relative-age+datelines``): "about", give or take a day, because the
   capture time was an inference. A page without datelines leaves the article to rule 4.
3. **The capture time itself**, for an article with neither (the lead of a page whose capture
   time is known): approximate (``capture-time``).
4. **The time the file was saved**, as a last resort, for a page with neither a capture time
   nor datelines: an age counts back from it (``relative-age+file-time``) and the lead takes
   its day (``file-mtime``); both approximate, because a copied or checked-out file is dated
   when it was copied. Each date made from an age keeps the page's words (``quote``), so a
   reader is told what it rests on.

Dates mentioned in passing (``the July 26 gathering``, ``on Monday (July 28)`` further down)
are never publication dates: only the dateline and the lede sentence after it are looked at.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from digest.models import ArticleDate, DateSource

MONTHS = MappingProxyType({name: number for number, names in enumerate((
    (), ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec"),
)) for name in names})
WEEKDAYS = MappingProxyType({name: number for number, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))})

_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
# "July 28", "28 July", "July 28, 2025", "Friday, July 25": the text of a dateline's date.
_DATE_TEXT = re.compile(
    rf"(?:(?P<weekday>{_WEEKDAY}),?\s+)?(?:(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})|(?P<day2>\d{{1,2}})\s+(?P<month2>{_MONTH}))(?:,?\s+(?P<year>\d{{4}}))?",
    re.I,
)
# The lede's "on Friday (July 25)" / "on Friday, July 25": a weekday with its date.
_LEDE_DATE = re.compile(rf"\b(?P<weekday>{_WEEKDAY})\s*(?:\(\s*(?P<paren>[^)]{{3,30}})\)|,\s*(?P<comma>{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?))")

UNITS = MappingProxyType({
    "second": dt.timedelta(seconds=1), "sec": dt.timedelta(seconds=1),
    "minute": dt.timedelta(minutes=1), "min": dt.timedelta(minutes=1),
    "hour": dt.timedelta(hours=1), "hr": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1), "week": dt.timedelta(weeks=1),
})
WORD_NUMBERS = MappingProxyType({"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10})
ONE_DAY = dt.timedelta(days=1)
_TINY = dt.timedelta(microseconds=1)
YEARS_BACK = 40  # a weekday fits a day of the year at least once in 28 years
DaySpan = tuple[dt.date, dt.date]  # days from the first up to, not including, the second


@dataclass(frozen=True)
class DayOfYear:
    """A date as a dateline writes it: month and day, perhaps the weekday and year."""

    month: int
    day: int
    year: int | None = None
    weekday: int | None = None  # Monday = 0


@dataclass(frozen=True)
class Age:
    """``7 hours ago``: published at least ``amount`` and under ``amount + 1`` units before the capture."""

    amount: int
    unit: dt.timedelta
    text: str = ""  # as the page wrote it

    @property
    def least(self) -> dt.timedelta:
        return self.amount * self.unit

    @property
    def most(self) -> dt.timedelta:
        return (self.amount + 1) * self.unit


def parse_day(text: str) -> DayOfYear | None:
    """``July 28``, ``Friday, July 25``, ``28 July 2025`` -> DayOfYear; None when it is not a date."""
    match = _DATE_TEXT.search(text)
    if not match:
        return None
    month = MONTHS[(match["month"] or match["month2"]).lower().rstrip(".")]
    day = int(match["day"] or match["day2"])
    year = int(match["year"]) if match["year"] else None
    weekday = WEEKDAYS[match["weekday"].lower()] if match["weekday"] else None
    if not _valid(year or 2024, month, day):  # 2024: a leap year, so 29 February is allowed
        return None
    return DayOfYear(month, day, year, weekday)


def lede_day(sentence: str) -> DayOfYear | None:
    """The weekday-and-date of a lede sentence: ``Pakistan on Friday (July 25) urged`` -> July 25, a Friday."""
    match = _LEDE_DATE.search(sentence)
    if not match:
        return None
    day = parse_day(match["paren"] or match["comma"])
    if day is None:
        return None
    return DayOfYear(day.month, day.day, day.year, WEEKDAYS[match["weekday"].lower()])


def parse_age(match: re.Match) -> Age | None:
    """An age from a ``relative_ages`` pattern match with groups ``n`` (number or word) and ``unit``."""
    groups = match.groupdict()
    unit = (groups.get("unit") or "").lower().rstrip("s")
    if unit not in UNITS:
        return None
    raw = (groups.get("n") or "1").lower()
    amount = int(raw) if raw.isdigit() else WORD_NUMBERS.get(raw)
    return Age(amount, UNITS[unit], " ".join(match.group(0).split())) if amount is not None else None


def parse_capture_time(value: str | dt.date | None) -> dt.datetime | None:
    """An ISO 8601 capture time. The page's own wall clock is kept: datelines are local too."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    try:
        return dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def resolve_dates(
    days: Sequence[DayOfYear | None],
    ages: Sequence[Age | None],
    capture: dt.datetime | None,
    today: dt.date,
    *,
    lead: int | None = None,
    saved: dt.datetime | None = None,
) -> list[ArticleDate | None]:
    """The date of each article of one page, from its dateline day and its age (see the module docstring).

    ``lead`` is the index of the article that, lacking anything better, is dated by the
    capture time (the page's own lead article: it was on the page when it was captured).
    ``saved`` is when the page's file was saved: the last resort when nothing else dates the page.
    """
    latest_possible = capture.date() if capture else today
    dates: list[ArticleDate | None] = [None] * len(days)

    for i, day in enumerate(days):
        if day is None:
            continue
        if day.year is not None and _valid(day.year, day.month, day.day):
            dates[i] = ArticleDate(dt.date(day.year, day.month, day.day), DateSource.DATELINE)
        elif day.weekday is not None:
            found = _year_from_weekday(day, latest_possible)
            if found:
                dates[i] = ArticleDate(found, DateSource.DATELINE_WEEKDAY)

    anchor = max((d.day for d in dates if d is not None), default=None)
    for i, day in enumerate(days):
        if day is None or dates[i] is not None:
            continue
        if capture is not None:
            found = _latest_not_after(day, capture.date())
            if found:
                dates[i] = ArticleDate(found, DateSource.DATELINE_CAPTURE)
        elif anchor is not None:
            found = _nearest(day, anchor)
            if found:
                dates[i] = ArticleDate(found, DateSource.DATELINE_PAGE)

    window = _capture_window(dates, ages, capture)
    for i, age in enumerate(ages):
        if dates[i] is not None or age is None or window is None:
            continue
        if capture is not None:
            dates[i] = ArticleDate((capture - age.least).date(), DateSource.RELATIVE_AGE, age.text or None)
            continue
        earliest, latest = window[0] - age.most + _TINY, window[1] - age.least - _TINY
        if earliest <= latest and (latest.date() - earliest.date()).days <= 1:
            dates[i] = ArticleDate(_likelier_day(earliest, latest), DateSource.RELATIVE_AGE_PAGE, age.text or None)

    if lead is not None and dates[lead] is None and capture is not None:
        dates[lead] = ArticleDate(capture.date(), DateSource.CAPTURE_TIME)
    if window is None and saved is not None:  # nothing on the page dates it: count back from the file's time
        for i, age in enumerate(ages):
            if dates[i] is None and age is not None:
                dates[i] = ArticleDate((saved - age.least).date(), DateSource.RELATIVE_AGE_FILE, age.text or None)
        if lead is not None and dates[lead] is None:
            dates[lead] = ArticleDate(saved.date(), DateSource.FILE_MTIME)
    return dates


def build_day() -> dt.date:
    """The day of a build: today (UTC), or the day of ``SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        except (OverflowError, OSError, ValueError):  # beyond what a date can hold: the clock's day
            pass
    return dt.datetime.now(dt.UTC).date()


def days_holding(days: Sequence[DayOfYear | None], capture: dt.datetime | None, today: dt.date) -> DaySpan | None:
    """The build days on which ``resolve_dates`` dates these dateline days as it does ``today``: (first day,
    day after the last); None when the dates do not depend on the day at all (a capture time is known, or no
    dateline day lacks its year but has its weekday). A weekday-only day takes the latest fitting date not after
    the build's day, so the dates hold from that date until the next fitting one: years, not one day."""
    if capture is not None:
        return None
    spans = []
    for day in days:
        if day is None or day.year is not None or day.weekday is None:
            continue
        found = _year_from_weekday(day, today)
        since = found or today
        until = [_next_weekday_date(day, since)]
        if found is not None and found.year + YEARS_BACK <= dt.MAXYEAR:  # then too far back for _year_from_weekday
            until.append(dt.date(found.year + YEARS_BACK, 1, 1))
        spans.append((since, min((u for u in until if u is not None), default=dt.date.max)))
    return common_days(spans)


def common_days(spans: Iterable[DaySpan | None]) -> DaySpan | None:
    """The days all of ``spans`` hold on (a None span holds on every day); None when every span is None."""
    known = [span for span in spans if span is not None]
    if not known:
        return None
    return max(first for first, _ in known), min(end for _, end in known)


def holds_on(span: DaySpan | None, day: dt.date) -> bool:
    return span is None or span[0] <= day < span[1]


def span_text(span: DaySpan) -> str:
    return f"{span[0].isoformat()}/{span[1].isoformat()}"


def span_of(text: str) -> DaySpan | None:
    """The days ``span_text`` wrote; None for no text (every day)."""
    first, _, end = text.partition("/")
    return (dt.date.fromisoformat(first), dt.date.fromisoformat(end)) if first else None


def _capture_window(dates, ages, capture) -> tuple[dt.datetime, dt.datetime] | None:
    """When the page was captured: exactly, or as a half-open window inferred from its datelines."""
    if capture is not None:
        return capture, capture
    dated = [d.day for d in dates if d is not None]
    if not dated:
        return None
    start = dt.datetime.combine(max(dated), dt.time())
    end = start + ONE_DAY
    for date, age in zip(dates, ages):
        if date is None or age is None:
            continue
        published_from = dt.datetime.combine(date.day, dt.time())
        start = max(start, published_from + age.least)
        end = min(end, published_from + ONE_DAY + age.most)
    return (start, end) if start < end else None


def _likelier_day(earliest: dt.datetime, latest: dt.datetime) -> dt.date:
    """The day on which most of the possible publication times fall (of at most two)."""
    midnight = dt.datetime.combine(latest.date(), dt.time())
    if earliest.date() == latest.date() or latest - midnight >= midnight - earliest:
        return latest.date()
    return earliest.date()


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _year_from_weekday(day: DayOfYear, latest_possible: dt.date) -> dt.date | None:
    for year in range(latest_possible.year, latest_possible.year - YEARS_BACK, -1):
        if _valid(year, day.month, day.day):
            candidate = dt.date(year, day.month, day.day)
            if candidate <= latest_possible and candidate.weekday() == day.weekday:
                return candidate
    return None


def _next_weekday_date(day: DayOfYear, after: dt.date) -> dt.date | None:
    for year in range(after.year, min(after.year + YEARS_BACK, dt.MAXYEAR) + 1):
        if _valid(year, day.month, day.day):
            candidate = dt.date(year, day.month, day.day)
            if candidate > after and candidate.weekday() == day.weekday:
                return candidate
    return None


def _latest_not_after(day: DayOfYear, limit: dt.date) -> dt.date | None:
    for year in (limit.year, limit.year - 1):
        if _valid(year, day.month, day.day) and dt.date(year, day.month, day.day) <= limit:
            return dt.date(year, day.month, day.day)
    return None


def _nearest(day: DayOfYear, anchor: dt.date) -> dt.date | None:
    candidates = [dt.date(y, day.month, day.day) for y in (anchor.year - 1, anchor.year, anchor.year + 1) if _valid(y, day.month, day.day)]
    return min(candidates, key=lambda c: abs(c - anchor)) if candidates else None
