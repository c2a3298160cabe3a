"""What one search costs the browser: requests, bytes and time of the site's search page, in Debian's Chromium.

    python bench/search_query.py OUTPUT_DIR WORD [WORD ...] [--runs N]

Serves ``OUTPUT_DIR`` (a built site) over http on 127.0.0.1 and, in a fresh browser context each run (nothing
cached), opens its search page with ``?q=`` the first word (the index loads, then the search runs), then types
each further word (the index is loaded: what a search alone costs). Prints, per step, the requests the page made,
the bytes it received (response bodies, as sent: Pagefind's files are gzip inside) and the time from the
navigation or the key press to the results shown; the median over ``--runs``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "quality"))
import sitecheck  # noqa: E402

SHOWN = "word => /(result|Nothing found).* for “(.*)”/.exec(document.getElementById('search-status').textContent)?.[2] === word"


def one_run(browser, url: str, words: list[str]) -> list[tuple[str, int, int, float, str]]:
    context = browser.new_context()
    page = context.new_page()
    received: list[tuple[str, int]] = []
    page.on("requestfinished", lambda request: received.append((request.url, request.sizes()["responseBodySize"])))
    steps = []
    try:
        for number, word in enumerate(words):
            received.clear()
            started = time.perf_counter()
            if number == 0:
                page.goto(f"{url}search/index.html?q={word}")
            else:
                # as a reader's Enter, without the input events that would search again 250 ms later
                page.eval_on_selector("#search-input", "(box, word) => { box.value = word; box.form.requestSubmit(); }", word)
            page.wait_for_function(SHOWN, arg=word, timeout=60_000)
            took = time.perf_counter() - started
            status = page.text_content("#search-status") or ""
            steps.append((word, len(received), sum(size for _, size in received), took, status))
    finally:
        context.close()
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("words", nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sitecheck.serve(args.output, "/") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(sitecheck.CHROMIUM), headless=True, args=sitecheck.CHROMIUM_ARGS)
        runs = [one_run(browser, url, args.words) for _ in range(args.runs)]
        browser.close()
    print(f"{'step':<28} {'requests':>8} {'kB':>8} {'ms':>8}  status")
    for step in range(len(args.words)):
        rows = [run[step] for run in runs]
        label = ("open + " if step == 0 else "then ") + rows[0][0]
        print(f"{label:<28} {statistics.median(r[1] for r in rows):>8.0f} {statistics.median(r[2] for r in rows) / 1000:>8.1f} "
              f"{statistics.median(r[3] for r in rows) * 1000:>8.0f}  {rows[0][4]}")


if __name__ == "__main__":
    main()
