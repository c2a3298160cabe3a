"""The spare: the site before the last, which the next build turns into its staging folder.

A spare kept by a build that switched it out is stamped with its manifest's hash, so that the next build knows its
files without walking them and changes only those that differ; a spare without a valid stamp (a killed build's
staging folder, one changed since) is walked as before. Either way the published site is exactly a clean build's.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import clean_tree, published_tree

from digest.cli import cli
from digest.publish.write import SPARE_STAMP

NOTE = """---
title: {title}
date: 2025-07-{day:02d}
outlet: {outlet}
---
{body}
"""
PLACES = ["Karachi", "Lahore", "Quetta", "Peshawar", "Multan", "Sukkur"]
SUBJECTS = ["harbour cranes", "wheat prices", "school exams", "cricket league", "metro fares", "dengue cases", "solar tariffs",
            "river dams", "textile exports", "bus strike", "hospital beds", "mobile taxes", "flood relief", "gas shortage"]


def note(site: Path, n: int, extra: str = "") -> None:
    """One story of its own (no two notes share a subject): the merge has nothing to decide."""
    place, subject = PLACES[n % len(PLACES)], SUBJECTS[n % len(SUBJECTS)]
    body = f"{place.upper()}: Officials in {place} spoke about {subject} on Tuesday.{extra}"
    (site / "content" / f"note-{n}.md").write_text(
        NOTE.format(title=f"{subject.capitalize()} in {place}", day=1 + n % 27, outlet=["Dawn", "Geo"][n % 2], body=body),
        encoding="utf-8")


def build(site: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["build", "--no-search", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    for n in range(12):
        note(root, n)
    monkeypatch.chdir(root)
    return root


def test_edits_deletions_and_additions_on_a_stamped_spare_give_a_clean_builds_site(site):
    output, spare = site / "output", site / ".output.digest-spare"
    build(site)
    note(site, 3, " A second paragraph says the works will resume.")
    build(site)
    assert (spare / SPARE_STAMP).is_file()  # switched out whole: stamped
    steps = [
        lambda: note(site, 5, " The minister resigned on Wednesday."),
        lambda: (site / "content" / "note-7.md").unlink(),  # a story's folder goes
        lambda: note(site, 13),  # a new story, and new group pages
        lambda: [note(site, n, " Later, the inquiry was widened.") for n in range(12) if n != 7],  # most pages change
        lambda: [(site / "content" / f"note-{n}.md").unlink() for n in (0, 1, 2, 13)],
    ]
    for step in steps:
        unchanged = {rel: (output / rel).stat().st_ino for rel in ("robots.txt", ".nojekyll") if (output / rel).exists()}
        step()
        build(site)
        assert published_tree(output) == clean_tree(site)
        assert not (output / SPARE_STAMP).exists() and (spare / SPARE_STAMP).is_file()
        assert {rel: (output / rel).stat().st_ino for rel in unchanged} == unchanged  # carried as links, never rewritten


def test_a_spare_whose_stamp_does_not_hold_is_walked(site):
    output, spare = site / "output", site / ".output.digest-spare"
    build(site)
    note(site, 3, " A second paragraph.")
    build(site)
    # Changed behind digest's back since it was stamped: a page edited, one removed, one added.
    page = next(spare.glob("stories/*/index.html"))
    page.unlink()
    page.write_text("not this site", encoding="utf-8")
    next(path for path in spare.glob("stories/*/index.html") if path != page).unlink()
    (spare / "stray.html").write_text("no build made this", encoding="utf-8")
    manifest = spare / ".digest-cache" / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b"{", b"{ ", 1))  # same files listed, another hash
    note(site, 5, " The minister resigned.")
    build(site)
    assert published_tree(output) == clean_tree(site)


def test_a_killed_builds_staging_folder_is_not_trusted_as_stamped(site):
    output, spare = site / "output", site / ".output.digest-spare"
    build(site)
    note(site, 3, " A second paragraph.")
    build(site)
    assert (spare / SPARE_STAMP).is_file()
    # A build claims the spare (its stamp goes first), writes a page into it and is killed: its staging folder is
    # the spare again, unstamped, with a page no build published.
    claimed = site / f".output.digest-new-{_dead_pid()}"
    os.rename(spare, claimed)
    (claimed / SPARE_STAMP).unlink()
    page = next(claimed.glob("stories/*/index.html"))
    page.unlink()
    page.write_text("half written", encoding="utf-8")
    note(site, 5, " The minister resigned.")
    build(site)
    assert published_tree(output) == clean_tree(site)


def _dead_pid() -> int:
    pid = 999_999
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except OSError:
            pass
        pid -= 1
