"""The search index in shards: which pages go where, and what an edit makes Pagefind index again.

Real builds of a generated site (helpers.write_search_corpus: about 120 stories, enough for two shards) with
the real Pagefind; the index's files are gzip-compressed, and read back decompressed. That the browser finds the same stories as one index
of the whole site is tested in test_search_browser.py.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from helpers import copy_of_built, indexed_words, invoke, write_search_corpus

from digest.publish import search
from digest.publish.search import EARLY_STARTS, SHARDS_FILE, indexed_part, is_marked, search_copy, shard_count, shard_name, shard_of
from digest.publish.swap import staging_folder
from digest.publish.write import KEPT, Publication


def shards(output: Path) -> list[str]:
    return json.loads((output / "pagefind" / SHARDS_FILE).read_text(encoding="utf-8"))["shards"]


def story_path(stories: list[dict], site: Path, word: str) -> str:
    """The page of the story (of ``stories``, ``digest list --json``) whose text in ``site`` has ``word``."""
    for story in stories:
        if any(word in (site / "content" / f"{name}.md").read_text(encoding="utf-8") for name in story["article_ids"]):
            return story["path"]
    raise AssertionError(f"no story has {word!r}")


@pytest.fixture
def corpus_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    write_search_corpus(site / "content")
    return site


def _write_and_build(folder: Path) -> None:
    write_search_corpus(folder / "content")
    invoke("build", cwd=folder, check=True)


@pytest.fixture
def built_corpus_site(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """The corpus and its first build (search included), made once per session, copied for each test."""
    return copy_of_built(tmp_path_factory, "search-corpus-built", _write_and_build, tmp_path / "site")


@pytest.fixture(scope="module")
def corpus_stories(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """``digest list --json`` of the built corpus, listed once for the tests that start from it (each listing reads,
    merges and files the corpus again: ~0.06 CPU-s, 13 times in this module). A test lists again after its edits."""
    site = copy_of_built(tmp_path_factory, "search-corpus-built", _write_and_build, tmp_path_factory.mktemp("listed") / "site")
    return json.loads(invoke("list", "--json", cwd=site, check=True).stdout)


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


def test_the_index_keeps_each_page_s_shard_and_drops_what_other_code_kept(built_corpus_site):
    cache = built_corpus_site / "output" / ".digest-cache"
    site = search.site_hash((cache / "manifest.json").read_bytes())
    state = search.SearchState.load(cache, site)
    assert state is not None and state.numbers.keys() == state.marked
    assert all(number == shard_of(rel, state.shards) for rel, number in state.numbers.items())
    data = json.loads((cache / search.STATE_FILE).read_text(encoding="utf-8"))
    data["numbers"] = [(number + 1) % state.shards for number in data["numbers"]]  # another code's way of sharding
    (cache / search.STATE_FILE).write_text(json.dumps(data), encoding="utf-8")
    reloaded = search.SearchState.load(cache, site)
    assert reloaded is not None and reloaded.marked == state.marked and not reloaded.numbers


def test_the_body_mark_counts_only_inside_a_tag():
    assert is_marked(b'<main><div class="story" data-pagefind-body>text</div></main>')
    assert not is_marked(b"<main><p>Write data-pagefind-body on an element &lt;div&gt;</p></main>")


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


def test_a_page_is_copied_for_search_only_when_pagefind_would_read_nothing_else_of_it():
    page = (b'<html lang="en"><head><title>Dam</title></head><body><nav data-pagefind-ignore>Home</nav><article data-pagefind-body>'
            b'<h1>Dam</h1><p data-pagefind-ignore>Kicker</p><p>Text</p></article><footer>About</footer></body></html>')
    assert search_copy(page) == (b'<html lang="en"><head><title>Dam</title></head><body>'
                                 b'<article data-pagefind-body><h1>Dam</h1><p>Text</p></article></body></html>')
    assert search_copy(page.replace(b"<footer>", b'<footer data-pagefind-filter="site">')) is None
    assert search_copy(page.replace(b"<footer>", b"<footer data-pagefind-body>")) is None
    assert search_copy(page.replace(b"</head>", b"")) is None
    assert search_copy(page.replace(b" data-pagefind-body", b"")) is None


def test_pagefind_makes_the_same_files_of_the_copies_made_for_search(built_corpus_site, tmp_path):
    """Byte for byte: the copies leave out only what Pagefind does not read (so results and their order stay)."""
    from pagefind_bin import get_executable

    output = built_corpus_site / "output"
    pages = sorted(output.glob("stories/*/index.html"))[:20] + sorted(output.glob("entities/*/index.html"))[:5]
    for page in pages:
        copy = search_copy(page.read_bytes())
        assert copy is not None and len(copy) < 0.8 * page.stat().st_size
        for folder, data in (("whole", page.read_bytes()), ("copies", copy)):
            (tmp_path / folder / page.relative_to(output)).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / folder / page.relative_to(output)).write_bytes(data)
    for folder in ("whole", "copies"):
        subprocess.run([str(get_executable()), "--site", str(tmp_path / folder), "--output-path", str(tmp_path / f"{folder}-index"), "--quiet"],
                       check=True, capture_output=True)
    assert tree(tmp_path / "whole-index") == tree(tmp_path / "copies-index")
    assert len(list((tmp_path / "copies-index" / "fragment").iterdir())) == len(pages)  # each page indexed


def test_an_edit_reindexes_only_its_shard_and_the_index_follows_it(built_corpus_site, corpus_stories):
    corpus_site = built_corpus_site
    output = corpus_site / "output"
    names = shards(output)
    assert len(names) >= 2, f"the corpus should make several shards, not {names}"
    count = json.loads((output / ".digest-cache" / "search.json").read_text(encoding="utf-8"))["shards"]
    home = shard_name(shard_of(story_path(corpus_stories, corpus_site, "quillowmarsh"), count), count)
    assert [name for name in names if b"quillowmarsh" in indexed_words(output / "pagefind" / name)] == [home]
    before = {name: (output / "pagefind" / name / "pagefind-entry.json").stat().st_ino for name in names}

    version = corpus_site / "content" / "dam-valley.md"
    version.write_text(version.read_text(encoding="utf-8").replace("quillowmarsh", "zephyrcrane"), encoding="utf-8")
    result = invoke("build", cwd=corpus_site, check=True)
    assert "0 warnings" in result.stdout
    assert shards(output) == names
    after = {name: (output / "pagefind" / name / "pagefind-entry.json").stat().st_ino for name in names}
    assert [name for name in names if after[name] != before[name]] == [home], "only the edited story's shard is indexed again"
    everything = b"".join(indexed_words(output / "pagefind" / name) for name in names)
    assert b"zephyrcrane" in everything and b"quillowmarsh" not in everything
    assert everything.count(b"lanternfish") >= 10  # the other shards are still there, whole


def test_a_deleted_story_leaves_its_shard_and_no_search_leaves_no_index(built_corpus_site):
    corpus_site = built_corpus_site
    output = corpus_site / "output"
    (corpus_site / "content" / "note-017.md").unlink()
    invoke("build", cwd=corpus_site, check=True)
    everything = b"".join(indexed_words(output / "pagefind" / name) for name in shards(output))
    assert b"Brantwhistle" not in everything and b"lanternfish" in everything
    (corpus_site / "content" / "note-018.md").unlink()
    invoke("build", "--no-search", cwd=corpus_site, check=True)  # an index of the pages before would be stale
    assert not (output / "pagefind").exists() and not (output / ".digest-cache" / "search.json").exists()


def tree(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_in_four_shards_an_edited_site_s_index_is_the_one_a_cold_build_makes(tmp_path, monkeypatch):
    """Byte for byte, shards carried over and shards made again alike: what an edit leaves is never stale. (Four
    shards or more: enough for two edits to leave most of them carried over. The shards are made smaller here, so
    that the 120-story corpus makes them, not 400 stories at the shipped size.)"""
    monkeypatch.setattr(search, "PAGES_PER_SHARD_SQUARED", 10)
    edited, cold = tmp_path / "edited", tmp_path / "cold"
    write_search_corpus(edited / "content")
    invoke("build", cwd=edited, check=True)
    names = shards(edited / "output")
    assert len(names) >= 4
    before = {name: (edited / "output" / "pagefind" / name / "pagefind-entry.json").stat().st_ino for name in names}
    for name, old, new in (("dam-valley", "quillowmarsh", "zephyrcrane"), ("note-017", "Brantwhistle", "Brantwhistle Dockside")):
        note = edited / "content" / f"{name}.md"
        note.write_text(note.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    invoke("build", cwd=edited, check=True)
    carried = [name for name in names if (edited / "output" / "pagefind" / name / "pagefind-entry.json").stat().st_ino == before[name]]
    assert len(names) - 2 <= len(carried) <= len(names) - 1, "two edits re-index their shards (one or two), and no others"
    shutil.copytree(edited / "content", cold / "content")
    invoke("build", cwd=cold, check=True)
    assert tree(edited / "output" / "pagefind") == tree(cold / "output" / "pagefind")
    pages = {path: data for path, data in tree(edited / "output").items() if not path.startswith((".digest-cache", "pagefind"))}
    assert pages == {path: data for path, data in tree(cold / "output").items() if not path.startswith((".digest-cache", "pagefind"))}


def _delete_add_and_edit(site: Path, stories: list[dict], count: int, home: int, new: int) -> dict:
    """Delete a one-article story of shard ``home`` (not the dam's; ``stories``: the site's listing), add ``new``
    notes about the glimmerfen, and edit the dam's (quillowmarsh -> zephyrcrane). The story deleted."""
    gone = next(story for story in stories if shard_of(story["path"], count) == home and len(story["article_ids"]) == 1
                and not story["article_ids"][0].startswith("dam-"))
    (site / "content" / f"{gone['article_ids'][0]}.md").unlink()
    for i in range(new):
        (site / "content" / f"new-{i}.md").write_text(f"---\ntitle: Ferryman {i} charts the glimmerfen\ndate: 2025-07-0{1 + i}\n"
                                                      f"outlet: Outlet {i % 3}\n---\nThe glimmerfen rose {i} feet overnight.\n", encoding="utf-8")
    note = site / "content" / "dam-valley.md"
    note.write_text(note.read_text(encoding="utf-8").replace("quillowmarsh", "zephyrcrane"), encoding="utf-8")
    return gone


