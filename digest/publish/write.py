"""Write stage: the only code that writes to output/.

The new site arrives one file at a time, as it is rendered (see ``Publication``). It is made in a staging folder
beside ``output/`` (the site before the last, changed only where it differs: files whose bytes are unchanged are
hard links to the published ones), indexed for search there, and switched in whole (``digest.publish.swap``):
``output/`` is always exactly the old site or the new one, never a mix, and its search index always holds exactly
its own pages. The parse cache lives in output/.digest-cache/ and is never published; a build that changes no
page updates only the cache, in place.
"""

from __future__ import annotations

import errno
import hashlib
import os
import pickle
import stat
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from digest.errors import BuildError
from digest.forking import give_back_memory
from digest.pipeline.cache import CACHE_DIR, GATHER_FILE, PAGES_FILE, SESSION_FILE, ParseCache
from digest.publish.mirror import CacheFiles, Mirror, files_in, mirror_tree, replace_files, replaced_meanwhile
from digest.publish.mirror import replace_file as _replace
from digest.publish.records import MANIFEST, SiteRecord, manifest_bytes, parse_manifest, read_bytes, read_site_record, save_site_record
from digest.publish.safety import MARKER, MARKER_TEXT
from digest.publish.search import SEARCH_DIR, WORK_DIR, Pages, ShardIndexing, forget_search, is_current, site_hash
from digest.publish.swap import SPARE_IGNORE, claim_staging, keep_as_spare, recover, remove_tree, spare_folder, switch_in

SPARE_STAMP = ".digest-spare"  # in the spare: the hash of its manifest, while it is exactly the site it lists
KEEP = frozenset({CACHE_DIR, SEARCH_DIR})
TEMPLATES_DIR = "templates"  # in the cache: the compiled templates (see ``digest.render.pages.make_environment``)
BASES = frozenset({GATHER_FILE, SESSION_FILE})  # written whole: the large parts of a cold build's memory


class _Kept(bytes):
    """Stands for a page's bytes when ``output/`` already holds them (see ``KeptPages``)."""


KEPT: bytes = _Kept()  # compared by identity: the writer leaves such a file as it is


