"""The build cache (output/.digest-cache/): a rebuild does only the work an edit calls for, and is never stale."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import copy_of_shipped_build

from digest.classify.filing import ClassifyStats
from digest.pipeline.build import build
from digest.settings.config import load_config

NOTE = """---
title: Harbour reopens in Karachi after the storm
date: 2025-07-27
outlet: Dawn
---
KARACHI: The port reopened on Sunday after a storm closed it for two days, officials said.
Ships queued overnight to enter the harbour.
"""


def _build(site: Path):
    return build(load_config(site / "digest.yaml"), search=False)


def test_a_second_build_with_nothing_changed_reads_and_writes_nothing(site):
    first = _build(site)
    assert first.written > 0
    second = _build(site)
    assert second.written == 0 and second.deleted == 0
    assert second.parse_cache == (2, 0)
    assert [s.slug for s in second.digest.stories] == [s.slug for s in first.digest.stories]


def test_an_edited_document_is_read_again_and_shown(site):
    (site / "content" / "harbour.md").write_text(NOTE, encoding="utf-8")
    _build(site)
    edited = NOTE.replace("Harbour reopens in Karachi", "Port of Karachi reopens")
    path = site / "content" / "harbour.md"
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10_000_000))
    report = _build(site)
    assert report.parse_cache == (2, 1)  # the two shipped pages from the cache, the note read again
    titles = [s.story.title for s in report.digest.stories]
    assert "Port of Karachi reopens after the storm" in titles
    assert "Harbour reopens in Karachi after the storm" not in titles
    pages = "".join(p.read_text(encoding="utf-8") for p in (site / "output").rglob("*.html"))
    assert "Port of Karachi reopens" in pages and "Harbour reopens in Karachi" not in pages


def test_an_edit_classifies_only_the_stories_it_changed(site, monkeypatch):
    (site / "content" / "harbour.md").write_text(NOTE, encoding="utf-8")
    _build(site)
    seen: list[ClassifyStats] = []
    import digest.classify.filing as classify_module

    original = classify_module.classify_stories

    def counting(stories, taxonomy, sections, memo=None, stats=None, related=None):
        stats = ClassifyStats()
        seen.append(stats)
        return original(stories, taxonomy, sections, memo=memo, stats=stats, related=related)

    monkeypatch.setattr(classify_module, "classify_stories", counting)
    (site / "content" / "harbour.md").write_text(NOTE.replace("two days", "three days"), encoding="utf-8")
    report = _build(site)
    assert len(seen) == 1
    assert len(seen[0].classified) == 1  # only the edited note's story
    assert seen[0].reused == len(report.digest.stories) - 1


def test_a_deleted_document_leaves_every_page(site):
    (site / "content" / "harbour.md").write_text(NOTE, encoding="utf-8")
    _build(site)
    (site / "content" / "harbour.md").unlink()
    report = _build(site)
    assert all("Karachi after the storm" not in s.story.title for s in report.digest.stories)
    pages = "".join(p.read_text(encoding="utf-8") for p in (site / "output").rglob("*.html"))
    assert "Harbour reopens in Karachi" not in pages


def test_clean_ignores_the_cache(tmp_path_factory, tmp_path):
    site = copy_of_shipped_build(tmp_path_factory, tmp_path / "site")  # and its first build
    report = build(load_config(site / "digest.yaml"), search=False, clean=True)
    assert report.parse_cache == (0, 2)


def test_a_page_deleted_by_hand_is_written_again_and_nothing_else(tmp_path_factory, tmp_path):
    site = copy_of_shipped_build(tmp_path_factory, tmp_path / "site")  # and its first build
    output = site / "output"
    story = next((output / "stories").glob("*/index.html"))
    original = story.read_bytes()
    story.unlink()
    (output / "index.html").write_bytes(b"changed by hand")  # same page memo, other size: rendered again
    report = _build(site)
    assert story.read_bytes() == original
    assert b"changed by hand" not in (output / "index.html").read_bytes()
    assert report.written == 2 and report.deleted == 0


def test_a_session_keeps_what_the_stages_made_for_the_next_run(site):
    """What the classify, graph and render stages keep lives in the session the caller holds: a second run in the
    same session gets the unchanged stories and pages back as the very objects of the first."""
    from digest.pipeline.build import run
    from digest.pipeline.session import BuildSession
    from digest.publish.disk import OutputFolder

    config = load_config(site / "digest.yaml")
    session = BuildSession()
    first = run(config, session, OutputFolder(config.output_dir, search=False))
    pages = dict(session.graph.pages)
    environment = session.themes.environment
    second = run(config, session, OutputFolder(config.output_dir, search=False))
    assert all(a is b for a, b in zip(second.digest.stories, first.digest.stories))
    assert all(session.graph.pages[path] is page for path, page in pages.items() if page.kind == "story")
    assert session.themes.environment is environment and second.rendered == 0
    fresh = run(config, BuildSession(), OutputFolder(config.output_dir, search=False))  # a new session starts from nothing
    assert not any(a is b for a, b in zip(fresh.digest.stories, first.digest.stories))


def test_a_first_build_parses_each_document_as_it_is_read_to_the_same_result(tmp_path, monkeypatch):
    """With nothing read before, the parse workers start on the first documents read while the rest are read:
    the articles and warnings are those of reading everything first."""
    from digest.pipeline import gather
    from digest.pipeline.cache import ParseCache

    content = tmp_path / "content"
    content.mkdir()
    count = gather.PARALLEL_PARSE_MIN + gather.CHUNK // 2  # the last chunk is given short
    for i in range(count):
        (content / f"n{i:03}.md").write_text(NOTE.replace("Karachi", f"Port {i}").replace("two days", f"{i} days"), encoding="utf-8")
    (content / "empty.md").write_text("\n", encoding="utf-8")
    (content / "broken.txt").write_bytes(b"\x00\x01binary")
    given: list[int] = []
    results = gather.ParseAhead.results
    monkeypatch.setattr(gather.ParseAhead, "results", lambda self: given.append(len(found := results(self))) or found)
    config = load_config(None, root=tmp_path)
    ahead = gather.gather(config, ParseCache())
    assert given == [count]
    read_first = gather.gather(config)  # no cache: everything read, then parsed
    assert given == [count]
    assert ahead.articles == read_first.articles and len(ahead.articles) == count
    assert ahead.diagnostics == read_first.diagnostics and len(ahead.diagnostics) == 2
