"""Feeds, sitemap, robots.txt and .nojekyll, as feed readers and crawlers read them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import copy_shipped_site, run_digest

feedparser = pytest.importorskip("feedparser", reason="pip install -e '.[test]' installs feedparser")

BASE = "https://example.org/digest/"


@pytest.fixture(scope="module")
def output(built_site) -> Path:
    """The shipped site built once per session for BASE; the tests only read it."""
    return built_site


def feeds(output: Path) -> list[Path]:
    return [output / "feed.xml"] + sorted((output / "sections").glob("*/feed.xml"))


def test_atom_feeds_validate_and_link_absolutely(output):
    paths = feeds(output)
    assert len(paths) >= 2, "a site feed and one per section"
    for path in paths:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
        assert parsed.version == "atom10"
        assert parsed.feed.id == BASE + path.relative_to(output).as_posix()
        assert parsed.entries
        ids = [entry.id for entry in parsed.entries]
        assert len(set(ids)) == len(ids)
        for entry in parsed.entries:
            assert entry.id.startswith(BASE + "stories/") and entry.id.endswith("/")
            assert entry.link == entry.id
            page = output / entry.link[len(BASE):] / "index.html"
            assert page.is_file(), f"{entry.link} has no page"
            assert entry.title and entry.summary and entry.updated


def test_site_feed_has_every_story_newest_first(output):
    stories = sorted((output / "stories").glob("*/index.html"))
    parsed = feedparser.parse((output / "feed.xml").read_bytes())
    assert len(parsed.entries) == len(stories)
    published = [entry.published_parsed for entry in parsed.entries if "published_parsed" in entry]
    assert published and published == sorted(published, reverse=True)
    dated = ["published_parsed" in entry for entry in parsed.entries]
    assert dated == sorted(dated, reverse=True), "undated stories come after the dated ones"


def test_json_feeds_follow_version_1_1(output):
    for atom in feeds(output):
        path = atom.with_name("feed.json")
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["version"] == "https://jsonfeed.org/version/1.1"
        assert data["feed_url"] == BASE + path.relative_to(output).as_posix()
        assert data["home_page_url"].startswith(BASE)
        assert data["items"]
        atom_ids = [entry.id for entry in feedparser.parse(atom.read_bytes()).entries]
        assert [item["id"] for item in data["items"]] == atom_ids
        for item in data["items"]:
            assert item["url"] == item["id"] and item["title"] and (item.get("content_html") or item.get("content_text"))
            assert item["date_modified"].endswith("+00:00")


def test_pages_advertise_their_feeds(output):
    front = (output / "index.html").read_text(encoding="utf-8")
    assert '<link rel="alternate" type="application/atom+xml"' in front and 'href="feed.xml"' in front
    assert 'type="application/feed+json"' in front and 'href="feed.json"' in front
    section_page = next((output / "sections").glob("*/index.html"))
    own_feed = f'href="../../sections/{section_page.parent.name}/feed.xml"'
    assert own_feed in section_page.read_text(encoding="utf-8")  # its own feed, next to it


def test_sitemap_lists_every_public_page_absolutely(output):
    tree = ET.parse(output / "sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [loc.text for loc in tree.getroot().findall("s:url/s:loc", ns)]
    assert len(locs) == len(set(locs))
    pages = {p.relative_to(output).as_posix() for p in output.rglob("index.html") if ".digest-cache" not in p.parts}
    assert {loc[len(BASE):] + "index.html" for loc in locs} == pages
    assert BASE + "404.html" not in locs


def test_robots_and_nojekyll(output):
    robots = (output / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {BASE}sitemap.xml" in robots
    assert (output / ".nojekyll").is_file()


def test_same_content_gives_the_same_feed_bytes(output, tmp_path):
    """A fresh process (another hash seed, nothing memoised) builds the same bytes as the session's build. It is also
    the suite's end-to-end build of the shipped site by ``python -m digest``, as a user runs it (test_smoke.py): the
    process ends without freeing what the build holds (``os._exit``), once all it prints is printed."""
    root = copy_shipped_site(tmp_path / "again")
    result = run_digest("build", "--no-search", "-v", "--base-url", BASE, cwd=root, check=True)
    assert (root / "output" / "index.html").is_file()
    assert "Built" in result.stdout and result.stdout.rstrip().endswith("misses.")
    for name in ("feed.xml", "feed.json", "sitemap.xml"):
        assert (root / "output" / name).read_bytes() == (output / name).read_bytes()
