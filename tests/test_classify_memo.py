"""The per-story memo: a second classify run re-classifies only the stories whose content changed."""

from __future__ import annotations

import dataclasses
import os
import pickle

import pytest
from helpers import REPO

from digest.classify.filing import ClassifyStats, classify_stories
from digest.classify.memo import story_fingerprint, taxonomy_fingerprint
from digest.models import Article, Story
from digest.taxonomy.build import build_taxonomy
from digest.taxonomy.model import Section


@pytest.fixture(scope="module")
def shipped():
    from digest.settings.config import load_config

    config = load_config(REPO / "digest.yaml")
    return config.taxonomy, config.sections


def story(slug: str, headline: str, *paragraphs: str, region: str | None = None) -> Story:
    article = Article(id=slug, source=f"{slug}.md", line=1, kind="note", headline=headline, paragraphs=paragraphs, region=region)
    return Story(slug=slug, title=headline, articles=(article,))


STORIES = [
    story("quetta", "Militants attack police post in Quetta",
          "QUETTA: Militants of the Balochistan Liberation Army, or BLA, attacked a police post, Interior Minister "
          "Mohsin Naqvi said. The BLA said it carried out the attack.", "Security forces killed three militants."),
    story("tariffs", "Pakistan says deal made with US on tariffs",
          "ISLAMABAD: Pakistan and the United States agreed a trade deal that lowers tariffs on textiles, Finance "
          "Minister Muhammad Aurangzeb said.", "Exports to the US rose by a fifth last year."),
    story("sabah", "GRS and PH to work together in Sabah polls",
          "KOTA KINABALU: Gabungan Rakyat Sabah (GRS) and Pakatan Harapan will cooperate in the state election, "
          "Chief Minister Datuk Seri Hajiji Noor said.", "Prime Minister Datuk Seri Anwar Ibrahim welcomed the move."),
    story("budget", "German parliament passes budget after long debate",
          "BERLIN: The Bundestag approved the 2025 budget, Finance Minister Christian Lindner said, after the "
          "coalition agreed on spending cuts.", "The opposition voted against the budget."),
]


def test_second_run_takes_every_story_from_the_memo(shipped):
    memo: dict = {}
    first_stats, second_stats = ClassifyStats(), ClassifyStats()
    first = classify_stories(STORIES, *shipped, memo=memo, stats=first_stats)
    second = classify_stories(STORIES, *shipped, memo=memo, stats=second_stats)
    assert sorted(first_stats.classified) == sorted(s.slug for s in STORIES) and first_stats.reused == 0
    assert second_stats.classified == [] and second_stats.reused == len(STORIES)
    assert second == first == classify_stories(STORIES, *shipped)
    assert len(memo) == len(STORIES)


def test_an_edit_reclassifies_only_that_story_and_matches_a_fresh_run(shipped):
    memo: dict = {}
    classify_stories(STORIES, *shipped, memo=memo)
    edited = list(STORIES)
    article = edited[3].articles[0]
    edited[3] = dataclasses.replace(edited[3], articles=(dataclasses.replace(
        article, headline="Storm floods Berlin as hurricane-force winds hit Germany",
        paragraphs=("BERLIN: A storm flooded streets and cut power, the fire service said; rescuers evacuated homes.",)),))
    stats = ClassifyStats()
    incremental = classify_stories(edited, *shipped, memo=memo, stats=stats)
    assert stats.classified == ["budget"] and stats.reused == 3
    assert incremental == classify_stories(edited, *shipped)  # related stories included
    assert incremental[3].classification.theme != classify_stories(STORIES, *shipped)[3].classification.theme
    assert len(memo) == len(edited)  # the old entry of the edited story is gone


def test_a_front_matter_override_or_a_removed_story_counts_as_a_change(shipped):
    memo: dict = {}
    classify_stories(STORIES, *shipped, memo=memo)
    overridden = [dataclasses.replace(STORIES[0], articles=(dataclasses.replace(STORIES[0].articles[0], region="Middle East"),)), *STORIES[1:3]]
    stats = ClassifyStats()
    result = classify_stories(overridden, *shipped, memo=memo, stats=stats)
    assert stats.classified == ["quetta"] and stats.reused == 2
    assert result[0].classification.region == "Middle East"
    assert len(memo) == 3


def test_other_sections_or_taxonomy_do_not_reuse_entries(shipped):
    taxonomy, sections = shipped
    memo: dict = {}
    classify_stories(STORIES, taxonomy, sections, memo=memo)
    stats = ClassifyStats()
    only_trade = (Section("Trade", themes=("trade",)),)
    result = classify_stories(STORIES, taxonomy, only_trade, memo=memo, stats=stats)
    assert len(stats.classified) == len(STORIES)
    assert result[0].classification.section == "Other news" and result[1].classification.section == "Trade"
    other, _ = build_taxonomy({"themes": {"trade": {"cues": {"textile": 5}}}})
    assert taxonomy_fingerprint(other) != taxonomy_fingerprint(taxonomy)
    assert taxonomy_fingerprint(taxonomy, sections) == taxonomy_fingerprint(taxonomy, sections)
    stats = ClassifyStats()
    classify_stories(STORIES, other, only_trade, memo=memo, stats=stats)
    assert len(stats.classified) == len(STORIES)


