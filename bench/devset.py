"""The development set: digest run on 2,225 BBC News articles it has never seen, and how well it did.

    git clone https://github.com/dejanbatanjac/bbc-article-classify-bert /tmp/bbc
    python bench/devset.py /tmp/bbc                 # or its bbc/ folder, or a bare git directory of it
    python bench/devset.py /tmp/bbc --misses 40     # also print wrong answers, to read what went wrong

The corpus is not part of this repository (see ``bench/devset_corpus.py``); its labels are, in
``bench/devset/labels.csv``: each article's topic and the theme it maps to, the region labelled by hand for 225
of them, which reports are of one event, and its split (``dev`` to tune on, ``held-out`` only to report).
The articles are written as digest content (notes and captured pages of three made-up sites, one in cp1252, with
chrome and ``Read more:`` promotions) into a folder, then digest's own stages read, merge and classify them in
this process, exactly as ``digest build`` would, and the figures are printed per split.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from devset_corpus import make_content, read_corpus  # noqa: E402
from devset_metrics import Label, Miss, measure, read_labels, table  # noqa: E402

from digest.pipeline.gather import Timings, gather  # noqa: E402
from digest.settings.config import load_config  # noqa: E402

LABELS = Path(__file__).resolve().parent / "devset" / "labels.csv"
MIRROR = Path("/work/.mirror/dejanbatanjac+bbc-article-classify-bert/repo")  # where this machine keeps a copy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=MIRROR if MIRROR.exists() else None,
                        help="the clone of bbc-article-classify-bert, its bbc/ folder or a bare git directory")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--site", type=Path, help="write the site here (default: a temporary folder)")
    parser.add_argument("--undated", action="store_true", help="date nothing: only the text keeps stories apart")
    parser.add_argument("--misses", type=int, default=0, help="print this many wrong answers of each kind (dev split only)")
    args = parser.parse_args(argv)
    if args.corpus is None:
        parser.error("give the corpus: git clone https://github.com/dejanbatanjac/bbc-article-classify-bert")
    labels = read_labels(args.labels)
    with tempfile.TemporaryDirectory() as scratch:
        site = args.site or Path(scratch)
        start = time.perf_counter()
        articles = read_corpus(args.corpus)
        ids = make_content(articles, {key: label.event for key, label in labels.items() if label.event}, site / "content", not args.undated)
        (site / "digest.yaml").write_text("site:\n  title: Development set\n  base_url: https://devset.example/\n", encoding="utf-8")
        made = time.perf_counter() - start
        timings = Timings()
        digest = gather(load_config(site / "digest.yaml"), timings=timings)
    by_digest_id = {ids[key]: label for key, label in labels.items() if key in ids}
    misses: list[Miss] = []
    figures = measure(digest.stories, by_digest_id, misses)
    print(f"{len(articles)} articles -> {len(digest.articles)} read, {len(digest.stories)} stories; "
          f"{len(digest.diagnostics)} warnings; content made in {made:.1f} s; {timings}")
    print(_reading_check(digest.articles, by_digest_id))
    print(table(figures))
    print(_region_by_round(digest.stories, by_digest_id))
    if args.misses:
        _print_misses(misses, labels, args.misses)
    return 0


def _reading_check(articles, labels: dict[str, Label]) -> str:
    """Whether other sites' pages were read cleanly: no chrome, no promotion left in any article's text."""
    from devset_corpus import SITES

    chrome = {line for site in SITES for line in site["chrome"]}
    left = sum(1 for a in articles if any(p in chrome or p.startswith("Read more:") for p in a.paragraphs))
    pounds = sum(1 for a in articles if any("£" in p for p in a.paragraphs))
    return f"reading: {left} articles with chrome or a promotion left in their text; {pounds} articles with '£' read"


def _region_by_round(stories, labels: dict[str, Label]) -> str:
    """Region accuracy on each round of hand labels: articles numbered 001, 011, ...; then 006, 016, ...; then 003, 013, ..."""
    rows = []
    for name, digit in (("first round (001, 011, ...)", "1"), ("second round (006, 016, ...)", "6"), ("third round (003, 013, ...)", "3")):
        kept = {key: label if label.id.endswith(digit) else replace(label, regions=()) for key, label in labels.items()}
        figures = measure(stories, kept)
        rows.append(f"| region, {name} | " + " | ".join(str(figures[s].region) for s in ("all", "dev", "held-out")) + " |")
    return "\n".join(rows)


def _print_misses(misses: list[Miss], labels: dict[str, Label], limit: int) -> None:
    confusion = Counter((m.expected, m.got) for m in misses if m.kind == "theme" and labels[m.article].split == "dev")
    print("\ntheme confusion (dev): " + ", ".join(f"{want}->{got} {n}" for (want, got), n in confusion.most_common(12)))
    for kind in ("theme", "region", "related", "merge"):
        mine = [m for m in misses if m.kind == kind and labels[m.article].split == "dev"]
        print(f"\n{kind}: {len(mine)} misses in the dev split")
        for miss in mine[:limit]:
            print(f"  {miss.article}: expected {miss.expected}, got {miss.got}  -- {miss.headline[:90]}")


if __name__ == "__main__":
    sys.exit(main())
