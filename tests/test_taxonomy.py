"""The taxonomy: world data from country_converter and pycountry, defaults, and the editor's digest.yaml."""

from __future__ import annotations

import pytest
from helpers import REPO, invoke

from digest.errors import ConfigError
from digest.taxonomy.build import build_taxonomy, default_taxonomy
from digest.taxonomy.world import resolve_country, world_places


@pytest.mark.parametrize("name, code", [
    ("Pakistan", "PK"), ("PAK", "PK"), ("pk", "PK"), ("United Kingdom", "GB"), ("UK", "GB"),
    ("Republic of Korea", "KR"), ("Türkiye", "TR"), ("Turkey", "TR"), ("USA", "US"), ("Atlantis", None),
])
def test_countries_resolve_however_the_editor_writes_them(name, code):
    assert resolve_country(name) == code


@pytest.mark.parametrize("place, code", [
    ("Balochistan", "PK"), ("Sabah", "MY"), ("Sarawak", "MY"), ("Kota Kinabalu", "MY"), ("Kuala Lumpur", "MY"),
    ("Islamabad", "PK"), ("Karachi", "PK"), ("Lahore", "PK"), ("Sindh", "PK"), ("Bavaria", "DE"), ("Queensland", "AU"),
])
def test_places_resolve_to_their_country(place, code):
    assert code in world_places()[place].countries


def test_generic_and_cross_region_subdivision_names_are_not_places():
    places = world_places()
    assert "Central" not in places and "Northern" not in places
    assert "Maryland" not in places or places["Maryland"].countries == ("US",)
    assert set(places["Punjab"].countries) == {"IN", "PK"}  # shared, but within one region


def test_default_regions_follow_un_subregions_with_news_names():
    taxonomy = default_taxonomy()
    assert {"PK", "IN", "BD", "AF"} <= set(taxonomy.regions["South Asia"].countries)
    assert "IR" in taxonomy.regions["Middle East"].countries and "IR" not in taxonomy.regions["South Asia"].countries
    assert {"MY", "ID", "SG"} <= set(taxonomy.regions["Southeast Asia"].countries)
    assert taxonomy.region_of["JM"] == ("Caribbean",)
    assert set(taxonomy.themes) >= {"security", "politics", "trade", "diplomacy", "media", "technology", "sport",
                                     "disasters", "health", "environment"}


def test_shipped_sections_and_entities():
    from digest.settings.config import load_config

    config = load_config(REPO / "digest.yaml")
    assert [s.name for s in config.sections] == ["South Asia security", "Trade", "Malaysian politics"]
    assert config.sections[0]["region"] == ("South Asia",) and config.sections[2].countries == ("Malaysia",)
    entities = config.taxonomy.entities
    assert "TTP" in entities["Tehrik-e-Taliban Pakistan"].aliases and "PH" in entities["Pakatan Harapan"].ambiguous
    assert config.warnings == ()


def test_editor_regions_claim_countries_from_the_defaults():
    taxonomy, sections = build_taxonomy(
        {"regions": {"Gulf": ["Saudi Arabia", "UAE", "Qatar"], "Indian subcontinent": {"un": "Southern Asia", "except": ["Iran", "Afghanistan"]}}},
        [{"name": "Gulf news", "region": "Gulf"}],
    )
    assert taxonomy.region_of["AE"] == ("Gulf",) and "AE" not in taxonomy.regions["Middle East"].countries
    assert "AF" not in taxonomy.regions["Indian subcontinent"].countries
    assert taxonomy.regions["South Asia"].countries == ("AF",)  # what no editor region claims stays in the default
    assert sections[0].regions == ("Gulf",)


def test_editor_themes_add_and_remove_cues():
    taxonomy, _ = build_taxonomy({"themes": {"sport": {"cues": {"kabaddi": 3, "match": 0}}, "crime": {"label": "Crime", "cues": {"robbery": 3}}}})
    assert taxonomy.themes["sport"].cues["kabaddi"] == 3 and "match" not in taxonomy.themes["sport"].cues
    assert taxonomy.themes["crime"].label == "Crime"
    assert taxonomy.theme_key("Crime") == "crime" and taxonomy.theme_key("Security and conflict") == "security"


