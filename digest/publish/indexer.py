"""Pagefind's runs, one a search shard, started as soon as a shard's pages are known and waited for at the end.

Each run goes on while this process goes on with the build (the rest of the render, carrying the unchanged files,
writing the cache): a thread per run makes the run's folder of pages, starts Pagefind's binary (directly, not
through ``python -m pagefind``) and waits for it, holding a slot of the indexer's two. One run more than the slots
take makes its folder while they go, so that a slot given back is taken at once. A shard of more than
``SMALL_SHARD`` pages takes both slots, so that Pagefind's memory stays under ~0.5 GB. A run may be called off
(its shard's pages changed after it started): its process is killed and its output left to be made again.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from digest.errors import BuildError
from digest.processes import dying_with_parent
from digest.publish.layout import Copy, lay_out
from digest.publish.mirror import Link, linker
from digest.publish.swap import remove_tree

SMALL_SHARD = 1000  # pages: two such runs at once (each is multi-threaded, but not throughout), larger ones alone
SLOTS = 2



class Run:
    """One Pagefind run over one shard's pages, in a thread of its own; ``pages`` says what it was given."""

    def __init__(self, indexer: Indexer, name: str, pages: Mapping[str, Path], bundle: Path) -> None:
        self.indexer, self.name, self.bundle = indexer, name, bundle
        self.pages = dict(pages)
        self.folder = indexer.work / name  # a run called off is waited for, its folder gone, before the next starts
        self.process: subprocess.Popen[bytes] | None = None
        self.called_off = False
        self.failure: BuildError | None = None
        self.thread = threading.Thread(target=self._run, name=f"digest-pagefind-{name}", daemon=True)

    def _run(self) -> None:
        indexer = self.indexer
        slots = SLOTS if len(self.pages) > SMALL_SHARD else 1
        held, waiting = 0, False
        try:
            # Laid out before a slot is free, one run ahead of those going: a slot given back is taken at once,
            # not after a shard's ~550 pages are written (slowed by this process's own work at every system call).
            with indexer.free:
                indexer.free.wait_for(lambda: indexer.waiting < max(indexer.slots, 1) or self.called_off)
                if self.called_off:
                    return
                indexer.waiting += 1
                waiting = True
            laid_out = self._lay_out()
            with indexer.free:
                indexer.free.wait_for(lambda: indexer.slots >= slots or self.called_off)
                if self.called_off or not laid_out:
                    return
                indexer.slots -= slots
                indexer.waiting -= 1
                held, waiting = slots, False
                indexer.free.notify_all()  # the next run may lay out its pages
                self.process = _start_pagefind(indexer.command, self.folder, self.bundle, indexer.output)
            self._wait()
        except BuildError as failure:
            self.failure = failure
        except OSError as error:
            self.failure = BuildError(f"the search indexer (pagefind) could not prepare its pages: {error}", str(indexer.output))
        finally:
            with indexer.free:  # the slot first: the next run starts while this one's folder goes
                indexer.slots += held
                indexer.waiting -= waiting
                indexer.free.notify_all()
            remove_tree(self.folder)

    def _lay_out(self) -> bool:
        """Lay out the pages (what ``copy`` makes of each, or a link to it; those laid out ahead kept when that
        gives the same folder); False when called off meanwhile."""
        root = str(self.folder) + os.sep
        ahead, todo = self.indexer.laid_out(self.name), self.pages
        if ahead is not None and ahead.fits(self.pages):
            for rel, source in ahead.done.items():
                if self.pages.get(rel) != source:  # put changed since, or no longer in the shard: never written into (a link)
                    os.unlink(root + rel)
            todo = {rel: source for rel, source in self.pages.items() if ahead.done.get(rel) != source}
        elif ahead is not None:
            remove_tree(self.folder)
        if not lay_out(todo, root, self.indexer.link, self.indexer.copy, lambda: self.called_off):
            return False
        remove_tree(self.bundle)
        return True

    def _wait(self) -> None:
        """Until Pagefind is done (started only if not called off: ``call_off`` kills what it sees)."""
        assert self.process is not None
        output, _ = self.process.communicate()
        if self.process.returncode != 0 and not self.called_off:
            errors = output.decode("utf-8", "replace").strip()
            raise BuildError(f"the search indexer (pagefind) failed: {errors}", str(self.indexer.output))

    def call_off(self) -> None:
        """Stop this run (its pages changed): killed if started, and waited for."""
        with self.indexer.free:
            self.called_off = True
            self.indexer.free.notify_all()
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
        self.thread.join()


