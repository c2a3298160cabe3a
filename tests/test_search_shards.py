"""The search index in shards: which pages go where, and what an edit makes Pagefind index again.

Real builds of a generated site (helpers.write_search_corpus: about 120 stories, enough for two shards) with
the real Pagefind; the index's files are gzip-compressed, and read back decompressed. That the browser finds the same stories as one index
of the whole site (and nothing of what the edits' shard supersedes) is tested in test_search_browser.py.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from helpers import indexed_words, invoke, write_search_corpus

from digest.publish.search import RECENT, SHARDS_FILE, indexed_pages, indexed_part, is_marked, shard_count, shard_name, shard_of, supersede


def shard_list(output: Path) -> dict:
    return json.loads((output / "pagefind" / SHARDS_FILE).read_text(encoding="utf-8"))


def shards(output: Path) -> list[str]:
    """The shards but the edits'."""
    return [name for name in shard_list(output)["shards"] if name != RECENT]


def inodes(output: Path, names: list[str]) -> dict[str, int]:
    return {name: (output / "pagefind" / name / "pagefind-entry.json").stat().st_ino for name in names}


def story_path(site: Path, word: str) -> str:
    """The page of the story whose text has ``word``."""
    for story in json.loads(invoke("list", "--json", cwd=site, check=True).stdout):
        if any(word in (site / "content" / f"{name}.md").read_text(encoding="utf-8") for name in story["article_ids"]):
            return story["path"]
    raise AssertionError(f"no story has {word!r}")


@pytest.fixture
def corpus_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    write_search_corpus(site / "content")
    return site


def test_shards_grow_as_the_square_root_and_keep_their_number_while_near_it():
    assert shard_count(0) == shard_count(50) == 1
    assert shard_count(8_941) == 16  # the 10,000-article benchmark: about 560 pages a shard
    assert shard_count(89_410) == 64
    assert shard_count(200, previous=2) == 2 and shard_count(300, previous=2) == 2
    assert shard_count(1_000, previous=2) == 4  # far from the old number: chosen afresh
    assert shard_count(12_000, previous=16) == 16 and shard_count(4_000, previous=16) == 16


def test_a_page_keeps_its_shard_and_an_entity_s_pages_share_one():
    assert shard_of("stories/harbour/index.html", 16) == shard_of("stories/harbour/index.html", 16)
    assert shard_of("entities/kim/index.html", 16) == shard_of("entities/kim/page/2/index.html", 16)
    spread = {shard_of(f"stories/s{i}/index.html", 16) for i in range(200)}
    assert len(spread) == 16


def test_the_body_mark_counts_only_inside_a_tag():
    assert is_marked(b'<main><div class="story" data-pagefind-body>text</div></main>')
    assert not is_marked(b"<main><p>Write data-pagefind-body on an element &lt;div&gt;</p></main>")


def test_the_fullest_shards_take_back_their_pages_until_few_enough_are_superseded():
    pages = [f"stories/s{i}/index.html" for i in range(40)]
    assert supersede(pages[:5], 4, limit=5) == (frozenset(pages[:5]), set())
    left, folded = supersede(pages, 4, limit=6)
    assert len(left) <= 6 and folded and all(shard_of(page, 4) not in folded for page in left)
    counts = [sum(shard_of(page, 4) == number for page in pages) for number in range(4)]
    assert max(range(4), key=counts.__getitem__) in folded, "the shard holding most is indexed again first"
    assert supersede(pages[:3], 1, limit=0) == (frozenset(), {0})