def test_problems_are_reported_together_without_a_file():
    with pytest.raises(ConfigError) as caught:
        build_taxonomy({"themes": {"Bad Key": {"cues": {"x": 1}}, "trade": {"cues": {"tariff": "lots"}}}}, [{"name": "X", "theme": "nonsense"}])
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 3
    assert any("one lower-case word" in m for m in messages) and any("tariff" in m for m in messages)
    assert any("unknown theme 'nonsense'" in m for m in messages)


BAD_TAXONOMY = """\
site:
  title: Test
taxonomy:
  regions:
    Nowhere: {un: Southern Mars}
  themes:
    trade:
      cues: {tariff: lots}
  entities:
    Someone: {kind: alien}
  colours: blue
sections:
  - name: Broken
    country: Atlantis
"""


def test_config_errors_name_the_line_and_warn_on_unknown_keys(empty_site):
    (empty_site / "digest.yaml").write_text(BAD_TAXONOMY, encoding="utf-8")
    result = invoke("list", cwd=empty_site)
    assert result.returncode == 2
    err = result.stderr
    assert "4 problems" in err
    assert "digest.yaml:5: taxonomy.regions.Nowhere.un: unknown UN sub-region 'Southern Mars'" in err
    assert "digest.yaml:8: taxonomy.themes.trade.cues.tariff:" in err
    assert "digest.yaml:10: taxonomy.entities.Someone.kind: must be one of person, organisation, place" in err
    assert "digest.yaml:14: sections.0.country: unknown country 'Atlantis'" in err


def test_unknown_taxonomy_keys_warn(empty_site):
    (empty_site / "digest.yaml").write_text("taxonomy:\n  colours: blue\nsections:\n  - {name: All, colour: red}\n", encoding="utf-8")
    result = invoke("list", cwd=empty_site)
    assert result.returncode == 0, result.stderr
    assert "digest.yaml:2: warning: unknown setting 'taxonomy.colours'" in result.stderr
    assert "digest.yaml:4: warning: unknown setting 'sections.0.colour'" in result.stderr


def test_subdivisions_named_only_with_compass_words_are_not_places():
    places = world_places()
    assert "North East" not in places and "Upper West" not in places  # Ghana's regions, and ordinary words
    assert "Balochistan" in places


def test_an_entity_theme_must_be_a_theme_key():
    taxonomy, _ = build_taxonomy({"entities": {"Veritas": {"kind": "organisation", "theme": "politics"}}})
    assert taxonomy.entities["Veritas"].theme == "politics"
    with pytest.raises(ConfigError) as caught:
        build_taxonomy({"entities": {"Veritas": {"kind": "organisation", "theme": "elections"}}})
    assert "'elections' is not a theme key" in str(caught.value) and "one of culture, diplomacy" in str(caught.value)


def test_a_scan_finds_each_term_only_as_its_case_allows_whatever_shares_its_first_word():
    from digest.taxonomy.terms import Meaning, TermIndex

    index = TermIndex()
    index.add("The Hague", Meaning("place", "The Hague", case="capital", term="The Hague"))
    index.add("WHO", Meaning("entity", "World Health Organization", case="exact", term="WHO"))
    index.add("who pays", Meaning("cue", "trade", case="any", term="who pays"))  # shares "who" with WHO
    index.add("US", Meaning("country", "US", case="exact", term="US"))
    index.add("tariffs", Meaning("cue", "trade", case="any", term="tariffs"))
    index.freeze()

    def found(text):
        return [(hit.term, [m.target for m in hit.meanings]) for hit in index.scan(text)]

    text = "The Hague said who pays the tariffs. WHO said the hague and the US who; Who Pays? us. THE HAGUE"
    assert found(text) == [
        ("The Hague", ["The Hague"]), ("who pays", ["trade"]), ("tariffs", ["trade"]), ("WHO", ["World Health Organization"]),
        ("US", ["US"]), ("Who Pays", ["trade"]), ("THE HAGUE", ["The Hague"]),
    ]
    assert found("who said us") == [] and found("Who") == []  # the spellings WHO and US ask for, nothing else



