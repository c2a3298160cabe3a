"""``python -m digest.publish.layout``: a shard's pages laid out for Pagefind by a process of its own.

After an edit, the edited story's search shard is laid out while the build makes its site graph (see
``Indexer.prepare``). Done by a thread of the build, the ~550 pages' reads and writes waited for the interpreter's
lock behind the graph at every system call (1 s for what takes 0.1 s alone); a process of its own does it on the
other core. Its argument is a JSON file: ``root`` (the run's folder), ``bundle`` (the shard's stale index, removed
once done) and ``pages``, [path in the site, source or null (a folder only)] in order. Exit status 0: everything is
laid out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from digest.processes import die_with_parent
from digest.publish.indexer import lay_out
from digest.publish.mirror import linker
from digest.publish.search import search_copy
from digest.publish.swap import remove_tree


def main() -> None:
    die_with_parent()
    order = json.loads(Path(sys.argv[1]).read_text())
    pages = {rel: None if source is None else Path(source) for rel, source in order["pages"]}
    lay_out(pages, order["root"], linker(), search_copy, lambda: False)
    remove_tree(Path(order["bundle"]))


if __name__ == "__main__":
    main()
