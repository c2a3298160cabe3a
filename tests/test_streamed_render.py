"""Render and write streamed: pages go into the staging folder as they are rendered, never all held at once.

The render worker hands its batches back while it works (``digest.forking.Streamed``); the disk sink writes each
changed page into the staging folder at once (``digest.publish.write.Publication``) and switches the finished site
in whole, so ``output/`` is still the old site or the new one, never a mix.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
from helpers import invoke

from digest.errors import BuildError
from digest.forking import Streamed, Turns, can_fork
from digest.publish.safety import MARKER
from digest.publish.write import Publication, write_output

forking = pytest.mark.skipif(not can_fork(), reason="runs in this process where fork is missing")



def note(title: str, body: str) -> str:
    front = {"title": title, "date": "2025-07-27", "outlet": "Dawn"}
    return "---\n" + "".join(f"{key}: {value}\n" for key, value in front.items()) + f"---\n{body}\n"


def _counting(n: int):
    for i in range(n):
        yield {"batch": i, "bytes": bytes([i % 256]) * 1000}


def _fails_after_two():
    yield 1
    yield 2
    raise ValueError("page 3 is broken")


def _killed_after_one():
    yield "first"
    os.kill(os.getpid(), signal.SIGKILL)


def _endless():
    i = 0
    while True:
        yield i
        i += 1


def _my_turns(turns: Turns):
    yield from turns


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".digest-cache" not in p.parts}


# ---------------------------------------------------------------- the worker's stream


@forking
def test_a_streamed_worker_hands_back_every_item_in_order_and_ends():
    stream = Streamed(_counting, 200, ahead=2)
    assert list(stream.rest()) == list(_counting(200))
    assert not multiprocessing.active_children()


@forking
def test_an_error_in_the_worker_is_raised_here_after_the_items_before_it():
    stream = Streamed(_fails_after_two)
    got = []
    with pytest.raises(ValueError, match="page 3 is broken"):
        for item in stream.rest():
            got.append(item)
    assert got == [1, 2]
    assert not multiprocessing.active_children()


@forking
def test_an_error_in_the_worker_is_raised_by_the_look_between_batches_too():
    """The process that renders too looks for the worker's batches between its own: a failed worker stops it
    there, not after it has rendered everything else."""
    stream = Streamed(_fails_after_two)
    got: list[int] = []
    with pytest.raises(ValueError, match="page 3 is broken"):
        for _ in range(60_000):  # a bound, not a time limit: the error comes long before
            got.extend(stream.ready())
            time.sleep(0.001)
    assert got == [1, 2]
    assert not multiprocessing.active_children()


@forking
def test_a_worker_killed_mid_way_is_a_build_error_that_names_memory():
    stream = Streamed(_killed_after_one)
    with pytest.raises(BuildError, match=r"\(_killed_after_one\) was killed \(signal 9"):
        list(stream.rest())


@forking
def test_a_stream_given_up_on_ends_its_worker():
    stream = Streamed(_endless, ahead=1)
    for item in stream.rest():
        if item == 3:
            break  # the generator is closed: its worker is stopped
    assert not multiprocessing.active_children()
    assert list(stream.ready()) == []


@forking
def test_turns_go_once_each_to_this_process_or_the_worker():
    turns = Turns(300)
    stream = Streamed(_my_turns, turns)
    mine = list(turns)
    theirs = list(stream.rest())
    assert sorted(mine + theirs) == list(range(300))


# ---------------------------------------------------------------- the staged site


def test_each_changed_file_is_in_the_staging_folder_before_the_switch(tmp_path):
    output = tmp_path / "output"
    write_output({"index.html": b"old home", "a/index.html": b"old a"}, output)
    with Publication(output) as publication:
        publication.put("index.html", b"new home")
        staged = publication.staging
        assert staged is not None and (staged / "index.html").read_bytes() == b"new home"  # written as it came
        assert tree(output) == {".digest-output": (output / MARKER).read_bytes(), "a/index.html": b"old a", "index.html": b"old home"}
        publication.put("a/index.html", b"old a")  # unchanged: linked to the published file at the end
        assert not (staged / "a" / "index.html").exists() or (staged / "a" / "index.html").stat().st_ino == (output / "a" / "index.html").stat().st_ino
        written, deleted = publication.finish()
    assert (written, deleted) == (1, 0)
    assert tree(output) == {".digest-output": (output / MARKER).read_bytes(), "a/index.html": b"old a", "index.html": b"new home"}
    assert not staged.exists()


def test_a_build_that_changes_nothing_claims_no_staging_folder(tmp_path):
    output = tmp_path / "output"
    files = {"index.html": b"home", "a/index.html": b"a"}
    write_output(files, output)
    with Publication(output) as publication:
        for rel, data in files.items():
            publication.put(rel, data)
        assert publication.staging is None
        assert publication.finish() == (0, 0)


def test_a_failure_half_way_leaves_the_old_site_and_no_staging_folder(tmp_path):
    output = tmp_path / "output"
    write_output({"index.html": b"old home", "a/index.html": b"old a"}, output)
    before = tree(output)
    with pytest.raises(RuntimeError), Publication(output) as publication:
        publication.put("index.html", b"new home")
        raise RuntimeError("a template failed")
    assert tree(output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


def test_a_staging_folder_from_the_site_before_last_takes_files_where_folders_were_and_back(tmp_path):
    """The spare (the site before last) becomes the staging folder: a file of it where the new site has a folder,
    and a folder where it has a file, make way, while pages are written one at a time."""
    output = tmp_path / "output"
    sites = [
        {"x": b"x as a file", "y/index.html": b"y in a folder"},
        {"z.html": b"in between"},
        {"x/index.html": b"x as a folder", "y": b"y as a file"},  # staged in the spare, which holds the first site
    ]
    for site in sites:
        write_output(site, output)
        assert {rel: data for rel, data in tree(output).items() if rel != MARKER} == site


# ---------------------------------------------------------------- a whole build


def test_a_template_failing_while_both_processes_render_leaves_the_old_site(tmp_path, monkeypatch):
    import digest.render.pages as render

    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    events = [("Karachi", "Harbour reopens after the storm"), ("Lahore", "Monsoon rains flood the old city"),
              ("Quetta", "Earthquake drill held in schools"), ("Multan", "Mango growers report a record crop"),
              ("Sukkur", "Barrage gates repaired before the flood season"), ("Hyderabad", "Cricket stadium to get floodlights")]
    for number, (city, title) in enumerate(events):
        (site / "content" / f"n{number}.md").write_text(note(f"{title} in {city}", f"{city.upper()}: officials said: {title.lower()}."),
                                                       encoding="utf-8")
    monkeypatch.setattr(render, "PARALLEL_RENDER_MIN", 1)
    monkeypatch.setattr(render, "RENDER_BATCH", 1)
    invoke("build", "--no-search", cwd=site, check=True)
    before = tree(site / "output")
    (site / "templates").mkdir()
    (site / "templates" / "story.html").write_text(
        '{% extends "base.html" %}\n{% block main %}\n{% if "sukkur" in page.path %}{{ no_such_value.title }}{% endif %}\n{% endblock %}\n',
        encoding="utf-8")
    (site / "content" / "n0.md").write_text(note("Harbour reopens after the storm in Karachi", "KARACHI: officials said so."),
                                            encoding="utf-8")
    result = invoke("build", "--no-search", cwd=site)
    assert result.returncode == 2, result.stderr
    assert "templates/story.html:3: " in result.stderr and "'no_such_value' is undefined" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree(site / "output") == before
    assert sorted(p.name for p in site.iterdir() if p.name.startswith(".output")) in ([], [".output.digest-spare"])
    assert not multiprocessing.active_children()
