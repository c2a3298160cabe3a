"""``digest build`` keeps the site graph's memo (``graph.pickle``) for the next build, which makes again only the
pages whose values changed; whatever the change (an edit, a rename, a deletion, an addition, a taxonomy change, a
damaged memo), the site is the one a clean build makes, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import assert_same_as_clean, build_site, copy_of_built, generate_and_build

from digest.pipeline.cache import CACHE_DIR, GRAPH_FILE
from digest.site import graph

ARTICLES = 120  # at 60 or 100, an edit gave most stories back as new objects: their pages made again, as in a preview


@pytest.fixture
def site(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return copy_of_built(tmp_path_factory, "graph-memo-built", lambda folder: generate_and_build(folder, ARTICLES), tmp_path / "site")


def _build_counting_story_pages(site: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """Build, and return how many story pages the graph made afresh (the others came from the memo)."""
    made: list[str] = []
    original = graph.story_page
    monkeypatch.setattr(graph, "story_page", lambda item, *rest: made.append(item.slug) or original(item, *rest))
    build_site(site)
    monkeypatch.undo()
    return len(made)


def test_each_build_takes_up_the_last_graph_and_makes_a_clean_builds_site(site, tmp_path, monkeypatch):
    content = site / "content"
    files = sorted(content.iterdir())
    memo = site / "output" / CACHE_DIR / GRAPH_FILE
    assert memo.is_file()

    files[60].write_text(files[60].read_text(encoding="utf-8") + "\n\nUpdate: officials later confirmed the figures.\n", encoding="utf-8")
    made = _build_counting_story_pages(site, monkeypatch)
    assert 1 <= made <= 10  # the edited story and its neighbours in its section, not every story
    assert_same_as_clean(site, tmp_path / "clean")

    files[30].rename(content / "zz-renamed.md")
    files[90].unlink()
    shutil.copy(files[10], content / "zz-copy.md")
    build_site(site)
    assert_same_as_clean(site, tmp_path / "clean")

    (site / "digest.yaml").write_text("taxonomy:\n  themes:\n    politics:\n      cues: {export ban: 3}\n", encoding="utf-8")
    build_site(site)  # stories filed anew: the memo's pages showed other stories
    assert_same_as_clean(site, tmp_path / "clean")

    memo.write_bytes(memo.read_bytes()[:1000])  # a damaged memo: the graph is made afresh, as a clean build makes it
    files[45].write_text(files[45].read_text(encoding="utf-8") + "\n\nA second update.\n", encoding="utf-8")
    assert _build_counting_story_pages(site, monkeypatch) > ARTICLES // 2
    assert _build_counting_story_pages(site, monkeypatch) == 0  # nothing changed: no graph made at all