def test_after_edits_in_two_shards_one_build_after_the_other_the_index_is_a_cold_build_s(built_corpus_site, corpus_stories, tmp_path):
    """The third build stages the site into the first one's folder (the spare): a shard carried over by the second
    build is left there as it is, the one it indexed again is brought up to date."""
    site = built_corpus_site
    count = json.loads((site / "output" / ".digest-cache" / "search.json").read_text(encoding="utf-8"))["shards"]
    home = shard_of(story_path(corpus_stories, site, "quillowmarsh"), count)
    other = next(story for story in corpus_stories
                 if shard_of(story["path"], count) != home and len(story["article_ids"]) == 1)
    for note, old, new in ((site / "content" / "dam-valley.md", "quillowmarsh", "zephyrcrane"),
                           (site / "content" / f"{other['article_ids'][0]}.md", "\n---\n", "\n---\nA heron stood in the millrace.\n\n")):
        note.write_text(note.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        invoke("build", cwd=site, check=True)
    cold = tmp_path / "cold"
    shutil.copytree(site / "content", cold / "content")
    invoke("build", cwd=cold, check=True)
    assert tree(site / "output" / "pagefind") == tree(cold / "output" / "pagefind")


def test_a_shard_changed_after_its_run_started_early_is_indexed_as_a_cold_build_would(built_corpus_site, corpus_stories, tmp_path):
    """After an edit, the edited story's shard is indexed as soon as its page is written, while the build goes on.
    A story added to that shard, one deleted from it and more edits (past the early runs allowed) in the same
    build change what that run was given: the index is still, byte for byte, the one a cold build makes."""
    site = built_corpus_site
    count = json.loads((site / "output" / ".digest-cache" / "search.json").read_text(encoding="utf-8"))["shards"]
    home = shard_of(story_path(corpus_stories, site, "quillowmarsh"), count)
    _delete_add_and_edit(site, corpus_stories, count, home, 8)
    for i in range(1, 1 + 2 * EARLY_STARTS):
        note = site / "content" / f"note-{i:03d}.md"
        note.write_text(note.read_text(encoding="utf-8") + f"\nA heron {i} stood in the millrace.\n", encoding="utf-8")
    invoke("build", cwd=site, check=True)
    added = [story for story in json.loads(invoke("list", "--json", cwd=site, check=True).stdout) if story["article_ids"][0].startswith("new-")]
    assert any(shard_of(story["path"], count) == home for story in added), "a new story should join the edited story's shard"
    cold = tmp_path / "cold"
    shutil.copytree(site / "content", cold / "content")
    invoke("build", cwd=cold, check=True)
    assert tree(site / "output" / "pagefind") == tree(cold / "output" / "pagefind")


def test_an_edited_story_s_shard_laid_out_before_render_is_indexed_as_a_cold_build_would(built_corpus_site, corpus_stories, tmp_path, monkeypatch):
    """An edit of a few documents lays out the rest of the edited story's shard while the graph is built. Here
    the same build also deletes a story of that shard (laid out, no longer in it) and adds stories to it: the
    index is still, byte for byte, the one a cold build makes."""
    from digest.publish.indexer import Indexer

    site = built_corpus_site
    count = json.loads((site / "output" / ".digest-cache" / "search.json").read_text(encoding="utf-8"))["shards"]
    edited = story_path(corpus_stories, site, "quillowmarsh")
    home = shard_of(edited, count)
    gone = _delete_add_and_edit(site, corpus_stories, count, home, 3)
    prepared: list[tuple[str, set[str]]] = []
    laid_out = Indexer.prepare

    def prepare(indexer, name, pages, bundle):
        prepared.append((name, {rel for rel, source in pages.items() if source is not None}))
        laid_out(indexer, name, pages, bundle)
    monkeypatch.setattr(Indexer, "prepare", prepare)
    written: list[str] = []
    put = Publication.put

    def spy(publication, rel, data):
        if rel.endswith(".html") and data is not KEPT:
            written.append(rel)
        put(publication, rel, data)
    monkeypatch.setattr(Publication, "put", spy)
    invoke("build", cwd=site, check=True)
    [(name, pages)] = prepared
    assert name == shard_name(home, count) and gone["path"] in pages and edited not in pages
    added = [story for story in json.loads(invoke("list", "--json", cwd=site, check=True).stdout) if story["article_ids"][0].startswith("new-")]
    assert any(shard_of(story["path"], count) == home for story in added), "a new story should join the edited story's shard"
    first = {edited, *(story["path"] for story in added)}
    assert set(written[:len(first)]) == first, "the pages of the documents read afresh come first"
    cold = tmp_path / "cold"
    shutil.copytree(site / "content", cold / "content")
    invoke("build", cwd=cold, check=True)
    assert tree(site / "output" / "pagefind") == tree(cold / "output" / "pagefind")


def _edited_shard(site: Path, stories: list[dict]) -> tuple[Path, int, str, int]:
    """The site's output, its count of shards, the page of the story about the quillowmarsh and its shard."""
    output = site / "output"
    count = json.loads((output / ".digest-cache" / "search.json").read_text(encoding="utf-8"))["shards"]
    expected = story_path(stories, site, "quillowmarsh")
    return output, count, expected, shard_of(expected, count)


def test_a_run_whose_pages_the_layout_ahead_does_not_fit_lays_them_all_out_in_order(built_corpus_site, corpus_stories, tmp_path):
    """A new page in the expected shard has no folder laid out ahead: made last, it could come last in its folder's
    listing, where Pagefind (numbering pages as it finds them) would index the shard otherwise than a cold build.
    The run lays out all its pages afresh, in order, and makes what Pagefind makes of them so laid out."""
    from pagefind_bin import get_executable

    output, count, expected, home = _edited_shard(built_corpus_site, corpus_stories)
    new = next(path for n in range(200) if shard_of(path := f"stories/ferryman-{n}/index.html", count) == home)
    fresh = tmp_path / "fresh"
    with pytest.raises(RuntimeError), Publication(output, search=True) as publication:
        publication.expect([expected])
        publication.put(new, (output / expected).read_bytes().replace(b"</h1>", b" zephyrcrane</h1>", 1))
        assert publication.indexing is not None and publication.indexing.indexer is not None
        [run] = publication.indexing.indexer.runs.values()
        run.thread.join()
        assert run.failure is None and new in run.pages
        for rel, source in run.pages.items():
            data = source.read_bytes()
            (fresh / rel).parent.mkdir(parents=True, exist_ok=True)
            (fresh / rel).write_bytes(search_copy(data) or data)
        subprocess.run([str(get_executable()), "--site", str(fresh), "--output-path", str(tmp_path / "index"), "--quiet"], check=True)
        assert tree(run.bundle) == tree(tmp_path / "index")
        raise RuntimeError("the rest of the build is not the point")


def test_a_page_laid_out_ahead_then_put_changed_is_indexed_as_put(built_corpus_site, corpus_stories):
    """A page of the expected shard laid out from the published site, then put with other bytes before the run
    starts, is indexed in the version put."""
    site = built_corpus_site
    output, count, expected, home = _edited_shard(site, corpus_stories)
    other = next(story["path"] for story in corpus_stories
                 if shard_of(story["path"], count) == home and story["path"] != expected)
    with pytest.raises(RuntimeError), Publication(output, search=True) as publication:
        publication.expect([expected])
        assert publication.indexing is not None and publication.indexing.indexer is not None
        layout = publication.indexing.indexer.layouts[shard_name(home, count)]
        layout.wait()
        assert other in layout.done and expected not in layout.done
        publication.put(other, (output / other).read_bytes().replace(b"</h1>", b" zephyrcrane</h1>", 1))
        [run] = publication.indexing.indexer.runs.values()
        run.thread.join()
        assert run.failure is None and b"zephyrcrane" in indexed_words(run.bundle)
        raise RuntimeError("the rest of the build is not the point")
    assert b"zephyrcrane" not in (output / other).read_bytes()


def test_a_build_failing_while_a_shard_is_laid_out_ahead_stops_that_process_and_leaves_no_staging_folder(built_corpus_site, corpus_stories):
    output, _, expected, _ = _edited_shard(built_corpus_site, corpus_stories)
    before = tree(output)
    with pytest.raises(RuntimeError), Publication(output, search=True) as publication:
        publication.expect([expected])
        assert publication.indexing is not None and publication.indexing.indexer is not None
        [layout] = publication.indexing.indexer.layouts.values()
        process = layout.process
        assert process is not None
        raise RuntimeError("the graph failed")
    assert process.returncode is not None, "the layout process was waited for"
    assert tree(output) == before and not staging_folder(output).exists()


def test_a_build_failing_while_an_early_run_indexes_leaves_the_old_site_and_stops_pagefind(built_corpus_site, corpus_stories, tmp_path, monkeypatch):
    """An edited story's page starts its shard's run at once; the build failing after that (a template, say) kills
    the run and leaves the published site and index as they were, with no staging folder."""
    slow = tmp_path / "slow-pagefind.sh"
    slow.write_text("#!/bin/sh\nexec sleep 600\n", encoding="utf-8")  # a run still going when the build fails
    slow.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(slow))
    output = built_corpus_site / "output"
    before = tree(output)
    story = story_path(corpus_stories, built_corpus_site, "quillowmarsh")
    with pytest.raises(RuntimeError), Publication(output, search=True) as publication:
        publication.put(story, (output / story).read_bytes().replace(b"quillowmarsh", b"zephyrcrane"))
        assert publication.indexing is not None and publication.indexing.indexer is not None
        [run] = publication.indexing.indexer.runs.values()
        while run.process is None and run.thread.is_alive():
            run.thread.join(0.05)
        assert run.process is not None and run.process.poll() is None, "the shard's run is going"
        raise RuntimeError("a template failed")
    assert run.process.returncode == -signal.SIGKILL
    assert tree(output) == before
    assert not staging_folder(output).exists()


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



