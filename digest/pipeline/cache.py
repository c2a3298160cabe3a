"""What a build keeps for the next one, in ``output/.digest-cache/`` (never published).

- the gather memo (``gather.pickle``): the articles and stories of the last build, keyed by a
  hash of every document's (path, sha256), the settings and the code (and what else its dates hold on:
  see ``digest.pipeline.memo_key``), with each story's facts for finding threads; a build with no
  changed document reads only this, and skips parse, merge and classify;
- the session (``session.pickle``, read only when something changed): the parse cache (each document is
  parsed once, keyed by its path and content hash; a result is reused only when the document's bytes,
  the capture settings and the reader code are all unchanged, on a day it holds on, and, for a document dated
  by its file's time, with the file at that time: ``ParsedDocument.build_days``, ``file_time``), the classify memo and the re-merger's tables (see
  ``digest.pipeline.session``), so that a build after an edit re-reads, re-merges and re-classifies only
  what changed. It refers to the gather memo's articles, stories and classifications by place: loaded,
  they are the very same objects. After an edit, each of the two is written as a delta beside its base
  (``gather-delta.pickle``, ``session-delta.pickle``: see ``digest.pipeline.store``), not again whole;
- the stat map: path -> (mtime_ns, size, sha256) of each document, so a file whose size and
  modification time did not change is not read or hashed again (as git does);
- the page memo: page path -> (render key, sha256 and size of the written file), so a
  no-change build renders and writes nothing.

``digest build`` and ``digest serve`` share it; ``--clean`` skips it. Each file is read only
when first needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from digest.fingerprints import pipeline_fingerprint, source_fingerprint
from digest.models import Evidence, ParsedDocument
from digest.pipeline import store
from digest.pipeline.memo_key import FileTimes, kept_key, key_holds
from digest.read.dates import DaySpan, holds_on
from digest.settings.config import CaptureConfig

CACHE_DIR = ".digest-cache"  # inside output/, never published (see write.py)
STAT_FILE = "stat.pickle"
GATHER_FILE = "gather.pickle"
SESSION_FILE = "session.pickle"
GATHER_DELTA = "gather-delta.pickle"  # what changed since gather.pickle was written (see ``digest.pipeline.store``)
SESSION_DELTA = "session-delta.pickle"
PAGES_FILE = "pages.pickle"
GRAPH_FILE = "graph.pickle"  # the site graph's memo (see ``GraphMemo.dump``), read only by a build that makes a graph

StatMap = dict[str, tuple[int, int, str]]  # path -> (mtime_ns, size, sha256)
ALIKE = (Evidence,)  # values the gather memo holds many equal copies of: each written, and read, once


def code_fingerprint() -> str:
    """Changes whenever the reader code or the data model changes, so stale results are never reused."""
    return source_fingerprint("models.py", "characters.py", "settings", "read")[:16]


class ParseCache:
    def __init__(self, entries: dict[tuple[str, str], ParsedDocument] | None = None, folder: Path | None = None):
        self._entries = entries
        self.folder = folder  # where the other parts are read from on first use, if anywhere
        self.used: set[tuple[str, str]] = set()
        self.hits = 0
        self.misses = 0
        self.parsed: list[str] = []  # the documents parsed afresh (their paths), since the caller last emptied it
        self.changed = entries is not None  # whether parse.pickle must be written again
        self._stats: StatMap | None = None
        self.stats_changed = False
        self._gathered: tuple[str, Any] | None = None
        self.gathered_changed = False
        self._gathered_now = False  # whether the gather memo holds this build's gather (reused or remembered)
        self._session: dict[str, Any] | None = None
        self._gathered_base: _Base | None = None  # the bases read, which deltas refer to
        self._session_base: _Base | None = None
        self._delta_size = 0  # bytes of the deltas read
        self._threads: tuple = ()  # (story as filed, its thread facts) of the last graph (see ``kept_threads``)
        self.threads_changed = False
        self.session_changed = False
        self._pages: dict[str, tuple[str, str, int]] | None = None
        self._settings: tuple[CaptureConfig, str] | None = None  # the last capture settings hashed, and their hash
        self._graph: Callable[[BinaryIO], None] | None = None  # writes this build's graph memo, once

    # -- the parse results

    @property
    def entries(self) -> dict[tuple[str, str], ParsedDocument]:
        if self._entries is None:  # kept in the session: its articles are the very objects of the last gather
            loaded = self.session.get("parse")
            self._entries = loaded if isinstance(loaded, dict) else {}
        return self._entries

    @entries.setter
    def entries(self, value: dict[tuple[str, str], ParsedDocument]) -> None:
        self._entries = value

    def _key(self, doc: Any, capture: CaptureConfig) -> tuple[str, str]:
        # The path is part of the key: article ids and diagnostics name the file.
        return (f"{doc.path}\0{doc.sha256}", f"{code_fingerprint()}{self._settings_key(capture)}")

    def _settings_key(self, capture: CaptureConfig) -> str:
        """A hash of the capture settings, worked out once per settings object (they do not change within a build)."""
        if self._settings is None or self._settings[0] is not capture:
            self._settings = (capture, hashlib.sha256(repr(capture).encode()).hexdigest()[:16])
        return self._settings[1]

    def get(self, doc: Any, capture: CaptureConfig, today: dt.date, *, count: bool = True) -> ParsedDocument | None:
        """``doc`` needs only ``path``, ``sha256`` and ``mtime``: a document known by its stat need not be read. A
        result that does not hold on ``today``, the build's day, or that was dated by the file's time and the file
        now has another, is not given (see ``ParsedDocument.build_days`` and ``file_time``).
        ``count=False`` for a second look-up of a document already counted as a miss."""
        key = self._key(doc, capture)
        result = self.entries.get(key)
        if result is not None and not (holds_on(result.build_days, today) and result.file_time in (None, doc.mtime)):
            result = None
        self.used.add(key)
        if not count:
            return result
        if result is None:
            self.misses += 1
        else:
            self.hits += 1
        return result

    def put(self, doc: Any, capture: CaptureConfig, result: ParsedDocument) -> None:
        key = self._key(doc, capture)
        self.entries[key] = result
        self.used.add(key)
        self.changed = True
        self.parsed.append(doc.path)

    @property
    def needs_writing(self) -> bool:
        """Whether the session must be written again: a part of it was replaced, or the parse results differ from
        what this build used (read, and not all of it used, or added to)."""
        return self.session_changed or self.gathered_changed or self.changed or (self._entries is not None and len(self.used) != len(self._entries))

    def dump_session(self, file: BinaryIO) -> None:
        """The whole session as a base, pickled straight into ``file``, the gather memo's objects by place."""
        self._gathered_part()
        ident = self._gathered_base.ident if self._gathered_base else ""
        store.dump(file, {**self._session_to_keep(), "base": ident, "ident": store.new_ident()}, self._shared())

    # -- the stat map, the gather memo, the page memo

    @property
    def stats(self) -> StatMap:
        if self._stats is None:
            loaded = self._read(STAT_FILE)
            self._stats = loaded if isinstance(loaded, dict) else {}
        return self._stats

    def update_stats(self, stats: StatMap) -> None:
        """The load stage's new stat map: what the next load compares with."""
        if stats != self.stats:
            self._stats = stats
            self.stats_changed = True

    def stats_dumps(self) -> bytes:
        return pickle.dumps(self.stats, protocol=pickle.HIGHEST_PROTOCOL)

    # -- the gather memo: all a build with nothing changed reads

    def _gathered_part(self) -> tuple[str, Any]:
        if self._gathered is None:
            base, size = store.read(self._path(GATHER_FILE))
            if not (isinstance(base, tuple) and len(base) == 4):
                base, size = ("", None, "", ()), 0
            key, value, ident, self._threads = base
            self._gathered_base = _Base(ident, _gather_refs(value, self._threads), size)
            self._gathered = (key, value)
            if ident:
                delta, delta_size = store.read(self._path(GATHER_DELTA), self._gathered_base.shared)
                if isinstance(delta, tuple) and len(delta) == 4 and delta[0] == ident:
                    self._gathered, self._threads = delta[1:3], delta[3]
                    self._delta_size += delta_size
        return self._gathered

    def gathered(self, key: str, today: dt.date, file_times: Callable[[], FileTimes]) -> Any | None:
        """What ``remember_gathered`` stored under ``key``, or None; None too when it does not hold on ``today``
        or a file whose time dated it now has another (``file_times()``: see ``digest.pipeline.memo_key``)."""
        kept, value = self._gathered_part()
        self._gathered_now = key_holds(kept, key, today, file_times)
        return value if self._gathered_now else None

    def gathered_key(self) -> str | None:
        """The key of what this build gathered (see ``gather_key``): None before it gathered, or when what it
        gathered is not kept (a document changed while it was read)."""
        return self._gathered[0] if self._gathered is not None and self._gathered_now else None

    def forget_gathered_key(self) -> None:
        """What this build gathered is not what the memo holds (a document changed while it was read)."""
        self._gathered_now = False

    def last_stories(self) -> tuple:
        """The stories the last build gathered, whatever has changed since; () when it left none. Asked for
        before this build gathers (which replaces them)."""
        value = self._gathered_part()[1]
        return value[1] if isinstance(value, tuple) and len(value) == 4 else ()

    def remember_gathered(self, key: str, value: Any, build_days: DaySpan | None = None, file_times: FileTimes | None = None) -> None:
        """``value``, what gathering gave, under ``key``, holding on ``build_days`` (None: on any day) and while
        the files in ``file_times`` keep those modification times."""
        self._gathered_part()  # the base, which the next delta refers to
        self._gathered = (kept_key(key, build_days, file_times or {}), value)
        self.gathered_changed = self._gathered_now = True

    # -- what the site graph keeps: each story's facts for finding threads (see ``digest.site.threads``)

    def kept_threads(self) -> dict[int, tuple[Any, Any]]:
        """The thread facts the last build kept: id(story) -> (story, its facts), as ``ThreadMemo.terms``."""
        self._gathered_part()
        return {id(item): (item, facts) for item, facts in self._threads}

    def keep_threads(self, terms: dict[int, tuple[Any, Any]]) -> None:
        """The thread facts of this build's stories, written with the gather memo when they changed."""
        pairs = tuple(terms.values())
        self._gathered_part()
        if len(pairs) != len(self._threads) or any(a is not c or b is not d for (a, b), (c, d) in zip(pairs, self._threads)):
            self._threads = pairs
            self.threads_changed = True

    def _shared(self) -> list[Any]:
        """The gather memo's articles, stories and classifications, in a fixed order: the session refers to them
        by place, so that loading both gives one object for each (the stages recognise them by identity)."""
        return _shared_of(self._gathered_part()[1])

    # -- the session: what a build that changed something reads

    @property
    def session(self) -> dict[str, Any]:
        """What the last build kept for this one beside the gather memo, by part name: "parse" (the parse
        results), "classify" (the classify memo), "remerger" (see ``digest.pipeline.session``). Updated in place."""
        if self._session is None:
            self._session = self._load_session()
        return self._session

    def _load_session(self) -> dict[str, Any]:
        """The session base and, when there is one for it, its delta. One made by other code (digest was upgraded
        or edited: its objects may lack what this code expects), or beside another gather memo (a build stopped
        between writing the two), is not used."""
        code, key = pipeline_fingerprint(), self._gathered_part()[0]
        gathered = self._gathered_base
        assert gathered is not None
        base, size = store.read(self._path(SESSION_FILE), gathered.shared) if gathered.ident else (None, 0)
        if not (isinstance(base, dict) and base.get("code") == code and base.get("base") == gathered.ident):
            return {"code": code}
        self._session_base = _Base(base.pop("ident", ""), _session_parts(base, freeze=True), size)
        delta, delta_size = store.read(self._path(SESSION_DELTA), [*self._shared(), *self._session_base.shared])
        if isinstance(delta, dict) and delta.get("code") == code and delta.get("gathered") == key and delta.get("base") == self._session_base.ident:
            self._delta_size += delta_size
            return delta
        return base if base.get("gathered") == key else {"code": code}

    def _session_to_keep(self) -> dict[str, Any]:
        """The session, with the parse results used by this build only (deleted and edited documents drop out)."""
        if self._entries is not None:
            self.session["parse"] = {key: value for key, value in self._entries.items() if key in self.used}
        self.session["gathered"] = self._gathered_part()[0]
        return self.session

    def files(self) -> dict[str, bytes | Callable[[BinaryIO], None] | None]:
        """The cache files this build changed, in the order to write them: file name -> its bytes, or what writes
        them into a file, or None for a file to remove. After an edit, only deltas (see ``digest.pipeline.store``);
        after a full merge, or once the deltas have grown to a quarter of the bases, the bases again. With them,
        the graph memo when this build made a graph (handed out once)."""
        files = self._gathered_files()
        if self._graph is not None:
            files[GRAPH_FILE], self._graph = self._graph, None
        return files

    def keep_graph(self, write: Callable[[BinaryIO], None]) -> None:
        """What writes this build's graph memo into a file (see ``files``)."""
        self._graph = write

    def graph_file(self) -> Path | None:
        """Where the last build's graph memo is, if anywhere."""
        return self._path(GRAPH_FILE)

    def _gathered_files(self) -> dict[str, bytes | Callable[[BinaryIO], None] | None]:
        files: dict[str, bytes | Callable[[BinaryIO], None] | None] = {}
        if self.stats_changed:
            files[STAT_FILE] = self.stats_dumps()
        session_dirty = self.needs_writing
        if not (self.threads_changed or session_dirty):
            return files
        gathered, kept = self._gathered_base, self._session_base
        if self._delta_worth(session_dirty):
            assert gathered is not None
            if self.gathered_changed or self.threads_changed:
                files[GATHER_DELTA] = lambda file: store.dump(file, (gathered.ident, *self._gathered_part(), self._threads), gathered.shared, ALIKE)
            if session_dirty:
                assert kept is not None
                files[SESSION_DELTA] = lambda file: store.dump(file, {**self._session_to_keep(), "base": kept.ident}, [*self._shared(), *kept.shared])
            return files
        ident = store.new_ident()
        files[GATHER_FILE] = lambda file: store.dump(file, (*self._gathered_part(), ident, self._threads), alike=ALIKE)
        files[GATHER_DELTA] = None
        files[SESSION_FILE] = lambda file: store.dump_mapped(file, {**self._session_to_keep(), "base": ident, "ident": store.new_ident()},
                                                             self._shared())
        files[SESSION_DELTA] = None
        return files

    def _delta_worth(self, session_dirty: bool) -> bool:
        """Whether deltas against the bases read hold what this build keeps in a small share of their bytes:
        the bases read and valid, what the deltas would write afresh (new articles, stories, parse results,
        arrays) a small share of them, and the deltas so far under a quarter of the bases' bytes. The session
        is not read for this when nothing of it changed."""
        gathered, kept = self._gathered_base, self._session_base
        if gathered is None or not gathered.ident or (session_dirty and kept is None):
            return False
        bases = (*gathered.shared, *kept.shared) if kept is not None else gathered.shared
        if self._delta_size * 4 > gathered.size + (kept.size if kept is not None else 0):
            return False
        known = {id(item) for item in bases}
        now = _gather_refs(self._gathered_part()[1], self._threads) + (_session_parts(self.session) if session_dirty else [])
        fresh = [item for item in now if id(item) not in known]
        return len(fresh) * 20 <= len(bases) and store.array_bytes(fresh) * 20 <= store.array_bytes(bases)

    def keep(self, **parts: Any) -> None:
        """Parts of the session for the next build (written with the site)."""
        self.session.update(parts)
        self.session_changed = True

    @property
    def classify_memo(self) -> dict:
        """Per-story classifications (see ``classify_stories(memo=...)``): after an edit, only the
        stories whose content changed are classified again. Updated in place by the classify stage."""
        memo = self.session.get("classify")
        if not isinstance(memo, dict):
            memo = self.session["classify"] = {}
        return memo

    @property
    def pages(self) -> dict[str, tuple[str, str, int]]:
        """page path -> (render key, sha256, size) of the file the last build wrote."""
        if self._pages is None:
            loaded = self._read(PAGES_FILE)
            self._pages = loaded if isinstance(loaded, dict) else {}
        return self._pages

    def remember_pages(self, pages: dict[str, tuple[str, str, int]]) -> None:
        """The page memo just written with the site: what the next run in this process compares with."""
        self._pages = pages

    def release_session(self) -> None:
        """Let go of the session's parts in memory once they are written (``digest build`` needs them no more
        after gathering): read again from the folder if asked for."""
        self._session = self._entries = None
        self.session_changed = self.changed = False
        self.used = set()

    def _path(self, name: str) -> Path | None:
        return None if self.folder is None else self.folder / name

    def _read(self, name: str) -> Any:
        return store.read(self._path(name))[0]

    @classmethod
    def load(cls, output_dir: Path) -> ParseCache:
        return cls(None, output_dir / CACHE_DIR)


@dataclass(frozen=True)
class _Base:
    """A base as read: its name, the objects a delta may refer to (by place), its size in bytes."""

    ident: str
    shared: list[Any]
    size: int


def _shared_of(value: Any) -> list[Any]:
    """A gather memo's articles, stories and classifications, in a fixed order (a session and a delta refer to
    them by place)."""
    if not (isinstance(value, tuple) and len(value) == 4):
        return []
    articles, stories = value[0], value[1]
    return [*articles, *(item.story for item in stories), *(item.classification for item in stories)]


def _gather_refs(value: Any, threads: tuple) -> list[Any]:
    """What a gather delta may refer to by place: the memo's articles, stories, classifications, each story as
    filed, and the thread facts kept."""
    return [*_shared_of(value), *(value[1] if isinstance(value, tuple) and len(value) == 4 else ()), *(facts for _, facts in threads)]


def _session_parts(session: dict[str, Any], *, freeze: bool = False) -> list[Any]:
    """A session's parse results and the re-merger's arrays, in a fixed order: a delta refers to them by place."""
    parse = session.get("parse")
    return [*(parse.values() if isinstance(parse, dict) else ()), *store.arrays_in(session.get("remerger"), freeze=freeze)]