def test_what_pagefind_ignores_is_left_out_of_the_comparison():
    before = (b'<div data-pagefind-body><h1>Dam</h1><section data-pagefind-ignore><section><a>Older</a></section>'
              b'<a>Related one</a></section><p>Text</p><img data-pagefind-ignore src="a.png"></div>')
    after = before.replace(b"Related one", b"Related two").replace(b"Older", b"Newer").replace(b"a.png", b"b.png")
    assert indexed_part(before) == indexed_part(after) == b"<div data-pagefind-body><h1>Dam</h1><p>Text</p></div>"
    assert indexed_part(before) != indexed_part(before.replace(b"Text", b"Words"))
    filtered = b'<section data-pagefind-ignore><span data-pagefind-filter="tag">x</span></section>'
    assert indexed_part(filtered) == filtered  # Pagefind still reads filters there
    unclosed = b"<div data-pagefind-body><nav data-pagefind-ignore><a>Next</a><p>Text</p></div>"
    assert indexed_part(unclosed) == unclosed


def test_an_edit_goes_to_the_shard_of_recent_edits_and_supersedes_its_shard_s_copy(corpus_site):
    invoke("build", cwd=corpus_site, check=True)
    output = corpus_site / "output"
    names = shards(output)
    assert len(names) >= 2, f"the corpus should make several shards, not {names}"
    assert shard_list(output) == {"shards": names}  # a cold build: no edits, nothing superseded
    count = json.loads((output / ".digest-cache" / "search.json").read_text(encoding="utf-8"))["shards"]
    dam = story_path(corpus_site, "quillowmarsh")
    home = shard_name(shard_of(dam, count), count)
    assert [name for name in names if b"quillowmarsh" in indexed_words(output / "pagefind" / name)] == [home]
    before = inodes(output, names)

    version = corpus_site / "content" / "dam-valley.md"
    version.write_text(version.read_text(encoding="utf-8").replace("quillowmarsh", "zephyrcrane"), encoding="utf-8")
    result = invoke("build", cwd=corpus_site, check=True)
    assert "0 warnings" in result.stdout
    edits = indexed_pages(output / "pagefind" / RECENT)
    assert list(edits.values()) == [dam]
    assert shard_list(output) == {"shards": [*names, RECENT], "edits": edits, "superseded": [dam]}
    assert inodes(output, names) == before, "no shard is indexed again for one edit"
    recent = indexed_words(output / "pagefind" / RECENT)
    assert b"zephyrcrane" in recent and b"quillowmarsh" not in recent

    note = corpus_site / "content" / "note-017.md"
    note.write_text(note.read_text(encoding="utf-8").replace("\n\n", "\n\nDockside. ", 1), encoding="utf-8")
    invoke("build", cwd=corpus_site, check=True)
    brant = story_path(corpus_site, "Dockside")
    assert shard_list(output)["superseded"] == sorted([dam, brant]) and inodes(output, names) == before
    assert sorted(indexed_pages(output / "pagefind" / RECENT).values()) == sorted([dam, brant])
    assert b"zephyrcrane" in indexed_words(output / "pagefind" / RECENT)


def test_a_deleted_story_is_superseded_and_no_search_leaves_no_index(corpus_site):
    invoke("build", cwd=corpus_site, check=True)
    output = corpus_site / "output"
    brant = story_path(corpus_site, "Brantwhistle")
    (corpus_site / "content" / "note-017.md").unlink()
    invoke("build", cwd=corpus_site, check=True)
    assert shard_list(output) == {"shards": shards(output), "edits": {}, "superseded": [brant]}  # nothing left to index
    assert not (output / "pagefind" / RECENT).exists()
    (corpus_site / "content" / "note-018.md").unlink()
    invoke("build", "--no-search", cwd=corpus_site, check=True)  # an index of the pages before would be stale
    assert not (output / "pagefind").exists() and not (output / ".digest-cache" / "search.json").exists()


