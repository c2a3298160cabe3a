"""After any sequence of saves, the preview shows exactly what a build from scratch would show.

The preview reuses everything it can between builds (parse cache, re-merge, classify memo, the last
graph's pages, the render memo); this checks all of that reuse at once, page by page, byte by byte: after
six saves that make every kind of edit in the default tier, after thirteen in the stress tier (CI).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import REPO

from digest.preview.serve import Previewer

sys.path.insert(0, str(REPO / "bench"))
from generate import generate  # noqa: E402


def write_notes(site: Path, count: int) -> list[Path]:
    """Generated notes with near-duplicates (re-reports of one event), as an editor's Markdown files."""
    folder = site / "content" / "notes"
    folder.mkdir()
    paths = []
    for i, article in enumerate(generate(count, seed=21).articles):
        date = f"date: {article.date.isoformat()}\n" if article.date else ""
        path = folder / f"note-{i:03d}.md"
        path.write_text(f"---\ntitle: {json.dumps(article.headline)}\n{date}outlet: {json.dumps(article.outlet)}\n---\n"
                        + "\n\n".join(article.paragraphs) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def touch(path: Path, text: str) -> None:
    """Write ``text`` with a new modification time even within the file system's time resolution."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def differences(kept: dict[str, bytes], fresh: dict[str, bytes]) -> list[str]:
    return sorted(path for path in kept.keys() | fresh.keys() if kept.get(path) != fresh.get(path))


class Saves:
    """An editor's saves in a generated site (90 notes with near-duplicates, and the shipped site), one kind each."""

    def __init__(self, site: Path) -> None:
        self.site, self.notes = site, write_notes(site, 90)
        self.lonely = site / "content" / "lonely.md"  # a story of one version, whose deletion must take its story along
        self.lonely.write_text("---\ntitle: Harbour bridge reopens after repairs\ndate: 2025-07-20\n---\nThe harbour bridge at "
                               "Port Vesta reopened on Sunday after three months of repairs, the works ministry said.\n", encoding="utf-8")

    def headline(self, number: int) -> None:
        path = self.notes[number]
        touch(path, path.read_text(encoding="utf-8").replace('title: "', 'title: "Update: ', 1))

    def body(self, number: int) -> None:
        head, _, rest = self.notes[number].read_text(encoding="utf-8").partition("\n---\n")
        touch(self.notes[number], f"{head}\n---\nA new opening paragraph, written by the editor after a reader's letter.\n\n{rest}")

    def delete(self, number: int) -> None:
        self.notes[number].unlink()

    def rename(self, number: int) -> None:
        self.notes[number].rename(self.notes[number].with_name(f"renamed-{number}.md"))

    def re_report(self, number: int) -> None:  # another outlet's shorter version of the same event
        head, _, rest = self.notes[number].read_text(encoding="utf-8").partition("\n---\n")
        head = "\n".join(line if not line.startswith("outlet:") else 'outlet: "Echo"' for line in head.splitlines())
        paragraphs = rest.split("\n\n")
        touch(self.notes[number].with_name(f"rereport-{self.notes[number].stem}.md"),
              head + "\n---\n" + "\n\n".join(paragraphs[: max(1, len(paragraphs) // 2)]) + "\n")

    def delete_lonely(self) -> None:
        self.lonely.unlink()

    def captured_page(self) -> None:  # a related article of a captured page, edited
        page = next((self.site / "content").glob("002_*.txt"))
        touch(page, page.read_text(encoding="utf-8").replace("481", "482", 1))

    def settings(self) -> None:  # digest.yaml: every page shows the site's title
        config = self.site / "digest.yaml"
        touch(config, config.read_text(encoding="utf-8").replace("title: Regional News Digest", "title: Harbour Digest", 1))

    def template(self) -> None:  # the site's own theme, overriding the default base template
        base = self.site / "templates" / "base.html"
        base.parent.mkdir(exist_ok=True)
        touch(base, (REPO / "templates" / "base.html").read_text(encoding="utf-8").replace("</footer>", "<p>Edited in the preview.</p></footer>", 1))


def saved_and_checked(site: Path, saves: list[Callable[[], object]]) -> Previewer:
    """The preview after each of ``saves`` shows, byte for byte, what a fresh build shows; each save changes pages."""
    previewer = Previewer(None, site)
    before = previewer.build()
    assert before.failure is None and any(b"Harbour bridge reopens" in page for page in before.files.values())
    for number, save in enumerate(saves):
        save()
        kept = previewer.build()
        fresh = Previewer(None, site).build()
        assert kept.failure is None and fresh.failure is None
        assert differences(kept.files, fresh.files) == [], f"save {number}: pages differ from a fresh build"
        assert differences(before.files, kept.files), f"save {number} changed nothing: the check would be empty"
        before = kept
    return previewer


def test_the_preview_after_each_kind_of_save_shows_what_a_fresh_build_shows(site):
    edit = Saves(site)
    previewer = saved_and_checked(site, [
        lambda: edit.headline(3),
        lambda: (edit.body(10), edit.delete(20), edit.re_report(30)),  # a burst: one rebuild
        lambda: (edit.delete_lonely(), edit.rename(40)),
        edit.captured_page, edit.template, edit.settings,
    ])
    # The first build merged in full; every save was re-merged (too few articles changed for a full merge again:
    # what the comparisons check is the re-merge).
    assert previewer.session.remerger.full_merges == 1


@pytest.mark.stress
def test_the_preview_after_many_saves_shows_what_a_fresh_build_shows(site):
    edit = Saves(site)
    previewer = saved_and_checked(site, [
        lambda: edit.headline(3), lambda: edit.body(10), lambda: edit.delete(20), lambda: edit.re_report(30), edit.delete_lonely,
        lambda: edit.rename(40), edit.captured_page, lambda: edit.headline(50),
        lambda: (edit.body(60), edit.delete(61), edit.re_report(62)),  # a burst: one rebuild
        edit.template, lambda: edit.headline(70), edit.settings, lambda: edit.body(80),
    ])
    # Full merges: the first build, and the save that took the articles changed since it past 5 % of this small
    # archive (remerge.FULL_AGAIN_SHARE); every other save was re-merged.
    assert previewer.session.remerger.full_merges == 2


def test_a_template_edit_renders_again_only_the_pages_that_use_it(site):
    previewer = Previewer(None, site)
    first = previewer.build()
    story_pages = [path for path in first.files if path.startswith("stories/") and path.endswith("/index.html")]
    assert story_pages and first.pages > len(story_pages)
    own = site / "templates"
    own.mkdir()

    touch(own / "story.html", (REPO / "templates" / "story.html").read_text(encoding="utf-8").replace("</article>", "<p>Story edit.</p></article>", 1))
    after_story = previewer.build()
    assert after_story.failure is None
    assert after_story.rendered == len(story_pages)  # story pages only: the others do not use story.html
    assert all(b"Story edit." in after_story.files[path] for path in story_pages)

    touch(own / "_macros.html", (REPO / "templates" / "_macros.html").read_text(encoding="utf-8") + "\n{# edited #}\n")
    after_macros = previewer.build()
    assert len(story_pages) < after_macros.rendered < after_macros.pages  # the pages whose templates import the macros

    touch(own / "base.html", (REPO / "templates" / "base.html").read_text(encoding="utf-8").replace("</footer>", "<p>Base edit.</p></footer>", 1))
    after_base = previewer.build()
    assert after_base.rendered == after_base.pages  # every page extends base.html