class Layout:
    """A shard's published pages laid out before its run starts, by a process of its own (see
    ``digest.publish.layout``), while this one builds the site graph (see ``Indexer.prepare``)."""

    def __init__(self, indexer: Indexer, name: str, pages: Mapping[str, Path | None], bundle: Path) -> None:
        self.pages = dict(pages)
        self.folders = {rel.rpartition("/")[0] for rel in self.pages}  # made for the pages, those expected to change included
        self.done: dict[str, Path] = {}  # laid out: path in the site -> its source (all, once the process succeeded)
        order = indexer.work / f"{name}.json"  # beside the folder the run lays out, gone with it
        order.write_text(json.dumps({"root": str(indexer.work / name) + os.sep, "bundle": str(bundle),
                                     "pages": [(rel, None if source is None else str(source)) for rel, source in self.pages.items()]}))
        # -P: not the working folder's modules (a site's folder) before digest's own.
        argv, preexec = dying_with_parent([sys.executable, "-P", "-m", "digest.publish.layout", str(order)])
        try:
            self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=preexec)
        except OSError:
            self.process = None  # the run lays out everything itself

    def wait(self) -> None:
        """Until the process is done: then what it laid out is known (nothing, if it failed)."""
        if self.process is not None and self.process.wait() == 0:
            self.done = {rel: source for rel, source in self.pages.items() if source is not None}
        self.process = None

    def fits(self, pages: Mapping[str, Path]) -> bool:
        """Whether laying out the rest of ``pages`` here makes the folder that laying them all out in order makes:
        Pagefind numbers pages in the order it finds them, and a folder may list its entries in the order they
        were made (tmpfs does). So each page left has its folder made here, in order, and is alone in it."""
        if not self.done:
            return False
        for rel, source in pages.items():
            if self.done.get(rel) == source:
                continue
            folder = rel.rpartition("/")[0]
            if not folder or folder not in self.folders or any(other != rel and other.startswith(folder + "/") for other in pages):
                return False
        return True

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


class Indexer:
    """The Pagefind runs of one build, into ``staging``: ``start`` each shard's, then ``wait`` (or ``close``)."""

    def __init__(self, staging: Path, output: Path, work_dir: str, copy: Copy) -> None:
        self.output, self.copy = output, copy
        self.work = staging / work_dir
        remove_tree(self.work)  # a killed build's
        self.work.mkdir(parents=True)
        self.link: Link = linker()
        self.command = _pagefind_command()
        self.free = threading.Condition()
        self.slots = SLOTS  # free: a run holds one (a large shard's, both) while Pagefind goes
        self.waiting = 0  # runs laying out their pages or laid out, waiting for a slot
        self.runs: dict[str, Run] = {}
        self.layouts: dict[str, Layout] = {}

    def prepare(self, name: str, pages: Mapping[str, Path | None], bundle: Path) -> None:
        """Lay out ``pages`` (path in the site -> its source; None: a page expected to change, only its folder made)
        for a run of shard ``name`` into ``bundle`` that may come: started then, it lays out only what is not
        laid out here with the same source (see ``Layout.fits``)."""
        if name not in self.runs and name not in self.layouts:
            self.layouts[name] = Layout(self, name, pages, bundle)

    def laid_out(self, name: str) -> Layout | None:
        """What was laid out ahead for shard ``name``, done (once: a second run of it starts from nothing)."""
        layout = self.layouts.pop(name, None)
        if layout is not None:
            layout.wait()
        return layout

    def start(self, name: str, pages: Mapping[str, Path], bundle: Path) -> Run:
        """Index ``pages`` (path in the site -> its source) into ``bundle``, as soon as a slot is free; a run of
        this shard already going is called off first."""
        self.call_off(name)
        run = self.runs[name] = Run(self, name, pages, bundle)
        run.thread.start()
        return run

    def call_off(self, name: str) -> None:
        run = self.runs.pop(name, None)
        if run is not None:
            run.call_off()

    def wait(self) -> None:
        """Every run ended; the first failure raised (the others are stopped)."""
        for run in list(self.runs.values()):
            run.thread.join()
            if run.failure is not None:
                self.close()
                raise run.failure
        self.close()

    def close(self) -> None:
        """Every run stopped, and the pages laid out for them gone."""
        for layout in list(self.layouts.values()):
            layout.stop()
        for name in list(self.runs):
            self.call_off(name)
        remove_tree(self.work)


def _pagefind_command() -> list[str]:
    """Pagefind's binary itself, looked for as ``python -m pagefind`` looks (``PAGEFIND_BINARY_PATH``, the extended
    binary's wheel, the pagefind[bin] wheel, the PATH), so that no Python starts only to hand over to it (~60 ms a
    run, and a build runs it once a shard). Not by importing ``pagefind.service``, which imports asyncio (~0.1 s).
    Nothing found: ``python -m pagefind``, which then says what is missing."""
    found = os.environ.get("PAGEFIND_BINARY_PATH")
    for wheel in ("pagefind_bin_extended", "pagefind_bin"):
        if found:
            break
        try:
            found = str(importlib.import_module(wheel).get_executable())
        except Exception:  # noqa: BLE001 - not installed, or no binary for this platform in it: look further
            continue
    found = found or shutil.which("pagefind_extended") or shutil.which("pagefind")
    return [found] if found and os.path.isfile(found) else [sys.executable, "-m", "pagefind"]


def _start_pagefind(command: list[str], site: Path, bundle: Path, output: Path) -> subprocess.Popen[bytes]:
    try:
        argv, preexec = dying_with_parent([*command, "--site", str(site), "--output-path", str(bundle), "--quiet"])
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=preexec)
    except OSError as error:  # a PAGEFIND_BINARY_PATH that is not a program, say
        raise BuildError(f"the search indexer (pagefind) could not start: {command[0]}: {error.strerror}", str(output)) from error