def test_an_edit_s_page_guessed_once_parsed_is_indexed_on_the_guess_when_right_and_again_when_wrong(built_corpus_site, corpus_stories, tmp_path,
                                                                                                 monkeypatch):
    """A note that is its story's one version, edited in its body, has its page guessed as soon as it is parsed
    (the published page with the new body), and its shard indexed on that guess before any page is made. A right
    guess (a sentence added after the first paragraph) keeps that run, the shard's only one; a wrong one (the first
    paragraph, which the lede repeats, changed) has it started again on the page made. Either way the index is a cold build's."""
    from digest.publish.indexer import Indexer

    site = built_corpus_site
    count = json.loads((site / "output" / ".digest-cache" / "search.json").read_text(encoding="utf-8"))["shards"]
    pages = {story["article_ids"][0]: story["path"] for story in corpus_stories if len(story["article_ids"]) == 1}
    right = "note-005"
    wrong = next(note for note in sorted(pages) if note.startswith("note-") and shard_of(pages[note], count) != shard_of(pages[right], count))
    events: list[tuple[str, str, object]] = []
    start, put = Indexer.start, Publication.put

    def started(indexer, name, pages, bundle):
        run = start(indexer, name, pages, bundle)
        events.append(("start", name, run))
        return run

    def written(publication, rel, data):
        events.append(("put", rel, None))
        put(publication, rel, data)
    monkeypatch.setattr(Indexer, "start", started)
    monkeypatch.setattr(Publication, "put", written)
    for note, first_paragraph in ((right, False), (wrong, True)):
        page, path = pages[note], site / "content" / f"{note}.md"
        front, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
        paragraphs = body.split("\n\n")
        if first_paragraph:
            paragraphs[0] = "A heron stood in the millrace. " + paragraphs[0]
        else:
            paragraphs[1] += " A heron stood in the millrace."
        path.write_text(front + "\n---\n" + "\n\n".join(paragraphs), encoding="utf-8")
        events.clear()
        invoke("build", cwd=site, check=True)
        name = shard_name(shard_of(page, count), count)
        runs = [run for kind, shard, run in events if kind == "start" and shard == name]
        assert events[0][:2] == ("start", name), "the guessed page's shard is indexed before any page is made"
        assert [run.pages[page].name for run in runs] == [f"{name}.guess.html"] + (["index.html"] if first_paragraph else [])
    cold = tmp_path / "cold"
    shutil.copytree(site / "content", cold / "content")
    invoke("build", cwd=cold, check=True)
    assert tree(site / "output" / "pagefind") == tree(cold / "output" / "pagefind")


