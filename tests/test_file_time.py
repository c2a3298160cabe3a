"""A note without a date, and a captured page with neither a capture time nor datelines, are dated by their
file's modification time. A file touched to another time with the same bytes must be dated again, as a clean
build dates it (by ``digest build`` and by the preview), reading again only the documents so dated; a dated
document touched stays a parse cache hit."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from helpers import REPO, clean_tree, parse_cache_line, published_tree

from digest.models import DateSource
from digest.pipeline.load import read_document
from digest.pipeline.memo_key import kept_key, key_holds
from digest.preview.serve import Previewer
from digest.read import parse_document
from digest.settings.config import CaptureConfig

UNDATED_NOTE = """---
title: River levels fall after week of floods
outlet: Daily Note
---
Water levels in the river basin fell on Sunday after a week of heavy flooding across the valley.
"""
DATED_NOTE = """---
title: Council approves new bridge over the harbour
date: 2025-07-20
outlet: Daily Note
---
The city council approved plans for a second bridge over the harbour after years of debate.
"""
UNDATED_PAGE = """Sabah polls: coalition weighs seat talks
It will be up to the coalition partners to settle the seats before the state election is called.
The talks are expected to end within weeks, party leaders said on the sidelines of a meeting.
"""


def set_day(path: Path, day: dt.date) -> None:
    moment = dt.datetime.combine(day, dt.time(12), dt.UTC).timestamp()
    os.utime(path, (moment, moment))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    content = tmp_path / "content"
    content.mkdir()
    for name, text in (("undated.md", UNDATED_NOTE), ("dated.md", DATED_NOTE), ("page.txt", UNDATED_PAGE)):
        (content / name).write_text(text, encoding="utf-8")
        set_day(content / name, dt.date(2025, 1, 1))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def index(site: Path) -> str:
    return (site / "output" / "index.html").read_text(encoding="utf-8")


def test_a_touched_undated_file_is_dated_again_and_only_it_is_read_again(site):
    assert parse_cache_line() == "Parse cache: 0 hits, 3 misses."
    assert "2025-01-01" in index(site) and "2025-03-01" not in index(site)
    set_day(site / "content" / "undated.md", dt.date(2025, 3, 1))
    assert parse_cache_line() == "Parse cache: 2 hits, 1 misses."
    assert "2025-03-01" in index(site)
    assert published_tree(site / "output") == clean_tree(site)
    set_day(site / "content" / "page.txt", dt.date(2025, 3, 2))
    assert parse_cache_line() == "Parse cache: 2 hits, 1 misses."
    assert "2025-03-02" in index(site) and "2025-01-01" not in index(site)
    assert published_tree(site / "output") == clean_tree(site)


def test_a_touched_dated_file_stays_a_hit(site):
    parse_cache_line()
    before = published_tree(site / "output")
    set_day(site / "content" / "dated.md", dt.date(2025, 3, 1))
    assert parse_cache_line() == "Parse cache: 3 hits, 0 misses."
    assert published_tree(site / "output") == before


def test_the_preview_dates_a_touched_file_again(site):
    previewer = Previewer(None, site)
    first = previewer.build()
    assert first.files is not None and b"2025-01-01" in first.files["index.html"]
    set_day(site / "content" / "undated.md", dt.date(2025, 3, 1))
    set_day(site / "content" / "page.txt", dt.date(2025, 3, 1))
    again = previewer.build()
    assert again.files is not None and b"2025-03-01" in again.files["index.html"] and b"2025-01-01" not in again.files["index.html"]


def test_a_kept_key_holds_while_its_files_keep_their_times():
    kept = kept_key("abc", (dt.date(2025, 7, 25), dt.date(2031, 7, 25)), {"odd\udcff name@.md": 1.5, "b.txt": 2.25})
    kept.encode()  # the site's stamp hashes it: a name that is not UTF-8 must not break that
    times = {"odd\udcff name@.md": 1.5, "b.txt": 2.25, "other.md": 9.0}
    assert key_holds(kept, "abc", dt.date(2026, 1, 1), lambda: times)
    assert not key_holds(kept, "abc", dt.date(2026, 1, 1), lambda: {**times, "b.txt": 2.5})
    assert not key_holds(kept, "abc", dt.date(2031, 7, 25), lambda: times)
    assert not key_holds(kept, "abd", dt.date(2026, 1, 1), lambda: times)
    assert key_holds(kept_key("abc", None, {}), "abc", dt.date(2026, 1, 1), lambda: pytest.fail("no file time to ask for"))


@pytest.mark.parametrize("header, file_time", [("", True), ("---\ncaptured: 2025-07-28T18:00:00\n---\n", False)])
def test_a_result_records_the_file_time_its_dates_came_from(tmp_path, header, file_time):
    text = (REPO / "content" / "000_c15c41152a26c795.txt").read_text(encoding="utf-8")  # related articles: "7 hours ago"
    (tmp_path / "p.txt").write_text(header + text, encoding="utf-8")
    set_day(tmp_path / "p.txt", dt.date(2026, 3, 10))
    doc, _ = read_document(tmp_path / "p.txt", tmp_path)
    assert doc is not None
    parsed = parse_document(doc, CaptureConfig())
    assert (parsed.file_time == doc.mtime) is file_time and (parsed.file_time is None) is not file_time
    sources = {article.date.source for article in parsed.articles if article.date}
    assert (DateSource.RELATIVE_AGE_FILE in sources) is file_time
