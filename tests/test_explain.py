"""The shipped content, classified, through the real CLI: `digest list --json` and `digest explain`."""

from __future__ import annotations

import pytest
from helpers import invoke


@pytest.fixture(scope="module")
def listed(shipped_listing):
    root, stories, articles = shipped_listing
    if len(articles) < 8:
        pytest.skip("the captured-page reader does not yet give all 8 shipped articles")
    return root, stories, articles


def by_article(articles, stories):
    slugs = {s["slug"]: s for s in stories}
    return {a["headline"]: slugs[a["story"]] for a in articles}


@pytest.mark.parametrize("headline, region, themes, section", [
    ("Pakistan urges global social media platforms", "South Asia", {"security"}, "South Asia security"),
    ("Pakistan says deal made with US on tariffs", "South Asia", {"trade"}, "Trade"),
    ("PM Narendra Modi Has Skillfully Avoided", "South Asia", {"security", "politics"}, "South Asia security"),
    ("Sabah polls: PH has a delicate balancing act", "Southeast Asia", {"politics"}, "Malaysian politics"),
    ("Salleh: GRS' polls partnership with PH", "Southeast Asia", {"politics"}, "Malaysian politics"),
    ("Liew: PN must offer vision", "Southeast Asia", {"politics"}, "Malaysian politics"),
])
def test_shipped_stories_are_filed_as_the_editor_asked(listed, headline, region, themes, section):
    root, stories, articles = listed
    record = next(story for title, story in by_article(articles, stories).items() if title.startswith(headline))
    assert record["region"] == region
    assert record["theme"] in themes
    if region == "Southeast Asia":
        assert record["countries"][0] == "Malaysia"
    if headline.startswith("Pakistan says deal"):
        assert record["countries"][:2] == ["Pakistan", "United States"]
    if section != "South Asia security" or record["theme"] == "security":
        assert record["section"] == section


def test_the_spin_is_media(listed):
    root, stories, articles = listed
    record = next(s for t, s in by_article(articles, stories).items() if t.startswith("The Spin"))
    assert record["theme"] == "media"
    assert record["section"] == "Other news"


def test_entities_and_their_stories(listed):
    root, stories, articles = listed
    stories_by_headline = by_article(articles, stories)
    entities = {name for s in stories for name in s["entities"]}
    assert {"Talal Chaudhry", "Aqeel Malik", "Tehrik-e-Taliban Pakistan", "Balochistan Liberation Army", "Salleh Said Keruak",
            "Hajiji Noor", "Anwar Ibrahim", "Liew Chin Tong", "Narendra Modi", "Donald Trump"} <= entities
    with_anwar = {s["slug"] for s in stories if "Anwar Ibrahim" in s["entities"]}
    malaysian = {stories_by_headline[t]["slug"] for t in stories_by_headline if t.startswith(("Salleh:", "Liew:", "Sabah polls"))}
    assert malaysian <= with_anwar and len(malaysian) >= 2
    with_trump = {s["slug"] for s in stories if "Donald Trump" in s["entities"]}
    wanted = {stories_by_headline[t]["slug"] for t in stories_by_headline if t.startswith(("Pakistan says deal", "PM Narendra Modi"))}
    assert wanted <= with_trump


def test_related_stories_are_listed_best_first(listed):
    root, stories, articles = listed
    by_headline = by_article(articles, stories)
    liew = next(s for t, s in by_headline.items() if t.startswith("Liew:"))
    salleh = next(s for t, s in by_headline.items() if t.startswith("Salleh:"))
    assert liew["related"][0] == salleh["slug"]
    slugs = {s["slug"] for s in stories}
    assert all(set(s["related"]) <= slugs - {s["slug"]} for s in stories)


def test_explain_prints_the_evidence(listed):
    root, stories, articles = listed
    deal = next(s for t, s in by_article(articles, stories).items() if t.startswith("Pakistan says deal"))
    result = invoke("explain", deal["slug"], cwd=root, check=True)
    out = result.stdout
    assert "filed under: South Asia / Trade and economy" in out and "section “Trade”" in out
    assert "primary  South Asia" in out and "also     North America" in out
    assert "“Pakistan”" in out and "in the headline" in out
    assert "“tariff”" in out
    assert "Donald Trump" in out


def test_explain_unknown_slug_suggests_close_ones(listed):
    root, stories, articles = listed
    slug = next(s["slug"] for s in stories if s["slug"].startswith("liew"))
    result = invoke("explain", slug[:-3] + "xyz", cwd=root)
    assert result.returncode == 2
    assert "no story has the slug" in result.stderr and slug in result.stderr
    assert "Traceback" not in result.stderr
