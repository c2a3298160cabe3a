"""The Markdown reader: front matter, body text and HTML, the same article model as captured pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from digest.models import DateSource
from digest.pipeline.load import read_document
from digest.read.markdown import read_markdown


def parse(tmp_path: Path, text: str, name: str = "note.md"):
    (tmp_path / name).write_text(text, encoding="utf-8")
    doc, problems = read_document(tmp_path / name, tmp_path)
    assert doc is not None and not problems
    return read_markdown(doc)


def test_front_matter_fields_and_body(tmp_path):
    parsed = parse(tmp_path, (
        "---\n"
        "title: Harbour reopens\n"
        "date: 2025-07-28\n"
        "outlet: Sea News\n"
        "author: Ana Lima\n"
        "credit: Lusa\n"
        "dateline: PORTO\n"
        "url: https://example.org/a\n"
        "region: Europe\n"
        "theme: trade\n"
        "tags: [ports, storms]\n"
        "---\n"
        "The harbour reopened\non Monday after *two* days.\n\n"
        "Ships queued [overnight](https://example.org).\n"
    ))
    [article] = parsed.articles
    assert not parsed.diagnostics
    assert (article.id, article.kind, article.line) == ("note", "note", 13)
    assert (article.headline, article.outlet, article.author, article.credit, article.dateline) == ("Harbour reopens", "Sea News", "Ana Lima", "Lusa", "PORTO")
    assert (article.date.day, article.date.source) == (dt.date(2025, 7, 28), DateSource.FRONT_MATTER)
    assert article.tags == ("ports", "storms") and (article.region, article.theme) == ("Europe", "trade")
    # A line break inside a paragraph is a space, not glued words.
    assert article.paragraphs == ("The harbour reopened on Monday after two days.", "Ships queued overnight.")
    assert "<em>two</em>" in article.body_html


def test_title_from_first_heading_is_not_repeated_in_the_body(tmp_path):
    parsed = parse(tmp_path, "# Storm *closes* harbour\n\nCrews worked\nall night.\n")
    [article] = parsed.articles
    assert article.headline == "Storm closes harbour"
    assert "<h1>" not in article.body_html
    assert article.paragraphs == ("Crews worked all night.",)


def test_raw_html_is_shown_as_text_never_injected(tmp_path):
    [article] = parse(tmp_path, "---\ntitle: T\n---\n<script>alert(1)</script>\n\nHello <b>there</b>.\n").articles
    assert "<script>" not in article.body_html and "&lt;script&gt;" in article.body_html
    assert "<b>" not in article.body_html


def test_bad_date_and_unknown_key_are_warnings_with_lines(tmp_path):
    parsed = parse(tmp_path, "---\ntitle: T\ndate: someday\ncolour: red\n---\nBody.\n")
    [article] = parsed.articles
    assert article.date.source == DateSource.FILE_MTIME and article.date.approximate
    messages = {(d.line, d.message.split(" ")[0]) for d in parsed.diagnostics}
    assert (3, "date") in messages and (4, "unknown") in messages


def test_broken_yaml_names_the_line_and_skips(tmp_path):
    parsed = parse(tmp_path, "---\ntitle: T\ntags: [a, b\n---\nBody.\n")
    assert parsed.articles == ()
    [problem] = parsed.diagnostics
    assert problem.line is not None and problem.line >= 3 and "YAML" in problem.message


def test_unclosed_front_matter_and_missing_title_are_skipped_with_a_reason(tmp_path):
    parsed = parse(tmp_path, "---\ntitle: T\nBody.\n")
    assert parsed.articles == () and "never closed" in parsed.diagnostics[0].message
    parsed = parse(tmp_path, "Just a paragraph.\n", name="untitled.md")
    assert parsed.articles == () and "no headline" in parsed.diagnostics[0].message


def test_draft_is_left_out(tmp_path):
    assert parse(tmp_path, "---\ntitle: T\ndraft: true\n---\nBody.\n").articles == ()


def test_slug_is_kept_when_it_is_one_and_reported_with_a_fix_when_not(tmp_path):
    [article] = parse(tmp_path, "---\ntitle: Harbour reopens\nslug: harbour-reopens\n---\nText.\n").articles
    assert article.meta["slug"] == "harbour-reopens"
    (tmp_path / "bad.md").write_text("---\ntitle: Harbour reopens\nslug: Harbour Reopens!\n---\nText.\n", encoding="utf-8")
    doc, _ = read_document(tmp_path / "bad.md", tmp_path)
    parsed = read_markdown(doc)
    [problem] = parsed.diagnostics
    assert problem.line == 3 and "use 'slug: harbour-reopens'" in problem.message
    assert "slug" not in parsed.articles[0].meta  # ignored: the story's slug comes from its headline


@pytest.mark.parametrize("url", [
    "https://example.org", "https://example.org/", "http://a-b.example.org/path/to_x~y.z", "https://-x-.1.2.3.4/x",
    "https://xn--bcher-kva.de/", "https://example.org/a/../b//c", "https://Example.org/x", "HTTPS://example.org/",
    "https://example.org/a b", "https://example.org/ä", "https://bücher.de/", "https://example.org:8080/x",
    "https://example.org/x?y=1#z", "https://example.org/%20", "https://example.org/%zz", "javascript:alert(1)",
    "//example.org/x", "mailto:a@b.c", "https://exa_mple.org/", "https://example.org./x", "https://.example.org/",
    "https://example..org/", "https://[::1]/x", "https://user:pw@example.org/", "ftp://example.org/", "",
])
def test_a_link_is_normalised_as_markdown_it_does(url):
    from markdown_it.common.normalize_url import normalizeLink

    from digest.read.markdown import _MARKDOWN

    assert _MARKDOWN.normalizeLink(url) == normalizeLink(url)