class KeptPages(Mapping[str, str]):
    """Pages the last build wrote that are still in ``output_dir`` as written: path -> the render key they were made
    with. A file that is missing, or whose size changed since, is not kept (it is rendered again). Each page is
    looked at when first asked for: the pages an edit renders first need not wait for ~11,000 others' stats."""

    def __init__(self, output_dir: Path, memo: Mapping[str, tuple[str, str, int]], manifest: Mapping[str, str]) -> None:
        self.root, self.memo, self.manifest = str(output_dir) + os.sep, memo, manifest
        self._looked: dict[str, str | None] = {}

    def __getitem__(self, rel: str) -> str:
        if rel not in self._looked:
            self._looked[rel] = self._look(rel)
        key = self._looked[rel]
        if key is None:
            raise KeyError(rel)
        return key

    def _look(self, rel: str) -> str | None:
        entry = self.memo.get(rel)
        if entry is None or self.manifest.get(rel) != entry[1]:
            return None
        try:
            return entry[0] if os.stat(self.root + rel).st_size == entry[2] else None
        except OSError:
            return None

    def __iter__(self) -> Iterator[str]:
        return (rel for rel in self.memo if rel in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def write_output(files: Mapping[str, bytes], output_dir: Path, cache: ParseCache | None = None,
                 page_keys: Mapping[str, str] | None = None, *, search: bool = False, exchange: bool = True) -> tuple[int, int]:
    """Make ``output_dir`` hold exactly ``files`` (plus the cache and, with ``search``, the search index), all at
    once (see ``Publication``, which takes the files one at a time). Returns (written, deleted)."""
    with Publication(output_dir, cache, search=search, exchange=exchange) as publication:
        for rel, data in files.items():
            publication.put(rel, data)
        return publication.finish(page_keys)


class Publication:
    """One build's site on its way into ``output_dir``: ``put`` each file as soon as it is made, then ``finish``.

    The new site is made beside the old one, in the staging folder (see ``digest.publish.swap``): a file whose bytes
    differ from the published one is written there at once (nothing holds the site's bytes), the unchanged ones are
    hard links to the published files, made at the end; then it is indexed for search and switched in whole, so
    ``output/`` is always exactly the old site or the new one. A file whose bytes are ``KEPT`` is already in
    ``output_dir`` as the last build wrote it. A build that changes no file claims no staging folder and updates
    only the cache, in place. Used as a context manager: a failure leaves no staging folder behind, and a disk that
    is full, read-only or not ours to write is a ``BuildError`` naming the path and the system's error (the old
    output left as it was)."""

    holds_pages = False  # the pages are on disk: a memo of their bytes would only hold them in memory

    def __init__(self, output_dir: Path, cache: ParseCache | None = None, *, search: bool = False, exchange: bool = True) -> None:
        self.output = Path(os.path.realpath(output_dir))
        self.cache, self.search, self.exchange = cache, search, exchange
        self.staging: Path | None = None  # claimed when the first file (or the session) differs
        self.manifest: dict[str, str] = {}  # path -> sha256
        self.sizes: dict[str, int] = {}
        self.carried: set[str] = set()  # in the old output with these very bytes
        self.written = 0
        self.saved: set[str] = set()  # the cache files already written into the staging folder
        self.pending: CacheFiles = {}  # the cache files to write while the search indexer runs
        self._mirror: Mirror | None = None
        self.previous: dict[str, str] = {}
        self.previous_bytes: bytes | None = None  # the last build's manifest as read (``previous``)
        self.record: SiteRecord | None = None  # (the site's stamp, each file but the pages -> its size)
        self.old_pages: Mapping[str, tuple[str, str, int]] = {}
        self.indexing: ShardIndexing | None = None  # made once a page changes (see ``_index``)
        self.compiled: Path | None = None  # the compiled templates' folder, when it is in the staging folder

    def __enter__(self) -> Publication:
        with self._on_disk():
            self.output.parent.mkdir(parents=True, exist_ok=True)
            recover(self.output)
            self.previous_bytes = read_bytes(self.output / CACHE_DIR / MANIFEST)  # hashed by the search index, if any
            self.previous = parse_manifest(self.previous_bytes)
            self.old_pages = self.cache.pages if self.cache is not None else {}
            self.search = self.search and _can_index()
        return self

    def __exit__(self, kind, error, trace) -> None:
        if error is not None and self.indexing is not None:
            self.indexing.close()
        if error is not None and self.staging is not None:  # a failed or interrupted build leaves no staging folder
            remove_tree(self.staging)

    @contextmanager
    def _on_disk(self) -> Iterator[None]:
        """An ``OSError`` while writing is a clear ``BuildError``."""
        try:
            yield
        except OSError as error:
            raise _disk_problem(error, self.output) from error

    def save_session(self) -> bool:
        """Write the cache's parts made before rendering (the gather memo, the session, the stat map) now, into the
        staging folder, so that the caller may let go of them (the re-merger's tables are the largest part of a
        cold build's memory). After an edit (deltas only, no base), they wait instead: ``finish`` writes them
        while Pagefind indexes, on the core its run leaves idle, and the caller keeps them until then. False when
        nothing was written."""
        files = dict(self.cache.files()) if self.cache is not None else {}
        if not files.keys() & BASES:
            self.pending = files
            return False
        with self._on_disk():
            cache_dir = self._stage().staging / CACHE_DIR
            cache_dir.mkdir(exist_ok=True)
            self.saved = replace_files(cache_dir, files)
        return True

    def republish(self, site: str) -> dict[str, str] | None:
        """When the last build published the site stamped ``site`` and ``output/`` still holds each of its files
        as written (by size, as ``KeptPages`` checks pages): every file put as kept, and the pages' render keys
        returned; else None."""
        memo = self.cache.pages if self.cache is not None else {}
        record = read_site_record(self.output / CACHE_DIR)
        if not memo or record is None or record[0] != site or self.previous.keys() != memo.keys() | record[1].keys():
            return None
        kept = self.kept()
        if len(kept) != len(memo) or any(_size(self.output / rel) != size for rel, size in record[1].items()):
            return None
        for rel, digest in self.previous.items():
            self.manifest[rel], self.sizes[rel] = digest, memo[rel][2] if rel in memo else record[1][rel]
            self.carried.add(rel)
        return dict(kept)

    def kept(self) -> Mapping[str, str]:
        """Pages already in ``output/`` as the last build made them (see ``KeptPages``): path -> render key."""
        return KeptPages(self.output, self.cache.pages, self.previous) if self.cache is not None else {}

    def guess(self, rel: str, old: str, new: str) -> None:
        """An edit's page, likely the published one with ``old`` (found in it once) replaced by ``new``: its search
        shard is indexed on that guess from now on, and the guess checked when the page is put (see
        ``ShardIndexing.guess``)."""
        if not (self.search and self.previous.get(rel)):
            return
        try:
            published = (self.output / rel).read_bytes()
        except OSError:
            return
        before = old.encode("utf-8")
        if published.count(before) == 1:
            with self._on_disk():
                self._index().guess(self._stage().staging, rel, published.replace(before, new.encode("utf-8")))

    def expect(self, pages: Sequence[str]) -> None:
        """Pages an edit will likely write anew: their search shards' other pages are laid out for Pagefind now, while
        the graph is built (see ``ShardIndexing.prepare``)."""
        if self.search and pages and self.previous:
            with self._on_disk():
                self._index().prepare(self._stage().staging, pages)

    def bytecode_dir(self) -> Path | None:
        """The cache's folder of compiled templates. Without a cache in ``output/`` (a first build), one in the
        staging folder's cache, published with the site: nothing is written into ``output/`` before the build
        succeeds, and the next build loads the theme rather than compiling it again."""
        if (self.output / CACHE_DIR).is_dir():
            return self.output / CACHE_DIR / TEMPLATES_DIR
        with self._on_disk():
            cache_dir = self._stage().staging / CACHE_DIR
            cache_dir.mkdir(exist_ok=True)
        self.compiled = cache_dir / TEMPLATES_DIR
        return self.compiled

    def put(self, rel: str, data: bytes) -> None:
        if data is KEPT:
            self.manifest[rel], self.sizes[rel] = self.previous[rel], self.old_pages[rel][2]
            self.carried.add(rel)
            return
        self.manifest[rel], self.sizes[rel] = hashlib.sha256(data).hexdigest(), len(data)
        if self.previous.get(rel) == self.manifest[rel] and _size(self.output / rel) == len(data):  # a file changed by hand is written again
            self.carried.add(rel)
            return
        with self._on_disk():
            self._stage().put(rel, data)
            if self.search and rel.endswith(".html"):
                self._index().put(self._stage().staging, rel, data)
        self.written += 1

    def finish(self, page_keys: Mapping[str, str] | None = None, site: str | None = None) -> tuple[int, int]:
        """Complete the staged site and switch it in (or, when no file changed, only update the cache in place).
        ``page_keys`` (page path -> render key) is kept in the cache with each page's hash and size, so the next
        build knows which pages it need not render (see ``KeptPages``), and ``site`` (the site's stamp) with the
        other files' sizes, so that a build with the same stamp need not make the site at all (see ``republish``).
        Returns (written, deleted)."""
        manifest = dict(sorted(self.manifest.items()))
        pages = None if page_keys is None else {rel: (key, manifest[rel], self.sizes[rel]) for rel, key in page_keys.items() if rel in manifest}
        self.record = None if site is None or pages is None else (site, {rel: self.sizes[rel] for rel in manifest if rel not in pages})
        with self._on_disk():
            if self._unchanged(manifest):
                if self.indexing is not None:
                    self.indexing.close()
                self._save_in_place(manifest, pages)
                return 0, 0
            mirror = self._stage()
            listed = manifest_bytes(manifest)
            if self.search:  # Pagefind's runs go on while the rest of the site is staged
                self._index().start(mirror.staging, manifest, site_hash(listed), spare=mirror.known is not None)
            output = str(self.output) + os.sep
            for rel in self.carried:
                mirror.carry(rel, output + rel, manifest[rel])
            mirror.finish()
            staging = mirror.staging
            compiled = {f"{TEMPLATES_DIR}/{name}" for name in files_in(self.compiled)} if self.compiled else set()
            mirror_tree(self.output / CACHE_DIR, staging / CACHE_DIR, written=self.saved | self.pending.keys() | compiled)
            (staging / CACHE_DIR).mkdir(exist_ok=True)
            _save_cache(staging / CACHE_DIR, manifest, None, self._unsaved(), pages, self.old_pages, listed)
            save_site_record(staging / CACHE_DIR, self.record, None)
            with replaced_meanwhile(staging / CACHE_DIR, self.pending, then=self._let_go):
                if self.indexing is not None:
                    self.indexing.complete(staging)
                else:  # no index, not a stale one
                    forget_search(staging, CACHE_DIR)
            # The old site's files are what its manifest lists (walking 10,000 folders to count them costs ~0.3 s).
            old_files = self.previous.keys() if self.previous else set(files_in(self.output, KEEP)) - {MARKER}
            deleted = len(old_files - manifest.keys())
            switch_in(staging, self.output, self.exchange)
            _keep_spare(staging, self.output)  # the superseded site: where the next build starts from
        if self.cache is not None and pages is not None:
            self.cache.remember_pages(pages)
        return self.written, deleted

    def _let_go(self) -> None:
        """The pending files are written: what only they held goes while Pagefind's run still grows."""
        self.pending = {}
        give_back_memory()

    def _index(self) -> ShardIndexing:
        """The search index on its way (made when first needed: a build that changes no page reads nothing of it)."""
        if self.indexing is None:
            data = self.previous_bytes
            self.indexing = ShardIndexing(self.output, CACHE_DIR, Pages(self.previous, None if data is None else site_hash(data)))
        return self.indexing

    def _unsaved(self) -> ParseCache | None:
        """The cache, when its gathered parts are neither saved nor planned yet (``save_session`` was not called)."""
        return self.cache if not (self.saved or self.pending) else None

    def _stage(self) -> Mirror:
        if self._mirror is None:
            self.staging = claim_staging(self.output)
            self.staging.mkdir(exist_ok=True)
            remove_tree(self.staging / WORK_DIR)  # a killed build's pages for Pagefind (the mirror leaves that folder alone)
            self._mirror = Mirror(self.staging, leave_out=KEEP | {WORK_DIR}, known=_spare_files(self.staging))
            self._mirror.put(MARKER, MARKER_TEXT.encode("utf-8"))  # ours from now on: a killed build's is reused or removed
        return self._mirror

    def _unchanged(self, manifest: dict[str, str]) -> bool:
        """Whether the old output is already this site (with its marker and, if wanted, its search index)."""
        if self.written or len(self.carried) != len(manifest) or self.previous != manifest or not (self.output / MARKER).is_file():
            return False
        return not self.search or is_current(self.output, CACHE_DIR, manifest_bytes(manifest))

    def _save_in_place(self, manifest: dict[str, str], pages) -> None:
        """The cache files that changed, each replaced whole: every cache file is valid on its own. Those saved
        early move from the staging folder, which goes back to being the spare."""
        cache_dir = self.output / CACHE_DIR
        cache_dir.mkdir(exist_ok=True)
        if self.staging is not None:
            for name in self.saved:
                if (self.staging / CACHE_DIR / name).exists():
                    os.replace(self.staging / CACHE_DIR / name, cache_dir / name)
                else:  # removed by this build
                    (cache_dir / name).unlink(missing_ok=True)
            _keep_spare(self.staging, self.output)  # only its cache changed: its pages are still as stamped
        replace_files(cache_dir, self.pending)
        _save_cache(cache_dir, manifest, self.previous, self._unsaved(), pages, self.old_pages)
        save_site_record(cache_dir, self.record, read_site_record(cache_dir))
        if self.cache is not None and pages is not None:
            self.cache.remember_pages(pages)


def _keep_spare(superseded: Path, output: Path) -> None:
    """Keep a site just superseded (exactly as it was published) as the spare, stamped with its manifest's hash: the
    next build then knows its files without walking its ~10,000 folders, and changes only those that differ."""
    if keep_as_spare(superseded, output):
        spare = spare_folder(output)
        try:
            stamp = site_hash((spare / CACHE_DIR / MANIFEST).read_bytes())
        except OSError:
            return
        _replace(spare / SPARE_STAMP, stamp.encode("ascii"))


def _spare_files(staging: Path) -> dict[str, str] | None:
    """The files of a staging folder claimed from a spare stamped by ``_keep_spare`` (path -> sha256; the marker
    and the spare's ``.gitignore`` as unknown), or None when that is not known (no stamp: a killed build's staging
    folder, or a site digest made before stamps). The stamp goes first: once this build changes the folder, it no
    longer holds."""
    try:
        stamp = (staging / SPARE_STAMP).read_bytes().decode("ascii")
        (staging / SPARE_STAMP).unlink()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        data = (staging / CACHE_DIR / MANIFEST).read_bytes()
    except OSError:
        return None
    manifest = parse_manifest(data) if site_hash(data) == stamp else {}
    if not manifest:
        return None
    return {**{rel: digest for rel, digest in manifest.items() if isinstance(digest, str)}, MARKER: "", SPARE_IGNORE: ""}


def _save_cache(cache_dir: Path, manifest: dict[str, str], previous: dict[str, str] | None, cache: ParseCache | None,
                pages: dict[str, tuple[str, str, int]] | None, old_pages: Mapping[str, tuple[str, str, int]],
                listed: bytes | None = None) -> None:
    """The manifest (``listed``: its bytes, when made already) and page memo when they changed, and (``cache``: not
    saved early) the gathered parts."""
    if manifest != previous:
        _replace(cache_dir / MANIFEST, listed if listed is not None else manifest_bytes(manifest))
    if cache is not None:
        replace_files(cache_dir, cache.files())
    if pages is not None and pages != old_pages:
        _replace(cache_dir / PAGES_FILE, pickle.dumps(pages, protocol=pickle.HIGHEST_PROTOCOL))


DISK_HINTS = {
    errno.ENOSPC: "the disk is full: free some space, or build elsewhere with --output",
    errno.EDQUOT: "your disk quota is used up: free some space, or build elsewhere with --output",
    errno.EROFS: "that disk is read-only: build onto a writable one with --output (or output_dir in digest.yaml)",
    errno.EACCES: "you may not write there: make the folder (and the one holding it) writable, or choose another with --output",
    errno.EPERM: "you may not write there: make the folder (and the one holding it) writable, or choose another with --output",
}


def _disk_problem(exc: OSError, output: Path) -> BuildError:
    name = errno.errorcode.get(exc.errno or 0, "error")
    hint = DISK_HINTS.get(exc.errno or 0, "check that folder and its disk")
    return BuildError(f"cannot write the site: {exc.strerror or exc} ({name}); the previous output was left as it was",
                      str(exc.filename or output), hint=hint)


def _size(path: Path) -> int:
    try:
        info = os.stat(path)
    except OSError:
        return -1
    return info.st_size if stat.S_ISREG(info.st_mode) else -1


def _can_index() -> bool:
    """Whether Pagefind is installed (without it, a build has no search index rather than a stale one)."""
    try:
        import pagefind  # noqa: F401
    except ImportError:
        return False
    return True
