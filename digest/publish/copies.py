"""What Pagefind reads of a page: whether it is marked for search, the part of it that can change the index, and a
lean copy to index instead of the page (see ``digest.publish.search``). Bytes in, bytes out, nothing else imported:
the process that lays out a shard for Pagefind (``digest.publish.layout``) starts with little more than this."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

_MARK = b"data-pagefind-body"
_IGNORE = b"data-pagefind-ignore"
_TAG_NAME = re.compile(rb"<([a-zA-Z][a-zA-Z0-9-]*)(?=[\s/>])")
_SPACE = frozenset(b" \t\n\r\f\v")
_WORD = frozenset(bytes([c]) for c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_HEAD_END = b"</head>"
_OTHER_ATTRIBUTE = re.compile(rb"data-pagefind-(?!ignore\b)")
_KEEPS_INDEX_DATA = re.compile(rb"data-pagefind-(?:filter|meta|sort)")
_VOID = frozenset(b"area base br col embed hr img input link meta source track wbr".split())


def is_marked(page: bytes) -> bool:
    """Whether a page has an element marked ``data-pagefind-body`` (the words in its text do not count)."""
    at = page.find(_MARK)
    while at >= 0:
        if page.rfind(b"<", 0, at) > page.rfind(b">", 0, at):
            return True
        at = page.find(_MARK, at + len(_MARK))
    return False


def indexed_part(page: bytes) -> bytes:
    """The page without its ``data-pagefind-ignore`` elements: what can change what Pagefind makes of it."""
    kept, at = [], 0
    for start, tag_end, name in _tags_marked(page, _IGNORE):
        if start < at:
            continue  # inside an element already left out
        end = _element_end(page, name, tag_end)
        if end is None or _KEEPS_INDEX_DATA.search(page, start, end):
            continue  # an element never closed is kept whole: a change in it must not go unseen
        kept.append(page[at:start])
        at = end
    kept.append(page[at:])
    return b"".join(kept)


def search_copy(page: bytes) -> bytes | None:
    """What Pagefind reads of a page, for it to index instead of the page: the head, and the one element marked
    ``data-pagefind-body`` without its ``data-pagefind-ignore`` parts (Pagefind makes the same files of it, for
    ~12 % less of its time). None when the page is not that plain (no head, not exactly one body element, another
    of Pagefind's attributes outside it): Pagefind is given the page itself."""
    if page.count(_MARK) != 1:
        return None
    found = next(_tags_marked(page, _MARK), None)
    head = page.find(_HEAD_END)
    if found is None or head < 0 or head > found[0]:
        return None
    start, tag_end, name = found
    end = _element_end(page, name, tag_end)
    head += len(_HEAD_END)
    if end is None or _OTHER_ATTRIBUTE.search(page, head, start) or _OTHER_ATTRIBUTE.search(page, end):
        return None
    return b"".join((page[:head], b"<body>", indexed_part(page[start:end]), b"</body></html>"))


def _tags_marked(page: bytes, attribute: bytes) -> Iterator[tuple[int, int, bytes]]:
    """Where each opening tag with ``attribute`` (as an attribute, not in text) starts and ends, and its name
    (lower case): what the pattern ``<name [^<>]*? attribute(end of word) [^<>]*>`` finds, ten times faster."""
    found = page.find(attribute)
    while found >= 0:
        after = found + len(attribute)
        opened = page.rfind(b"<", 0, found)
        if opened >= 0 and page.rfind(b">", opened, found) < 0 and page[found - 1] in _SPACE and page[after:after + 1] not in _WORD:
            name = _TAG_NAME.match(page, opened)
            close, reopened = page.find(b">", after), page.find(b"<", after)
            if name is not None and close >= 0 and not 0 <= reopened < close:
                yield opened, close + 1, name.group(1).lower()
                found = page.find(attribute, close + 1)
                continue
        found = page.find(attribute, after)


def _element_end(page: bytes, name: bytes, start: int) -> int | None:
    if name in _VOID:
        return start
    depth = 1
    for tag in _tags_named(name).finditer(page, start):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.end()
    return None


@functools.lru_cache(maxsize=64)
def _tags_named(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"<(/?)" + re.escape(name) + rb"(?=[\s/>])[^<>]*>", re.IGNORECASE)
