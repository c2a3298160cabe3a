"""The site graph: which pages exist, where, with what; pagination, ordering, fingerprints."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from digest.models import (
    OTHER_NEWS,
    Article,
    ArticleDate,
    Classification,
    ClassifiedStory,
    DateSource,
    Digest,
    EntityRef,
    Evidence,
    OutletAddition,
    Score,
    Story,
)
from digest.pipeline.gather import gather
from digest.settings.config import Config, SiteConfig, load_config
from digest.site.graph import build_site_graph
from digest.site.memo import GraphMemo
from digest.site.model import public_url
from digest.wording import describe_evidence

REPO = Path(__file__).resolve().parent.parent


def make_story(n: int, *, section: str = OTHER_NEWS, day: int = 1, entities=(), region=None, theme=None, outlet="Outlet A",
               text: str | None = None, related=()) -> ClassifiedStory:
    article = Article(id=f"doc{n}", source=f"doc{n}.md", line=1, kind="note", headline=f"Headline number {n}",
                      paragraphs=(text or f"Body of story {n}.",), outlet=outlet,
                      date=ArticleDate(dt.date(2025, 7, day), DateSource.FRONT_MATTER))
    story = Story(slug=f"story-{n}", title=f"Headline number {n}", articles=(article,), summary=(f"Summary {n}.",))
    filing = Classification(region=region, theme=theme, section=section, entities=tuple(entities))
    return ClassifiedStory(story, filing, tuple(related))


def make_digest(stories, *, per_page: int = 20, sections=()) -> Digest:
    config = Config(root=Path("/nonexistent"), site=SiteConfig(per_page=per_page, base_url="https://example.org/sub/"),
                    sections=tuple({"name": name} for name in sections))
    articles = tuple(a for item in stories for a in item.story.articles)
    return Digest(config, articles, tuple(stories), ())


@pytest.fixture(scope="module")
def shipped_graph():
    return build_site_graph(gather(load_config(REPO / "digest.yaml")))


def test_every_story_has_a_directory_style_page(shipped_graph):
    paths = {page.path for page in shipped_graph.pages}
    for item in shipped_graph.digest.stories:
        assert f"stories/{item.slug}/index.html" in paths
    for page in shipped_graph.pages:
        assert page.path == "404.html" or page.path.endswith("/index.html") or page.path == "index.html"
    for required in ("index.html", "archive/index.html", "search/index.html", "about/index.html", "404.html",
                     "entities/index.html", "outlets/index.html", "regions/index.html", "themes/index.html"):
        assert required in paths


def test_paths_titles_and_fingerprints_are_unique(shipped_graph):
    pages = shipped_graph.pages
    assert len({p.path for p in pages}) == len(pages)
    assert len({p.title for p in pages}) == len(pages)
    assert all(len(p.fingerprint) == 32 for p in pages)
    assert len({p.fingerprint for p in pages}) == len(pages)
    assert all(p.description for p in pages)


def test_sections_follow_the_configured_order_then_other_news():
    stories = [make_story(1, section=OTHER_NEWS, day=9), make_story(2, section="Trade", day=1), make_story(3, section="Security", day=5)]
    graph = build_site_graph(make_digest(stories, sections=("Security", "Empty", "Trade")))
    assert [g.name for g in graph.sections] == ["Security", "Trade", OTHER_NEWS]  # empty sections have no page
    front = graph.pages[0]
    # The newest story leads and one more sits beside it (the top takes at most half); the rest stay in their sections.
    assert front.context["lead"].slug == "story-1" and [item.slug for item in front.context["secondary"]] == ["story-3"]
    assert [group.name for group, _ in front.context["sections"]] == ["Trade"]
    assert front.context["edition"] == (dt.date(2025, 7, 1), dt.date(2025, 7, 9))
    more = stories + [make_story(4, section="Security", day=4), make_story(5, day=8), make_story(6, day=7), make_story(7, section="Trade", day=3),
                      make_story(8, day=2)]
    front = build_site_graph(make_digest(more, sections=("Security", "Empty", "Trade"))).pages[0]
    assert [item.slug for item in front.context["secondary"]] == ["story-5", "story-6", "story-3"]
    assert [(group.name, [item.slug for item in items]) for group, items in front.context["sections"]] == [
        ("Security", ["story-4"]), ("Trade", ["story-7", "story-2"]), (OTHER_NEWS, ["story-8"])]


def test_long_lists_paginate_with_stable_paths():
    stories = [make_story(n, day=1 + n) for n in range(5)]
    graph = build_site_graph(make_digest(stories, per_page=2))
    pages = {p.path: p for p in graph.pages}
    first, second, third = (pages[p] for p in ("sections/other-news/index.html", "sections/other-news/page/2/index.html",
                                               "sections/other-news/page/3/index.html"))
    assert [len(p.context["stories"]) for p in (first, second, third)] == [2, 2, 1]
    assert first.pager.prev is None and first.pager.next == second.path
    assert third.pager.prev == second.path and third.pager.next is None
    assert "page 2" in second.title and second.title != first.title
    newest = [item.slug for item in first.context["stories"]]
    assert newest == ["story-4", "story-3"]  # newest first
    assert "sections/other-news/page/4/index.html" not in pages


def test_previous_and_next_stay_within_the_section():
    stories = [make_story(1, section="A", day=3), make_story(2, section="B", day=2), make_story(3, section="A", day=1)]
    graph = build_site_graph(make_digest(stories, sections=("A", "B")))
    story_pages = {p.context["item"].slug: p.context for p in graph.pages if p.kind == "story"}
    assert story_pages["story-1"]["newer"] is None and story_pages["story-1"]["older"].slug == "story-3"
    assert story_pages["story-3"]["newer"].slug == "story-1" and story_pages["story-3"]["older"] is None
    assert story_pages["story-2"]["newer"] is None and story_pages["story-2"]["older"] is None


def test_entity_pages_link_entities_through_shared_stories():
    anwar, liew, salleh, trump = (EntityRef(s, n, "person") for s, n in (("anwar", "Anwar Ibrahim"), ("liew", "Liew Chin Tong"),
                                                                       ("salleh", "Salleh Said Keruak"), ("trump", "Donald Trump")))
    stories = [make_story(1, entities=(anwar, liew), day=2), make_story(2, entities=(anwar, salleh), day=3), make_story(3, entities=(trump,), day=4)]
    graph = build_site_graph(make_digest(stories))
    entries = {p.context["entry"].ref.slug: p for p in graph.pages if p.kind == "entity"}
    anwar_page = entries["anwar"]
    assert {item.slug for item in anwar_page.context["stories"]} == {"story-1", "story-2"}
    assert {ref.slug for ref, shared in anwar_page.context["entry"].related} == {"liew", "salleh"}
    assert [item.slug for item in entries["liew"].context["entry"].see_also] == ["story-2"]  # via Anwar
    assert entries["trump"].context["entry"].related == ()


def test_outlet_pages_show_what_only_each_outlet_reported():
    a = Article(id="a", source="a.txt", line=1, kind="lead", headline="H", paragraphs=("Shared. Only A.",), outlet="Alpha")
    b = Article(id="b", source="b.txt", line=1, kind="lead", headline="H2", paragraphs=("Shared.",), outlet="Beta")
    story = Story("s", "H", (a, b), adds=(OutletAddition("a", "Alpha", ("Only A.",)),))
    graph = build_site_graph(make_digest([ClassifiedStory(story, Classification())]))
    alpha = next(p for p in graph.pages if p.path == "outlets/alpha/index.html")
    (contribution,) = alpha.context["contributions"]
    assert contribution.adds == ("Only A.",) and contribution.anchor == "version-1"
    beta = next(p for p in graph.pages if p.path == "outlets/beta/index.html")
    assert beta.context["contributions"][0].adds == ()


def test_a_changed_story_changes_only_the_pages_that_show_it():
    stories = [make_story(n, day=1 + n, section="A" if n < 3 else "B") for n in range(6)]
    before = {p.path: p.fingerprint for p in build_site_graph(make_digest(stories, sections=("A", "B"))).pages}
    edited = list(stories)
    edited[5] = make_story(5, day=6, section="B", text="A corrected body.")
    after = {p.path: p.fingerprint for p in build_site_graph(make_digest(edited, sections=("A", "B"))).pages}
    changed = {path for path in before if before[path] != after[path]}
    assert "stories/story-5/index.html" in changed
    assert "sections/b/index.html" in changed and "index.html" in changed and "archive/index.html" in changed
    assert "stories/story-4/index.html" in changed  # its "older in B" link shows story 5
    assert "stories/story-0/index.html" not in changed and "sections/a/index.html" not in changed
    assert "search/index.html" not in changed


def test_same_input_gives_the_same_fingerprints():
    stories = [make_story(n, day=1 + n) for n in range(4)]
    first = [p.fingerprint for p in build_site_graph(make_digest(stories)).pages]
    second = [p.fingerprint for p in build_site_graph(make_digest(list(stories))).pages]
    assert first == second


def test_every_field_of_a_story_s_evidence_scores_entities_and_additions_reaches_its_page_fingerprint():
    evidence = Evidence("Karachi", "Pakistan", ("headline",), 2, 1.5, "country", "a place in Pakistan")
    entity = EntityRef("imf", "IMF", "organisation", ("Fund",), 3)
    addition = OutletAddition("doc1", "Outlet A", ("It rained.",))
    filing = Classification(region="Southern Asia", regions=(Score("Southern Asia", 2.0),), entities=(entity,), evidence=(evidence,))
    story = make_story(1)
    story = dataclasses.replace(story, story=dataclasses.replace(story.story, adds=(addition,)), classification=filing)

    def story_fingerprint(item: ClassifiedStory) -> str:
        return next(p.fingerprint for p in build_site_graph(make_digest([item])).pages if p.path == "stories/story-1/index.html")

    other = {"where": ("body",), "count": 9, "weight": 0.5, "aliases": ("Fonds",), "mentions": 4, "sentences": ("It snowed.",)}  # else "x"
    seen = {story_fingerprint(story)}
    for field in dataclasses.fields(Evidence):
        changed = dataclasses.replace(evidence, **{field.name: other.get(field.name, "x")})
        seen.add(story_fingerprint(dataclasses.replace(story, classification=dataclasses.replace(filing, evidence=(changed,)))))
    for field in dataclasses.fields(EntityRef):
        changed = dataclasses.replace(entity, **{field.name: other.get(field.name, "x")})
        seen.add(story_fingerprint(dataclasses.replace(story, classification=dataclasses.replace(filing, entities=(changed,)))))
    for score in (Score("Eastern Asia", 2.0), Score("Southern Asia", 2.5)):
        seen.add(story_fingerprint(dataclasses.replace(story, classification=dataclasses.replace(filing, regions=(score,)))))
    for field in dataclasses.fields(OutletAddition):
        changed = dataclasses.replace(addition, **{field.name: other.get(field.name, "x")})
        seen.add(story_fingerprint(dataclasses.replace(story, story=dataclasses.replace(story.story, adds=(changed,)))))
    assert len(seen) == 1 + len(dataclasses.fields(Evidence)) + len(dataclasses.fields(EntityRef)) + 2 + len(dataclasses.fields(OutletAddition))


def test_duplicate_headlines_get_distinct_page_titles():
    one, two = make_story(1, outlet="Alpha"), make_story(2, outlet="Beta")
    two = dataclasses.replace(two, story=dataclasses.replace(two.story, title=one.story.title))
    graph = build_site_graph(make_digest([one, two]))
    titles = [p.title for p in graph.pages if p.kind == "story"]
    assert len(set(titles)) == 2 and any("Beta" in t for t in titles)


def test_graph_scales_linearly_in_links():
    """2,000 stories sharing a handful of entities: one page per story, entity lists paginate."""
    hubs = [EntityRef(f"e{i}", f"Entity {i}", "organisation") for i in range(5)]
    stories = [make_story(n, day=1 + n % 28, entities=(hubs[n % 5], hubs[(n + 1) % 5]), section="S" if n % 2 else OTHER_NEWS)
               for n in range(2000)]
    graph = build_site_graph(make_digest(stories, per_page=20))
    entity_pages = [p for p in graph.pages if p.kind == "entity"]
    assert len(entity_pages) == 5 * 40  # 800 stories per entity, 20 per page
    assert sum(1 for p in graph.pages if p.kind == "story") == 2000


def test_evidence_in_words():
    assert describe_evidence(Evidence("Pakistan", "South Asia", ("headline", "body"), 5, 1.0)) == \
        "“Pakistan” appears 5 times in the headline and the text, which points to South Asia."
    assert describe_evidence(Evidence("trade", "trade", ("headline",), 1, 1.0)) == "“trade” appears once in the headline."


def test_public_urls_use_the_folder_form():
    assert public_url("https://example.org/digest/", "stories/x/index.html") == "https://example.org/digest/stories/x/"
    assert public_url("https://example.org/", "index.html") == "https://example.org/"
    assert public_url("https://example.org/", "feed.xml") == "https://example.org/feed.xml"


def _linked_stories() -> list[ClassifiedStory]:
    """Stories with entities, related stories, two outlets and additions: every kind of page has something to show."""
    refs = [EntityRef(f"e{i}", f"Entity {i}", "person" if i % 2 else "organisation") for i in range(4)]
    stories = [make_story(n, day=1 + n, section="A" if n % 2 else "B", entities=(refs[n % 4], refs[(n + 1) % 4]),
                          outlet="Alpha" if n % 3 else "Beta", related=(f"story-{(n + 1) % 8}", f"story-{(n + 3) % 8}"))
               for n in range(8)]
    item = stories[2]
    second = dataclasses.replace(item.story.articles[0], id="doc2b", outlet="Gamma")
    story = dataclasses.replace(item.story, articles=item.story.articles + (second,),
                                adds=(OutletAddition("doc2b", "Gamma", ("Only Gamma says this.",)),))
    filing = dataclasses.replace(item.classification, countries=("Pakistan",),
                                 evidence=(Evidence("Karachi", "Pakistan", ("headline",), 2, 3.0, "country"),))
    stories[2] = ClassifiedStory(story, filing, item.related)
    return stories


def _fresh_graph(digest: Digest) -> dict[str, str]:
    """The fingerprints a graph makes with nothing remembered from an earlier graph."""
    return {p.path: p.fingerprint for p in build_site_graph(digest).pages}


def test_a_rebuild_reuses_what_did_not_change_and_agrees_with_a_fresh_graph():
    stories = _linked_stories()
    sections = ("A", "B")
    memo = GraphMemo()
    first = build_site_graph(make_digest(stories, sections=sections, per_page=3), memo)
    again = build_site_graph(make_digest(list(stories), sections=sections, per_page=3), memo)
    assert [p.fingerprint for p in again.pages] == [p.fingerprint for p in first.pages]
    old_pages = {p.path: p for p in first.pages}
    assert all(p is old_pages[p.path] for p in again.pages if p.kind == "story")  # the very same pages

    edited = list(stories)
    edited[4] = make_story(4, day=5, section="B", entities=stories[4].classification.entities, outlet="Alpha",
                           text="A corrected body.", related=stories[4].related)
    digest = make_digest(edited, sections=sections, per_page=3)
    after = {p.path: p for p in build_site_graph(digest, memo).pages}
    assert {path: p.fingerprint for path, p in after.items()} == _fresh_graph(digest)
    changed = {path for path, p in after.items() if p.fingerprint != old_pages[path].fingerprint}
    assert "stories/story-4/index.html" in changed
    assert "stories/story-3/index.html" in changed  # story 4 is related to it: its title and date are shown there
    assert "stories/story-2/index.html" in changed  # its "older in B" link is story 4
    assert after["stories/story-5/index.html"] is old_pages["stories/story-5/index.html"]
    assert "outlets/alpha/index.html" in changed and "outlets/beta/index.html" not in changed


def test_a_story_page_works_out_its_versions_when_read_and_hashes_what_they_come_from():
    stories = _linked_stories()
    graph = build_site_graph(make_digest(stories, sections=("A", "B")))
    page = next(p for p in graph.pages if p.path == "stories/story-2/index.html")
    assert "versions" not in page.context.given and "item" in page.context.given
    values = dict(page.context)
    assert [(anchor, article.outlet, adds) for anchor, article, adds in values["versions"]] == [
        ("version-1", "Alpha", ()), ("version-2", "Gamma", ("Only Gamma says this.",))]
    assert values["why_region"] == (describe_evidence(stories[2].classification.evidence[0]),)
    assert [name for name, _ in values["entity_groups"]] == ["People", "Organisations"]
    # What the versions and reasons are made from is in the fingerprint: other evidence, another fingerprint.
    changed = list(stories)
    changed[2] = dataclasses.replace(stories[2], classification=dataclasses.replace(stories[2].classification, evidence=()))
    again = build_site_graph(make_digest(changed, sections=("A", "B")))
    assert next(p for p in again.pages if p.path == page.path).fingerprint != page.fingerprint


def test_digest_code_is_part_of_every_fingerprint(monkeypatch):
    """A wording change in site.py (or a template filter) changes pages without changing any story."""
    import digest.site.graph as site_module

    stories = _linked_stories()
    before = {p.path: p.fingerprint for p in build_site_graph(make_digest(stories)).pages}
    monkeypatch.setattr(site_module, "pipeline_fingerprint", lambda: "other code")
    after = {p.path: p.fingerprint for p in build_site_graph(make_digest(stories)).pages}
    assert before.keys() == after.keys() and all(before[path] != after[path] for path in before)
