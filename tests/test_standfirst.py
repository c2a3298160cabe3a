"""The standfirst under a story's headline: the lead of the best version, one or two sentences of its first
paragraph, about 45 words at most, never opening with a later paragraph and never saying one thing twice."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from digest.settings.config import MergeConfig
from digest.stories.merge import merge_stories
from tests.helpers import article, copy_shipped_site, invoke

LEAD_WORDS = 45


def words(text: str) -> int:
    return len(text.split())


def write_note(site: Path, name: str, front: str, *paragraphs: str) -> None:
    (site / "content").mkdir(parents=True, exist_ok=True)
    (site / "content" / name).write_text(f"---\n{front}---\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def test_shipped_standfirsts_are_the_leads_of_their_best_versions(tmp_path):
    site = copy_shipped_site(tmp_path / "site")
    invoke("build", "--no-search", cwd=site, check=True)
    stories = json.loads(invoke("list", "--json", cwd=site, check=True).stdout)
    assert len(stories) == 6
    for story in stories:
        summary = story["summary"]
        assert words(summary) <= LEAD_WORDS + 15, summary  # one long lead sentence may run over, never three
        page = (site / "output" / story["path"]).read_text(encoding="utf-8")
        first_paragraphs = [html.unescape(p) for p in re.findall(r'<div class="body">\s*<p>(.*?)</p>', page, re.S)]
        assert any(paragraph.startswith(summary) for paragraph in first_paragraphs), summary
    sabah = next(s for s in stories if "Salleh" in s["title"])
    # the headline's version (Borneo Post) gives the standfirst, and The Star's lead is not added to it
    assert sabah["summary"] == ("Gabungan Rakyat Sabah's (GRS) decision to partner with Pakatan Harapan (PH) in the upcoming state "
                                "election should be respected, said Umno Sabah treasurer Datuk Seri Salleh Said Keruak.")


def test_a_second_paragraph_never_opens_the_standfirst(tmp_path):
    """A first paragraph whose sentence is short, and later paragraphs that every version agrees on."""
    shared = "The central bank raised its main interest rate by half a point to 6.5 percent on Thursday, its third rise this year."
    write_note(tmp_path, "a.md", "title: Rates rise again\noutlet: One\ndate: 2025-03-03\nstory: rates\n",
               "Borrowers face higher bills.", shared, "Economists had expected a smaller rise.")
    write_note(tmp_path, "b.md", "title: Central bank lifts rates\noutlet: Two\ndate: 2025-03-03\nstory: rates\n",
               shared, "The currency rose after the announcement.")
    [story] = json.loads(invoke("list", "--json", cwd=tmp_path, check=True).stdout)
    # a.md, the first note, is the best version: its lead is its first paragraph, short as it is
    assert story["summary"] == "Borrowers face higher bills."


def test_the_standfirst_stops_at_two_sentences_and_45_words():
    long_lead = [
        "Floods cut the coastal road north of Vellora on Tuesday after two days of rain.",
        "About 3,000 people left their homes in low-lying districts as the river rose above its banks overnight.",
        "The mayor said schools would stay shut.",
    ]
    [story], _ = merge_stories([article("floods", "Floods cut coastal road", long_lead)], MergeConfig())
    assert story.summary == tuple(long_lead[:2])  # 33 words: a third sentence would make three
    wordy = [long_lead[0], "About 3,000 people, many of them farmers and fishermen from the low-lying districts along the river, left their homes "
                           "overnight as the water rose above its banks and the rain went on."]
    [story], _ = merge_stories([article("floods", "Floods cut coastal road", wordy)], MergeConfig())
    assert story.summary == (long_lead[0],)  # the second would take it past 45 words


def test_the_standfirst_does_not_say_one_thing_twice():
    repeated = [
        "Floods cut the coastal road north of Vellora on Tuesday after two days of heavy rain.",
        "The coastal road north of Vellora was cut by floods on Tuesday, officials said.",
        "The mayor said schools would stay shut.",
    ]
    [story], _ = merge_stories([article("floods", "Floods cut coastal road", repeated)], MergeConfig())
    assert story.summary == (repeated[0],)


def test_the_page_leads_with_the_standfirst(tmp_path):
    write_note(tmp_path, "a.md", "title: Rates rise again\noutlet: One\ndate: 2025-03-03\n",
               "The central bank raised its main rate on Thursday. Borrowers face higher bills.", "Economists had expected less.")
    invoke("build", "--no-search", cwd=tmp_path, check=True)
    html = next((tmp_path / "output" / "stories").glob("*/index.html")).read_text(encoding="utf-8")
    lede = re.search(r'<p class="lede">(.*?)</p>', html, re.S)
    assert lede and lede.group(1) == "The central bank raised its main rate on Thursday. Borrowers face higher bills."
