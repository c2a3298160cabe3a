"""What a build keeps for the next one, in ``output/.digest-cache/`` (never published).

- the gather memo (``gather.pickle``): the articles and stories of the last build, keyed by a
  hash of every document's (path, sha256), the settings and the code; a build with no changed
  document reads only this, and skips parse, merge and classify;
- the session (``session.pickle``, read only when something changed): the parse cache (each
  document is parsed once, keyed by its path and content hash; a result is reused only when the
  document's bytes, the capture settings and the reader code are all unchanged), the classify
  memo and the re-merger's tables (see ``digest.pipeline.session``), so that a build after an
  edit re-reads, re-merges and re-classifies only what changed. It refers to the gather memo's
  articles, stories and classifications by place: loaded, they are the very same objects;
- the stat map: path -> (mtime_ns, size, sha256) of each document, so a file whose size and
  modification time did not change is not read or hashed again (as git does);
- the page memo: page path -> (render key, sha256 and size of the written file), so a
  no-change build renders and writes nothing.

``digest build`` and ``digest serve`` share it; ``--clean`` skips it. Each file is read only
when first needed.
"""

from __future__ import annotations

import gc
import hashlib
import io
import pickle
from pathlib import Path
from typing import Any, BinaryIO

from digest.fingerprints import pipeline_fingerprint, source_fingerprint
from digest.models import ParsedDocument
from digest.settings.config import CaptureConfig, Config

CACHE_DIR = ".digest-cache"  # inside output/, never published (see write.py)
STAT_FILE = "stat.pickle"
GATHER_FILE = "gather.pickle"
SESSION_FILE = "session.pickle"
PAGES_FILE = "pages.pickle"

StatMap = dict[str, tuple[int, int, str]]  # path -> (mtime_ns, size, sha256)


def code_fingerprint() -> str:
    """Changes whenever the reader code or the data model changes, so stale results are never reused."""
    return source_fingerprint("models.py", "characters.py", "settings", "read")[:16]


def gather_key(config: Config, documents: list[tuple[str, str]]) -> str:
    """What parse, merge and classify depend on: the documents, the settings, the code."""
    digest = hashlib.sha256(pipeline_fingerprint().encode())
    try:
        settings = config.source_file.read_bytes() if config.source_file else b"(defaults)"
    except OSError:
        settings = b"(unreadable)"
    digest.update(settings + b"\x00" + repr(config).encode())
    for path, sha in documents:
        digest.update(f"{path}\x00{sha}\x00".encode("utf-8", "surrogateescape"))  # a file name need not be UTF-8
    return digest.hexdigest()