def test_the_next_shard_is_laid_out_while_both_runs_go_and_only_one_ahead(tmp_path, monkeypatch):
    """A run lays out its pages before a slot is free, so that a slot given back is taken at once; but only one run
    waits laid out (every shard laid out at once would hold every page twice on disk)."""
    from pagefind_bin import get_executable

    from digest.publish.indexer import SLOTS, Indexer

    started, release = tmp_path / "started.log", tmp_path / "release"
    held = tmp_path / "pagefind.sh"  # Pagefind itself, once the test lets the runs go on
    held.write_text(f'#!/bin/sh\necho "$@" >> "{started}"\nwhile [ ! -e "{release}" ]; do sleep 0.05; done\n'
                    f'exec "{get_executable()}" "$@"\n', encoding="utf-8")
    held.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(held))
    pages = tmp_path / "pages"
    shards = [f"s{n}" for n in range(SLOTS + 2)]
    for name in shards:
        for i in range(3):
            page = pages / name / f"p{i}" / "index.html"
            page.parent.mkdir(parents=True)
            page.write_text(f"<html><head><title>{name} {i}</title></head><body><main data-pagefind-body>Ferry {name} {i} "
                            "sails</main></body></html>", encoding="utf-8")
    indexer = Indexer(tmp_path / "staging", tmp_path / "output", "work", search_copy)
    try:
        for name in shards:
            indexer.start(name, {f"{name}/p{i}/index.html": pages / name / f"p{i}" / "index.html" for i in range(3)},
                          tmp_path / "bundles" / name)

        def laid_out() -> list[str]:
            return sorted(name for name in shards if len(list((indexer.work / name).rglob("index.html"))) == 3)

        for _ in range(600):  # until both slots' runs are in Pagefind and a third run is laid out (30 s at most)
            if started.exists() and len(started.read_text(encoding="utf-8").splitlines()) == SLOTS and len(laid_out()) == SLOTS + 1:
                break
            indexer.runs[shards[0]].thread.join(0.05)
        assert len(started.read_text(encoding="utf-8").splitlines()) == SLOTS
        assert len(laid_out()) == SLOTS + 1, "one run laid out ahead while both slots are taken, and no more"
        release.touch()
        indexer.wait()
    finally:
        release.touch()
        indexer.close()
    assert all((tmp_path / "bundles" / name / "pagefind-entry.json").is_file() for name in shards)
    assert len(started.read_text(encoding="utf-8").splitlines()) == len(shards)
