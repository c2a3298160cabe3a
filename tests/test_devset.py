"""The development set's measuring code (bench/devset*.py), on a dozen hand-written articles kept in the repository.

The big run on 2,225 BBC articles is a benchmark (bench/devset.py), not a test; this checks that what it
measures is measured right, and that the content it writes reads back as the articles it was made from.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from helpers import REPO

from digest.models import Article, Classification, ClassifiedStory, Story
from digest.pipeline.gather import gather
from digest.settings.config import load_config

BENCH = REPO / "bench"
SAMPLE = BENCH / "devset" / "sample"


def _bench_module(name: str):
    """bench/ is not a package: its modules import each other by bare name, so bench/ goes on the path."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


corpus = _bench_module("devset_corpus")
metrics = _bench_module("devset_metrics")


def _site(tmp_path: Path):
    """The sample written as digest content and gathered by digest's own stages; (digest, labels by digest id)."""
    labels = metrics.read_labels(SAMPLE / "labels.csv")
    articles = corpus.read_corpus(SAMPLE)
    ids = corpus.make_content(articles, {key: label.event for key, label in labels.items() if label.event}, tmp_path / "content")
    (tmp_path / "digest.yaml").write_text("site:\n  title: Sample\n", encoding="utf-8")
    digest = gather(load_config(tmp_path / "digest.yaml"))
    return articles, digest, {ids[key]: label for key, label in labels.items()}


def test_sample_written_as_other_sites_pages_reads_back_clean(tmp_path):
    articles, digest, _ = _site(tmp_path)
    files = sorted(p.suffix for p in (tmp_path / "content").iterdir())
    assert len(files) == 12 and {".md", ".txt"} <= set(files)
    chrome = {line for site in corpus.SITES for line in site["chrome"]}
    cp1252 = [p for p in (tmp_path / "content").glob("*.txt") if b"\xa3" in p.read_bytes()]
    originals = {a.headline: a for a in articles}
    assert len(digest.articles) == 12
    for article in digest.articles:
        assert article.headline in originals
        assert not any(p in chrome or "Read more" in p for p in article.paragraphs), article.paragraphs
        assert " ".join(article.paragraphs) == " ".join(originals[article.headline].paragraphs)
    # Any page of the cp1252 site that has a pound sign is read back with it.
    assert all("£" in " ".join(a.paragraphs) for a in digest.articles if any(a.source == p.name for p in cp1252))


def test_figures_on_the_sample_are_what_reading_it_by_hand_gives(tmp_path):
    _, digest, labels = _site(tmp_path)
    misses: list = []
    figures = metrics.measure(digest.stories, labels, misses)
    everything = figures["all"]
    assert (everything.theme.hits, everything.theme.total) == (12, 12), misses
    assert (everything.region.hits, everything.region.total) == (12, 12), misses
    # Two events of two reports each, each told as one story, and nothing else merged.
    assert (everything.merge_precision.hits, everything.merge_precision.total) == (2, 2)
    assert (everything.event_recall.hits, everything.event_recall.total) == (2, 2)
    assert (everything.events_whole.hits, everything.events_whole.total) == (2, 2)
    assert figures["dev"].theme.total + figures["held-out"].theme.total == 12
    assert figures["dev"].event_recall.total == 1 and figures["held-out"].event_recall.total == 1


def _item(slug: str, ids: list[str], theme: str, region: str | None, related: tuple[str, ...] = ()) -> ClassifiedStory:
    articles = tuple(Article(i, f"{i}.md", 1, "note", f"Headline {i}", ("Text.",)) for i in ids)
    return ClassifiedStory(Story(slug, slug, articles), Classification(region=region, theme=theme), related)


def test_each_measure_counts_its_misses():
    Label = metrics.Label
    labels = {
        "a": Label("t/a", "sport", "sport", ("Northern Europe",), "ev1", "dev"),
        "b": Label("t/b", "sport", "sport", ("Northern Europe", "-"), "ev1", "dev"),
        "c": Label("t/c", "sport", "sport", (), "", "held-out"),
        "d": Label("t/d", "tech", "technology", ("-",), "ev2", "held-out"),
        "e": Label("t/e", "tech", "technology", ("East Asia",), "ev2", "held-out"),
    }
    stories = [
        _item("ab", ["a", "b"], "sport", "Northern Europe", ("c", "d")),  # one event, merged right
        _item("c", ["c"], "politics", None, ("ab", "de")),  # wrong theme; related: one of two the same topic
        _item("de", ["d", "e"], "technology", None, ("ab",)),  # merged right; "-" region right for d only
    ]
    misses: list = []
    figures = metrics.measure(stories, labels, misses)["all"]
    assert (figures.theme.hits, figures.theme.total) == (4, 5)
    assert (figures.region.hits, figures.region.total) == (3, 4)  # a, b, d right; e (East Asia) got none
    assert (figures.related_at_3.hits, figures.related_at_3.total) == (2, 5)  # ab->c yes, ab->de no, c->ab yes, c->de no, de->ab no
    assert (figures.merge_precision.hits, figures.merge_precision.total) == (2, 2)
    assert (figures.event_recall.hits, figures.event_recall.total) == (2, 2)
    assert {m.kind for m in misses} == {"theme", "region", "related"}

    wrong = [_item("ace", ["a", "c", "e"], "sport", "Northern Europe"), _item("b", ["b"], "sport", "Northern Europe"),
             _item("d", ["d"], "technology", None)]
    figures = metrics.measure(wrong, labels)["all"]
    assert (figures.merge_precision.hits, figures.merge_precision.total) == (0, 3)  # a-c, a-e, c-e: none one event
    assert (figures.event_recall.hits, figures.event_recall.total) == (0, 2)
    assert (figures.events_whole.hits, figures.events_whole.total) == (0, 2)


def test_the_corpus_is_read_from_a_folder_of_topics(tmp_path):
    (tmp_path / "bbc" / "tech").mkdir(parents=True)
    (tmp_path / "bbc" / "tech" / "001.txt").write_bytes("Chips cost \xa3 more\n\nPrices of chips rose.\n".encode("latin-1"))
    found = corpus.read_corpus(tmp_path)
    assert [(a.id, a.topic, a.headline, a.paragraphs) for a in found] == [("tech/001", "tech", "Chips cost £ more", ("Prices of chips rose.",))]
    with pytest.raises(SystemExit, match="no BBC corpus here"):
        corpus.read_corpus(tmp_path / "bbc" / "tech")
