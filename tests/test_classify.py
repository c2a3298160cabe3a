"""The classifier on stories written for the tests: places and subjects the shipped content never mentions."""

from __future__ import annotations

import pytest
from helpers import REPO, story

from digest.classify.explain import explain_lines
from digest.classify.filing import classify_stories
from digest.taxonomy.build import build_taxonomy


@pytest.fixture(scope="module")
def shipped():
    """The taxonomy and sections of the shipped digest.yaml."""
    from digest.settings.config import load_config

    config = load_config(REPO / "digest.yaml")
    return config.taxonomy, config.sections


def classify(shipped, *stories):
    taxonomy, sections = shipped
    return classify_stories(list(stories), taxonomy, sections)


HURRICANE = story(
    "Hurricane Beryl tears through the Caribbean, killing at least seven",
    "KINGSTON: Hurricane Beryl made landfall on Jamaica on Wednesday with winds of 215 km/h, flattening homes and "
    "cutting power to most of the island after killing people in Grenada and St Vincent.",
    "Rescuers in Jamaica searched for the missing as floodwaters rose. The storm earlier destroyed most buildings on "
    "Carriacou, and officials in Haiti and the Dominican Republic ordered evacuations ahead of heavy rain.",
    "The death toll is expected to rise, the emergency management office said.",
)
CRICKET = story(
    "Australia beat India by six wickets to win the Test series final in Sydney",
    "Australia's captain struck an unbeaten century as the hosts chased down 162 on the final day at the Sydney "
    "Cricket Ground, sealing the series 3-1 in front of a sold-out crowd of fans.",
    "India's bowlers took two early wickets, but the batters held firm. The tournament's player of the series was "
    "the Australian fast bowler, who finished with 32 wickets.",
)
BUDGET = story(
    "German parliament approves budget after coalition wrangling",
    "BERLIN: The Bundestag on Friday passed Germany's 2025 budget by 374 votes to 267, ending weeks of dispute "
    "within the governing coalition over the debt brake.",
    "Chancellor Friedrich Merz said the vote showed his government could act. The opposition Greens and the far-right "
    "AfD voted against. The budget raises defence spending and borrowing for infrastructure.",
)
CHIPS = story(
    "Chip maker TSMC posts record quarterly profit as AI demand surges",
    "Taiwan Semiconductor Manufacturing Company reported a 60 per cent jump in quarterly net profit on Thursday, "
    "beating analysts' forecasts, as demand for chips used in artificial intelligence data centres soared.",
    "Revenue rose 39 per cent to a record. The company raised its full-year sales forecast and its shares rose 4 per "
    "cent in Taipei; investors expect earnings growth to continue.",
)


def test_hurricane_in_the_caribbean(shipped):
    [item] = classify(shipped, HURRICANE)
    assert item.classification.region == "Caribbean"
    assert item.classification.theme == "disasters"
    assert item.classification.countries[0] == "Jamaica"
    assert item.classification.section == "Other news"


def test_cricket_final_in_australia(shipped):
    [item] = classify(shipped, CRICKET)
    assert item.classification.region == "Australia and New Zealand"
    assert item.classification.theme == "sport"
    assert item.classification.countries[:2] == ("Australia", "India")


def test_budget_vote_in_germany(shipped):
    [item] = classify(shipped, BUDGET)
    assert item.classification.region == "Western Europe"
    assert item.classification.countries[0] == "Germany"
    assert item.classification.theme == "politics"
    assert "trade" in {s.name for s in item.classification.themes}  # the budget is also economy


def test_chip_makers_results(shipped):
    [item] = classify(shipped, CHIPS)
    assert item.classification.region == "East Asia"
    assert item.classification.countries[0] == "Taiwan"
    assert item.classification.theme == "trade"
    assert "technology" in {s.name for s in item.classification.themes}
    assert "TSMC" in [e.name for e in item.classification.entities]


