"""The merge stage on articles built here: what merges, what stays apart, and what it costs."""

from __future__ import annotations

import datetime as dt
import random
import sys
from dataclasses import replace

import pytest
from helpers import BUDGET, FLOOD, FLOOD_REREPORT, REPO, article, budget, flood, flood_rereport

from digest.models import ArticleDate, DateSource
from digest.settings.config import MergeConfig
from digest.stories.merge import merge_stories

sys.path.insert(0, str(REPO / "bench"))
from generate import generate  # noqa: E402
from merge_bench import bcubed, f1  # noqa: E402


def groups(stories) -> set[frozenset[str]]:
    return {frozenset(a.id for a in s.articles) for s in stories}


def test_rereport_merges_and_each_version_adds_its_own_facts():
    stories, stats = merge_stories([flood(), flood_rereport(), budget()], MergeConfig())
    assert groups(stories) == {frozenset({"flood-a", "flood-b"}), frozenset({"budget"})}
    story = next(s for s in stories if len(s.articles) == 2)
    adds = {add.article_id: add.sentences for add in story.adds}
    assert adds["flood-b"] == ("Two fishermen are missing after their boat capsized near the river mouth, police said.",)
    assert adds["flood-a"] == ("Forecasters expect more heavy rain in the hills above the river until Friday.",)
    # Reworded sentences ("monsoon rains", "floodwater") are shared, not added.
    assert not any("Kessan river burst" in s for sentences in adds.values() for s in sentences)
    assert 2 <= len(story.summary) <= 3
    every_sentence = set(FLOOD) | set(FLOOD_REREPORT)
    assert set(story.summary) <= every_sentence  # extractive: taken from the versions, never written
    assert story.title in {flood().headline, flood_rereport().headline}
    assert stats.merged == 1 and stats.stories == 2


def test_stories_sharing_people_and_places_stay_apart():
    # Same governor, province, outlet and day: the names agree, the event does not.
    stories, stats = merge_stories([flood(), budget()], MergeConfig())
    assert groups(stories) == {frozenset({"flood-a"}), frozenset({"budget"})}
    assert stats.compared == 1  # they were compared (they share rare names) and judged apart


def test_time_window_keeps_distant_dates_apart_but_not_missing_ones():
    far = [flood(day=1), flood_rereport(day=20)]
    assert len(merge_stories(far, MergeConfig())[0]) == 2
    assert len(merge_stories(far, MergeConfig(window_days=30))[0]) == 1
    undated = [flood(day=1), flood_rereport(day=None)]
    assert len(merge_stories(undated, MergeConfig())[0]) == 1
    approximate = replace(flood_rereport(), date=ArticleDate(dt.datetime(2025, 11, 3, 9, 0), DateSource.FILE_MTIME))
    assert len(merge_stories([flood(day=1), approximate], MergeConfig())[0]) == 1


def test_editor_forces_together_by_front_matter_key_and_by_config():
    by_key = [flood(story_key="vellora"), budget(story_key="vellora")]
    assert groups(merge_stories(by_key, MergeConfig())[0]) == {frozenset({"flood-a", "budget"})}
    by_config = MergeConfig(together=(("flood-a", "budget"),))
    stories, stats = merge_stories([flood(), budget()], by_config)
    assert groups(stories) == {frozenset({"flood-a", "budget"})}
    assert stats.forced == 1


def test_editor_forces_apart_by_config_and_by_front_matter():
    stories, stats = merge_stories([flood(), flood_rereport(), budget()], MergeConfig(apart=(("flood-a", "flood-b"),)))
    assert len(stories) == 3 and stats.refused == 1
    noted = flood_rereport(meta={"apart": ["flood-a"]})
    assert len(merge_stories([flood(), noted], MergeConfig())[0]) == 2


def test_apart_also_blocks_a_chain_through_a_third_version():
    third = article("flood-c", "Vellora floods: 12,000 displaced", FLOOD[:3] + FLOOD_REREPORT[3:], 10, "Daily")
    stories, _ = merge_stories([flood(), flood_rereport(), third], MergeConfig(apart=(("flood-a", "flood-b"),)))
    story_of = {a.id: s.slug for s in stories for a in s.articles}
    assert story_of["flood-a"] != story_of["flood-b"]
    assert len(stories) == 2


def test_unknown_ids_and_contradictions_are_reported_not_ignored():
    config = MergeConfig(together=(("flood-a", "nope"),), apart=(("flood-a", "flood-b"),))
    _, stats = merge_stories([flood(), flood_rereport(story_key="k"), replace(flood(), id="x", story_key="k")], config)
    messages = [str(d) for d in stats.diagnostics]
    assert any("merge.together: no article has the id 'nope'" in m for m in messages), messages
    config = MergeConfig(together=(("flood-a", "flood-b"),), apart=(("flood-a", "flood-b"),))
    stories, stats = merge_stories([flood(), flood_rereport()], config)
    assert len(stories) == 2
    assert any("forced both together and apart" in str(d) for d in stats.diagnostics)