def test_a_spelling_seen_before_is_still_judged_by_its_neighbours():
    """What a first word's spelling settles is kept per spelling; what its neighbours decide is not."""
    from digest.taxonomy.terms import Meaning, TermIndex

    index = TermIndex()
    index.add("Jordan", Meaning("country", "JO", case="capital", term="Jordan"))
    index.add("Chin", Meaning("place", "Chin State", case="capital", term="Chin"))
    index.add("Kenya", Meaning("country", "KE", case="capital", term="Kenya"))
    index.add("AID", Meaning("entity", "Aid Agency", case="exact", term="AID"))
    index.add("aid", Meaning("cue", "development", case="any", term="aid"))
    index.freeze()

    def found(text):
        return [(hit.term, [m.target for m in hit.meanings]) for hit in index.scan(text)]

    for _ in range(2):  # the second time, every spelling is known
        assert found("Jordan and Kenya sent aid. Michael Jordan said Liew Chin Tong met AID in Chin, kenya") == [
            ("Jordan", ["JO"]), ("Kenya", ["KE"]), ("aid", ["development"]), ("AID", ["Aid Agency", "development"]),
            ("Chin", ["Chin State"])]


def test_an_entity_home_must_be_a_country():
    with pytest.raises(ConfigError) as caught:
        build_taxonomy({"entities": {"Olimpia": {"kind": "organisation", "home": "Atlantis"}}})
    assert "taxonomy.entities.Olimpia.home: unknown country 'Atlantis'" in str(caught.value)


def test_the_same_taxonomy_settings_are_built_once_and_a_warning_is_reported_at_every_load(tmp_path):
    from digest.settings.config import parse_config

    settings = "taxonomy:\n  themes:\n    politics:\n      cues: {export ban: 3}\n"
    first, again = parse_config(settings, tmp_path / "a.yaml"), parse_config(settings, tmp_path / "b.yaml")
    assert again.taxonomy is first.taxonomy and again.sections == first.sections  # ~50 ms not spent again
    assert first.taxonomy.themes["politics"].cues["export ban"] == 3
    other = parse_config(settings.replace("3}", "4}"), tmp_path / "a.yaml")
    assert other.taxonomy is not first.taxonomy and other.taxonomy.themes["politics"].cues["export ban"] == 4

    warned = "site:\n  title: T\ntaxonomy:\n  colour: blue\n"  # each load locates the warning in its own file
    wrong = "taxonomy:\n  themes:\n    trade:\n      cues: {tariff: lots}\n"  # ... and the error
    for name in ("a.yaml", "b.yaml"):
        warnings = [str(w) for w in parse_config(warned, tmp_path / name).warnings]
        assert any(w.startswith(f"{tmp_path / name}:4:") and "taxonomy.colour" in w for w in warnings), warnings
        with pytest.raises(ConfigError) as refused:
            parse_config(wrong, tmp_path / name)
        assert [(p.path, p.line) for p in refused.value.problems] == [(str(tmp_path / name), 4)], refused.value.problems

    from digest.settings.problems import Problems

    problems = Problems("digest.yaml")  # settings that cannot be a key (no YAML makes them): built each time, as before
    taxonomy, _ = build_taxonomy({"themes": {"politics": {"cues": {"export ban": 3}}}, "other": lambda: None}, None, problems)
    assert taxonomy.themes["politics"].cues["export ban"] == 3 and taxonomy is not first.taxonomy
    assert [w.message for w in problems.warnings if "'taxonomy.other'" in w.message] and not problems.problems


def test_ascii_text_is_cut_into_the_words_and_tokens_unicode_patterns_find():
    """Text of ASCII characters only is tokenised with spelt-out classes: the same cuts, every character tried."""
    import random

    from digest.classify.entities import _ASCII_TOKEN, _TOKEN
    from digest.taxonomy.terms import _ASCII_WORD, _WORD

    chance = random.Random(14)
    texts = ["".join(map(chr, range(128))), "".join(map(chr, reversed(range(128)))), "O'Neil's co-op_ran 3-2\x1cA\x1fB_ _x"]
    texts += ["".join(chance.choice("aZ0_'- .\x1c\x1f\t(),’") for _ in range(24)).encode("ascii", "ignore").decode() for _ in range(500)]
    texts += ["".join(map(chr, chance.choices(range(128), k=40))) for _ in range(600)]
    for text in texts:
        assert _ASCII_WORD.findall(text) == _WORD.findall(text)
        assert _ASCII_TOKEN.findall(text) == _TOKEN.findall(text)
