"""Load stage: the files of ``content/`` as decoded ``SourceDocument``s, plus what could not be read."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from digest.characters import FORBIDDEN, describe_removed, first_forbidden_line, strip_forbidden
from digest.errors import ContentError
from digest.models import Diagnostic, SourceDocument

READABLE_SUFFIXES = (".txt", ".md", ".markdown")
# Editor and OS droppings that are not documents and not worth a warning.
IGNORED_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini")


def find_documents(content_dir: Path) -> list[Path]:
    """Every candidate file below ``content_dir``, in a stable order. Hidden files and folders are skipped."""
    if not content_dir.exists():
        raise ContentError(
            "content folder not found", str(content_dir), hint="create it and put your .txt and .md documents in it, or set content_dir in digest.yaml"
        )
    if not content_dir.is_dir():
        raise ContentError("content path is not a folder", str(content_dir), hint="set content_dir in digest.yaml to a folder")
    found = []
    for dirpath, dirnames, filenames in os.walk(content_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith("~") or name in IGNORED_NAMES:
                continue
            found.append(Path(dirpath) / name)
    return found


@dataclass(frozen=True)
class ReadLimits:
    """What the load stage will open: regular files of at most ``max_bytes``, and links only to
    files inside ``site_root`` (the folder holding digest.yaml; the content folder when None)."""

    site_root: Path | None = None
    max_bytes: int = 5 * 1024 * 1024


def limits_for(config) -> ReadLimits:
    return ReadLimits(config.root, int(config.max_document_mb * 1024 * 1024))


def read_document(path: Path, content_dir: Path, limits: ReadLimits = ReadLimits()) -> tuple[SourceDocument | None, list[Diagnostic]]:
    """Read and decode one file. Returns no document (and says why) when it cannot be used."""
    real_rel = path.relative_to(content_dir).as_posix()
    rel = printable_name(real_rel)
    if path.suffix.lower() not in READABLE_SUFFIXES:
        return _skipped(path, None, f"unknown file type '{path.suffix or '(none)'}': skipped (digest reads {', '.join(READABLE_SUFFIXES)})")
    try:
        target, refused = _regular_file(path, (limits.site_root or content_dir, content_dir), limits.max_bytes)
        if refused:
            return _skipped(path, None, refused)
        raw, st = _read_regular(target, limits.max_bytes)
    except OSError as exc:
        return _skipped(path, None, f"cannot read the file: {exc.strerror or exc}: skipped")
    if raw is None:
        return _skipped(path, None, "the file changed into something that is not a regular file while it was read: skipped")
    if not raw.strip():
        return _skipped(path, 1, "the file is empty: skipped")
    if _looks_binary(raw[:8192]):
        return _skipped(path, None, "this is a binary file, not a text document: skipped")
    diagnostics = []
    if rel != real_rel:
        diagnostics.append(Diagnostic(_display(path), None, f"the file name is not UTF-8 text: read as '{rel}' (rename the file to silence this)"))
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        try:
            text, encoding = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            return _skipped(path, line, "the file is not UTF-8 text and not cp1252 either: skipped (save it as UTF-8)")
        diagnostics.append(Diagnostic(_display(path), line, "the file is not UTF-8; read it as cp1252 (Windows-1252). Save it as UTF-8 to silence this"))
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    stripped, removed = strip_forbidden(text)
    if removed:  # nearly never: the text is searched again only then, for the line to name
        diagnostics.append(Diagnostic(_display(path), first_forbidden_line(text), f"removed {describe_removed(removed)}"))
    text = stripped
    doc = SourceDocument(path=rel, text=text, sha256=hashlib.sha256(raw).hexdigest(), mtime=st.st_mtime, encoding=encoding)
    return doc, diagnostics


def _skipped(path: Path, line: int | None, why: str) -> tuple[None, list[Diagnostic]]:
    """No document, and why, under the path as the user typed it (worked out only then: ~15 us a file)."""
    return None, [Diagnostic(_display(path), line, why)]


def _regular_file(path: Path, inside: tuple[Path, ...], max_bytes: int) -> tuple[Path, str | None]:
    """The file to open for ``path`` (a link's target), or why it is not opened: a FIFO or a device
    would block or never end; a link out of the folders ``inside`` would publish what is not the site's."""
    st = os.lstat(path)
    target = path
    if stat.S_ISLNK(st.st_mode):
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):  # dangling, or a loop of links
            return path, "a link to nothing (its target is missing, or links lead round in a loop): skipped"
        if not any(target.is_relative_to(folder.resolve()) for folder in inside):
            return path, f"a link to {target}, outside the site folder: not followed, skipped"
        st = os.stat(target)
    if not stat.S_ISREG(st.st_mode):
        return path, f"not a regular file ({_file_kind(st.st_mode)}): skipped"
    if st.st_size > max_bytes:
        return path, (
            f"the file is {st.st_size / 1048576:.1f} MB, over the {max_bytes / 1048576:g} MB limit: skipped "
            "(set max_document_mb in digest.yaml to read larger documents)"
        )
    return target, None