def tree(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_in_four_shards_edits_past_the_limit_fold_back_into_shards_a_cold_build_would_make(tmp_path):
    """Byte for byte: a shard is the one a cold build makes of the same site, except for the pages superseded
    (at most sqrt(pages)), which are in the edits' shard as they are now. (400 stories make four shards.)"""
    edited, cold = tmp_path / "edited", tmp_path / "cold"
    write_search_corpus(edited / "content", stories=400)
    invoke("build", cwd=edited, check=True)
    output = edited / "output"
    names = shards(output)
    assert len(names) >= 4
    marked = json.loads((output / ".digest-cache" / "search.json").read_text(encoding="utf-8"))["marked"]
    before = inodes(output, names)
    for number in range(100, 100 + math.isqrt(len(marked)) + 8):  # a few edits past the limit
        note = edited / "content" / f"note-{number:03d}.md"
        note.write_text(note.read_text(encoding="utf-8").replace("\n\n", "\n\nDockside. ", 1), encoding="utf-8")
    invoke("build", cwd=edited, check=True)
    superseded = set(shard_list(output)["superseded"])
    assert 0 < len(superseded) <= math.isqrt(len(marked))
    assert set(indexed_pages(output / "pagefind" / RECENT).values()) == superseded
    folded = [name for name in names if inodes(output, [name])[name] != before[name]]
    assert folded and len(folded) < len(names), "the fullest shards are indexed again, not all"
    assert not any(shard_name(shard_of(page, len(names)), len(names)) in folded for page in superseded)
    shutil.copytree(edited / "content", cold / "content")
    invoke("build", cwd=cold, check=True)
    index, cold_index = tree(output / "pagefind"), tree(cold / "output" / "pagefind")
    for name in folded:
        assert {path: data for path, data in index.items() if path.startswith(f"{name}/")} == \
            {path: data for path, data in cold_index.items() if path.startswith(f"{name}/")}
    pages = {path: data for path, data in tree(output).items() if not path.startswith((".digest-cache", "pagefind"))}
    assert pages == {path: data for path, data in tree(cold / "output").items() if not path.startswith((".digest-cache", "pagefind"))}


def test_each_shard_is_one_run_of_pagefind_s_binary_and_a_failing_run_stops_the_build(corpus_site, tmp_path, monkeypatch):
    """The binary ``PAGEFIND_BINARY_PATH`` names (as ``python -m pagefind`` honours it) is what runs, once a shard;
    when a run fails, the build says what the indexer said and publishes nothing."""
    from pagefind_bin import get_executable

    runs, fails = tmp_path / "runs.log", tmp_path / "fail"
    indexer = tmp_path / "indexer.sh"
    indexer.write_text(f'#!/bin/sh\necho "$@" >> "{runs}"\n'
                       f'if [ -e "{fails}" ]; then echo "cannot read the site: disk on fire"; exit 3; fi\n'
                       f'exec "{get_executable()}" "$@"\n', encoding="utf-8")
    indexer.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(indexer))
    invoke("build", cwd=corpus_site, check=True)
    output = corpus_site / "output"
    names = shards(output)
    sites = sorted(line.split("--site ")[1].split()[0].rsplit("/", 1)[1] for line in runs.read_text(encoding="utf-8").splitlines())
    assert sites == names and len(names) >= 2
    assert all((output / "pagefind" / name / "pagefind.js").is_file() for name in names)

    def site() -> dict[str, bytes]:  # the pages and the index (the cache keeps compiled templates at once)
        return {path: data for path, data in tree(output).items() if not path.startswith(".digest-cache/templates")}

    published = site()
    fails.touch()
    note = corpus_site / "content" / "dam-valley.md"
    note.write_text(note.read_text(encoding="utf-8").replace("quillowmarsh", "zephyrcrane"), encoding="utf-8")
    result = invoke("build", cwd=corpus_site)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "the search indexer (pagefind) failed: cannot read the site: disk on fire" in result.stderr
    assert "Traceback" not in result.stderr
    assert site() == published

    not_a_program = tmp_path / "pagefind.txt"
    not_a_program.write_text("not a program\n", encoding="utf-8")
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(not_a_program))
    result = invoke("build", cwd=corpus_site)
    assert result.returncode == 2 and "the search indexer (pagefind) could not start" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert site() == published
