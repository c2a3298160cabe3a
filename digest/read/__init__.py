"""Parse stage: one reader per kind of document, each a pure function of (document, config)."""

from __future__ import annotations

from types import MappingProxyType

from digest.settings.config import CaptureConfig
from digest.models import Diagnostic, ParsedDocument, SourceDocument
from digest.read.captured import read_captured
from digest.read.markdown import read_markdown

READERS = MappingProxyType({
    ".txt": read_captured,
    ".md": read_markdown,
    ".markdown": read_markdown,
})


def parse_document(doc: SourceDocument, capture: CaptureConfig) -> ParsedDocument:
    suffix = "." + doc.path.rsplit(".", 1)[-1].lower() if "." in doc.path else ""
    reader = READERS.get(suffix)
    if reader is None:
        return ParsedDocument(doc.path, (), (Diagnostic(doc.path, None, f"no reader for '{suffix}' files: skipped"),))
    return reader(doc, capture)
