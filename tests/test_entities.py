"""Entities: from the taxonomy, from titles and honorifics, from acronyms defined in the text; merged by alias."""

from __future__ import annotations

import pytest
from helpers import story

from digest.classify.entities import _TOKEN, defined_acronyms, titled_names
from digest.classify.filing import classify_stories


@pytest.fixture(scope="module")
def shipped():
    from helpers import REPO

    from digest.settings.config import load_config

    config = load_config(REPO / "digest.yaml")
    return config.taxonomy, config.sections


def names(text: str) -> list[str]:
    return list(titled_names(_TOKEN.findall(text)))


@pytest.mark.parametrize("text, expected", [
    ("According to Pakistan's Deputy Interior Minister Talal Chaudhry, groups", ["Talal Chaudhry"]),
    ("Minister of State for Law and Justice Barrister Aqeel Malik echoed these concerns", ["Aqeel Malik"]),
    ("close ties with Prime Minister Datuk Seri Anwar Ibrahim's administration", ["Anwar Ibrahim"]),
    ("said Deputy Investment, Trade and Industry Minister Liew Chin Tong following a rally", ["Liew Chin Tong"]),
    ("External Affairs Minister Dr. S Jaishankar tried to defend", ["S Jaishankar"]),
    ("talks with the U.S. Vice President J D Vance on May 9", ["J D Vance"]),
    ("Chief Minister Datuk Seri Hajiji Noor in January 2023", ["Hajiji Noor"]),
    ("led by Tan Sri Muhyiddin Yassin of Bersatu", ["Muhyiddin Yassin"]),
    ("says Datuk Salleh Said Keruak.", ["Salleh Said Keruak"]),
    ("the Prime Minister's party, which is PH", []),
    ("the Prime Minister could get away", []),
])
def test_names_after_titles_and_honorifics(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("the Pakistani Taliban, known as Tehrik-e-Taliban Pakistan or TTP, and", [("Tehrik-e-Taliban Pakistan", "TTP")]),
    ("and the Balochistan Liberation Army, or BLA.", [("Balochistan Liberation Army", "BLA")]),
    ("Gabungan Rakyat Sabah's (GRS) decision", [("Gabungan Rakyat Sabah", "GRS")]),
    ("the British Army's Special Air Service (SAS) cancelled", [("Special Air Service", "SAS")]),
    ("the Department of Justice (DOJ) said", [("Department of Justice", "DOJ")]),
    ("a rise (GDP) in prices", []),
])
def test_acronyms_defined_in_the_text(text, expected):
    assert list(defined_acronyms(_TOKEN.findall(text))) == expected


def test_bare_surnames_and_acronyms_merge_into_one_entity(shipped):
    text = story(
        "Minister urges platforms to act",
        "Deputy Interior Minister Talal Chaudhry spoke. Chaudhry said the Hizbul Liberation Front, or HLF, was banned.",
        "The HLF denied it. Chaudhry's ministry and Minister Aqeel Malik agreed; Malik said more.",
    )
    [item] = classify_stories([text], *shipped)
    refs = {e.name: e for e in item.classification.entities}
    assert refs["Talal Chaudhry"].kind == "person"
    assert refs["Talal Chaudhry"].aliases == ("Chaudhry",) and refs["Talal Chaudhry"].mentions == 3
    assert refs["Aqeel Malik"].aliases == ("Malik",)
    assert refs["Hizbul Liberation Front"].kind == "organisation" and refs["Hizbul Liberation Front"].aliases == ("HLF",)
    assert refs["Hizbul Liberation Front"].mentions == 2
    assert "Chaudhry" not in refs and "Malik" not in refs


def test_known_aliases_become_the_known_entity(shipped):
    text = story("Pakistani Taliban claim attack", "The TTP, or Tehrik-e-Taliban Pakistan, said it attacked a post in Peshawar.")
    [item] = classify_stories([text], *shipped)
    refs = {e.name: e for e in item.classification.entities}
    ttp = refs["Tehrik-e-Taliban Pakistan"]
    assert set(ttp.aliases) == {"Pakistani Taliban", "TTP"} and ttp.slug == "tehrik-e-taliban-pakistan"
    assert refs["Peshawar"].kind == "place"


def test_title_case_headlines_do_not_invent_names(shipped):
    text = story("PM Narendra Modi Has Skillfully Avoided The Issue", "Prime Minister Narendra Modi spoke in Lok Sabha.")
    [item] = classify_stories([text], *shipped)
    assert [e.name for e in item.classification.entities if e.kind == "person"] == ["Narendra Modi"]


def test_an_entity_page_lists_every_story_naming_it(shipped):
    from conftest import REPO

    from digest.models import Digest
    from digest.settings.config import load_config
    from digest.site.graph import build_site_graph

    first = story("Anwar visits Sabah", "Prime Minister Datuk Seri Anwar Ibrahim visited Kota Kinabalu.", slug="first")
    second = story("Opposition rally", "KUALA LUMPUR: Protesters demanded Anwar's resignation; Anwar Ibrahim did not respond.", slug="second")
    third = story("Hurricane in Jamaica", "A hurricane hit Kingston.", slug="third")
    classified = classify_stories([first, second, third], *shipped)
    assert "Anwar" in next(ref for ref in classified[0].classification.entities if ref.slug == "anwar-ibrahim").aliases
    graph = build_site_graph(Digest(load_config(REPO / "digest.yaml"), (), tuple(classified), ()))
    pages = {page.path: page for page in graph.pages}
    anwar = pages["entities/anwar-ibrahim/index.html"].context
    assert (anwar["entry"].ref.name, anwar["entry"].ref.kind, anwar["entry"].count) == ("Anwar Ibrahim", "person", 2)
    assert sorted(item.slug for item in anwar["stories"]) == ["first", "second"]
    assert [item.slug for item in pages["entities/kingston/index.html"].context["stories"]] == ["third"]
