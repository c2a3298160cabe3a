"""The preview's re-merge (digest/remerge.py): after each save, the same stories a full merge gives, for less."""

from __future__ import annotations

import random
import sys
from dataclasses import replace

import pytest
from helpers import REPO, article, budget, clean_tree, flood, flood_rereport, invoke, published_tree

from digest.settings.config import MergeConfig
from digest.stories.merge import merge_stories
from digest.stories.remerge import Remerger

sys.path.insert(0, str(REPO / "bench"))
from generate import generate  # noqa: E402


@pytest.fixture(scope="module")
def archive() -> tuple:
    """600 generated articles (bench/generate.py), generated once for the tests that edit a copy of them."""
    return generate(600, seed=11).articles


def told(stories) -> list:
    """Everything a story shows (its versions compared by value), by slug."""
    return sorted(((s.slug, s.title, s.articles, s.summary, s.adds) for s in stories), key=lambda t: t[0])


@pytest.mark.parametrize("steps", [4, pytest.param(12, marks=pytest.mark.stress)])  # each kind of edit once; three times
def test_every_kind_of_edit_gives_what_a_full_merge_gives(archive, steps):
    articles = list(archive)
    remerger, config, rng = Remerger(), MergeConfig(), random.Random(5)
    remerger.merge(articles, config)
    for step in range(steps):
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
        # Only the edited article's candidates were judged, and those of the few articles whose comparisons it
        # shifts (their shared phrases are held by many: who is nearest in first-seen order moved); a full merge
        # of these 600 articles compares over 3,000 pairs.
        assert stats.compared < 600
    assert remerger.full_merges == 1


def test_a_sentence_appended_judges_again_only_what_its_new_phrases_shift(archive):
    # An edited article keeps its place in first-seen order: the phrases both its versions hold have the same
    # holders as before, so the articles near it in those phrases' crowds are not judged again (before, an
    # appended sentence judged 120-220 pairs here, against 8-22 now).
    articles = list(archive)
    remerger, config = Remerger(), MergeConfig()
    remerger.merge(articles, config)
    for k in (5, 100, 300, 450):
        articles[k] = replace(articles[k], paragraphs=articles[k].paragraphs + ("Officials later confirmed the figures in a statement.",))
        incremental, stats = remerger.merge(articles, config)
        assert told(incremental) == told(merge_stories(articles, config)[0]), f"article {k}"
        assert stats.compared <= 40, f"article {k}: {stats.compared} pairs judged"
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


def near_duplicate(rng: random.Random, article_id: str):
    """One of many near-identical notes: most from one city, numbered inquiries, a few other cities and tails."""
    place = rng.choice(["Lahore", "Quetta", "Multan"]) if rng.random() < 0.2 else "Karachi"
    number = rng.randrange(30)
    sentences = [f"{place.upper()}: Officials in {place} opened inquiry {number} into public works on Tuesday."]
    tail = rng.choice(["The mayor said contractors must produce records.", "The mayor said contractors should produce records.",
                       "Work on the bridge was halted last month.", ""])
    return article(article_id, f"{place} {rng.choice(['opens', 'launches', 'orders'])} inquiry {number} into public works",
                   sentences + [tail] * bool(tail), day=1 + rng.randrange(14), outlet=rng.choice(["Dawn", "Geo", "Tribune"]))


def test_deleting_adding_and_editing_near_identical_notes_gives_what_a_full_merge_gives():
    # Dozens of notes sharing most phrases: a phrase held by more than ``neighbours`` + 1 of them pairs each
    # with its nearest only, and one held by ``max_shared`` + 1 proposes nothing, so one note coming or going
    # changes which *other* notes are compared. Unjudged, deleting one of 60 left their story in 6 pieces
    # (seeds 22 and 72: an added note; 108, 160 and 178: a deleted one).
    config = MergeConfig()
    for seed in [*range(10), 22, 72, 108, 160, 178]:
        rng = random.Random(seed)
        articles = [near_duplicate(rng, f"note-{i}") for i in range(rng.randint(45, 120))]
        if rng.random() < 0.3:  # an exact copy under another name
            articles.append(replace(rng.choice(articles), id="copy"))
        remerger = Remerger()
        remerger.merge(articles, config)
        for step in range(rng.randint(1, 4)):
            kind = rng.choice(["delete", "delete", "edit", "add"])
            k = rng.randrange(len(articles))
            if kind == "delete":
                del articles[k]
            elif kind == "edit":
                articles[k] = near_duplicate(rng, articles[k].id)
            else:
                articles.append(near_duplicate(rng, f"new-{step}"))
            incremental, _ = remerger.merge(articles, config)
            full, _ = merge_stories(articles, config)
            assert told(incremental) == told(full), f"seed {seed}, step {step} ({kind})"
        assert remerger.full_merges == 1, "every step re-merged"


def test_near_identical_notes_edited_in_place_give_what_a_full_merge_gives():
    # Edits that keep a note's date (its place in first-seen order): only the phrases it drops or gains shift
    # the crowds around it, which is all the re-merger looks at.
    config = MergeConfig()
    for seed in range(8):
        rng = random.Random(seed)
        articles = [near_duplicate(rng, f"note-{i}") for i in range(rng.randint(45, 120))]
        remerger = Remerger()
        remerger.merge(articles, config)
        for step, kind in enumerate(["retold", "appended", "cut"]):
            k = rng.randrange(len(articles))
            note = articles[k]
            if kind == "retold":
                articles[k] = replace(near_duplicate(rng, note.id), date=note.date)
            elif kind == "appended":
                articles[k] = replace(note, paragraphs=note.paragraphs + near_duplicate(rng, "other").paragraphs[:1])
            else:
                articles[k] = replace(note, paragraphs=note.paragraphs[:1])
            incremental, _ = remerger.merge(articles, config)
            assert told(incremental) == told(merge_stories(articles, config)[0]), f"seed {seed}, step {step} ({kind})"
        assert remerger.full_merges == 1


def test_a_build_after_deleting_one_of_many_near_identical_notes_is_a_clean_builds_site(tmp_path, monkeypatch):
    rng = random.Random(54)  # 62 notes; deleting note-3 gave 9 stories where a clean build made 2
    (tmp_path / "content").mkdir()
    for i in range(rng.randint(45, 120)):
        note = near_duplicate(rng, f"note-{i}")
        (tmp_path / "content" / f"note-{i}.md").write_text(
            f"---\ntitle: {note.headline}\ndate: {note.date.value.isoformat()}\noutlet: {note.outlet}\n---\n{note.paragraphs[0]}\n", encoding="utf-8")
    invoke("build", "--no-search", cwd=tmp_path, check=True)
    (tmp_path / "content" / "note-3.md").unlink()
    invoke("build", "--no-search", cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    assert published_tree(tmp_path / "output") == clean_tree(tmp_path)


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
