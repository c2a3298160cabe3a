"""A build with nothing changed: when nothing the site is made from changed (the documents, the settings, digest's
code, the theme, the day) and ``output/`` still holds every file as the last build wrote it, the site is not made
again (no graph, no render); anything else makes it as usual. Either way ``output/`` is a clean build's."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import clean_tree, published_tree

from digest.cli import cli


def build(site: Path, *args: str) -> str:
    """``digest build -v``; its stage timings line."""
    result = CliRunner().invoke(cli, ["build", "--no-search", "-v", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return next(line for line in result.output.splitlines() if line.startswith("Stages:"))


def made_again(stages: str) -> bool:
    return " graph " in stages and " render " in stages


@pytest.fixture
def built(site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(site)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764800000")
    assert made_again(build(site))
    return site


def test_nothing_changed_makes_no_graph_and_renders_nothing(built):
    before = published_tree(built / "output")
    stages = build(built)
    assert not made_again(stages) and "write" in stages
    assert published_tree(built / "output") == before == clean_tree(built)
    assert not made_again(build(built))  # and again


@pytest.mark.parametrize("change", [
    "a document", "the settings", "the theme", "the day", "a page removed by hand", "a feed changed by hand",
])
def test_a_change_to_what_the_site_is_made_from_makes_it_again(built, monkeypatch, change):
    output = built / "output"
    if change == "a document":
        note = next(path for path in sorted((built / "content").rglob("*")) if path.is_file())
        note.write_text(note.read_text(encoding="utf-8") + "\nA late paragraph.\n", encoding="utf-8")
    elif change == "the settings":
        settings = built / "digest.yaml"
        settings.write_text(settings.read_text(encoding="utf-8").replace("title:", "title: New", 1), encoding="utf-8")
    elif change == "the theme":
        (built / "templates").mkdir(exist_ok=True)
        (built / "templates" / "404.html").write_text("{% extends 'base.html' %}{% block main %}Gone.{% endblock %}", encoding="utf-8")
    elif change == "the day":
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(1764800000 + 86400))
    elif change == "a page removed by hand":
        next(output.glob("stories/*/index.html")).unlink()
    else:
        (output / "feed.xml").write_bytes((output / "feed.xml").read_bytes() + b"\n<!-- by hand -->\n")
    assert made_again(build(built))
    assert published_tree(output) == clean_tree(built)
    assert not made_again(build(built))  # made again, it is stamped afresh


def test_reading_what_the_last_build_left_is_a_timed_stage(built):
    """Its cache and memo take a third of a second at 10,000 articles: the total a build reports counts them."""
    assert build(built).split()[1] == "session"