def test_the_subject_country_wins_over_the_other_party():
    taxonomy, _ = build_taxonomy()
    deal = story(
        "Pakistan says deal made with US on tariffs",
        "The US and Pakistan have struck a trade deal, officials in Washington said. Washington will cut tariffs.",
        "Pakistan's finance ministry said exports to the United States would rise. US officials did not comment.",
    )
    [item] = classify_stories([deal], taxonomy, ())
    assert item.classification.countries[:2] == ("Pakistan", "United States")
    assert item.classification.region == "South Asia"
    assert item.classification.regions[1].name == "North America"


def test_headline_and_dateline_outweigh_body_mentions():
    taxonomy, _ = build_taxonomy()
    report = story(
        "Floods hit Sabah villages",
        "Rescuers evacuated hundreds. Officials compared it with floods in China, in China's south and in Chinese cities.",
        dateline="KOTA KINABALU",
    )
    [item] = classify_stories([report], taxonomy, ())
    filing = item.classification
    assert filing.countries[0] == "Malaysia" and filing.region == "Southeast Asia"
    sabah = next(e for e in filing.evidence if e.term == "Sabah")
    assert sabah.where == ("headline",) and sabah.via == "a place in Malaysia"
    assert any(e.term == "Kota Kinabalu" and e.where == ("dateline",) for e in filing.evidence)


def test_dateline_in_the_text_is_read_as_a_dateline():
    taxonomy, _ = build_taxonomy()
    [item] = classify_stories([story("Minister resigns", "LAHORE: A provincial minister resigned on Monday.")], taxonomy, ())
    assert any(e.term == "Lahore" and e.where == ("dateline",) for e in item.classification.evidence)
    assert item.classification.countries == ("Pakistan",)


def test_front_matter_overrides_region_and_theme(shipped):
    note = story("Tariffs and militants", "Pakistan imposed tariffs after militant attacks in Karachi.",
                 region="Southeast Asia", theme="Media")
    [item] = classify(shipped, note)
    filing = item.classification
    assert (filing.region, filing.theme) == ("Southeast Asia", "media")
    assert filing.overridden == ("region", "theme")
    assert any(e.where == ("front-matter",) for e in filing.evidence)
    assert "(set by the editor)" in "\n".join(explain_lines(item, *shipped))


def test_front_matter_region_may_name_a_country(shipped):
    [item] = classify(shipped, story("A note", "Nothing about places here.", region="Malaysia", theme="politics"))
    assert item.classification.region == "Southeast Asia"
    assert item.classification.countries[0] == "Malaysia"
    assert item.classification.section == "Malaysian politics"


@pytest.mark.parametrize("text", [
    "Tell us what you think: the pas de deux was a faux pas, and the soil's pH was high.",
    "The X-ray showed the pH of the sample; Generation X voters were polled.",
])
def test_ambiguous_words_are_not_names_without_context(shipped, text):
    [item] = classify(shipped, story("A quiet day", text))
    names = {e.name for e in item.classification.entities}
    assert not names & {"Parti Islam Se-Malaysia", "Pakatan Harapan", "X"}
    assert "United States" not in item.classification.countries


def test_ambiguous_names_count_with_context(shipped):
    text = ("In Kuala Lumpur, PH and Pas leaders met. The US embassy posted on X, formerly Twitter, about the "
            "talks, and U.S. officials attended.")
    [item] = classify(shipped, story("Malaysian parties meet", text))
    names = {e.name for e in item.classification.entities}
    assert {"Parti Islam Se-Malaysia", "Pakatan Harapan", "X"} <= names
    assert "United States" in item.classification.countries


def test_sections_take_stories_in_order(shipped):
    security = story("Militants attack police in Balochistan", "Militants killed soldiers in Quetta, Balochistan, in a terrorist attack.")
    trade = story("Malaysia cuts tariffs on imports", "KUALA LUMPUR: Malaysia will cut tariffs on imports; exports and trade rose.")
    politics = story(
        "Sabah election date set",
        "KOTA KINABALU: The state election will be held in November; opposition parties and coalition partners prepare for the polls.",
    )
    items = classify(shipped, security, trade, politics)
    assert [i.classification.section for i in items] == ["South Asia security", "Trade", "Malaysian politics"]