class ParseCache:
    def __init__(self, entries: dict[tuple[str, str], ParsedDocument] | None = None, folder: Path | None = None):
        self._entries = entries
        self.folder = folder  # where the other parts are read from on first use, if anywhere
        self.used: set[tuple[str, str]] = set()
        self.hits = 0
        self.misses = 0
        self.changed = entries is not None  # whether parse.pickle must be written again
        self._stats: StatMap | None = None
        self.stats_changed = False
        self._gathered: tuple[str, Any] | None = None
        self.gathered_changed = False
        self._session: dict[str, Any] | None = None
        self.session_changed = False
        self._pages: dict[str, tuple[str, str, int]] | None = None
        self._settings: tuple[CaptureConfig, str] | None = None  # the last capture settings hashed, and their hash

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

    def get(self, doc: Any, capture: CaptureConfig, *, count: bool = True) -> ParsedDocument | None:
        """``doc`` needs only ``path`` and ``sha256``: a document known by its stat need not be read.
        ``count=False`` for a second look-up of a document already counted as a miss."""
        key = self._key(doc, capture)
        result = self.entries.get(key)
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

    @property
    def needs_writing(self) -> bool:
        """Whether the session must be written again: a part of it was replaced, or the parse results differ from
        what this build used (read, and not all of it used, or added to)."""
        return self.session_changed or self.gathered_changed or self.changed or (self._entries is not None and len(self.used) != len(self._entries))

    def dump_session(self, file: BinaryIO) -> None:
        """The session, with the parse results used by this build only (deleted and edited documents drop out),
        pickled straight into ``file`` (never all of it in memory twice), the gather memo's objects by place."""
        if self._entries is not None:
            self.session["parse"] = {key: value for key, value in self._entries.items() if key in self.used}
        self.session["gathered"] = self._gathered_part()[0]
        places: dict[int, int] = {}
        for place, item in enumerate(self._shared()):
            places.setdefault(id(item), place)
        _Pickler(file, places).dump(self.session)

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
            loaded = self._read(GATHER_FILE)
            self._gathered = loaded if isinstance(loaded, tuple) and len(loaded) == 2 else ("", None)
        return self._gathered

    def gathered(self, key: str) -> Any | None:
        """What ``remember_gathered`` stored under ``key``, or None."""
        kept_key, value = self._gathered_part()
        return value if kept_key == key else None

    def last_stories(self) -> tuple:
        """The stories the last build gathered, whatever has changed since; () when it left none. Asked for
        before this build gathers (which replaces them)."""
        value = self._gathered_part()[1]
        return value[1] if isinstance(value, tuple) and len(value) == 4 else ()

    def remember_gathered(self, key: str, value: Any) -> None:
        self._gathered = (key, value)
        self.gathered_changed = True

    def gathered_dumps(self) -> bytes:
        return pickle.dumps(self._gathered, protocol=pickle.HIGHEST_PROTOCOL)

    def _shared(self) -> list[Any]:
        """The gather memo's articles, stories and classifications, in a fixed order: the session refers to them
        by place, so that loading both gives one object for each (the stages recognise them by identity)."""
        value = self._gathered_part()[1]
        if not (isinstance(value, tuple) and len(value) == 4):
            return []
        articles, stories = value[0], value[1]
        return [*articles, *(item.story for item in stories), *(item.classification for item in stories)]

    # -- the session: what a build that changed something reads

    @property
    def session(self) -> dict[str, Any]:
        """What the last build kept for this one beside the gather memo, by part name: "parse" (the parse
        results), "classify" (the classify memo), "remerger" (see ``digest.pipeline.session``). Updated in place."""
        if self._session is None:
            loaded = self._read(SESSION_FILE, self._shared())
            # Made by other code (digest was upgraded or edited: its objects may lack what this code expects), or
            # beside another gather memo (a build stopped between writing the two): not used.
            fresh = (not isinstance(loaded, dict) or loaded.get("code") != pipeline_fingerprint()
                     or loaded.get("gathered") != self._gathered_part()[0])
            self._session = {"code": pipeline_fingerprint()} if fresh else loaded
        return self._session

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

    def _read(self, name: str, shared: list[Any] | None = None) -> Any:
        if self.folder is None:
            return None
        try:
            data = (self.folder / name).read_bytes()
        except OSError:
            return None
        collecting = gc.isenabled()
        gc.disable()  # loading makes many objects and no garbage: the collector's passes would only cost (3-5x)
        try:
            if shared is None:
                return pickle.loads(data)
            return _Unpickler(io.BytesIO(data), shared).load()
        except Exception:  # truncated or from another version: start afresh
            return None
        finally:
            if collecting:
                gc.enable()

    @classmethod
    def load(cls, output_dir: Path) -> ParseCache:
        return cls(None, output_dir / CACHE_DIR)


class _Pickler(pickle.Pickler):
    """Pickles the objects ``places`` knows (by id) as their place in the gather memo (see ``ParseCache._shared``)."""

    def __init__(self, file: BinaryIO, places: dict[int, int]):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.places = places

    def persistent_id(self, obj: Any) -> int | None:
        return self.places.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, shared: list[Any]):
        super().__init__(file)
        self.shared = shared

    def persistent_load(self, pid: Any) -> Any:
        return self.shared[pid]
