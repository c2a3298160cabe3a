"""After an edit, ``digest build`` writes only deltas beside the cache's bases (``digest.pipeline.store``), and
whatever the sequence of edits, settings changes and stale or foreign cache files, it makes a clean build's site."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_same_as_clean, build_site, copy_of_built, generate_and_build

from digest.pipeline import store
from digest.pipeline.cache import CACHE_DIR, GATHER_DELTA, GATHER_FILE, SESSION_DELTA, SESSION_FILE, ParseCache
from digest.site import threads

ARTICLES = 100  # enough for an edit to be a small share of the bases (so deltas are written); the pools are tested elsewhere
BASES = (GATHER_FILE, SESSION_FILE)
DELTAS = (GATHER_DELTA, SESSION_DELTA)


@pytest.fixture
def corpus(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """A generated site of ARTICLES articles (bench/make_corpus.py) and its first build, made once, copied for each test."""
    return copy_of_built(tmp_path_factory, "delta-corpus-built", lambda folder: generate_and_build(folder, ARTICLES), tmp_path / "site")


def _build(site: Path):
    return build_site(site)


def _same_as_clean(site: Path, tmp_path: Path) -> None:
    assert_same_as_clean(site, tmp_path / "clean")


def _cache_files(site: Path) -> dict[str, tuple[int, int]]:
    """Cache file -> (inode, modification time) of the bases and deltas present."""
    folder = site / "output" / CACHE_DIR
    return {name: ((folder / name).stat().st_ino, (folder / name).stat().st_mtime_ns) for name in BASES + DELTAS if (folder / name).exists()}


def _edit(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n{text}\n", encoding="utf-8")


def test_edits_write_deltas_only_and_every_build_equals_a_clean_one(corpus, tmp_path, monkeypatch):
    content = corpus / "content"
    files = sorted(content.iterdir())
    bases = _cache_files(corpus)  # the first build's
    assert bases.keys() == set(BASES)

    _edit(files[ARTICLES // 3], "Update: officials later confirmed the figures.")
    facts_found: list[str] = []
    facts_of = threads._facts_of
    monkeypatch.setattr(threads, "_facts_of", lambda item, names: facts_found.append(item.slug) or facts_of(item, names))
    report = _build(corpus)
    monkeypatch.undo()
    assert report.parse_cache == (ARTICLES - 1, 1)
    assert 1 <= len(facts_found) <= 3  # the edited story's thread facts found again, the others' kept from the last build
    assert _cache_files(corpus) == {**bases, **{name: _cache_files(corpus)[name] for name in DELTAS}}  # bases untouched
    _same_as_clean(corpus, tmp_path)

    files[2 * ARTICLES // 3].unlink()
    shutil.copy(files[ARTICLES // 6], content / "zz-copy.md")
    _edit(files[ARTICLES // 3], "A second update, on top of the first delta.")
    _build(corpus)
    assert {name: stamp for name, stamp in _cache_files(corpus).items() if name in BASES} == bases
    kept = ParseCache.load(corpus / "output").session
    assert kept["remerger"].full_merges == 1  # the re-merger came back from base and delta, and re-merged
    _same_as_clean(corpus, tmp_path)

    nothing = _build(corpus)  # read from base and delta: the same site, nothing written
    assert (nothing.written, nothing.parse_cache) == (0, (ARTICLES, 0))


def test_a_settings_change_writes_the_bases_again(corpus, tmp_path):
    files = sorted((corpus / "content").iterdir())
    _edit(files[10], "Update: the figures were revised.")
    _build(corpus)
    assert set(_cache_files(corpus)) == set(BASES + DELTAS)
    (corpus / "digest.yaml").write_text("merge:\n  threshold: 0.6\n", encoding="utf-8")  # the stories merge in full again
    _build(corpus)
    assert set(_cache_files(corpus)) == set(BASES)
    _same_as_clean(corpus, tmp_path)


def test_a_delta_of_another_base_or_other_code_is_not_used(corpus, tmp_path):
    files = sorted((corpus / "content").iterdir())
    cache = corpus / "output" / CACHE_DIR
    _edit(files[20], "Update: the first of two edits.")
    _build(corpus)
    stale = {name: (cache / name).read_bytes() for name in DELTAS}
    (corpus / "digest.yaml").write_text("merge:\n  threshold: 0.6\n", encoding="utf-8")
    _build(corpus)  # new bases
    for name, data in stale.items():  # as a build stopped between writing bases and removing deltas leaves them
        (cache / name).write_bytes(data)
    _edit(files[30], "Update: the second edit.")
    _build(corpus)
    _same_as_clean(corpus, tmp_path)

    session = ParseCache.load(corpus / "output")
    session.session["code"] = "an older digest"  # as an upgrade leaves a delta
    with open(cache / SESSION_DELTA, "wb") as file:
        pickle.dump(session.session, file)
    _edit(files[40], "Update: the third edit.")
    report = _build(corpus)
    assert report.parse_cache[1] == ARTICLES  # nothing taken from the unusable session: every document read again
    _same_as_clean(corpus, tmp_path)


def test_a_mapped_pickle_reads_back_its_arrays_and_refers_to_shared_objects(tmp_path):
    shared = [("a shared", "object")]
    big, small = np.arange(100_000, dtype=np.int64), np.arange(10, dtype=np.int32)
    path = tmp_path / "mapped.pickle"
    with open(path, "wb") as file:
        store.dump_mapped(file, {"big": big, "small": small, "shared": shared[0], "text": "kept"}, shared)
    assert path.read_bytes().startswith(store.MAPPED)
    loaded, size = store.read(path, shared)
    assert size == path.stat().st_size
    assert loaded["shared"] is shared[0] and loaded["text"] == "kept"
    assert np.array_equal(loaded["big"], big) and np.array_equal(loaded["small"], small)
    assert not loaded["big"].flags.writeable  # a view of the mapped file: never written into

    path.write_bytes(path.read_bytes()[: size // 2])  # as a full disk or a kill leaves it
    assert store.read(path, shared) == (None, 0)
    assert store.read(tmp_path / "missing.pickle") == (None, 0)


def test_shared_objects_come_back_as_themselves_and_new_ones_keep_their_places(tmp_path):
    # Shared objects sit in the memo before anything is pickled (one listed twice keeps its first place), so the
    # objects pickled after are numbered past them, at dump and at load alike; one read with fewer is refused.
    first, second = {"a": 1}, ["b"]
    shared = [first, second, first]
    twice = ("a new tuple", [1, 2])
    path = tmp_path / "plain.pickle"
    with open(path, "wb") as file:
        store.dump(file, {"x": [second, twice, first], "y": twice, "z": shared[2]}, shared)
    loaded, _ = store.read(path, shared)
    assert loaded["x"][0] is second and loaded["x"][2] is first and loaded["z"] is first
    assert loaded["x"][1] == twice and loaded["y"] is loaded["x"][1]
    assert store.read(path, shared[:1]) == (None, 0)


def test_equal_values_of_the_alike_kinds_are_written_once_and_nothing_else_is_merged(tmp_path):
    from digest.models import Evidence

    evidence = [Evidence("flood", "disaster", ("body",), 2, 1.5, "theme"), Evidence("flood", "disaster", ("body",), 2, 1.5, "theme"),
                Evidence("flood", "disaster", ("body",), 2, -0.0, "theme"), Evidence("flood", "disaster", ("body",), 2, 0.0, "theme"),
                Evidence("flood", "disaster", ("body",), 2.0, 1.5, "theme")]  # type: ignore[arg-type]  # 2.0 == 2, printed otherwise
    path = tmp_path / "alike.pickle"
    with open(path, "wb") as file:
        store.dump(file, (evidence, [tuple(["body"]), tuple(["body"])]), alike=(Evidence,))
    (loaded, tuples), _ = store.read(path)
    assert loaded == evidence and [str(e.weight) for e in loaded] == [str(e.weight) for e in evidence]
    assert loaded[1] is loaded[0]  # equal to the bit: one object
    assert len({id(e) for e in loaded}) == 4  # -0.0 and 0.0, 2.0 and 2 kept apart
    assert type(loaded[4].count) is float and tuples[0] is not tuples[1]  # other kinds as they were