def test_a_story_with_no_cues_has_no_theme_and_goes_to_other_news(shipped):
    [item] = classify(shipped, story("Notes", "Some words with nothing in them."))
    assert item.classification.theme is None and item.classification.region is None
    assert item.classification.section == "Other news"
    assert "no theme" in "\n".join(explain_lines(item, *shipped))


def test_explain_lines_give_terms_places_and_counts(shipped):
    [item] = classify(shipped, HURRICANE)
    text = "\n".join(explain_lines(item, *shipped))
    assert "Caribbean" in text and "Jamaica" in text
    assert "“hurricane”" in text and "in the headline" in text
    assert "“Kingston”" in text and "dateline" in text and "a place in Jamaica" in text
    evidence = next(e for e in item.classification.evidence if e.term == "Jamaica")
    assert str(evidence).startswith("'Jamaica' ×") and "→ Jamaica +" in str(evidence)


def test_related_stories_share_entities_and_themes(shipped):
    a = story(
        "Anwar meets Sabah leaders",
        "Prime Minister Datuk Seri Anwar Ibrahim met Chief Minister Datuk Seri Hajiji Noor in Kota Kinabalu before the state election.",
        slug="a",
    )
    b = story(
        "Hajiji names election date", "Sabah Chief Minister Datuk Seri Hajiji Noor said the state election would follow talks with Anwar Ibrahim.", slug="b"
    )
    c = story("Hurricane hits Jamaica", "Hurricane winds hit Kingston, Jamaica.", slug="c")
    d = story("Anwar on tariffs", "Anwar Ibrahim said tariffs on Malaysian exports would fall.", slug="d")
    items = {i.slug: i for i in classify(shipped, a, b, c, d)}
    assert items["a"].related[0] == "b"
    assert "c" not in items["a"].related
    assert items["c"].related == ()


def test_an_entity_with_a_theme_counts_for_it():
    taxonomy, _ = build_taxonomy({"entities": {"Veritas": {"kind": "organisation", "theme": "politics"}}})
    plain, _ = build_taxonomy({"entities": {"Veritas": {"kind": "organisation"}}})
    text = ("Veritas said the tax rise would hurt families. Veritas wants it rewritten.",
            "Veritas members met on Monday; Veritas will publish its own figures on spending.")
    item = story("Veritas attacks tax plans", *text)
    assert classify_stories([item], plain, ())[0].classification.theme == "trade"
    [filed] = classify_stories([item], taxonomy, ())
    assert filed.classification.theme == "politics"
    assert any(e.via == "names Veritas" for e in filed.classification.evidence)


def test_a_shared_city_alone_does_not_relate_stories_of_other_subjects():
    taxonomy, _ = build_taxonomy()
    match = story("Leeds win the derby", "Leeds beat Bradford 2-0 in the league match. The striker scored twice in the second half.",
                  slug="derby")
    council = story("Leeds raises parking prices", "The council in Leeds said parking prices and the local tax would rise. Shops fear lower sales.",
                    slug="parking")
    cup = story("Leeds striker out of the cup", "The Leeds striker was injured in the cup match. The coach said the team would miss him.",
                slug="cup")
    others = [story("Tokyo shares fall", "Shares fell in Tokyo as investors sold.", slug="tokyo"),
              story("Paris museum reopens", "The museum in Paris reopened its galleries.", slug="paris")]
    filed = {item.slug: item for item in classify_stories([match, council, cup, *others], taxonomy, ())}
    assert [filed[s].classification.theme for s in ("derby", "parking", "cup")] == ["sport", "trade", "sport"]
    assert filed["derby"].related == ("cup",)  # the same subject and city; the council story shares the city alone
    assert "parking" not in filed["cup"].related


