"""The site graph: which pages exist, where, with what; pagination, ordering, fingerprints."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from digest.build import Digest, gather
from digest.config import Config, SiteConfig, load_config
from digest.models import (Article, ArticleDate, Classification, ClassifiedStory, DateSource, EntityRef, Evidence,
                           OutletAddition, Story)
from digest.site import OTHER_NEWS, build_site_graph, describe_evidence, public_url

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
    assert [group.name for group, _ in front.context["sections"]] == ["Security", "Trade", OTHER_NEWS]
    assert front.context["edition"] == (dt.date(2025, 7, 1), dt.date(2025, 7, 9))


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
