"""Captured pages (.txt): a headline, the lead article, site chrome, then "Related Articles".

PLACEHOLDER: being rewritten (see issue 2).
"""

from __future__ import annotations

from ..config import CaptureConfig
from ..models import Article, Diagnostic, ParsedDocument, SourceDocument


def read_captured(doc: SourceDocument, capture: CaptureConfig) -> ParsedDocument:
    lines = [l.strip() for l in doc.text.split("\n")]
    start = next((i for i, l in enumerate(lines) if l), None)
    if start is None:
        return ParsedDocument(doc.path, (), (Diagnostic(doc.path, 1, "no headline: skipped"),))
    body = []
    for line in lines[start + 1:]:
        if line in capture.chrome_lines:
            break
        if line:
            body.append(line)
    lead = Article(id=doc.path.rsplit(".", 1)[0], source=doc.path, line=start + 1, kind="lead", headline=lines[start], paragraphs=tuple(body))
    return ParsedDocument(doc.path, (lead,))