def _read_regular(path: Path, max_bytes: int) -> tuple[bytes | None, os.stat_result]:
    """At most ``max_bytes`` of a regular file. Opened without blocking and without following a link,
    and checked again once open: what ``_regular_file`` saw may have been swapped since."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, st
        return handle.read(max_bytes), st


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    )
    return next((name for test, name in kinds if test(mode)), "not a file")


# Control characters other than tab, newline, form feed and carriage return: text has next to none.
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 12, 13)) + b"\x7f"
BINARY_CONTROL_SHARE = 0.05


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > BINARY_CONTROL_SHARE * len(head)


def load_documents(content_dir: Path, limits: ReadLimits = ReadLimits()) -> tuple[list[SourceDocument], list[Diagnostic]]:
    docs, diagnostics = [], []
    for path in find_documents(content_dir):
        doc, problems = read_document(path, content_dir, limits)
        diagnostics.extend(problems)
        if doc is not None:
            docs.append(doc)
    return docs, diagnostics


@dataclass(frozen=True)
class KnownDocument:
    """A file whose size and modification time are those of a version read before (its hash is known):
    not read again unless its text is needed (a parse-cache miss)."""

    path: str  # relative to the content folder, as SourceDocument.path
    sha256: str
    mtime: float

    def read(self, content_dir: Path, limits: ReadLimits = ReadLimits()) -> tuple[SourceDocument | None, list[Diagnostic]]:
        return read_document(content_dir / self.path, content_dir, limits)


def scan_documents(
    content_dir: Path, known: Mapping[str, tuple[int, int, str]], limits: ReadLimits = ReadLimits(),
    found: list[tuple[str, os.stat_result | None]] | None = None, on_read: Callable[[SourceDocument], None] | None = None,
) -> tuple[list[SourceDocument | KnownDocument], list[Diagnostic], dict[str, tuple[int, int, str]]]:
    """Like ``load_documents``, but a file whose (mtime_ns, size) is in ``known`` is not read: it comes back
    as a ``KnownDocument``. Also returns the stat map for the next scan: path -> (mtime_ns, size, sha256),
    for the documents that read cleanly (a file with a problem is read again, to report it again).
    ``found``: what ``walk_documents`` gave, if already asked; ``on_read`` is given each document read, as it is."""
    docs: list[SourceDocument | KnownDocument] = []
    diagnostics: list[Diagnostic] = []
    stats: dict[str, tuple[int, int, str]] = {}
    for rel, st in walk_documents(content_dir) if found is None else found:
        seen = known.get(rel)
        if st is not None and seen is not None and seen[0] == st.st_mtime_ns and seen[1] == st.st_size:
            docs.append(KnownDocument(rel, seen[2], st.st_mtime))
            stats[rel] = seen
            continue
        doc, problems = read_document(content_dir / rel, content_dir, limits)
        diagnostics.extend(problems)
        if doc is not None:
            docs.append(doc)
            if on_read is not None:
                on_read(doc)
            if st is not None and not problems:  # stat taken before the read: a later change shows
                stats[rel] = (st.st_mtime_ns, st.st_size, doc.sha256)
    return docs, diagnostics, stats


def walk_documents(content_dir: Path) -> list[tuple[str, os.stat_result | None]]:
    """(path relative to ``content_dir``, its stat) of every file ``find_documents`` finds, in its order,
    with plain strings and ``os.scandir`` (whose entries carry the stat on most systems)."""
    if not content_dir.is_dir():
        find_documents(content_dir)  # raises the usual error
    found: list[tuple[str, os.stat_result | None]] = []

    def visit(folder: str, prefix: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        subfolders = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not name.startswith(".") and not entry.is_symlink():  # as os.walk: links to folders are not followed
                    subfolders.append(entry)
                continue
            if name.startswith(".") or name.endswith("~") or name in IGNORED_NAMES:
                continue
            try:
                st = entry.stat()
            except OSError:
                st = None
            found.append((prefix + name, st))
        for entry in subfolders:
            visit(entry.path, f"{prefix}{entry.name}/")

    visit(str(content_dir), "")
    return found


def _display(path: Path) -> str:
    """A path as the user typed it: relative to the working folder when below it."""
    try:
        return printable_name(path.relative_to(Path.cwd()).as_posix())
    except ValueError:
        return printable_name(str(path))


def printable_name(name: str) -> str:
    """A file name as text a page, a feed or a terminal can show. Names are bytes on Linux and Python
    keeps bytes that are not UTF-8 as lone surrogates; they are read as cp1252, as file contents are."""
    raw = name.encode("utf-8", "surrogateescape")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", "replace")
    return FORBIDDEN.sub("\ufffd", text)
