"""Related stories after an edit: when no story's slug, day, entities, themes, region or country changed, the last
run's related stories are kept without ranking again; any such change ranks every story again. Either way the
result is what ranking from nothing gives."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from helpers import REPO

from digest.classify import related as related_module
from digest.classify.filing import classify_stories
from digest.models import Article, ArticleDate, DateSource, Story


@pytest.fixture(scope="module")
def shipped():
    from digest.settings.config import load_config

    config = load_config(REPO / "digest.yaml")
    return config.taxonomy, config.sections


def story(slug: str, headline: str, day: int, *paragraphs: str) -> Story:
    date = ArticleDate(dt.datetime(2025, 7, day), DateSource.FRONT_MATTER)
    article = Article(id=slug, source=f"{slug}.md", line=1, kind="note", headline=headline, paragraphs=paragraphs, date=date)
    return Story(slug=slug, title=headline, articles=(article,))


STORIES = [
    story("quetta", "Militants attack police post in Quetta", 3,
          "QUETTA: Militants of the Balochistan Liberation Army attacked a police post, Interior Minister Mohsin Naqvi said."),
    story("quetta-raid", "Police raid hideout near Quetta", 4,
          "QUETTA: Police raided a Balochistan Liberation Army hideout, Interior Minister Mohsin Naqvi said."),
    story("tariffs", "Pakistan says deal made with US on tariffs", 5,
          "ISLAMABAD: Pakistan and the United States agreed a trade deal, Finance Minister Muhammad Aurangzeb said."),
    story("textiles", "Textile exports to the US rise", 6,
          "KARACHI: Exports to the United States rose by a fifth, Finance Minister Muhammad Aurangzeb said."),
    story("sabah", "GRS and PH to work together in Sabah polls", 7,
          "KOTA KINABALU: Gabungan Rakyat Sabah and Pakatan Harapan will cooperate, Prime Minister Anwar Ibrahim said."),
    story("sabah-seats", "Sabah parties agree on seats", 8,
          "KOTA KINABALU: Gabungan Rakyat Sabah agreed seats with Pakatan Harapan, Prime Minister Anwar Ibrahim said."),
]


def edited(stories: list[Story], slug: str, **changes) -> list[Story]:
    """The stories with one of them edited: a new Story object (as merging makes), its article changed."""
    out = []
    for item in stories:
        if item.slug == slug:
            article = dataclasses.replace(item.articles[0], **changes)
            item = Story(slug=item.slug, title=article.headline, articles=(article,))
        out.append(item)
    return out


def ranked(stories: list[Story], shipped, memo: dict, last: dict) -> dict[str, tuple[str, ...]]:
    return {item.slug: item.related for item in classify_stories(stories, *shipped, memo=memo, related=last)}


@pytest.mark.parametrize("edit, ranks_again", [
    ("a sentence naming nothing new", False),
    ("a sentence naming a new entity", True),
    ("another day", True),
])
def test_an_edit_keeps_or_ranks_again_and_gives_what_ranking_from_nothing_gives(shipped, monkeypatch, edit, ranks_again):
    memo: dict = {}
    last: dict = {}
    before = ranked(STORIES, shipped, memo, last)
    paragraphs = STORIES[0].articles[0].paragraphs
    if edit == "a sentence naming nothing new":
        stories = edited(STORIES, "quetta", paragraphs=paragraphs + ("The attack lasted an hour, officials said.",))
    elif edit == "a sentence naming a new entity":
        stories = edited(STORIES, "quetta", paragraphs=paragraphs + ("Prime Minister Anwar Ibrahim of Gabungan Rakyat Sabah condemned it.",))
    else:
        stories = edited(STORIES, "quetta", date=ArticleDate(dt.datetime(2025, 7, 20), DateSource.FRONT_MATTER))
    calls = []
    original = related_module._shared_entity_pairs
    monkeypatch.setattr(related_module, "_shared_entity_pairs", lambda *args: calls.append(1) or original(*args))
    after = ranked(stories, shipped, memo, last)
    assert bool(calls) == ranks_again
    monkeypatch.undo()
    assert after == ranked(stories, shipped, {}, {})  # what ranking from nothing gives
    if edit == "a sentence naming a new entity":
        assert after != before  # the new entity relates the story to others
