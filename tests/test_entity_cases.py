"""Entities readers trust: X is Twitter, Manchester United is a club, SAS is the airline where the story is about
flights, "Ring of Fire" is no fire, one passing mention of Facebook relates nothing, and `digest list` names the
same sources as the site."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import copy_shipped_site, invoke


def note(site: Path, name: str, title: str, date: str, outlet: str, *paragraphs: str) -> None:
    (site / "content").mkdir(parents=True, exist_ok=True)
    text = f"---\ntitle: {title}\ndate: {date}\noutlet: {outlet}\n---\n" + "\n\n".join(paragraphs) + "\n"
    (site / "content" / name).write_text(text, encoding="utf-8")


def listed(site: Path) -> dict[str, dict]:
    return {story["title"]: story for story in json.loads(invoke("list", "--json", cwd=site, check=True).stdout)}


def test_x_and_twitter_are_one_entity(tmp_path):
    note(tmp_path, "x.md", "Pakistan asks X to remove militant accounts", "2025-07-25", "Wire One",
         "ISLAMABAD: Pakistan asked X, formerly Twitter, to remove hundreds of accounts run by banned militant groups on Friday.",
         "Officials said Twitter had not answered earlier requests. X said it was reviewing the list.")
    [story] = listed(tmp_path).values()
    assert "X" in story["entities"] and "Twitter" not in story["entities"]


def test_manchester_united_is_a_club_not_a_place_in_the_united_kingdom(tmp_path):
    note(tmp_path, "mu.md", "Manchester United beat Arsenal in late drama", "2025-08-17", "Sports Desk",
         "Manchester United beat Arsenal 2-1 on Sunday with a goal in stoppage time.",
         "The Manchester United manager praised his players after the match, the club's first win of the season.")
    [story] = listed(tmp_path).values()
    assert sorted(story["entities"]) == ["Arsenal", "Manchester United"]  # two clubs, no Manchester
    assert story["countries"] == []
    invoke("build", "--no-search", cwd=tmp_path, check=True)
    assert not (tmp_path / "output" / "countries" / "united-kingdom").exists()
    assert (tmp_path / "output" / "entities" / "manchester-united").is_dir()
    page = (tmp_path / "output" / "entities" / "manchester-united" / "index.html").read_text(encoding="utf-8")
    assert "rganisation" in page


def test_sas_is_the_airline_in_a_story_about_flights_and_the_regiment_among_soldiers(tmp_path):
    note(tmp_path, "strike.md", "SAS cancels flights as pilots strike", "2025-08-18", "Nordic Wire",
         "COPENHAGEN: Scandinavian Airlines (SAS) cancelled 120 flights on Monday as pilots went on strike over pay.",
         "SAS said about 15,000 passengers were affected.")
    note(tmp_path, "routes.md", "SAS adds winter routes", "2025-08-19", "Travel Desk",
         "SAS will add six winter routes from Copenhagen airport, the airline said on Tuesday.")
    note(tmp_path, "regiment.md", "SAS soldiers train in the Highlands", "2025-08-20", "Defence Desk",
         "SAS soldiers began a winter exercise in the Highlands on Wednesday, the army said.")
    note(tmp_path, "bare.md", "SAS gets a new logo", "2025-08-21", "Design Desk",
         "The SAS logo was redrawn by a studio in Malmo this week.")
    stories = listed(tmp_path)
    assert "Scandinavian Airlines" in stories["SAS cancels flights as pilots strike"]["entities"]
    assert "Scandinavian Airlines" in stories["SAS adds winter routes"]["entities"]
    assert "Special Air Service" in stories["SAS soldiers train in the Highlands"]["entities"]
    for story in stories.values():
        assert not {"Scandinavian Airlines", "Special Air Service"} <= set(story["entities"]), story["title"]
    # no context, no link: an ambiguous acronym alone is neither
    assert not {"Scandinavian Airlines", "Special Air Service"} & set(stories["SAS gets a new logo"]["entities"])


def test_the_ring_of_fire_is_not_a_fire(tmp_path):
    note(tmp_path, "ring.md", "Scientists map the seafloor along the Ring of Fire", "2025-08-20", "Science Weekly",
         "Scientists have mapped a long stretch of seafloor along the Pacific Ring of Fire, the arc of volcanoes around the ocean.",
         "The survey, which took three years, will help researchers study how tectonic plates move.")
    note(tmp_path, "blaze.md", "Fire destroys warehouse in port", "2025-08-20", "City Desk",
         "A fire destroyed a warehouse at the port on Tuesday, and firefighters fought the blaze for six hours.")
    stories = listed(tmp_path)
    ring = stories["Scientists map the seafloor along the Ring of Fire"]
    assert ring["theme"] != "disasters"
    explained = invoke("explain", ring["slug"], cwd=tmp_path, check=True).stdout
    assert "'fire'" not in explained.lower() and '"fire"' not in explained.lower()
    assert stories["Fire destroys warehouse in port"]["theme"] == "disasters"  # a fire still is one


def test_one_passing_mention_of_facebook_relates_nothing(tmp_path):
    note(tmp_path, "ph.md", "Pakatan Harapan names candidates for Sabah", "2025-07-28", "Borneo Desk",
         "KOTA KINABALU: Pakatan Harapan named its candidates for the Sabah state election on Monday, its chairman said in a Facebook post.")
    note(tmp_path, "pk.md", "Pakistan police arrest ten over protest violence", "2025-07-28", "Lahore Desk",
         "LAHORE: Police arrested ten men over violence at a protest in Lahore on Monday, and said it had been organised on Facebook.")
    note(tmp_path, "pk2.md", "Pakistan asks platforms to block militant accounts", "2025-07-29", "Wire One",
         "ISLAMABAD: Pakistan asked Facebook and Instagram to block accounts run by banned militant groups on Tuesday.")
    stories = listed(tmp_path)
    sabah = stories["Pakatan Harapan names candidates for Sabah"]
    assert sabah["related"] == []
    assert all(sabah["slug"] not in story["related"] for story in stories.values())
    # one shared entity and the same country still relate two stories
    assert stories["Pakistan asks platforms to block militant accounts"]["slug"] in stories["Pakistan police arrest ten over protest violence"]["related"]


def test_the_shipped_sabah_story_is_not_related_to_pakistan_through_facebook(tmp_path):
    stories = listed(copy_shipped_site(tmp_path / "site"))
    sabah = next(s for s in stories.values() if "Salleh" in s["title"])
    assert "Facebook" in sabah["entities"]
    assert not [slug for slug in sabah["related"] if slug.startswith("pakistan")]


def test_digest_list_names_the_agency_the_site_shows_for_a_wire_story(tmp_path):
    site = copy_shipped_site(tmp_path / "site")
    stories = listed(site)
    platforms = next(s for s in stories.values() if s["title"].startswith("Pakistan urges global social media platforms"))
    assert platforms["outlets"] == ["AP"]  # the 002 lead credits AP and names no outlet
    assert {a["article"]: a["outlet"] for a in platforms["adds"]}["002_ea217e3b9676bec5"] == "AP"
    text = invoke("list", cwd=site, check=True).stdout
    assert any(line.startswith("2025-07-25  AP ") for line in text.splitlines())
    invoke("build", "--no-search", cwd=site, check=True)
    page = (site / "output" / platforms["path"]).read_text(encoding="utf-8")
    assert '<a href="#version-1">AP</a>' in page or '<a href="#version-2">AP</a>' in page
