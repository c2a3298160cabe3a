"""After any sequence of saves, the preview shows exactly what a build from scratch would show.

The preview reuses everything it can between builds (parse cache, re-merge, classify memo, the last
graph's pages, the render memo); this checks all of that reuse at once, page by page, byte by byte.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

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


def test_the_preview_after_many_saves_shows_what_a_fresh_build_shows(site):
    notes = write_notes(site, 160)
    lonely = site / "content" / "lonely.md"  # a story of one version, whose deletion must take its story along
    lonely.write_text("---\ntitle: Harbour bridge reopens after repairs\ndate: 2025-07-20\n---\nThe harbour bridge at "
                      "Port Vesta reopened on Sunday after three months of repairs, the works ministry said.\n", encoding="utf-8")
    previewer = Previewer(None, site)
    before = previewer.build()
    assert before.failure is None and any(b"Harbour bridge reopens" in page for page in before.files.values())

    def headline(path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        touch(path, text.replace('title: "', 'title: "Update: ', 1))

    def body(path: Path) -> None:
        head, _, rest = path.read_text(encoding="utf-8").partition("\n---\n")
        touch(path, f"{head}\n---\nA new opening paragraph, written by the editor after a reader's letter.\n\n{rest}")

    def re_report(path: Path) -> None:  # another outlet's shorter version of the same event
        head, _, rest = path.read_text(encoding="utf-8").partition("\n---\n")
        head = "\n".join(line if not line.startswith("outlet:") else 'outlet: "Echo"' for line in head.splitlines())
        paragraphs = rest.split("\n\n")
        touch(path.with_name(f"rereport-{path.stem}.md"), head + "\n---\n" + "\n\n".join(paragraphs[: max(1, len(paragraphs) // 2)]) + "\n")

    def captured_page() -> None:  # a related article of a captured page, edited
        page = next((site / "content").glob("002_*.txt"))
        touch(page, page.read_text(encoding="utf-8").replace("481", "482", 1))

    def settings() -> None:  # digest.yaml: every page shows the site's title
        config = site / "digest.yaml"
        touch(config, config.read_text(encoding="utf-8").replace("title: Regional News Digest", "title: Harbour Digest", 1))

    def template() -> None:  # the site's own theme, overriding the default base template
        base = site / "templates" / "base.html"
        base.parent.mkdir(exist_ok=True)
        touch(base, (REPO / "templates" / "base.html").read_text(encoding="utf-8").replace("</footer>", "<p>Edited in the preview.</p></footer>", 1))

    saves = [
        lambda: headline(notes[3]), lambda: body(notes[10]), lambda: notes[20].unlink(), lambda: re_report(notes[30]), lambda: lonely.unlink(),
        lambda: notes[40].rename(notes[40].with_name("renamed.md")), captured_page, lambda: headline(notes[50]),
        lambda: (body(notes[60]), notes[61].unlink(), re_report(notes[62])),  # a burst: one rebuild
        template, lambda: headline(notes[70]), settings, lambda: body(notes[80]),
    ]
    for number, save in enumerate(saves):
        save()
        kept = previewer.build()
        fresh = Previewer(None, site).build()
        assert kept.failure is None and fresh.failure is None
        assert differences(kept.files, fresh.files) == [], f"save {number}: pages differ from a fresh build"
        assert differences(before.files, kept.files), f"save {number} changed nothing: the check would be empty"
        before = kept
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
