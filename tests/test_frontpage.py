"""What a reader gets (issue #15): a front page with a lead story and a hierarchy, dates with their provenance
instead of "undated", a story page with a coverage timeline and the filing reasons folded away, and search
results without debug provenance. Built with the CLI from real files; the browser's side is in
test_frontpage_browser.py."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from helpers import invoke

from digest.models import Article, ArticleDate, DateSource, Story
from digest.site.coverage import coverage_of

SAVED = dt.datetime(2026, 3, 10, 5, 0, tzinfo=dt.UTC).timestamp()  # page 000's file time: 05:00, so "7 hours ago" is 9 March
SABAH = "sabah-polls-ph-has-a-delicate-balancing-act-to-pull"
PAKISTAN = "pakistan-urges-global-social-media-platforms-to-block-accounts-run"


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    from helpers import copy_shipped_site

    site = copy_shipped_site(tmp_path_factory.mktemp("frontpage") / "site")
    for page in (site / "content").iterdir():
        os.utime(page, (SAVED, SAVED))
    invoke("build", "--no-search", cwd=site, check=True)
    return site / "output"


def read(output: Path, path: str) -> str:
    return (output / path).read_text(encoding="utf-8")


def story_links(html: str) -> list[str]:
    return re.findall(r'href="stories/([^/"]+)/index\.html(?:#[^"]*)?"', html)


def test_the_front_page_leads_with_the_most_covered_story(output):
    front = read(output, "index.html")
    lead = re.search(r'<article class="lead".*?</article>', front, re.S).group(0)
    assert f'class="lead-title"><a href="stories/{SABAH}/index.html">Salleh: GRS' in lead  # two outlets, newest exact date
    assert '<p class="standfirst">' in lead
    # Each outlet's own headline under the lead, linking to its version.
    assert re.search(r'<span class="outlet">Borneo Post</span> <a href="stories/sabah-[^"]+#version-1">Salleh: GRS', lead)
    assert re.search(r'<span class="outlet">The Star</span> <a href="stories/sabah-[^"]+#version-2">Sabah polls', lead)
    # Then the secondary stories beside it, then sections: headings in that order, every story once.
    assert front.index('class="lead"') < front.index('class="secondary"') < front.index('class="section"')
    headlines = story_links(front)
    linked_once = [slug for slug in headlines if headlines.count(slug) > 1]
    assert set(linked_once) == {SABAH}  # the lead, and its versions' links
    assert len(set(headlines)) == 6


def test_no_story_is_undated_where_its_page_implies_a_date(output):
    front = read(output, "index.html")
    assert "undated" not in front.lower() and "date unknown" not in front
    # The New Straits Times: 10 hours before a capture its datelines put between 07:00 and midnight on 28 July.
    assert re.search(r'about 28 Jul 2025</time> <span class="provenance">\(captured page: &#39;10 hours ago&#39;\)</span> · New Straits Times', front)
    # The Arabian Post article: 16 hours before its file was saved at 05:00 on 10 March, shown with what it rests on.
    assert re.search(r'<time datetime="2026-03-09" title="approximate: the page&#39;s relative age, against the time its file was saved">'
                     r'about 9 Mar 2026</time> <span class="provenance">\(captured page: &#39;16 hours ago&#39;\)</span>', front)
    story = read(output, f"stories/{PAKISTAN}/index.html")
    assert '<span class="provenance">(date of the file)</span>' in story  # page 000's lead: nothing but the file's time


def test_the_story_page_draws_its_coverage_as_a_timeline(output):
    story = read(output, f"stories/{PAKISTAN}/index.html")
    coverage = re.search(r'<section class="coverage".*?</section>', story, re.S).group(0)
    assert '<h2 id="coverage">Coverage</h2>' in coverage
    assert re.search(r'<figcaption id="coverage-caption">2 reports from 2 sources over 229 days, 25 July 2025 – 10 March 2026', coverage)
    assert '<ol class="rows" aria-labelledby="coverage-caption">' in coverage
    # One row per version, oldest first: a dot at each end of the span, the outlet, the date, the headline to the version.
    assert re.findall(r'<span class="dot" style="--at: ([\d.]+)">', coverage) == ["0.0", "1.0"]
    assert re.findall(r'<a href="#(version-\d)">', coverage) == ["version-1", "version-2"]
    assert re.findall(r'<span class="tick" style="--at: [\d.]+">([^<]+)</span>', coverage) == ["25 Jul 2025", "10 Mar 2026"]


def test_headline_differences_are_marked_word_by_word(output):
    coverage = re.search(r'<section class="coverage".*?</section>', read(output, f"stories/{SABAH}/index.html"), re.S).group(0)
    marked = re.findall(r'<mark class="own">([^<]+)</mark>', coverage)
    assert "GRS&#39;" in marked and "partnership with" in marked  # Borneo Post's words
    assert "delicate balancing" in marked and "says former CM" in marked  # The Star's
    assert "Salleh" not in marked and "PH" not in marked  # both headlines have them


def test_why_it_is_filed_here_is_folded_away_below_the_story(output):
    story = read(output, f"stories/{SABAH}/index.html")
    filing = story.index('<details class="filing" data-pagefind-ignore>')
    assert story.index('id="versions"') < filing < story.index("</article>\n<aside")
    assert "Why it is filed here" not in story[story.index("<aside"):]
    assert story.index('id="coverage"') < story.index('id="adds"') < story.index('id="versions"')


def test_search_indexes_the_story_text_not_its_debug_provenance(output):
    story = read(output, f"stories/{SABAH}/index.html")
    body = re.search(r'<article class="story" data-pagefind-body (.*?)>', story, re.S).group(1)
    assert 'data-pagefind-meta="section[data-section], date[data-date], outlets[data-outlets]"' in body
    assert 'data-section="Malaysian politics"' in body and 'data-outlets="Borneo Post, The Star"' in body
    for part in (r'<p class="source" data-pagefind-ignore>From <code>', r'<details class="filing" data-pagefind-ignore>',
                 r'<section class="coverage" aria-labelledby="coverage" data-pagefind-ignore>', r'<p class="byline" data-pagefind-ignore>'):
        assert re.search(part, story), part
    script = next((output / "static").glob("search.*.js")).read_text(encoding="utf-8")
    assert "sub_results" not in script and '["section", "date", "outlets"]' in script


def version(n: int, headline: str, day: int | None, outlet: str) -> Article:
    date = ArticleDate(dt.date(2025, 7, day), DateSource.DATELINE) if day else None
    return Article(id=f"a{n}", source=f"a{n}.md", line=1, kind="note", headline=headline, paragraphs=("Text.",), outlet=outlet, date=date)


def test_coverage_places_each_version_on_the_storys_days():
    story = Story("s", "Flood", (version(1, "Floods hit the delta", 1, "A"), version(2, "Delta floods: 12 dead", 3, "B"),
                                 version(3, "Floods hit the delta", 5, "A"), version(4, "Rescue goes on", None, "C")))
    coverage = coverage_of(story, ("v1", "v2", "v3", "v4"))
    assert [row.at for row in coverage.rows] == [0.0, 0.5, 1.0, None]  # undated: listed, not placed
    assert (coverage.first, coverage.last, coverage.days, coverage.sources) == (dt.date(2025, 7, 1), dt.date(2025, 7, 5), 5, 3)
    assert [at for _, at in coverage.ticks] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert coverage.rows[1].headline == (("Delta floods: ", False), ("12 dead", True))  # a number tells too
    one_day = coverage_of(Story("s", "x", (version(1, "Same", 2, "A"), version(2, "Same", 2, "B"))), ("v1", "v2"))
    assert [row.at for row in one_day.rows] == [0.5, 0.5] and len(one_day.ticks) == 1
    assert all(not own for row in one_day.rows for _, own in row.headline)  # the same headline: nothing differs
