"""Watching the site's inputs with watchdog, and turning a burst of saves into one rebuild.

Editors save in bursts (write a temporary file, rename it, touch a backup; "save all"
writes ten files). Every event is collected; the rebuild starts once the inputs have
been quiet for ``quiet`` seconds (or ``max_wait`` after the first event, so a process
that writes all the time still gets previews). Events during a rebuild start the next one.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import DirModifiedEvent, FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

QUIET_SECONDS = 0.15
MAX_WAIT_SECONDS = 1.0


def is_noise(path: Path) -> bool:
    """Editor droppings that are never inputs: hidden files, backups, swap files, vim's write test."""
    name = path.name
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp")) or name == "4913"


class ChangeWatcher(FileSystemEventHandler):
    """Calls ``rebuild(changed_paths)`` on its own thread, once per burst of relevant changes."""

    def __init__(self, rebuild: Callable[[frozenset[Path]], object], quiet: float = QUIET_SECONDS, max_wait: float = MAX_WAIT_SECONDS):
        self.rebuild = rebuild
        self.quiet = quiet
        self.max_wait = max_wait
        self._observer = Observer()
        self._watches: dict[tuple[Path, bool], ObservedWatch] = {}
        self._trees: tuple[Path, ...] = ()
        self._files: frozenset[Path] = frozenset()
        self._pending: set[Path] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._first_event = 0.0
        self._last_event = 0.0
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="digest-rebuild", daemon=True)

    # ------------------------------------------------------------ what to watch

    def watch(self, trees: Iterable[Path], files: Iterable[Path]) -> None:
        """Watch these folders recursively and these single files; a folder that does not exist yet is
        watched for from its nearest existing parent, so creating ``templates/`` later is noticed."""
        trees = tuple(dict.fromkeys(Path(t).resolve() for t in trees))
        files = frozenset(Path(f).resolve() for f in files)
        wanted: dict[Path, bool] = {}
        for tree in trees:
            if tree.is_dir():
                wanted[tree] = True
            else:
                parent = _nearest_existing(tree)
                wanted.setdefault(parent, False)
        for file in files:
            wanted.setdefault(_nearest_existing(file.parent), False)
        with self._lock:
            self._trees, self._files = trees, files
            for key in [k for k in self._watches if k not in wanted.items()]:
                self._observer.unschedule(self._watches.pop(key))
            for folder, recursive in wanted.items():
                if (folder, recursive) not in self._watches:
                    self._watches[(folder, recursive)] = self._observer.schedule(self, str(folder), recursive=recursive)

    def is_relevant(self, path: Path) -> bool:
        if path in self._files:
            return True
        if is_noise(path):
            return False
        return any(path == tree or tree in path.parents for tree in self._trees)

    # ------------------------------------------------------------ events -> rebuilds

    def on_any_event(self, event: FileSystemEvent) -> None:
        if isinstance(event, DirModifiedEvent) or event.event_type in ("opened", "closed", "closed_no_write"):
            return  # a folder's own timestamp, or a file merely read: the file events say what changed
        paths = [Path(os.fsdecode(p)) for p in (event.src_path, getattr(event, "dest_path", "")) if p]
        relevant = [p for p in paths if self.is_relevant(p)]
        if relevant:
            self.notify(relevant)

    def notify(self, paths: Iterable[Path]) -> None:
        now = time.monotonic()
        with self._lock:
            if not self._pending:
                self._first_event = now
            self._pending.update(paths)
            self._last_event = now
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            self._settle()
            with self._lock:
                changed, self._pending = frozenset(self._pending), set()
            if changed:
                self.rebuild(changed)

    def _settle(self) -> None:
        """Wait until no event has come for ``quiet`` seconds, or ``max_wait`` has passed since the first."""
        while not self._stopping:
            with self._lock:
                now = time.monotonic()
                remaining = min(self._last_event + self.quiet, self._first_event + self.max_wait) - now
            if remaining <= 0:
                return
            time.sleep(remaining)

    # ------------------------------------------------------------ lifetime

    def start(self) -> None:
        self._observer.start()
        self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._observer.stop()
        self._observer.join(timeout=5)
        self._thread.join(timeout=1)  # a rebuild under way is abandoned: its thread is a daemon, nothing is written


def _nearest_existing(path: Path) -> Path:
    while not path.is_dir() and path.parent != path:
        path = path.parent
    return path
