"""Laying out a shard's pages for Pagefind: each page's lean copy (or a link to it) in a folder of its own.

A run lays out its shard itself (``digest.publish.indexer``). After an edit, the edited story's shard is laid out
ahead, while the build makes its site graph, by ``python -m digest.publish.layout``: done by a thread of the build,
the ~550 pages' reads and writes waited for the interpreter's lock behind the graph at every system call (1 s for
what takes 0.1 s alone); a process of its own does it on the other core, and imports little (~30 ms to start).
Its argument is a JSON file: ``root`` (the run's folder), ``bundle`` (the shard's stale index, removed once done)
and ``pages``, [path in the site, source or null (a folder only)] in order. Exit status 0: everything is laid out.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from digest.processes import die_with_parent
from digest.publish.copies import search_copy
from digest.publish.mirror import Link, linker

Copy = Callable[[bytes], "bytes | None"]  # what Pagefind is given instead of a page (None: the page itself)


def lay_out(pages: Mapping[str, Path | None], root: str, link: Link, copy: Copy, stopped: Callable[[], bool]) -> bool:
    """Each page under ``root``, in order: what ``copy`` makes of it, or a link to it (a page without a source: only
    its folder). False when ``stopped`` said stop first."""
    made: set[str] = set()
    for rel, source in pages.items():
        if stopped():
            return False
        folder = rel.rpartition("/")[0]
        if folder not in made:
            os.makedirs(root + folder, exist_ok=True)
            made.add(folder)
        if source is None:
            continue
        with open(source, "rb") as page:
            made_for_search = copy(page.read())
        if made_for_search is None:
            link(source, root + rel)
        else:
            with open(root + rel, "wb") as file:
                file.write(made_for_search)
    return True


def main() -> None:
    die_with_parent()
    order = json.loads(Path(sys.argv[1]).read_text())
    pages = {rel: None if source is None else Path(source) for rel, source in order["pages"]}
    lay_out(pages, order["root"], linker(), search_copy, lambda: False)
    shutil.rmtree(order["bundle"], ignore_errors=True)


if __name__ == "__main__":
    main()
