"""A ``digest build`` after edits starts from the session the last build kept, and makes the very site a cold build makes."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import copy_of_shipped_build, invoke, make_corpus

from digest import processes
from digest.pipeline import gather
from digest.pipeline.build import build
from digest.pipeline.cache import CACHE_DIR, GATHER_FILE, SESSION_FILE, ParseCache
from digest.publish.write import SEARCH_DIR
from digest.render import pages
from digest.settings.config import load_config

ARTICLES = 150  # enough for listings of several pages; the worker pools' thresholds are lowered to it (below)


def _corpus(root: Path) -> list[dict]:
    """A generated news site of ARTICLES articles (bench/make_corpus.py), and which re-reports which."""
    truth = root / "truth.json"
    make_corpus(ARTICLES, root / "content", truth)
    return json.loads(truth.read_text(encoding="utf-8"))


def _tree(output: Path) -> dict[str, bytes]:
    return {path.relative_to(output).as_posix(): path.read_bytes() for path in sorted(output.rglob("*"))
            if path.is_file() and path.relative_to(output).parts[0] not in (CACHE_DIR, SEARCH_DIR)}


def test_a_build_after_an_edit_a_deletion_and_an_addition_equals_a_cold_build(tmp_path, monkeypatch):
    # The cold builds parse and render in their worker pools, the incremental one in this process: the pools'
    # thresholds (200 documents, 400 pages) lowered to this corpus, instead of a corpus 2.7 times the size.
    monkeypatch.setattr(gather, "PARALLEL_PARSE_MIN", ARTICLES)
    monkeypatch.setattr(pages, "PARALLEL_RENDER_MIN", ARTICLES)
    pools: list[str] = []
    helper_pool, streamed = processes.helper_pool, pages.Streamed
    monkeypatch.setattr(processes, "helper_pool", lambda *args, **options: pools.append("parse") or helper_pool(*args, **options))
    monkeypatch.setattr(pages, "Streamed", lambda *args: pools.append("render") or streamed(*args))
    site = tmp_path / "site"
    truth = _corpus(site)
    content = site / "content"
    invoke("build", "--no-search", cwd=site, check=True)
    before = _tree(site / "output")
    assert pools == ["parse", "render"]

    rereport = next(t for t in truth if t["dup_of"] is not None and t["id"] > ARTICLES // 2)
    edited = content / truth[ARTICLES // 2]["file"]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\nUpdate: officials later confirmed the figures.\n", encoding="utf-8")
    (content / rereport["file"]).unlink()  # a story told twice is now told once
    original = content / truth[rereport["dup_of"]]["file"]
    added = original.read_text(encoding="utf-8").replace("\noutlet: ", "\noutlet: Another Outlet, not ", 1)
    (content / "zz-new-version.md").write_text(added, encoding="utf-8")  # a new version of a kept story

    invoke("build", "--no-search", cwd=site, check=True)
    kept = ParseCache.load(site / "output").session
    assert kept["remerger"].full_merges == 1  # re-merged only what changed
    incremental = _tree(site / "output")
    assert pools == ["parse", "render"]  # the incremental build parsed and rendered what changed in this process
    invoke("build", "--no-search", "--clean", "--output", str(tmp_path / "cold"), cwd=site, check=True)
    assert pools == ["parse", "render"] * 2
    cold = _tree(tmp_path / "cold")

    assert incremental.keys() == cold.keys()
    assert [path for path in cold if incremental[path] != cold[path]] == []
    assert incremental != before
    story_pages = b"".join(data for path, data in incremental.items() if path.startswith("stories/"))
    assert b"Update: officials later confirmed the figures." in story_pages
    assert b"Another Outlet, not " in story_pages


def test_a_session_kept_by_other_code_is_not_used(tmp_path_factory, tmp_path):
    site = copy_of_shipped_build(tmp_path_factory, tmp_path / "site")  # and its first build
    cache = ParseCache.load(site / "output")
    code = cache.session["code"]
    assert cache.session["remerger"].ready and cache.session["parse"]
    cache.session["code"] = "an older digest"  # as an upgrade leaves it
    with open(site / "output" / CACHE_DIR / SESSION_FILE, "wb") as file:
        cache.dump_session(file)
    (site / "content" / "note.md").write_text("---\ntitle: A note\ndate: 2025-07-27\noutlet: Dawn\n---\nA short note.\n", encoding="utf-8")
    report = build(load_config(site / "digest.yaml"), search=False)
    assert report.parse_cache == (0, 3)  # every document read again, nothing taken from the old session
    assert ParseCache.load(site / "output").session["code"] == code


def test_a_session_beside_another_gather_memo_is_not_used(tmp_path_factory, tmp_path):
    site = copy_of_shipped_build(tmp_path_factory, tmp_path / "site")  # and its first build
    gathered = site / "output" / CACHE_DIR / GATHER_FILE
    kept = gathered.read_bytes()
    (site / "content" / "note.md").write_text("---\ntitle: A note\ndate: 2025-07-27\noutlet: Dawn\n---\nA short note.\n", encoding="utf-8")
    invoke("build", "--no-search", cwd=site, check=True)
    assert ParseCache.load(site / "output").session["parse"]
    gathered.write_bytes(kept)  # as a build stopped between writing the gather memo and the session leaves them
    assert ParseCache.load(site / "output").session.keys() == {"code"}
    (site / "content" / "note.md").write_text("---\ntitle: A note\ndate: 2025-07-27\noutlet: Dawn\n---\nA longer note.\n", encoding="utf-8")
    report = build(load_config(site / "digest.yaml"), search=False)
    assert report.parse_cache == (0, 3)  # the session was not taken for the gather memo's
