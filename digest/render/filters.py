"""The default theme: where its templates live, and the filters and helpers every template can use.

The templates are at the repository root (``templates/``) in a checkout and inside the
package (``digest/theme/``) when installed from a wheel.
"""

from __future__ import annotations

import datetime as dt
import json
from json.encoder import encode_basestring as _encode_string
from pathlib import Path
from types import MappingProxyType
from typing import Any

from markupsafe import Markup, escape

from digest.models import ArticleDate, DateSource
from digest.render.escaping import escape_output
from digest.wording import clip, describe_evidence, join_words, label, source_name, teaser

_PACKAGE = Path(__file__).parent.parent  # digest/


def default_theme_dir() -> Path:
    packaged = _PACKAGE / "theme"
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / "templates"  # editable install / source checkout


def format_date(value, fmt: str = "%-d %B %Y") -> str:
    """Format an ArticleDate, date or datetime; empty for None."""
    if value is None:
        return ""
    if isinstance(value, ArticleDate):
        value = value.day
    return value.strftime(fmt)


# What a reader is told a date rests on, where the page does not simply state it (the title attribute says more).
_DATE_NOTES = MappingProxyType({
    DateSource.RELATIVE_AGE: "captured page: '{quote}'",
    DateSource.RELATIVE_AGE_PAGE: "captured page: '{quote}'",
    DateSource.RELATIVE_AGE_FILE: "captured page: '{quote}'",
    DateSource.CAPTURE_TIME: "date of capture",
    DateSource.FILE_MTIME: "date of the file",
})


def date_note(date: ArticleDate | None) -> str:
    """A short provenance note for a date worked out from the page's age or capture ("captured page: '3 hours ago'"),
    empty for a date the page or the editor states."""
    if date is None or date.source not in _DATE_NOTES:
        return ""
    if "{quote}" in _DATE_NOTES[date.source] and not date.quote:
        return "captured page's relative age"
    return _DATE_NOTES[date.source].format(quote=date.quote)


def when_html(date: ArticleDate | None, undated: Any = "date unknown", note: bool = True, fmt: str = "%-d %B %Y") -> Markup:
    """The default theme's ``when`` (``_macros.html`` exports it under that name): a date as a ``<time>`` element
    ("about" before an approximate one) with what it rests on in brackets unless ``note`` is false, ``undated`` for
    none. The very HTML of the macro it replaces, for a tenth of a macro call's cost: a site of 10,000 articles
    calls it ~110,000 times."""
    if not date:
        return Markup(escape_output(undated))
    html = (f'<time datetime="{escape_output(date.isoformat())}" title="{escape_output(date.label)}">'
            f'{"about " if date.approximate else ""}{escape_output(format_date(date, fmt))}</time>')
    why = date_note(date)
    if note and why:
        html += f' <span class="provenance">({escape_output(why)})</span>'
    return Markup(html)


