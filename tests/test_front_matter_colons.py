"""Front matter whose headline holds a colon: recovered with a warning giving the line to write, or, when it
cannot be recovered, the note is reported with the offending line quoted and skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import invoke


def note(site: Path, name: str, front: str, body: str = "LIMA: A strong earthquake killed twelve people on Monday, officials said.") -> None:
    (site / "content").mkdir(parents=True, exist_ok=True)
    (site / "content" / name).write_text(f"---\n{front}---\n{body}\n", encoding="utf-8")


def headlines(site: Path) -> list[str]:
    listed = invoke("list", "--json", cwd=site, check=True)
    return [story["title"] for story in json.loads(listed.stdout)]


@pytest.mark.parametrize("title", ["Peru earthquake: Twelve dead", "Sabah polls: where the coalitions stand"])
def test_a_title_with_an_unquoted_colon_is_recovered_with_the_line_to_write(tmp_path, title):
    note(tmp_path, "news.md", f"title: {title}\ndate: 2025-03-03\noutlet: SeaNews\n")
    built = invoke("build", "--no-search", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert 'content/news.md:2: warning: \'title\' has an unquoted \': \' in its value' in built.stderr
    assert f'title: "{title}"' in built.stderr  # the quoted line to write
    assert "Built 1 story from 1 article" in built.stdout
    assert headlines(tmp_path) == [title]
    story_pages = [page.read_text(encoding="utf-8") for page in (tmp_path / "output").rglob("index.html") if "/stories/" in page.as_posix()]
    assert any(f"<h1>{title}</h1>" in page or f">{title}</h1>" in page for page in story_pages)


def test_the_recovered_note_keeps_its_other_keys_and_a_comment_is_not_part_of_the_title(tmp_path):
    note(tmp_path, "news.md", "title: Peru earthquake: Twelve dead   # from the wire\noutlet: Andes Wire: Lima\ndate: 2025-03-03\n")
    built = invoke("build", "--no-search", cwd=tmp_path)
    assert built.stderr.count("unquoted ': '") == 2  # title and outlet, each on its own line
    assert "content/news.md:3: warning:" in built.stderr
    listed = json.loads(invoke("list", "--json", cwd=tmp_path, check=True).stdout)
    assert [(s["title"], s["outlets"], s["date"]) for s in listed] == [("Peru earthquake: Twelve dead", ["Andes Wire: Lima"], "2025-03-03")]


def test_strict_fails_on_a_recovered_colon(tmp_path):
    note(tmp_path, "news.md", "title: Peru earthquake: Twelve dead\ndate: 2025-03-03\n")
    built = invoke("build", "--no-search", "--strict", cwd=tmp_path)
    assert built.returncode == 1
    assert not (tmp_path / "output").exists()


def test_a_colon_in_a_key_that_is_not_text_is_not_guessed_at(tmp_path):
    """``date`` and ``tags`` are not text: the note is reported with the offending line quoted and skipped."""
    note(tmp_path, "news.md", "title: Peru quake\ndate: 2025-03-03: morning\n")
    built = invoke("build", "--no-search", cwd=tmp_path)
    assert "content/news.md:3: warning: invalid YAML front matter in 'date: 2025-03-03: morning'" in built.stderr
    assert "skipped" in built.stderr
    assert "Built 0 stories from 0 articles" in built.stdout
    assert invoke("build", "--no-search", "--strict", cwd=tmp_path).returncode == 1


def test_unrecoverable_front_matter_quotes_the_line_and_says_how_to_fix_it(tmp_path):
    note(tmp_path, "indented.md", "title: Ok\n  outlet: a: b\n")
    note(tmp_path, "unclosed.md", "title: Sabah polls: where the coalitions stand\ntags: [politics, sabah\n")
    built = invoke("build", "--no-search", cwd=tmp_path)
    assert "content/indented.md:3: warning: invalid YAML front matter in 'outlet: a: b'" in built.stderr
    assert "check quoting and indentation" in built.stderr
    # the colon alone could be recovered; the unclosed list cannot, and is what the message points at
    assert "content/unclosed.md:3: warning: invalid YAML front matter in 'tags: [politics, sabah'" in built.stderr
    assert "Built 0 stories from 0 articles" in built.stdout
    assert "Traceback" not in built.stderr


def test_the_quoted_fix_is_offered_for_a_colon_in_an_unknown_key(tmp_path):
    note(tmp_path, "news.md", "title: Peru quake\nsubtitle: Rescue: day two\n")
    built = invoke("build", "--no-search", cwd=tmp_path)
    assert "content/news.md:3: warning: invalid YAML front matter in 'subtitle: Rescue: day two'" in built.stderr
    assert 'quote the value: subtitle: "Rescue: day two"' in built.stderr
