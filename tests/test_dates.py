"""Date recovery for captured pages: datelines, weekdays, capture times and relative ages."""

from __future__ import annotations

import datetime as dt

import pytest

from digest.models import DateSource
from digest.read.dates import Age, DayOfYear, lede_day, parse_capture_time, parse_day, resolve_dates

HOUR = dt.timedelta(hours=1)
TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize("text, expected", [
    ("July 28", DayOfYear(7, 28)),
    ("Jul. 28", DayOfYear(7, 28)),
    ("28 July 2025", DayOfYear(7, 28, 2025)),
    ("Friday, July 25", DayOfYear(7, 25, None, 4)),
    ("July 28, 2025", DayOfYear(7, 28, 2025)),
    ("Reuters", None),
    ("February 30", None),
])
def test_parse_day(text, expected):
    assert parse_day(text) == expected


def test_lede_day_needs_a_weekday_with_its_date():
    assert lede_day("Pakistan on Friday (July 25) urged global social media companies") == DayOfYear(7, 25, None, 4)
    assert lede_day("Officials said on Tuesday, July 29, 2025 that") == DayOfYear(7, 29, 2025, 1)
    assert lede_day("He spoke after the July 26 gathering") is None
    assert lede_day("He spoke on May 10") is None
    assert lede_day("He spoke on Friday") is None


def test_year_from_weekday_is_the_latest_not_after_the_capture():
    friday_july_25 = DayOfYear(7, 25, weekday=4)
    [date] = resolve_dates([friday_july_25], [None], None, TODAY)
    assert (date.day, date.source) == (dt.date(2025, 7, 25), DateSource.DATELINE_WEEKDAY)
    [date] = resolve_dates([friday_july_25], [None], dt.datetime(2024, 1, 1), TODAY)
    assert date.day == dt.date(2014, 7, 25)
    [date] = resolve_dates([friday_july_25], [None], None, dt.date(2031, 8, 1))
    assert date.day == dt.date(2031, 7, 25)


def test_a_weekday_that_never_fits_leaves_the_article_undated():
    assert resolve_dates([DayOfYear(2, 30, weekday=0)], [None], None, TODAY) == [None]


def test_explicit_year_wins():
    [date] = resolve_dates([DayOfYear(7, 28, 2019, 0)], [Age(3, HOUR)], dt.datetime(2025, 1, 1), TODAY)
    assert (date.day, date.source) == (dt.date(2019, 7, 28), DateSource.DATELINE)


def test_year_from_capture_time_is_the_latest_such_day_not_after_it():
    capture = dt.datetime(2026, 1, 3, 9)
    dates = resolve_dates([DayOfYear(1, 2), DayOfYear(12, 31)], [None, None], capture, TODAY)
    assert [(d.day, d.source) for d in dates] == [(dt.date(2026, 1, 2), DateSource.DATELINE_CAPTURE), (dt.date(2025, 12, 31), DateSource.DATELINE_CAPTURE)]


def test_year_from_the_pages_other_datelines():
    dates = resolve_dates([DayOfYear(7, 25, weekday=4), DayOfYear(7, 28)], [None, None], None, TODAY)
    assert (dates[1].day, dates[1].source) == (dt.date(2025, 7, 28), DateSource.DATELINE_PAGE)
    assert resolve_dates([DayOfYear(7, 28)], [None], None, TODAY) == [None]  # nothing to take a year from


def test_shipped_page_002_window():
    # lead: Friday (July 25); The Star 6h, Borneo Post (July 28) 7h, NST 10h.
    days = [DayOfYear(7, 25, weekday=4), None, DayOfYear(7, 28), None]
    ages = [None, Age(6, HOUR), Age(7, HOUR), Age(10, HOUR)]
    lead, star, borneo, nst = resolve_dates(days, ages, None, TODAY, lead=0)
    assert star.day == dt.date(2025, 7, 28) and star.source == DateSource.RELATIVE_AGE_PAGE and star.approximate
    assert borneo.day == dt.date(2025, 7, 28)
    # 10 hours before a capture between 07:00 and midnight: 21:00 on July 27 to 14:00 on July 28, mostly July 28.
    assert (nst.day, nst.source, nst.approximate) == (dt.date(2025, 7, 28), DateSource.RELATIVE_AGE_PAGE, True)


