"""Merge benchmark: quality (pairwise and B-cubed precision/recall) and cost (time, peak memory, comparisons).

    /work/venv/bin/python bench/merge_bench.py                  # N = 1,000, 10,000, 100,000
    /work/venv/bin/python bench/merge_bench.py 2000 20000       # other sizes

Each size runs in a fresh process so its peak memory is its own. "time" is wall-clock; "CPU" adds up the CPU
seconds of the process and its worker, which is what to compare when others share the machine. "again" is the
wall time of merging the same archive again in full after one article was edited (only the edited article is read
again, for archives up to digest.stories.reading.CACHE_ARTICLES articles); "re-merge" is what the preview server pays
for that edit with its re-merger (digest/remerge.py), and whether it gave the same stories as the full merge
(up to 20,000 articles).
Time and memory are the merge stage's only: the synthetic articles are generated first (bench/generate.py) and
are the stage's input, not its cost.
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_SECONDS = {10_000: 3.0, 100_000: 60.0}


def pairwise(predicted: dict[str, int], truth: dict[str, int]) -> tuple[float, float]:
    """Precision and recall over pairs of articles put in one story, counted without listing the pairs."""
    def pairs(counts) -> int:
        return sum(c * (c - 1) // 2 for c in counts)

    both = pairs(Counter((predicted[a], truth[a]) for a in truth).values())
    said = pairs(Counter(predicted[a] for a in truth).values())
    real = pairs(Counter(truth.values()).values())
    return (both / said if said else 1.0), (both / real if real else 1.0)


def bcubed(predicted: dict[str, int], truth: dict[str, int]) -> tuple[float, float]:
    """Per article: the share of its story that is truly its event (precision) and of its event in its story (recall)."""
    cell = Counter((predicted[a], truth[a]) for a in truth)
    story = Counter(predicted[a] for a in truth)
    event = Counter(truth.values())
    precision = sum(cell[predicted[a], truth[a]] / story[predicted[a]] for a in truth) / len(truth)
    recall = sum(cell[predicted[a], truth[a]] / event[truth[a]] for a in truth) / len(truth)
    return precision, recall


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _cpu() -> float:
    """CPU seconds of this process and its finished workers: what the stage costs on a machine others share."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


REMERGE_MAX = 20_000  # above, the re-merger's own full merge would double the benchmark's time


def _told(stories) -> list:
    return sorted((s.slug, s.title, tuple(a.id for a in s.articles), s.summary, s.adds) for s in stories)


def run_one(n: int) -> dict:
    sys.path.insert(0, str(HERE))
    from generate import generate

    from digest.settings.config import MergeConfig
    from digest.stories.merge import merge_stories

    data = generate(n)
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu_before = _cpu()
    start = time.perf_counter()
    stories, stats = merge_stories(data.articles, MergeConfig())
    seconds = time.perf_counter() - start
    cpu = _cpu() - cpu_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # What the preview server pays after a save: the same archive with one article edited, merged again.
    edited = replace(data.articles[0], paragraphs=data.articles[0].paragraphs + ("An editor added this sentence to the story.",))
    again_start = time.perf_counter()
    full_again, _ = merge_stories([edited, *data.articles[1:]], MergeConfig())
    again = time.perf_counter() - again_start
    # What it pays with the preview's re-merger (digest/remerge.py), and whether that gives the same stories.
    remerge, remerge_same = None, None
    if n <= REMERGE_MAX:
        from digest.stories.remerge import Remerger

        remerger = Remerger()
        remerger.merge(data.articles, MergeConfig())
        remerge_start = time.perf_counter()
        re_merged, _ = remerger.merge([edited, *data.articles[1:]], MergeConfig())
        remerge = round(time.perf_counter() - remerge_start, 3)
        remerge_same = _told(re_merged) == _told(full_again)
    predicted = {a.id: k for k, s in enumerate(stories) for a in s.articles}
    pp, pr = pairwise(predicted, data.truth)
    bp, br = bcubed(predicted, data.truth)
    return {
        "n": n,
        "events": len(set(data.truth.values())),
        "stories": len(stories),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "again_seconds": round(again, 2),
        "remerge_seconds": remerge,
        "remerge_same": remerge_same,
        "peak_rss_mb": round(peak / 1024),
        "stage_rss_growth_mb": round((peak - before) / 1024),
        "candidates": stats.candidates,
        "compared": stats.compared,
        "all_pairs": n * (n - 1) // 2,
        "pairwise_p": round(pp, 4),
        "pairwise_r": round(pr, 4),
        "pairwise_f1": round(f1(pp, pr), 4),
        "bcubed_p": round(bp, 4),
        "bcubed_r": round(br, 4),
        "bcubed_f1": round(f1(bp, br), 4),
    }


def main(sizes: list[int]) -> None:
    print(
        f"{'N':>8} {'time':>7} {'CPU':>7} {'again':>7} {'re-merge':>13} {'RSS peak':>9} {'+merge':>7} {'compared':>10} {'all pairs':>14}  "
        f"{'pair P':>6} {'pair R':>6} {'pair F1':>7}  {'B3 P':>6} {'B3 R':>6} {'B3 F1':>6}"
    )
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        target = TARGET_SECONDS.get(n)
        flag = "" if target is None else f" (target < {target:g} s: {'met' if r['seconds'] < target else 'MISSED'})"
        remerge = "-" if r["remerge_seconds"] is None else f"{r['remerge_seconds']:.2f}s " + ("same" if r["remerge_same"] else "DIFF")
        print(
            f"{r['n']:>8} {r['seconds']:>6.2f}s {r['cpu_seconds']:>6.2f}s {r['again_seconds']:>6.2f}s {remerge:>13} {r['peak_rss_mb']:>6} MB "
            f"{r['stage_rss_growth_mb']:>4} MB {r['compared']:>10,} {r['all_pairs']:>14,}  "
            f"{r['pairwise_p']:>6.3f} {r['pairwise_r']:>6.3f} {r['pairwise_f1']:>7.3f}  "
            f"{r['bcubed_p']:>6.3f} {r['bcubed_r']:>6.3f} {r['bcubed_f1']:>6.3f}{flag}"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(run_one(int(sys.argv[2]))))
    else:
        main([int(x) for x in sys.argv[1:]] or [1_000, 10_000, 100_000])
