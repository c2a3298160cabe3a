"""The captured-page reader against the shipped pages, and taught another site's chrome through digest.yaml."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest
from helpers import REPO, invoke

from digest.models import DateSource
from digest.pipeline.load import read_document
from digest.read.captured import read_captured
from digest.settings.config import CaptureConfig

CONTENT = REPO / "content"
CHROME = ("Hashtags", "Try Our AI Features", "Daily8 AI", "No comments yet", "Related Articles", "ALSO READ", "Bernama photo")


def read(name: str, capture: CaptureConfig | None = None, folder: Path = CONTENT):
    doc, problems = read_document(folder / name, folder)
    assert doc is not None and not problems
    return read_captured(doc, capture or CaptureConfig())


@pytest.fixture(scope="module")
def page000():
    return read("000_c15c41152a26c795.txt")


@pytest.fixture(scope="module")
def page002():
    return read("002_ea217e3b9676bec5.txt")


def test_lead_and_related_articles_with_ids_kinds_and_lines(page000, page002):
    assert [(a.id, a.kind, a.line) for a in page000.articles] == [
        ("000_c15c41152a26c795", "lead", 2),
        ("000_c15c41152a26c795#1", "related", 30),
        ("000_c15c41152a26c795#2", "related", 37),
        ("000_c15c41152a26c795#3", "related", 44),
    ]
    assert [a.line for a in page002.articles] == [2, 21, 28, 35]
    assert not page000.diagnostics and not page002.diagnostics
    for article in (*page000.articles, *page002.articles):
        assert article.aggregator == "Daily8"
        assert article.source.endswith(".txt")


def test_no_chrome_left_in_any_article(page000, page002):
    for article in (*page000.articles, *page002.articles):
        text = article.headline + "\n" + article.text
        for chrome in CHROME:
            assert chrome not in text, (article.id, chrome)
        assert "Comments" not in article.paragraphs


@pytest.mark.parametrize("promoted, next_sentence_starts", [
    ("Sabah polls: GRS and Pakatan to continue electoral pact", '"For Barisan, we chose to work with Pakatan early on'),
    ("GRS partners surprised over Hajiji's GRS-PH pact announcement", "They have refused to work with each other"),
    ("Former leader's opposition to Borneo bloc prompted GRS to back unity government, Hajiji says", "His comments followed Hajiji's confirmation"),
])
def test_also_read_promo_and_its_headline_are_removed_and_the_next_sentence_kept(page002, promoted, next_sentence_starts):
    star = page002.articles[1]
    assert promoted not in star.text
    assert any(p.startswith(next_sentence_starts) or f" {next_sentence_starts}" in p for p in star.paragraphs)
    assert f"ALSO READ: {promoted}" in star.meta["removed"]


def test_borneo_post_caption_is_gone_but_the_same_sentence_later_in_the_body_stays(page002):
    borneo = page002.articles[2]
    caption = "Salleh noted that GRS' decision to cooperate with PH likely reflects a strategic desire"
    assert not borneo.paragraphs[0].startswith(caption)
    assert borneo.paragraphs[0].startswith("Gabungan Rakyat Sabah's (GRS) decision")
    assert sum(p.count(caption) for p in borneo.paragraphs) == 1
    assert borneo.photo_credit == "Bernama"


def test_trailing_tag_line_is_dropped_as_chrome(page002):
    borneo = page002.articles[2]
    assert borneo.paragraphs[-1].endswith("for the good of the people of Sabah.'")
    assert "GRS-PH lead Salleh Said Keruak" in borneo.meta["removed"]


def test_byline_and_credits_leave_the_body(page000, page002):
    arabian = page000.articles[3]
    assert arabian.author == "Nitya Chakraborty"
    assert arabian.paragraphs[0].startswith("Prime Minister Narendra Modi in his long reply")
    assert arabian.credit == "IPA Service"
    assert not arabian.paragraphs[-1].endswith(")")
    lead = page002.articles[0]
    assert lead.credit == "AP"
    assert lead.paragraphs[-1].endswith("civilians in Pakistan.")


def test_dateline_prefix_moves_to_the_dateline_field(page002):
    lead, star, borneo, nst = page002.articles
    assert lead.paragraphs[0].startswith("Pakistan on Friday (July 25) urged")
    assert star.paragraphs[0].startswith("It will be up to Pakatan Harapan")
    assert borneo.paragraphs[0].startswith("Gabungan Rakyat Sabah's")
    assert nst.paragraphs[0].startswith("Malaysia needs an opposition")
    assert (lead.dateline, star.dateline, borneo.dateline, nst.dateline) == ("ISLAMABAD", "KOTA KINABALU", "KOTA KINABALU", "KUALA LUMPUR")


def test_related_bodies_are_set_in_paragraphs_never_broken_inside_names_or_quotes(page000, page002):
    for article in (*page000.articles[1:], *page002.articles[1:]):
        assert len(article.paragraphs) >= 5, article.id
        for paragraph in article.paragraphs:
            assert not re.search(r"\b(Datuk|Seri|U\.S\.|Dr\.|J D|Tan Sri)$", paragraph), paragraph[-40:]
            assert len(paragraph) < 900
    star = page002.articles[1]
    # The Star runs one quotation over several paragraphs, each reopened with a quote mark.
    assert '"How Pakatan manages cooperation with Barisan and GRS is none of our business.' in star.paragraphs
    assert '"We want to win and help our coalition partners. We are not a two-faced player.' in star.paragraphs
    arabian = page000.articles[3]
    assert any("External Affairs Minister Dr. S Jaishankar tried" in p for p in arabian.paragraphs)
    assert any("U.S. Vice President J D Vance on May 9" in p for p in arabian.paragraphs)


def test_dates_and_their_provenance(page000, page002):
    # Page 000 has neither a capture time nor datelines: its dates count back from when its file was saved.
    assert [a.date.source for a in page000.articles] == [DateSource.FILE_MTIME] + [DateSource.RELATIVE_AGE_FILE] * 3
    assert all(a.date.approximate for a in page000.articles)
    assert [a.date.quote for a in page000.articles] == [None, "7 hours ago", "7 hours ago", "16 hours ago"]
    lead, star, borneo, nst = page002.articles
    assert (lead.date.isoformat(), lead.date.source) == ("2025-07-25", DateSource.DATELINE_WEEKDAY)
    assert (borneo.date.isoformat(), borneo.date.source) == ("2025-07-28", DateSource.DATELINE_PAGE)
    assert (star.date.isoformat(), star.date.source) == ("2025-07-28", DateSource.RELATIVE_AGE_PAGE)
    assert star.date.approximate and not lead.date.approximate
    assert (nst.date.isoformat(), nst.date.source, nst.date.quote) == ("2025-07-28", DateSource.RELATIVE_AGE_PAGE, "10 hours ago")


def test_passing_mentions_are_not_dates(tmp_path):
    # The Star without its age line: "on Monday (July 28)" and "Sunday (July 27)" in the body must not date it.
    text = (CONTENT / "002_ea217e3b9676bec5.txt").read_text(encoding="utf-8").replace("6 hours ago\n", "")
    text = text.replace("The Star\n- The Star", "- The Star")
    (tmp_path / "p.txt").write_text(text, encoding="utf-8")
    parsed = read("p.txt", folder=tmp_path)
    star = next(a for a in parsed.articles if a.headline.startswith("Sabah polls"))
    assert star.date is None
    nst = next(a for a in parsed.articles if a.outlet == "New Straits Times")
    assert nst.date.isoformat() == "2025-07-28" and nst.date.quote == "10 hours ago"  # its age, not "the July 26 gathering"


def test_capture_time_from_settings_dates_every_article(page000):
    parsed = read("000_c15c41152a26c795.txt", CaptureConfig(capture_time="2025-07-31T05:00:00"))
    lead, dubai, campaign, arabian = parsed.articles
    assert (lead.date.isoformat(), lead.date.source, lead.date.approximate) == ("2025-07-31", DateSource.CAPTURE_TIME, True)
    assert (dubai.date.isoformat(), dubai.date.source) == ("2025-07-30", DateSource.RELATIVE_AGE)  # 7 hours before 05:00
    assert arabian.date.isoformat() == "2025-07-30"  # 16 hours ago


def test_capture_time_header_in_the_page(tmp_path):
    text = "---\ncaptured: 2025-07-28T20:00:00+08:00\nurl: https://daily8.example/a\n---\n" + (CONTENT / "002_ea217e3b9676bec5.txt").read_text(encoding="utf-8")
    (tmp_path / "p.txt").write_text(text, encoding="utf-8")
    parsed = read("p.txt", folder=tmp_path)
    lead, star, borneo, nst = parsed.articles
    assert lead.line == 6 and lead.url == "https://daily8.example/a"
    assert (borneo.date.isoformat(), borneo.date.source) == ("2025-07-28", DateSource.DATELINE_CAPTURE)
    assert (nst.date.isoformat(), nst.date.source) == ("2025-07-28", DateSource.RELATIVE_AGE)  # 10 hours before 20:00
    assert lead.date.source == DateSource.DATELINE_WEEKDAY


def test_another_sites_chrome_taught_in_digest_yaml(tmp_path):
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "content" / "page.txt").write_text(
        "Harbour reopens after storm\n"
        "Words by Ana Lima\n"
        "PORTO, March 3, 2025 - The harbour reopened on Monday. Ships queued overnight.\n"
        "SEE ALSO >> Storm closes harbour The mayor said repairs would take a week.\n"
        "Crews worked through the night. (Lusa)\n"
        "Share this story\n"
        "Newsletter\n"
        "Sign up to SeaNews Daily\n"
        "More from SeaNews\n"
        "\n"
        "Porto Gazette\n"
        "3 hrs ago\n"
        "- Porto Gazette\n"
        "Fishermen count the cost\n"
        "Fishermen said the storm cost them a week of work. \"We lost everything,\" one said. Boats were repaired.\n",
        encoding="utf-8",
    )
    (site / "digest.yaml").write_text(
        "capture:\n"
        "  chrome_lines: [Share this story, Newsletter, Sign up to SeaNews Daily, More from SeaNews]\n"
        "  related_marker: More from SeaNews\n"
        "  aggregators: {SeaNews: [SeaNews Daily]}\n"
        "  inline_promos: ['SEE ALSO >>']\n"
        "  bylines: ['^Words by (?P<author>[A-Z]\\w+ [A-Z]\\w+)$']\n"
        "  credits: ['\\((?P<credit>Lusa)\\)$']\n"
        "  relative_ages: ['^(?P<n>\\d+) (?P<unit>hr)s? ago$']\n",
        encoding="utf-8",
    )
    result = invoke("list", "--articles", "--json", cwd=site, check=True)
    lead, related = json.loads(result.stdout)
    assert (lead["headline"], lead["author"], lead["credit"], lead["dateline"], lead["date"], lead["aggregator"]) == (
        "Harbour reopens after storm", "Ana Lima", "Lusa", "PORTO", "2025-03-03", "SeaNews")
    assert lead["date_source"] == "dateline"
    assert (related["outlet"], related["headline"]) == ("Porto Gazette", "Fishermen count the cost")
    built = invoke("build", "--no-search", cwd=site, check=True)
    html = "".join(p.read_text(encoding="utf-8") for p in (site / "output").rglob("*.html"))
    for chrome in ("SEE ALSO", "Storm closes harbour", "Share this story", "Newsletter", "Words by"):
        assert chrome not in html, chrome
    assert "The mayor said repairs would take a week." in html
    assert "0 warnings" in built.stdout


def test_invalid_pattern_in_digest_yaml_is_an_error_naming_the_setting(tmp_path):
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "digest.yaml").write_text("site:\n  title: T\ncapture:\n  inline_promos: ['ALSO (READ']\n  capture_time: yesterday\n", encoding="utf-8")
    result = invoke("build", "--no-search", cwd=site)
    assert result.returncode == 2
    assert "digest.yaml:4" in result.stderr and "capture.inline_promos" in result.stderr
    assert "digest.yaml:5" in result.stderr and "capture.capture_time" in result.stderr
    assert not (site / "output").exists()


def test_no_rendered_page_contains_chrome(site):
    invoke("build", "--no-search", cwd=site, check=True)
    pages = list((site / "output").rglob("*.html"))
    assert len(pages) >= 3
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for chrome in CHROME:
            assert chrome not in html, (page.relative_to(site), chrome)
    story_pages = [p for p in pages if "Sabah polls" in p.read_text(encoding="utf-8") and "walk the tightrope" in p.read_text(encoding="utf-8")]
    assert story_pages, "the Star's article is rendered"
    html = story_pages[0].read_text(encoding="utf-8")
    assert html.count("<p>") >= 10  # its one-line body is shown as paragraphs


def _page(tmp_path, text: str):
    (tmp_path / "p.txt").write_text(text, encoding="utf-8")
    return read("p.txt", folder=tmp_path)


def test_title_case_promo_ends_where_lower_case_begins(tmp_path):
    parsed = _page(tmp_path, "Headline here\nFirst line.\nRelated Articles\n\nOutlet\n2 hours ago\n- Outlet\nHead\n"
                   "Talks went on. ALSO READ: Pakistan Says Deal Made With US The deal lowers tariffs. Markets rose.\n")
    related = parsed.articles[1]
    assert related.text == "Talks went on. The deal lowers tariffs. Markets rose."
    assert not parsed.diagnostics


def test_promo_whose_end_cannot_be_told_is_cut_to_the_sentence_end_with_a_warning(tmp_path):
    parsed = _page(tmp_path, "Headline here\nFirst line.\nRelated Articles\n\nOutlet\n2 hours ago\n- Outlet\nHead\n"
                   "Talks went on. ALSO READ: " + "word " * 45 + "end. Prices fell.\n")
    related = parsed.articles[1]
    assert related.text == "Talks went on. Prices fell."
    [warning] = parsed.diagnostics
    assert warning.line == 5 and "promoted headline" in warning.message


def test_broken_page_header_loses_only_the_metadata(tmp_path):
    parsed = _page(tmp_path, "---\ncaptured: [2025\n---\nHeadline here\nBody line.\n")
    [article] = parsed.articles
    assert (article.headline, article.line) == ("Headline here", 4)
    [warning] = parsed.diagnostics
    assert warning.line in (2, 3) and "read without it" in warning.message


def test_hashtags_in_the_chrome_become_tags(tmp_path):
    parsed = _page(tmp_path, "Headline here\nBody line.\nHashtags\n#Pakistan #Taliban\nComments\n")
    assert parsed.articles[0].tags == ("Pakistan", "Taliban")
    assert parsed.articles[0].paragraphs == ("Body line.",)


def test_another_sites_chrome_and_read_more_promotions_leave_the_lead(tmp_path):
    parsed = _page(tmp_path, "Harbour reopens after storm\nThe harbour reopened on Monday.\n"
                   "Read more: Storm closes harbour for a week\nShips queued overnight, the port said.\n"
                   "Crews worked through the night - AP\nShare this article\nMost Read\nFollow us\n")
    [lead] = parsed.articles
    assert lead.paragraphs == ("The harbour reopened on Monday.", "Ships queued overnight, the port said.", "Crews worked through the night")
    assert lead.credit == "AP"
    assert set(lead.meta["removed"]) >= {"Read more: Storm closes harbour for a week", "Share this article", "Most Read", "Follow us"}
    assert not parsed.diagnostics


def test_a_short_last_line_with_a_full_stop_is_text_not_chrome(tmp_path):
    parsed = _page(tmp_path, "Harbour reopens\nThe harbour reopened on Monday after the storm.\nShips queued.\n")
    assert parsed.articles[0].paragraphs == ("The harbour reopened on Monday after the storm.", "Ships queued.")


def test_a_promoted_question_closing_its_line_goes_with_no_warning(tmp_path):
    parsed = _page(tmp_path, "Harbour reopens\nThe harbour reopened on Monday.\nRead more: Could the storm return?\n"
                   "Read more: Port fined $1.5m for delays\nShips queued overnight.\n")
    assert parsed.articles[0].paragraphs == ("The harbour reopened on Monday.", "Ships queued overnight.")
    assert not parsed.diagnostics


def test_a_page_with_nothing_else_is_dated_from_its_files_time(tmp_path):
    text = (CONTENT / "000_c15c41152a26c795.txt").read_text(encoding="utf-8")
    (tmp_path / "p.txt").write_text(text, encoding="utf-8")
    saved = dt.datetime(2026, 3, 10, 5, 0, tzinfo=dt.UTC).timestamp()  # 05:00: "7 hours ago" is the day before
    os.utime(tmp_path / "p.txt", (saved, saved))
    lead, dubai, campaign, arabian = read("p.txt", folder=tmp_path).articles
    assert (lead.date.isoformat(), lead.date.source) == ("2026-03-10", DateSource.FILE_MTIME)
    assert (dubai.date.isoformat(), dubai.date.source, dubai.date.quote) == ("2026-03-09", DateSource.RELATIVE_AGE_FILE, "7 hours ago")
    assert arabian.date.isoformat() == "2026-03-09" and arabian.date.quote == "16 hours ago"


def test_a_known_capture_time_wins_over_the_files_time(tmp_path):
    text = (CONTENT / "000_c15c41152a26c795.txt").read_text(encoding="utf-8")
    (tmp_path / "p.txt").write_text("---\ncaptured: 2025-07-28T18:00:00\n---\n" + text, encoding="utf-8")
    lead, dubai, *_ = read("p.txt", folder=tmp_path).articles
    assert (lead.date.isoformat(), lead.date.source) == ("2025-07-28", DateSource.CAPTURE_TIME)
    assert (dubai.date.isoformat(), dubai.date.source, dubai.date.quote) == ("2025-07-28", DateSource.RELATIVE_AGE, "7 hours ago")
