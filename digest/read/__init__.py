"""Parse stage: one reader per kind of document, each a pure function of (document, config)."""

from __future__ import annotations

from digest.settings.config import CaptureConfig
from digest.models import Diagnostic, ParsedDocument, SourceDocument
from digest.read.captured import read_captured
from digest.read.markdown import read_markdown
from digest.settings.patterns import MATCH_SECONDS, PatternTooSlow

READERS = {
    ".txt": read_captured,
    ".md": read_markdown,
    ".markdown": read_markdown,
}


def parse_document(doc: SourceDocument, capture: CaptureConfig) -> ParsedDocument:
    suffix = "." + doc.path.rsplit(".", 1)[-1].lower() if "." in doc.path else ""
    reader = READERS.get(suffix)
    if reader is None:
        return ParsedDocument(doc.path, (), (Diagnostic(doc.path, None, f"no reader for '{suffix}' files: skipped"),))
    try:
        return reader(doc, capture)
    except PatternTooSlow as slow:  # in a step that cannot go on without the pattern (splitting the page)
        return ParsedDocument(doc.path, (), (Diagnostic(doc.path, None, f"capture pattern {slow.pattern!r} ran over {MATCH_SECONDS} s and was stopped: skipped (simplify the pattern in digest.yaml)"),))
