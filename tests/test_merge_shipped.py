"""The merge stage on the shipped content, through the real CLI: six stories from eight articles."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import invoke

PLATFORMS_LEAD = "000_c15c41152a26c795"  # Pakistan asks platforms to block militant accounts
PLATFORMS_AP = "002_ea217e3b9676bec5"  # the same, AP text
TRADE_DEAL = "000_c15c41152a26c795#1"
STAR = "002_ea217e3b9676bec5#1"  # Salleh on the GRS-PH pact
BORNEO_POST = "002_ea217e3b9676bec5#2"  # the same, written differently
LIEW = "002_ea217e3b9676bec5#3"


def stories(site: Path) -> list[dict]:
    return json.loads(invoke("list", "--json", cwd=site, check=True).stdout)


def story_with(records: list[dict], article_id: str) -> dict:
    return next(r for r in records if article_id in r["article_ids"])


def test_shipped_content_gives_six_stories(shipped_listing):
    _, records, _ = shipped_listing
    assert len(records) == 6
    groups = sorted(sorted(r["article_ids"]) for r in records)
    assert sorted([PLATFORMS_LEAD, PLATFORMS_AP]) in groups
    assert sorted([STAR, BORNEO_POST]) in groups
    assert sum(len(g) == 1 for g in groups) == 4
    assert story_with(records, TRADE_DEAL)["article_ids"] == [TRADE_DEAL]
    assert story_with(records, LIEW)["article_ids"] == [LIEW]
    assert set(story_with(records, STAR)["outlets"]) == {"The Star", "Borneo Post"}


def test_what_each_version_of_the_pakistani_request_adds(shipped_listing):
    _, records, _ = shipped_listing
    story = story_with(records, PLATFORMS_AP)
    adds = {add["article"]: " ".join(add["sentences"]) for add in story["adds"]}
    assert "investigators have identified 481 accounts" in adds[PLATFORMS_AP]
    assert "481" not in adds[PLATFORMS_LEAD]
    assert "three specific demands" in adds[PLATFORMS_LEAD]
    assert "three specific demands" not in adds[PLATFORMS_AP]
    # Sentences both versions carry, however worded, are nobody's addition.
    assert "surge in violence" not in adds[PLATFORMS_AP] + adds[PLATFORMS_LEAD]
    assert story["summary"].startswith("Pakistan urged global social media companies to take action")  # the lead


def test_editor_settings_in_digest_yaml_force_apart_and_together(site):
    config = site / "digest.yaml"
    config.write_text(config.read_text() + f"""
merge:
  apart:
    - ["{PLATFORMS_LEAD}", "{PLATFORMS_AP}"]
  together:
    - ["{LIEW}", "{STAR}"]
""")
    records = stories(site)
    assert story_with(records, PLATFORMS_LEAD)["article_ids"] == [PLATFORMS_LEAD]
    assert sorted(story_with(records, LIEW)["article_ids"]) == sorted([LIEW, STAR, BORNEO_POST])
    assert len(records) == 6


def test_merge_threshold_in_digest_yaml_is_obeyed(site):
    config = site / "digest.yaml"
    config.write_text(config.read_text() + "\nmerge:\n  threshold: 0.99\n")
    assert len(stories(site)) == 8


def test_story_page_shows_both_versions_and_what_ap_adds(shipped_listing, built_site):
    _, records, _ = shipped_listing
    slug = story_with(records, PLATFORMS_AP)["slug"]
    page = (built_site / "stories" / slug / "index.html").read_text(encoding="utf-8")
    assert "481 accounts" in page
    assert "three specific demands" in page
    assert page.count("Pakistan urges global social media platforms") >= 2
