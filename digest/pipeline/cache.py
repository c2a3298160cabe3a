"""What a build keeps for the next one, in ``output/.digest-cache/`` (never published).

- the parse cache (in the session, below): each document is parsed once, keyed by its path and
  content hash; a result is reused only when the document's bytes, the capture settings and the
  reader code are all unchanged;
- the stat map: path -> (mtime_ns, size, sha256) of each document, so a file whose size and
  modification time did not change is not read or hashed again (as git does);
- the session (one pickle, so that what its parts share stays shared when loaded): the parse
  cache, the gather
  memo (the articles and stories of the last build, keyed by a hash of every document's (path,
  sha256), the settings and the code: a build with no changed document skips parse, merge and
  classify), the classify memo, the re-merger's tables, the related stories and the site graph's
  memo (see ``digest.pipeline.session``): a build after an edit re-merges, re-classifies and
  re-renders only what changed;
- the page memo: page path -> (render key, sha256 and size of the written file), so a
  no-change build renders and writes nothing.

``digest build`` and ``digest serve`` share it; ``--clean`` skips it. Each file is read only
when first needed.
"""

from __future__ import annotations

import gc
import hashlib
import pickle
from pathlib import Path
from typing import Any, BinaryIO

from digest.fingerprints import pipeline_fingerprint, source_fingerprint
from digest.models import ParsedDocument
from digest.settings.config import CaptureConfig, Config

CACHE_DIR = ".digest-cache"  # inside output/, never published (see write.py)
STAT_FILE = "stat.pickle"
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
        return self.session_changed or self.changed or (self._entries is not None and len(self.used) != len(self._entries))

    def dump_session(self, file: BinaryIO) -> None:
        """The session, with the parse results used by this build only (deleted and edited documents drop out),
        pickled straight into ``file``: never all of it in memory twice."""
        if self._entries is not None:
            self.session["parse"] = {key: value for key, value in self._entries.items() if key in self.used}
        pickle.dump(self.session, file, protocol=pickle.HIGHEST_PROTOCOL)

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

    @property
    def session(self) -> dict[str, Any]:
        """What the last build kept for this one (see ``digest.pipeline.session``), by part name: "gathered"
        (key, value), "classify" (the classify memo) and the later stages' memos. Updated in place."""
        if self._session is None:
            loaded = self._read(SESSION_FILE)
            # Made by other code (digest was upgraded or edited): its objects may lack what this code expects.
            fresh = not isinstance(loaded, dict) or loaded.get("code") != pipeline_fingerprint()
            self._session = {"code": pipeline_fingerprint()} if fresh else loaded
        return self._session

    def keep(self, **parts: Any) -> None:
        """Parts of the session for the next build (written with the site)."""
        self.session.update(parts)
        self.session_changed = True

    def gathered(self, key: str) -> Any | None:
        """What ``remember_gathered`` stored under ``key``, or None."""
        kept = self.session.get("gathered")
        return kept[1] if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == key else None

    def last_stories(self) -> tuple:
        """The stories the last build gathered, whatever has changed since; () when it left none. Asked for
        before this build gathers (which replaces them)."""
        kept = self.session.get("gathered")
        value = kept[1] if isinstance(kept, tuple) and len(kept) == 2 else None
        return value[1] if isinstance(value, tuple) and len(value) == 4 else ()

    def remember_gathered(self, key: str, value: Any) -> None:
        self.keep(gathered=(key, value))

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

    def _read(self, name: str) -> Any:
        if self.folder is None:
            return None
        try:
            data = (self.folder / name).read_bytes()
        except OSError:
            return None
        collecting = gc.isenabled()
        gc.disable()  # loading makes many objects and no garbage: the collector's passes would only cost (3-5x)
        try:
            return pickle.loads(data)
        except Exception:  # truncated or from another version: start afresh
            return None
        finally:
            if collecting:
                gc.enable()

    @classmethod
    def load(cls, output_dir: Path) -> ParseCache:
        return cls(None, output_dir / CACHE_DIR)
