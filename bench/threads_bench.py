"""Threads at scale: how long finding them takes, how many pairs are compared, and whether they follow the arcs.

    python bench/threads_bench.py              # 1,000 and 10,000 generated articles
    python bench/threads_bench.py 10000 --once

The articles are ``bench/generate.py``'s: each *arc* is a run of 1..4 events around the same two people, an
organisation and a place, over a few days: what a thread should join. Generated text has no names the taxonomy
knows, so each story is filed here by hand: the generator's people, organisations and places found in its text
become its entities (popular places recur across many arcs: the generic shared entity), one region and theme for
all. The stories are the merge stage's (``merge_stories``), as a build makes them.

Reported: stories, candidate pairs (against all pairs), threads found, the largest, the time of ``find_threads``
(CPU time, median of three runs: the machine is shared) and of ``ThreadMemo.find`` after one story changed, pair precision (story pairs in one
thread that are of one arc) and pair recall (story pairs of one arc, both dated, that share a thread).
"""

from __future__ import annotations

import argparse
import itertools
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import Generator  # noqa: E402

from digest.models import Classification, ClassifiedStory, EntityRef  # noqa: E402
from digest.settings.config import MergeConfig  # noqa: E402
from digest.settings.threads import ThreadsConfig  # noqa: E402
from digest.site import threads  # noqa: E402
from digest.site.stories import story_dates  # noqa: E402
from digest.slugs import slugify  # noqa: E402
from digest.stories.merge import merge_stories  # noqa: E402

_PHRASE = re.compile(r"[A-Z][a-z]+(?: [A-Z][a-z]+)*")


def filed(n: int, seed: int) -> tuple[list[ClassifiedStory], dict[str, int]]:
    """The merged stories of ``n`` generated articles, filed by hand, and each story's arc (its first version's)."""
    generator = Generator(seed)
    data = generator.generate(n)
    kinds = {**{name: "person" for name in generator.people}, **{name: "organisation" for name in generator.orgs},
             **{name: "place" for name in generator.places}}
    stories, _ = merge_stories(data.articles, MergeConfig())
    items, arc_of = [], {}
    for story in stories:
        found: dict[str, EntityRef] = {}
        for phrase in _PHRASE.findall(" ".join([story.title, *story.articles[0].paragraphs])):
            for name in (phrase, *phrase.split(" ")):  # "Said Kalomi Dri": a sentence's first word before a name
                if name in kinds:
                    found.setdefault(name, EntityRef(slugify(name), name, kinds[name]))
        classification = Classification(region="Testland", countries=("Testland",), theme="politics", entities=tuple(found.values()))
        items.append(ClassifiedStory(story, classification))
        arc_of[story.slug] = data.arcs[story.articles[0].id]
    return items, arc_of


def pairs_within(groups) -> set[tuple[str, str]]:
    return {(a, b) for members in groups for a, b in itertools.combinations(sorted(members), 2)}


def bench(n: int, seed: int, runs: int) -> None:
    items, arc_of = filed(n, seed)
    config = ThreadsConfig()
    names: dict = {}
    facts = [threads._facts_of(item, names) for item in items]
    known = [f for f in facts if f is not threads._UNDATED]
    candidates = len(threads._candidates(known, config))
    times = []
    for _ in range(runs):
        start = time.process_time()
        found = threads.find_threads(items, config)
        times.append(time.process_time() - start)
    memo = threads.ThreadMemo()
    memo.find(items, config)
    edited = list(items)
    edited[len(items) // 2] = replace(items[len(items) // 2])  # a new object with the same values: one story saved again
    start = time.process_time()
    memo.find(edited, config)
    again = time.process_time() - start

    in_thread = pairs_within([item.slug for item in thread.stories] for thread in found)
    by_arc: dict[int, list[str]] = defaultdict(list)
    for item in items:
        if story_dates(item.story)[0] is not None:
            by_arc[arc_of[item.slug]].append(item.slug)
    same_arc = pairs_within(by_arc.values())
    precision = sum(arc_of[a] == arc_of[b] for a, b in in_thread) / len(in_thread) if in_thread else 1.0
    recall = len(in_thread & same_arc) / len(same_arc) if same_arc else 1.0
    sizes = Counter(len(thread.stories) for thread in found)
    print(f"{n:>6} articles: {len(items)} stories, {candidates:,} candidate pairs (all pairs: {len(items) * (len(items) - 1) // 2:,}); "
          f"{len(found)} threads, largest {max(sizes, default=0)} stories; find_threads {statistics.median(times) * 1000:.0f} ms, "
          f"after one story changed {again * 1000:.0f} ms; pair precision {precision:.3f}, pair recall {recall:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, help="numbers of articles (default: 1000 10000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--once", action="store_true", help="time one run of find_threads, not three")
    args = parser.parse_args()
    for n in args.sizes or [1000, 10000]:
        bench(n, args.seed, 1 if args.once else 3)


if __name__ == "__main__":
    main()