def test_an_age_that_may_straddle_midnight_takes_the_likelier_day_approximately():
    # Only the lead is dated and has no age: the capture is some time on July 25, so 6 hours ago is 18:00 on July 24
    # to 18:00 on July 25: about July 25 (three quarters of the possible times).
    dates = resolve_dates([DayOfYear(7, 25, weekday=4), None], [None, Age(6, HOUR, "6 hours ago")], None, TODAY)
    assert (dates[1].day, dates[1].approximate, dates[1].quote) == (dt.date(2025, 7, 25), True, "6 hours ago")
    # 20 hours ago: 03:00 on July 24 to 04:00 on July 25, mostly July 24.
    dates = resolve_dates([DayOfYear(7, 25, weekday=4), None], [None, Age(20, HOUR)], None, TODAY)
    assert dates[1].day == dt.date(2025, 7, 24) and dates[1].approximate
    # 1 week ago may be any of eight days: left undated rather than guessed.
    dates = resolve_dates([DayOfYear(7, 25, weekday=4), None], [None, Age(1, dt.timedelta(weeks=1))], None, TODAY)
    assert dates[1] is None


def test_inconsistent_page_dates_nothing_by_age():
    # Dated July 28 yet 3 days old: the capture would be July 31, not on the latest dateline's day.
    dates = resolve_dates([DayOfYear(7, 28, 2025), None], [Age(3, dt.timedelta(days=1)), Age(1, HOUR)], None, TODAY)
    assert dates[1] is None


def test_known_capture_time_resolves_ages_and_dates_the_lead():
    capture = dt.datetime(2025, 7, 28, 5, 30)
    lead, old, recent = resolve_dates([None, None, None], [None, Age(7, HOUR), Age(2, HOUR)], capture, TODAY, lead=0)
    assert (lead.day, lead.source, lead.approximate) == (dt.date(2025, 7, 28), DateSource.CAPTURE_TIME, True)
    assert (old.day, old.source, old.approximate) == (dt.date(2025, 7, 27), DateSource.RELATIVE_AGE, False)
    assert recent.day == dt.date(2025, 7, 28)


def test_nothing_known_means_undated():
    assert resolve_dates([None, None], [None, Age(7, HOUR)], None, TODAY, lead=0) == [None, None]


def test_capture_time_parsing_keeps_the_pages_wall_clock():
    assert parse_capture_time("2025-07-28T18:30:00+08:00") == dt.datetime(2025, 7, 28, 18, 30)
    assert parse_capture_time("2025-07-28") == dt.datetime(2025, 7, 28)
    assert parse_capture_time(dt.date(2025, 7, 28)) == dt.datetime(2025, 7, 28)
    assert parse_capture_time("yesterday") is None


def test_the_files_time_is_the_last_resort():
    saved = dt.datetime(2026, 12, 4, 2, 0)
    lead, recent, old = resolve_dates([None, None, None], [None, Age(1, HOUR, "1 hour ago"), Age(3, HOUR, "3 hours ago")], None, TODAY,
                                      lead=0, saved=saved)
    assert (lead.day, lead.source, lead.approximate) == (dt.date(2026, 12, 4), DateSource.FILE_MTIME, True)
    assert (recent.day, recent.source, recent.quote) == (dt.date(2026, 12, 4), DateSource.RELATIVE_AGE_FILE, "1 hour ago")
    assert (old.day, old.quote, old.approximate) == (dt.date(2026, 12, 3), "3 hours ago", True)
    # A page whose datelines imply its capture day is never dated by its file, even where an age stays unknown.
    dates = resolve_dates([DayOfYear(7, 25, weekday=4), None, None], [None, Age(6, HOUR), Age(1, dt.timedelta(weeks=1))], None, TODAY,
                          saved=saved)
    assert dates[1].source == DateSource.RELATIVE_AGE_PAGE and dates[2] is None