def test_slug_is_stable_when_a_later_version_arrives_and_independent_of_order():
    first = merge_stories([flood(day=10), budget()], MergeConfig())[0]
    slug = next(s.slug for s in first if s.articles[0].id == "flood-a")
    later = flood_rereport(day=11)
    for articles in ([flood(day=10), budget(), later], [later, budget(), flood(day=10)]):
        stories = merge_stories(articles, MergeConfig())[0]
        merged = next(s for s in stories if len(s.articles) == 2)
        assert merged.slug == slug
    # Two different stories under one headline: the first seen keeps the plain slug.
    twin = replace(budget(day=12), id="budget-2")
    slugs = {s.articles[0].id: s.slug for s in merge_stories([twin, budget(day=10)], MergeConfig(window_days=0))[0]}
    assert slugs["budget"] == "marrows-budget-raises-school-spending"
    assert slugs["budget-2"].startswith("marrows-budget-raises-school-spending-") and slugs["budget-2"] != slugs["budget"]



def test_an_editor_note_can_pin_the_slug_so_headline_edits_keep_the_address():
    note = replace(flood_rereport(day=11), kind="note", meta={"slug": "vellora-floods"})
    for headline in ("Thousands flee as Kessan river floods Vellora", "Kessan river floods: thousands flee"):
        stories = merge_stories([flood(day=10), replace(note, headline=headline), budget()], MergeConfig())[0]
        merged = next(s for s in stories if len(s.articles) == 2)
        assert merged.slug == "vellora-floods"
    # Two stories pinned to one slug: the first seen keeps it.
    other = replace(budget(), kind="note", meta={"slug": "vellora-floods"})
    slugs = sorted(s.slug for s in merge_stories([flood(day=10), note, other], MergeConfig())[0])
    assert slugs[0] == "vellora-floods" and slugs[1].startswith("vellora-floods-")


def test_single_version_story_summary_is_its_lead():
    stories, _ = merge_stories([budget()], MergeConfig())
    assert stories[0].summary == tuple(BUDGET[:2])  # two sentences, 31 words: the third would pass 45
    assert stories[0].adds == ()


def test_never_compares_all_pairs_and_stays_near_linear():
    small, large = generate(1000, seed=3), generate(2000, seed=3)
    compared = {}
    for data in (small, large):
        n = len(data.articles)
        articles = list(data.articles)
        random.Random(1).shuffle(articles)
        stories, stats = merge_stories(articles, MergeConfig())
        assert stats.articles == n
        assert stats.compared <= stats.candidates < n * (n - 1) / 2 / 50  # a tiny share of all pairs
        compared[n] = stats.compared
        predicted = {a.id: k for k, s in enumerate(stories) for a in s.articles}
        assert f1(*bcubed(predicted, data.truth)) >= 0.95
    # Twice the articles, about twice the comparisons (all pairs would be four times).
    assert compared[2000] < 2.6 * compared[1000]


def told_in_order(stories) -> list:
    return [(s.slug, s.title, [a.id for a in s.articles], s.summary) for s in stories]


@pytest.fixture(scope="module")
def in_generated_order() -> tuple[tuple, list]:
    """300 generated articles in the order generated, and what merging them in that order tells (made once for
    the shuffles compared with it)."""
    articles = tuple(generate(300, seed=5).articles)
    return articles, told_in_order(merge_stories(list(articles), MergeConfig())[0])


@pytest.mark.parametrize("shuffle_seed", [1, 2])
def test_result_does_not_depend_on_input_order(in_generated_order, shuffle_seed):
    articles, baseline = list(in_generated_order[0]), in_generated_order[1]
    random.Random(shuffle_seed).shuffle(articles)
    assert baseline == told_in_order(merge_stories(articles, MergeConfig())[0])


def test_reading_on_a_second_core_gives_the_same_stories(monkeypatch):
    import digest.stories.merge
    import digest.stories.reading

    articles = generate(400, seed=9).articles
    serial = merge_stories(articles, MergeConfig())[0]
    monkeypatch.setattr(digest.stories.merge, "PARALLEL_READ_MIN", 0)
    parallel = merge_stories(articles, MergeConfig())[0]
    assert parallel == serial
    assert any(s.adds for s in parallel)


def test_merging_again_after_one_edit_reads_only_that_article_and_equals_a_fresh_merge(monkeypatch):
    import digest.stories.reading

    articles = generate(300, seed=4).articles
    memo = digest.stories.reading.ReadingMemo()
    merge_stories(articles, MergeConfig(), memo)
    edited = replace(articles[7], paragraphs=articles[7].paragraphs[:1] + ("A new paragraph about the harbour strike.",))
    again = [edited if a.id == edited.id else a for a in articles] + [flood()]
    read = []
    real = digest.stories.reading._read_chunk
    monkeypatch.setattr(digest.stories.reading, "_read_chunk",
                        lambda articles, positions, *memo: read.extend(positions) or real(articles, positions, *memo))
    remerged = merge_stories(again, MergeConfig(), memo)[0]
    assert len(read) == 2  # the edited article and the new one
    fresh = merge_stories(again, MergeConfig())[0]  # a fresh memo: everything read again
    assert remerged == fresh
    assert any(edited in story.articles for story in remerged)


def test_capture_times_keep_leads_captured_weeks_apart_in_separate_stories():
    def captured(article, day: int):
        return replace(article, date=ArticleDate(dt.datetime(2025, 7, day, 18, 0), DateSource.CAPTURE_TIME))

    assert len(merge_stories([captured(flood(), 1), captured(flood_rereport(), 20)], MergeConfig())[0]) == 2
    assert len(merge_stories([captured(flood(), 1), captured(flood_rereport(), 2)], MergeConfig())[0]) == 1
    # An exact date and a capture time count the same way.
    assert len(merge_stories([flood(day=1), captured(flood_rereport(), 20)], MergeConfig())[0]) == 2