def date_range(start: dt.date | None, end: dt.date | None) -> str:
    """"25–28 July 2025", "30 June – 2 July 2025", "28 July 2025"."""
    if start is None or end is None:
        return ""
    if start == end:
        return format_date(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{format_date(end)}"
    if start.year == end.year:
        return f"{format_date(start, '%-d %B')} – {format_date(end)}"
    return f"{format_date(start)} – {format_date(end)}"


def to_json_ld(value: Any) -> Markup:
    """JSON for a <script type="application/ld+json">: '<' escaped so text can never close the script."""
    text = "".join(_indented_json(value, "\n", []))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _indented_json(value: Any, newline: str, out: list[str]) -> list[str]:
    """What ``json.dumps(value, ensure_ascii=False, indent=1)`` writes, in pieces appended to ``out``. With an
    indent, ``json`` encodes in Python, value by value; here each string is encoded by its C encoder (one story
    page's JSON-LD in a third of the time)."""
    kind = type(value)
    if kind is str:
        out.append(_encode_string(value))
    elif kind is dict and value and all(type(key) is str for key in value):
        inner, separator = newline + " ", "{"
        for key, item in value.items():
            out.append(separator + inner + _encode_string(key) + ": ")
            _indented_json(item, inner, out)
            separator = ","
        out.append(newline + "}")
    elif kind is list and value:
        inner, separator = newline + " ", "["
        for item in value:
            out.append(separator + inner)
            _indented_json(item, inner, out)
            separator = ","
        out.append(newline + "]")
    else:  # numbers, true/false/null, empty containers and anything unusual: as json writes them
        out.append(json.dumps(value, ensure_ascii=False, indent=1).replace("\n", newline))
    return out


def news_article(item, canonical: str | None, site, section: str) -> dict[str, Any]:
    """schema.org NewsArticle for a story page."""
    story, filing = item.story, item.classification
    kinds = {"person": "Person", "organisation": "Organization", "organization": "Organization", "place": "Place"}
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title if len(story.title) <= 110 else story.title[:109] + "…",
        "description": teaser(story) or story.title,
        "url": canonical,
        "mainEntityOfPage": canonical,
        "inLanguage": site.language,
        "articleSection": section,
        "author": [{"@type": "Organization", "name": name} for name in story.outlets]
                  + [{"@type": "Person", "name": name} for name in story.authors],
        "publisher": {"@type": "Organization", "name": site.author or site.title},
        "about": [{"@type": kinds.get(ref.kind, "Thing"), "name": ref.name} for ref in filing.entities],
        "isBasedOn": [a.url for a in story.articles if a.url],
    }
    if story.date:
        data["datePublished"] = story.date.value.isoformat()
        data["dateModified"] = (story.latest or story.date).value.isoformat()
    if filing.countries:
        data["contentLocation"] = [{"@type": "Place", "name": name} for name in filing.countries]
    return {key: value for key, value in data.items() if value not in (None, [], "")}


def source_names(story) -> list[str]:
    """Who reported a story, one name per source: the outlet, else the agency credited, else the aggregator."""
    return list(dict.fromkeys(source_name(article) for article in story.articles))


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


TEMPLATE_FILTERS = MappingProxyType({
    "datefmt": format_date,
    "json_ld": to_json_ld,
    "label": label,
    "evidence_words": describe_evidence,
    "join_words": join_words,
    "clip": clip,
    "date_note": date_note,
})

PAGER_WINDOW = 2  # numbered links each side of the current page


_GAP = '    <li class="gap">…</li>\n'


def pager_links(pager, url) -> Markup:
    """The numbered links of a list's pager, as the default theme's ``base.html`` writes them: ``site.pager_links(
    page.pager, url)`` in a template. A page links the first and the last page of its list and the ``PAGER_WINDOW``
    pages each side of its own (its own number unlinked), an ellipsis where numbers are left out (never for just
    one: that number is shown instead): a page of a list of any length has at most nine numbers, as Hugo's and
    most news sites' pagers do. Linking every page of a list from each of them made a list's pages grow with its
    length, and the list's bytes with its square (585 kB a section page at 100,000 articles)."""
    parts: list[str] = []
    last = 0
    for n in shown_pages(pager.number, pager.count):
        if n > last + 1:
            parts.append(_GAP)
        if n == pager.number:
            parts.append(f'    <li><span aria-current="page">{n}</span></li>\n')
        else:
            parts.append(f'    <li><a href="{escape(url(pager.paths[n - 1]))}">{n}<span class="visually-hidden"> (page {n})</span></a></li>\n')
        last = n
    return Markup("".join(parts))


def shown_pages(number: int, count: int) -> list[int]:
    """The page numbers a pager shows on page ``number`` of ``count``: the first, the last, and the window around
    ``number``, a single left-out number between them filled in (an ellipsis would hide no more than it)."""
    shown = sorted({1, count, *range(max(1, number - PAGER_WINDOW), min(count, number + PAGER_WINDOW) + 1)})
    filled: list[int] = []
    for n in shown:
        if filled and n == filled[-1] + 2:
            filled.append(n - 1)
        filled.append(n)
    return filled


TEMPLATE_GLOBALS = MappingProxyType({
    "when_html": when_html,
    "date_range": date_range,
    "plural": plural,
    "teaser": teaser,
    "source_name": source_name,
    "source_names": source_names,
    "news_article": news_article,
})