def test_the_memo_pickles_and_a_fingerprint_covers_each_field(shipped):
    memo: dict = {}
    expected = classify_stories(STORIES, *shipped, memo=memo)
    restored = pickle.loads(pickle.dumps(memo))
    stats = ClassifyStats()
    assert classify_stories(STORIES, *shipped, memo=restored, stats=stats) == expected and stats.reused == len(STORIES)
    base = STORIES[0]
    article = base.articles[0]
    changes = [dict(id="other"), dict(headline="x"), dict(dateline="LAHORE"), dict(theme="trade"), dict(region="Asia"),
               dict(paragraphs=article.paragraphs[:1]), dict(paragraphs=(article.paragraphs[0] + article.paragraphs[1],))]
    prints = {story_fingerprint(base)}
    for change in changes:
        prints.add(story_fingerprint(dataclasses.replace(base, articles=(dataclasses.replace(article, **change),))))
    assert len(prints) == len(changes) + 1
    # What classifying does not read (the slug, the title) does not change the fingerprint.
    assert story_fingerprint(dataclasses.replace(base, slug="renamed", title="Renamed")) == story_fingerprint(base)


def test_related_stories_match_a_plain_pairwise_ranking(shipped):
    """The vectorised ranking equals the definition: shared entities by rarity, plus shared facets, best first."""
    import math

    from digest.classify.related import MIN_SCORE, _Facets, related_stories

    items = classify_stories(STORIES + [dataclasses.replace(s, slug=s.slug + "-2", articles=tuple(
        dataclasses.replace(a, id=a.id + "-2") for a in s.articles)) for s in STORIES], *shipped)
    related = related_stories(items)
    entities = [{ref.slug for ref in item.classification.entities} for item in items]
    counts = {slug: sum(slug in e for e in entities) for e_ in entities for slug in e_}
    for i, item in enumerate(items):
        scores = {}
        for j, other in enumerate(items):
            shared = entities[i] & entities[j]
            if j != i and shared:
                score = sum(math.log(len(items) / counts[s]) for s in shared) + _Facets.of(item).bonus(_Facets.of(other))
                if score >= MIN_SCORE:
                    scores[other.slug] = score
        expected = sorted(scores, key=lambda slug: (-scores[slug], slug))[:5]
        assert list(related[i].related[:len(expected)]) == expected
    assert related[0].related[0] == "quetta-2"  # its copy shares every entity


def test_each_article_is_hashed_once_and_its_fingerprint_travels_with_it():
    """A story's fingerprint is made from its articles' (kept on each article, and pickled with it): a new Story
    object around the same articles, as merging makes after an edit, costs no hashing of their text."""
    from digest.classify import memo as classify

    base = STORIES[1]
    expected = story_fingerprint(base)
    article = base.articles[0]
    assert article.__dict__[classify._KEY] == classify.article_fingerprint(article)
    rebuilt = Story(slug=base.slug, title=base.title, articles=tuple(dataclasses.replace(a) for a in base.articles))
    assert story_fingerprint(rebuilt) == expected  # equal content, other objects: the same fingerprint
    restored = pickle.loads(pickle.dumps(base))
    assert restored.__dict__.get(classify._KEY) == expected and story_fingerprint(restored) == expected
    two = Story(slug="two", title="Two", articles=(STORIES[0].articles[0], article))
    assert story_fingerprint(two) not in (expected, story_fingerprint(STORIES[0]))


def test_an_unchanged_story_comes_back_as_the_same_object(shipped):
    """So the site graph can tell what did not change by identity: a story whose story, classification and related
    stories are what they were is the last run's ClassifiedStory object; an edited one (and those whose related
    stories changed) are new."""
    memo: dict = {}
    related: dict = {}
    first = classify_stories(STORIES, *shipped, memo=memo, related=related)
    second = classify_stories(STORIES, *shipped, memo=memo, related=related)
    assert all(a is b for a, b in zip(first, second))
    assert not any(a is b for a, b in zip(second, classify_stories(STORIES, *shipped, memo=memo)))  # none kept: new objects
    edited = list(STORIES)
    edited[3] = story("budget", "German parliament passes budget", *STORIES[3].articles[0].paragraphs)
    third = classify_stories(edited, *shipped, memo=memo, related=related)
    assert third[3] is not second[3] and third[3].story is edited[3]
    assert third == classify_stories(edited, *shipped)  # the same values as a run with no memo
    for before, after in zip(second[:3], third[:3]):
        assert (after is before) == (after.related == before.related)


@pytest.mark.parametrize("how", ["forked", "spawned"])
def test_classifying_on_several_processes_gives_what_one_gives(shipped, monkeypatch, how):
    import digest.classify.filing as filing

    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs two cores")
    stories = [dataclasses.replace(s, slug=f"{s.slug}-{n}") for n in range(3) for s in STORIES]
    one = classify_stories(stories, *shipped)
    monkeypatch.setattr(filing, "PARALLEL_CLASSIFY_MIN", 1)
    monkeypatch.setattr(filing, "SPAWN_CLASSIFY_MIN", 1 if how == "spawned" else len(stories) + 1)
    calls = []
    real = getattr(filing, how)
    monkeypatch.setattr(filing, how, lambda *args: calls.append(args) or real(*args))
    assert classify_stories(stories, *shipped) == one
    assert calls, f"the other processes were {how}"
