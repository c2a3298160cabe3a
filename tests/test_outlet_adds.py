""""What each outlet adds": a fact counts as one outlet's own only when no other version states it, in any wording."""

from __future__ import annotations

import json
from pathlib import Path

from digest.stories.facts import acronyms, common_form, fact, restated
from tests.helpers import copy_shipped_site, invoke


def quake_note(title: str, outlet: str, *paragraphs: str) -> str:
    front = f"---\ntitle: {title}\ndate: 2025-03-03\noutlet: {outlet}\nstory: peru-quake\n---\n"
    return front + "\n\n".join(paragraphs) + "\n"


ANDES = quake_note(
    "Strong earthquake kills twelve in southern Peru",
    "Andes Wire",
    "LIMA: A magnitude 7.1 earthquake struck southern Peru on Sunday, killing twelve people and injuring dozens, officials said.",
    "The government declared a 60-day state of emergency in the three worst-hit provinces.",
    "Landslides blocked the Pan-American Highway and two regional roads, cutting off several villages.",
    "Rescue teams from Arequipa pulled four survivors from a collapsed school overnight.",
)
PACIFIC = quake_note(
    "Twelve die as powerful quake shakes Peru",
    "Pacific Daily",
    "AREQUIPA: Twelve people died when a powerful 7.1-magnitude quake shook the south of Peru on Sunday.",
    "Authorities imposed an emergency lasting 60 days across the hardest-hit provinces.",
    "Several highways, the Pan-American among them, were buried by landslides, leaving villages cut off.",
    "The tremor also cracked the bell tower of the colonial cathedral, which will stay closed to visitors.",
)


def adds_by_outlet(site: Path) -> dict[str, list[str]]:
    [story] = [s for s in json.loads(invoke("list", "--json", cwd=site, check=True).stdout) if len(s["adds"]) > 1]
    return {a["outlet"]: a["sentences"] for a in story["adds"]}


def test_reworded_shared_facts_are_not_one_outlets_own(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "andes.md").write_text(ANDES, encoding="utf-8")
    (tmp_path / "content" / "pacific.md").write_text(PACIFIC, encoding="utf-8")
    adds = adds_by_outlet(tmp_path)
    everything = " ".join(s for sentences in adds.values() for s in sentences)
    assert "emergency" not in everything  # the 60-day emergency: both state it
    assert "landslides" not in everything.lower()  # the blocked highways: both state it
    # ... while the facts only one outlet has are still that outlet's own, in both directions
    assert adds["Andes Wire"] == ["Rescue teams from Arequipa pulled four survivors from a collapsed school overnight."]
    assert adds["Pacific Daily"] == ["The tremor also cracked the bell tower of the colonial cathedral, which will stay closed to visitors."]
    invoke("build", "--no-search", cwd=tmp_path, check=True)
    page = (tmp_path / "output" / "stories").glob("*/index.html")
    html = next(page).read_text(encoding="utf-8")
    adds_section = html[html.index('id="adds"'):]
    adds_section = adds_section[:adds_section.index("</section>")]
    assert "four survivors" in adds_section and "bell tower" in adds_section
    assert "60-day" not in adds_section and "lasting 60 days" not in adds_section


def test_a_new_figure_makes_a_reworded_sentence_the_outlets_own(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "andes.md").write_text(ANDES, encoding="utf-8")
    (tmp_path / "content" / "pacific.md").write_text(
        PACIFIC.replace("an emergency lasting 60 days", "an emergency lasting 90 days"), encoding="utf-8"
    )
    adds = adds_by_outlet(tmp_path)
    assert any("90 days" in s for s in adds["Pacific Daily"])
    assert any("60-day" in s for s in adds["Andes Wire"])


def test_the_sabah_outlets_unity_government_quote_is_shared(tmp_path):
    site = copy_shipped_site(tmp_path / "site")
    stories = json.loads(invoke("list", "--json", cwd=site, check=True).stdout)
    [sabah] = [s for s in stories if {"Borneo Post", "The Star"} <= set(s["outlets"])]
    added = {a["outlet"]: a["sentences"] for a in sabah["adds"]}
    assert not [s for sentences in added.values() for s in sentences if "unity government" in s.lower()]
    # the Star's own background (the 2020 partnership, Hajiji's confirmation) is still its own
    assert any("2020 state election" in s for s in added["The Star"])
    assert any("Hajiji's confirmation" in s for s in added["The Star"])
    assert not any("2020" in s or "Hajiji" in s for s in added["Borneo Post"])


def test_common_form_meets_reworded_words():
    assert common_form("landslides") == common_form("landslide")
    assert common_form("twelve") == common_form("12") == "12"
    assert common_form("pakistan's") == common_form("pakistan")
    assert common_form("identified") == common_form("identify")
    assert common_form("the") is None


def test_restated_compares_with_other_versions_only():
    one = [(0, fact("a 60 day state of emergency in the provinces".split())), (1, fact("rescuers pulled four survivors from a school".split()))]
    other = [(2, fact("an emergency lasting 60 days across the provinces".split())), (3, fact("the cathedral bell tower cracked".split()))]
    assert restated({0: one[0][1], 1: one[1][1]}, [one, other]) == {0}
    assert restated({0: one[0][1]}, [one]) == set()  # a version never restates itself


def test_acronyms_are_read_where_a_version_spells_them_out():
    assert acronyms(["Barisan Nasional (BN) and Gabungan Rakyat Sabah (GRS) met.", "The (UN) said so."]) == {"bn": "barisan", "grs": "gabungan"}
