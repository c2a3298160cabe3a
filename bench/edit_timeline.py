"""When each part of one ``digest build`` starts and ends, in seconds from the process's start.

    python bench/edit_timeline.py [digest build options...]     # e.g. -o OUT, run from the site's folder

Runs ``digest build`` in this process (use the interpreter of the install to measure: an installed copy has its
bytecode compiled) with a timer around the build's parts: the session's files read, gather, the graph, render
(and its first page put), the write stage, the layout process and each Pagefind run (started, ended). Prints
the timeline to stderr after the build's own output: seconds from the start, then this process's CPU seconds
(all its threads; on a loaded machine, the second column is what its own work took). The build is the same build: only timed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time


def process_start() -> float:
    """This process's start, on the clock of ``time.time`` (10 ms resolution)."""
    with open("/proc/self/stat") as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        up = float(f.read().split()[0])
    return time.time() - (up - ticks / os.sysconf("SC_CLK_TCK"))


START = process_start()
EVENTS: list[tuple[float, float, str]] = []


def mark(what: str) -> None:
    EVENTS.append((time.time() - START, time.process_time(), what))


def timed(owner: object, name: str, label: str, *, once: bool = False) -> None:
    original = getattr(owner, name)
    seen = []

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        if once and seen:
            return original(*args, **kwargs)
        seen.append(1)
        mark(f"{label} >")
        try:
            return original(*args, **kwargs)
        finally:
            mark(f"{label} <")

    setattr(owner, name, wrapper)


def instrument() -> None:
    mark("imports >")
    import digest.cli  # noqa: F401
    from digest.pipeline import build, cache, gather, session
    from digest.publish import indexer, mirror, search, write

    mark("imports <")
    timed(build, "run", "run")
    timed(cache.ParseCache, "_gathered_part", "read gather memo")
    timed(cache.ParseCache, "_load_session", "read session")
    timed(session.BuildSession, "graph_memo", "graph memo", once=True)
    stage = gather.Timings.stage

    @contextlib.contextmanager
    def marked_stage(self, name):
        mark(f"{name} >")
        with stage(self, name):
            yield
        mark(f"{name} <")

    gather.Timings.stage = marked_stage  # type: ignore[method-assign]
    timed(write.Publication, "put", "first page put", once=True)
    timed(write.Publication, "save_session", "save")
    timed(write.Publication, "finish", "finish")
    timed(indexer.Layout, "__init__", "layout process started")
    timed(indexer.Layout, "wait", "layout wait")
    original_start = indexer._start_pagefind

    def start_pagefind(*args, **kwargs):
        mark("pagefind >")
        process = original_start(*args, **kwargs)
        communicate = process.communicate

        def ended(*a, **k):
            result = communicate(*a, **k)
            mark("pagefind <")
            return result

        process.communicate = ended  # type: ignore[method-assign]
        return process

    indexer._start_pagefind = start_pagefind
    timed(write, "switch_in", "switch")
    timed(search.ShardIndexing, "start", "search: shards planned")
    timed(search.ShardIndexing, "complete", "search: runs waited for")
    timed(mirror.Mirror, "finish", "carry")
    timed(write, "_save_cache", "manifest and page memo")
    timed(mirror, "replace_files", "cache files")
    timed(write.Publication, "_let_go", "let go")
    replace_file = mirror.replace_file

    def replaced(path, data):
        mark(f"  {path.name} >")
        replace_file(path, data)
        mark(f"  {path.name} <")

    mirror.replace_file = replaced


def main() -> None:
    instrument()
    from digest.cli import cli

    try:
        cli.main(["build", *sys.argv[1:]], standalone_mode=False)
    finally:
        mark("end")
        for at, cpu, what in EVENTS:
            print(f"{at:7.3f}  {cpu:6.3f}  {what}", file=sys.stderr)
        times = os.times()
        print(f"CPU s (this process): {times.user + times.system:.2f}; children {times.children_user + times.children_system:.2f}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
