"""The build's day ("today", or ``SOURCE_DATE_EPOCH``) dates a captured page's weekday-only dateline
(``ISLAMABAD: Pakistan on Friday (July 25)``, no capture time): the latest July 25 that is a Friday, not after
the build's day. A build on a later day must date it as a clean build that day does, reading again only the
pages whose dates depend on the day; the rest stay parse cache hits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers import clean_tree, parse_cache_line, published_tree

import digest.pipeline.build
from digest.read.dates import DayOfYear, build_day, days_holding

WEEKDAY_PAGE = """Pakistan urges global action on social media harms
ISLAMABAD: Pakistan on Friday (July 25) urged the world's governments to act together on the harms of social media platforms.
The foreign office said a joint approach would protect children and curb disinformation across borders.
"""
CAPTURED_PAGE = """---
captured: 2025-07-28T18:30:00+08:00
---
Sabah polls: coalition weighs seat talks
KOTA KINABALU: It will be up to the coalition partners to settle the seats before the state election is called.
The talks are expected to end within weeks, party leaders said on the sidelines of a meeting.
"""
NOTE = """---
title: River levels fall after week of floods
date: 2025-07-20
outlet: Daily Note
---
Water levels in the river basin fell on Sunday after a week of heavy flooding across the valley.
"""
FRIDAY_JULY_25 = DayOfYear(7, 25, weekday=4)


def epoch(day: dt.date) -> str:
    return str(int(dt.datetime.combine(day, dt.time(12), dt.UTC).timestamp()))


def build(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> str:
    """``digest build -v`` on ``day``; its parse cache line."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch(day))
    return parse_cache_line()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    content = tmp_path / "content"
    content.mkdir()
    (content / "weekday.txt").write_text(WEEKDAY_PAGE, encoding="utf-8")
    (content / "captured.txt").write_text(CAPTURED_PAGE, encoding="utf-8")
    (content / "note.md").write_text(NOTE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def story_dates(output: Path) -> str:
    return (output / "index.html").read_text(encoding="utf-8")


def test_a_later_day_that_dates_the_page_otherwise_reads_that_page_again(site, monkeypatch):
    # On 24 July 2031 the latest Friday 25 July is in 2025; the next day it is 25 July 2031.
    assert build(monkeypatch, dt.date(2031, 7, 24)) == "Parse cache: 0 hits, 3 misses."
    assert "2025-07-25" in story_dates(site / "output") and "2031-07-25" not in story_dates(site / "output")
    assert build(monkeypatch, dt.date(2031, 7, 25)) == "Parse cache: 2 hits, 1 misses."
    assert "2031-07-25" in story_dates(site / "output") and "2025-07-25" not in story_dates(site / "output")
    assert published_tree(site / "output") == clean_tree(site)


def test_a_later_day_that_dates_the_page_alike_keeps_every_result(site, monkeypatch):
    build(monkeypatch, dt.date(2026, 1, 1))
    before = published_tree(site / "output")
    assert build(monkeypatch, dt.date(2031, 7, 24)) == "Parse cache: 3 hits, 0 misses."
    after = published_tree(site / "output")
    assert after == clean_tree(site)
    assert {path for path in after if before.get(path) != after[path]} == {"about/index.html"}  # it shows the build's day


def test_a_build_across_midnight_dates_everything_by_the_day_it_started(site, monkeypatch):
    # The build reads its day once: the first read gives 24 July 2031; any later one would give the 25th.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch(dt.date(2031, 7, 25)))
    first_read = iter([dt.date(2031, 7, 24)])
    monkeypatch.setattr(digest.pipeline.build, "build_day", lambda: next(first_read, None) or build_day())
    build_output = site / "output"
    parse_cache_line()
    assert "2025-07-25" in story_dates(build_output) and "2031-07-25" not in story_dates(build_output)  # the weekday dateline
    assert '<time datetime="2031-07-24">' in (build_output / "about" / "index.html").read_text(encoding="utf-8")


def test_the_days_a_weekday_only_date_holds_on():
    assert days_holding([FRIDAY_JULY_25], None, dt.date(2026, 1, 1)) == (dt.date(2025, 7, 25), dt.date(2031, 7, 25))
    assert days_holding([FRIDAY_JULY_25, DayOfYear(7, 26, weekday=5)], None, dt.date(2031, 7, 24)) == (dt.date(2025, 7, 26), dt.date(2031, 7, 25))
    assert days_holding([FRIDAY_JULY_25], dt.datetime(2025, 7, 28), dt.date(2026, 1, 1)) is None  # the capture time dates it
    assert days_holding([DayOfYear(7, 25, 2025, 4), DayOfYear(7, 28), None], None, dt.date(2026, 1, 1)) is None
    assert days_holding([DayOfYear(2, 29, weekday=0)], None, dt.date(2026, 1, 1)) == (dt.date(2016, 2, 29), dt.date(2044, 2, 29))