def test_a_place_named_once_in_the_opening_is_enough_for_a_region():
    taxonomy, _ = build_taxonomy()
    sprinter = story("Sprinter quits athletics", "The sprinter will retire after a race at Musselburgh near Edinburgh. He had six operations.",
                     "He said he had struggled for fitness and would now coach young athletes.")
    [item] = classify_stories([sprinter], taxonomy, ())
    assert item.classification.region == "Northern Europe"
    vague = story("Sprinter quits athletics", "The sprinter will retire after six operations. He had struggled for fitness all season, "
                  "missed the indoor championships and the summer meetings, and said his body could no longer take the training "
                  "that a sprinter needs to race against the best in the world.",
                  "He said he would now coach young athletes, perhaps in Edinburgh.")
    assert classify_stories([vague], taxonomy, ())[0].classification.region is None  # once, in passing: not enough


def test_a_club_files_a_story_under_its_region_without_making_it_its_countrys():
    taxonomy, _ = build_taxonomy()
    match = story("Arsenal hold Chelsea in a gripping draw", "Arsenal and Chelsea drew 2-2 in a gripping game on Sunday.",
                  "The Arsenal manager said his side deserved to win. Chelsea stay top of the table.")
    [item] = classify_stories([match], taxonomy, ())
    assert item.classification.region == "Northern Europe"
    assert item.classification.countries == ()  # a club is not a United Kingdom story
    assert any(e.term == "Arsenal" and e.via == "based in United Kingdom" for e in item.classification.evidence)


def test_an_editor_gives_an_entity_a_home():
    text = ("Olimpia beat Cerro 2-1 in the derby on Sunday.", "The Olimpia coach praised his players after the derby.")
    item = story("Olimpia win the derby", *text)
    taxonomy, _ = build_taxonomy({"entities": {"Olimpia": {"kind": "organisation", "theme": "sport", "home": "Paraguay"}}})
    [filed] = classify_stories([item], taxonomy, ())
    assert (filed.classification.region, filed.classification.countries) == ("South America", ())
    plain, _ = build_taxonomy({"entities": {"Olimpia": {"kind": "organisation", "theme": "sport"}}})
    assert classify_stories([item], plain, ())[0].classification.region is None


def test_amounts_in_a_one_country_currency_count_for_it_but_conversions_do_not():
    taxonomy, _ = build_taxonomy()
    council = story("Councils get money for traveller sites", "Councils are to get £25m over four years to build official sites for travellers.",
                    "A further £8m will be available next year, the housing minister said, and £2m for repairs.")
    [item] = classify_stories([council], taxonomy, ())
    assert item.classification.region == "Northern Europe" and item.classification.countries == ("United Kingdom",)
    assert any(e.term == "£" and e.via == "an amount in its currency" for e in item.classification.evidence)
    converted = story("Insurer's claims rise", "The insurer said claims had reached $42bn (£21.5bn) this year.",
                      "Claims for storms rose fastest, it said, and rebuilding costs were up $3bn (£1.6bn).")
    assert classify_stories([converted], taxonomy, ())[0].classification.region is None
    egyptian = story("Bread prices rise", "A loaf now costs E£5 in Cairo shops, up from E£3 last year.", "Bakers blame the price of flour.")
    assert classify_stories([egyptian], taxonomy, ())[0].classification.countries == ("Egypt",)


def test_an_olympics_named_by_its_host_city_is_an_event_not_a_place():
    taxonomy, _ = build_taxonomy()
    doping = story("Sprinter's ban upheld", "The sprinter, banned after missing a test before the Athens Olympics, lost her appeal in London.",
                   "She had hoped to run at the Athens Games and says she will retire.")
    [item] = classify_stories([doping], taxonomy, ())
    assert item.classification.region == "Northern Europe" and "Greece" not in item.classification.countries
    assert "Athens Olympics" in [e.name for e in item.classification.entities]
