"""The preview's re-merge (digest/remerge.py): after each save, the same stories a full merge gives, for less."""

from __future__ import annotations

import random
import sys
from dataclasses import replace

from helpers import REPO, budget, flood, flood_rereport

from digest.settings.config import MergeConfig
from digest.stories.merge import merge_stories
from digest.stories.remerge import Remerger

sys.path.insert(0, str(REPO / "bench"))
from generate import generate  # noqa: E402


def told(stories) -> list:
    """Everything a story shows (its versions compared by value), by slug."""
    return sorted(((s.slug, s.title, s.articles, s.summary, s.adds) for s in stories), key=lambda t: t[0])


def test_every_kind_of_edit_gives_what_a_full_merge_gives():
    articles = list(generate(600, seed=11).articles)
    remerger, config, rng = Remerger(), MergeConfig(), random.Random(5)
    remerger.merge(articles, config)
    for step in range(12):
        k = rng.randrange(len(articles))
        kind = step % 4
        if kind == 0:  # a headline edited
            articles[k] = replace(articles[k], headline=articles[k].headline + " as talks resume")
        elif kind == 1:  # a document deleted
            del articles[k]
        elif kind == 2:  # a re-report of another article arrives
            source = articles[k]
            articles.append(replace(source, id=f"new-{step}", outlet="Another outlet", paragraphs=source.paragraphs[: max(1, len(source.paragraphs) // 2)]))
        else:  # the body rewritten
            articles[k] = replace(articles[k], paragraphs=articles[k].paragraphs[1:] + ("An entirely different closing line about the weather.",))
        incremental, stats = remerger.merge(articles, config)
        full, _ = merge_stories(articles, config)
        assert told(incremental) == told(full), f"step {step} (edit kind {kind})"
        assert [s.slug for s in incremental] == [s.slug for s in full]  # and in the same order
        assert stats.compared < 100  # only the edited article's candidates were judged
    assert remerger.full_merges == 1


def test_a_re_report_joins_and_leaves_and_untouched_stories_stay_the_same_objects():
    remerger, config = Remerger(), MergeConfig()
    first, _ = remerger.merge([flood(), budget()], config)
    assert len(first) == 2
    joined, stats = remerger.merge([flood(), budget(), flood_rereport()], config)
    assert remerger.full_merges == 1 and stats.compared >= 1
    assert sorted(len(s.articles) for s in joined) == [1, 2]
    budget_story = next(s for s in first if s.articles[0].id == "budget")
    assert any(s is budget_story for s in joined)  # untouched: the very same object
    left, _ = remerger.merge([flood(), budget()], config)
    assert told(left) == told(first)
    gone, _ = remerger.merge([budget()], config)  # the only version of a story deleted: the story goes
    assert [s.articles[0].id for s in gone] == ["budget"]
    assert remerger.full_merges == 1


def test_editor_settings_and_large_changes_merge_in_full():
    remerger = Remerger()
    remerger.merge([flood(), flood_rereport(), budget()], MergeConfig())
    apart = MergeConfig(apart=(("flood-a", "flood-b"),))
    stories, _ = remerger.merge([flood(), flood_rereport(), budget()], apart)
    assert remerger.full_merges == 2 and len(stories) == 3  # a settings change merges everything again
    forced, _ = remerger.merge([flood(), flood_rereport(), budget(story_key="vellora-floods")], apart)
    full, _ = merge_stories([flood(), flood_rereport(), budget(story_key="vellora-floods")], apart)
    assert told(forced) == told(full)

    articles = list(generate(300, seed=2).articles)
    remerger = Remerger()
    remerger.merge(articles, MergeConfig())
    bulk = [replace(a, headline=a.headline + " (updated)") for a in articles[:40]] + articles[40:]
    stories, _ = remerger.merge(bulk, MergeConfig())
    assert remerger.full_merges == 2  # 40 of 300 changed at once: cheaper and exact to merge in full
    assert told(stories) == told(merge_stories(bulk, MergeConfig())[0])


def test_a_re_merge_that_fails_half_way_is_followed_by_a_full_merge(monkeypatch):
    remerger, config = Remerger(), MergeConfig()
    remerger.merge([flood(), budget()], config)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")
    with monkeypatch.context() as patch:
        patch.setattr(remerger, "_judge", broken)
        try:
            remerger.merge([flood(), budget(), flood_rereport()], config)
        except RuntimeError:
            pass
        else:
            raise AssertionError("the failure was swallowed")
    stories, _ = remerger.merge([flood(), budget(), flood_rereport()], config)
    assert remerger.full_merges == 2
    assert told(stories) == told(merge_stories([flood(), budget(), flood_rereport()], config)[0])


def test_a_pair_judged_alone_gets_the_evidence_the_full_merge_gave_it():
    import numpy as np

    from digest.stories.merge import full_merge
    from digest.stories.remerge import _evidence, _Tables
    from digest.stories.similarity import Corpus

    articles = generate(300, seed=8).articles
    config = MergeConfig()
    run = full_merge(articles, config)
    tables = _Tables(run)  # what the re-merger keeps (without the full merge's candidate pairs)
    corpus = Corpus(run.articles, run.reading, max_shared=config.max_shared, neighbours=config.neighbours)  # its pairs, judged, are let go of
    a, b, shared = corpus.candidates()
    assert len(a) > 50, "the archive has pairs to judge"
    together = np.column_stack(corpus.evidence(a, b, shared))
    alone = np.array([[float(v) for v in _evidence(int(s), tables.features(i), tables.features(j))]
                      for i, j, s in zip(a.tolist(), b.tolist(), shared.tolist())])
    # The same formulas; the word and name overlaps are summed in another order, so the last bits may differ.
    assert np.allclose(alone, together, rtol=1e-12, atol=1e-12)
    assert (together > 0).any(axis=0).all(), "each kind of evidence is there"
