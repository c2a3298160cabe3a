"""Load stage: the files of ``content/`` as decoded ``SourceDocument``s, plus what could not be read."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .errors import ContentError
from .models import Diagnostic, SourceDocument

READABLE_SUFFIXES = (".txt", ".md", ".markdown")
# Editor and OS droppings that are not documents and not worth a warning.
IGNORED_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini")


def find_documents(content_dir: Path) -> list[Path]:
    """Every candidate file below ``content_dir``, in a stable order. Hidden files and folders are skipped."""
    if not content_dir.exists():
        raise ContentError("content folder not found", str(content_dir), hint="create it and put your .txt and .md documents in it, or set content_dir in digest.yaml")
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


def read_document(path: Path, content_dir: Path) -> tuple[SourceDocument | None, list[Diagnostic]]:
    """Read and decode one file. Returns no document (and says why) when it cannot be used."""
    rel = path.relative_to(content_dir).as_posix()
    display = _display(path)
    if path.suffix.lower() not in READABLE_SUFFIXES:
        return None, [Diagnostic(display, None, f"unknown file type '{path.suffix or '(none)'}': skipped (digest reads {', '.join(READABLE_SUFFIXES)})")]
    try:
        raw = path.read_bytes()
        mtime = path.stat().st_mtime
    except OSError as exc:
        return None, [Diagnostic(display, None, f"cannot read the file: {exc.strerror or exc}: skipped")]
    if not raw.strip():
        return None, [Diagnostic(display, 1, "the file is empty: skipped")]
    if _looks_binary(raw[:8192]):
        return None, [Diagnostic(display, None, "this is a binary file, not a text document: skipped")]
    diagnostics = []
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        try:
            text, encoding = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            return None, [Diagnostic(display, line, "the file is not UTF-8 text and not cp1252 either: skipped (save it as UTF-8)")]
        diagnostics.append(Diagnostic(display, line, "the file is not UTF-8; read it as cp1252 (Windows-1252). Save it as UTF-8 to silence this"))
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    doc = SourceDocument(path=rel, text=text, sha256=hashlib.sha256(raw).hexdigest(), mtime=mtime, encoding=encoding)
    return doc, diagnostics


# Control characters other than tab, newline, form feed and carriage return: text has next to none.
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 12, 13)) + b"\x7f"
BINARY_CONTROL_SHARE = 0.05


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > BINARY_CONTROL_SHARE * len(head)


def load_documents(content_dir: Path) -> tuple[list[SourceDocument], list[Diagnostic]]:
    docs, diagnostics = [], []
    for path in find_documents(content_dir):
        doc, problems = read_document(path, content_dir)
        diagnostics.extend(problems)
        if doc is not None:
            docs.append(doc)
    return docs, diagnostics


def _display(path: Path) -> str:
    """A path as the user typed it: relative to the working folder when below it."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
