"""Captured pages (``.txt``): a news page as saved from a news site or an aggregator.

The format, line by line::

    ---                                  optional metadata (YAML): captured, url, outlet, aggregator
    captured: 2025-07-28T18:30:00+08:00
    ---
    Pakistan urges global social media ...   the headline: the first non-blank line
    ISLAMABAD: Pakistan on Friday ...         the lead article, one paragraph per line
    ... - AP
    Hashtags                                  site chrome (``capture.chrome_lines``): ends the lead
    Try Our AI Features
    Related Articles                          ``capture.related_marker``: related articles follow
    The Star                                  each related article: its outlet,
    6 hours ago                               its age (``capture.relative_ages``),
    - The Star                                the outlet again,
    Sabah polls: PH has a delicate ...        the headline,
    KOTA KINABALU: It will be up to ...       and the body, flattened to one line

Each article's body is cleaned in the same order: photo captions (``— Bernama photo`` and
the sentence it captions), the byline (``By Nitya Chakraborty`` -> author), the dateline
(``KOTA KINABALU (July 28):`` -> place and date), the trailing credit (``- AP``,
``(IPA Service)`` -> credit), inline promotions (``ALSO READ: <headline>``) and a trailing
tag list. A body that came as one line is then set in paragraphs (``digest.read.text``).
Dates are worked out for the whole page at once (``digest.read.dates``).

Every pattern comes from ``capture:`` in ``digest.yaml`` and is compiled once per process.
The reader is one pass over the lines plus linear work per body.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from digest.models import Article, Diagnostic, ParsedDocument, SourceDocument
from digest.read.capture_rules import Rules, aggregator_of, match_age, rules_for
from digest.read.dates import Age, DayOfYear, build_day, days_holding, lede_day, parse_capture_time, parse_day, resolve_dates
from digest.read.front_matter import read_front_matter
from digest.read.text import SENTENCE_STARTERS, sentence_spans, split_paragraphs, starts_with_quote
from digest.settings.config import CaptureConfig
from digest.settings.patterns import PatternTooSlow

METADATA_KEYS = {"captured", "capture_time", "url", "outlet", "aggregator"}
HEADLINE_MAX_CHARS = 300  # a longer first line is article text: the headline is missing
# Words that end a name running on into the text of a one-line body ("By Nitya Chakraborty Prime Minister ...").
NOT_NAME_WORDS = SENTENCE_STARTERS | {
    "Prime", "Minister", "President", "Chief", "Deputy", "Foreign", "Former", "Senior", "Secretary", "General",
    "Governor", "Senator", "Police", "Army", "State", "Federal", "Opposition", "Leader", "Monday", "Tuesday",
    "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
}
# Words a Title Case headline leaves in lower case.
SMALL_WORDS = {"a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "at", "by", "with", "vs", "as", "but", "from", "into", "over"}
PROMO_HEADLINE_MAX_WORDS = 40
CHROME_LINE_MAX_WORDS = 6  # a longer last line of a lead is text, even without a full stop
_WORD = re.compile(r"\S+")
_TERMINAL = tuple(".!?…\"'”’)")


# ---------------------------------------------------------------- the page


@dataclass
class Draft:
    """An article while it is being read: the raw parts, then what cleaning recovered."""

    kind: str
    line: int
    headline: str
    paragraphs: list[str]
    one_line: bool = False
    outlet: str | None = None
    age: Age | None = None
    author: str | None = None
    credit: str | None = None
    photo_credit: str | None = None
    place: str | None = None
    day: DayOfYear | None = None
    removed: list[str] = field(default_factory=list)
    tags: tuple[str, ...] = ()


def read_captured(doc: SourceDocument, capture: CaptureConfig, today: dt.date | None = None) -> ParsedDocument:
    """The articles of one captured page. ``today``, the build's day (``build_day()`` when not given), dates a
    weekday-only dateline on a page without a capture time; the result says on which days it holds."""
    rules = rules_for(capture)
    header = read_front_matter(doc, ("url", "outlet", "aggregator"))
    diagnostics: list[Diagnostic] = []
    for header_problem in header.diagnostics:  # a broken header loses only the metadata, never the page
        diagnostics.append(Diagnostic(header_problem.path, header_problem.line, header_problem.message.replace(": skipped", ": the page is read without it")))
    meta = header.meta if header.meta is not None else {}
    body, first_line = header.body, header.body_line
    for key in meta:
        if key not in METADATA_KEYS:
            diagnostics.append(Diagnostic(doc.path, header.line(key), f"unknown header key '{key}' is ignored (known: {', '.join(sorted(METADATA_KEYS))})"))

    lines = [line.strip() for line in body.split("\n")]
    offset = first_line  # line number of lines[0]
    start = next((i for i, line in enumerate(lines) if line), None)
    if start is None:
        return ParsedDocument(doc.path, (), (*diagnostics, Diagnostic(doc.path, offset, "no headline: the page has no text: skipped")))
    headline = lines[start]
    if headline in rules.chrome or headline == rules.related_marker:
        problem = f"no headline: the page starts with site chrome ('{headline}'): skipped (the article was not captured?)"
        return ParsedDocument(doc.path, (), (*diagnostics, Diagnostic(doc.path, offset + start, problem)))
    if len(headline) > HEADLINE_MAX_CHARS:
        problem = f"no headline: the first line is {len(headline)} characters of text, not a headline: skipped (put the headline on a line of its own)"
        return ParsedDocument(doc.path, (), (*diagnostics, Diagnostic(doc.path, offset + start, problem)))

    chrome_at = next((i for i in range(start + 1, len(lines)) if lines[i] in rules.chrome or lines[i] == rules.related_marker), len(lines))
    related_at = next((i for i in range(chrome_at, len(lines)) if lines[i] == rules.related_marker), len(lines))
    chrome = lines[chrome_at:related_at]
    aggregator = header.text("aggregator", diagnostics) or aggregator_of(chrome, rules)
    lead = Draft("lead", offset + start, headline, [line for line in lines[start + 1:chrome_at] if line],
                 outlet=header.text("outlet", diagnostics), tags=_hashtags(chrome))
    _drop_trailing_chrome(lead)
    drafts = [lead, *_related(lines, related_at + 1, offset, rules)]

    articles_ok, numbers = [], []
    too_slow = None
    for number, draft in enumerate(drafts):
        try:
            if too_slow is None:
                _clean(draft, rules, diagnostics, doc.path)
        except PatternTooSlow as slow:  # the rest of the page is left as captured: a slow pattern stays slow
            too_slow = slow.pattern
            diagnostics.append(Diagnostic(doc.path, draft.line, f"capture pattern {too_slow!r} ran over {slow.seconds} s and was stopped: "
                                                                "this page's articles are kept as captured (simplify the pattern in digest.yaml)"))
        if draft.paragraphs:
            articles_ok.append(draft)
            numbers.append(number)
        elif draft is lead:
            diagnostics.append(Diagnostic(doc.path, draft.line, "no article text under the headline: the lead article is skipped"))
        else:
            diagnostics.append(Diagnostic(doc.path, draft.line, f"related article '{draft.headline}' has no text: skipped"))

    given = meta.get("captured") or meta.get("capture_time")
    capture_time = parse_capture_time(given if given is not None else capture.capture_time)
    if given and capture_time is None:
        where = header.line("captured") or header.line("capture_time")
        diagnostics.append(Diagnostic(doc.path, where, f"the capture time {given!r} is not an ISO 8601 time (2025-07-28T18:30:00+08:00): ignored"))
    today = today or build_day()
    days = [d.day for d in articles_ok]
    dates = resolve_dates(days, [d.age for d in articles_ok], capture_time, today,
                          lead=0 if articles_ok and articles_ok[0] is lead else None, saved=_saved_time(doc))

    stem = doc.path.rsplit(".", 1)[0]
    url = header.url("url", diagnostics)
    articles = []
    for draft, number, date in zip(articles_ok, numbers, dates):
        articles.append(Article(
            id=stem if draft is lead else f"{stem}#{number}",
            source=doc.path,
            line=draft.line,
            kind=draft.kind,
            headline=draft.headline,
            paragraphs=tuple(draft.paragraphs),
            outlet=draft.outlet,
            author=draft.author,
            credit=draft.credit,
            photo_credit=draft.photo_credit,
            dateline=draft.place,
            date=date,
            url=url if draft is lead else None,
            aggregator=aggregator,
            tags=draft.tags,
            meta={"removed": tuple(draft.removed)} if draft.removed else {},
        ))
    return ParsedDocument(doc.path, tuple(articles), tuple(diagnostics), days_holding(days, capture_time, today))


def _saved_time(doc: SourceDocument) -> dt.datetime | None:
    """When the file was saved (UTC, as Markdown notes are dated): a page's last-resort capture time."""
    try:
        return dt.datetime.fromtimestamp(doc.mtime, dt.UTC).replace(tzinfo=None) if doc.mtime else None
    except (OverflowError, OSError, ValueError):  # a file dated beyond what a datetime can hold
        return None


def _related(lines: list[str], begin: int, offset: int, rules: Rules) -> Iterator[Draft]:
    """The related articles after the marker.

    Each starts after a blank line or at an outlet line followed by an age line, and reads
    ``outlet / age / - outlet / headline / body``; any of the first three may be missing.
    """
    ages: dict[int, Age] = {}
    starts: list[int] = []
    for i in range(begin, len(lines)):
        if not lines[i]:
            continue
        age = match_age(lines[i + 1], rules) if i + 1 < len(lines) and lines[i + 1] else None
        if age is not None:
            ages[i] = age
        if age is not None or i == begin or not lines[i - 1]:
            if not starts or starts[-1] != i - 1 or (i - 1) not in ages:
                starts.append(i)
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        first = start + 2 if start in ages else start
        rest = [lines[j] for j in range(first, end) if lines[j]]
        outlet = lines[start] if start in ages else None
        if rest and rest[0].startswith(("- ", "– ", "— ")):
            outlet = outlet or rest[0][2:].strip()
            rest = rest[1:]
        headline = rest[0] if rest else (outlet or lines[start])
        body = rest[1:]
        yield Draft("related", offset + start, headline, body, one_line=len(body) == 1, outlet=outlet, age=ages.get(start))


def _drop_trailing_chrome(draft: Draft) -> None:
    """Drop the short unpunctuated lines closing a lead ("Share", "Most Read", "Follow us"): the chrome of a
    site that ``capture.chrome_lines`` does not know. A credit line (``- AP``, ``(PTI)``) is not chrome."""
    while len(draft.paragraphs) > 1:
        last = draft.paragraphs[-1]
        if len(last.split()) > CHROME_LINE_MAX_WORDS or last.rstrip().endswith(_TERMINAL) or last.startswith(("-", "(", "—", "–", "#")):
            return
        draft.removed.append(draft.paragraphs.pop())


def _hashtags(chrome: list[str]) -> tuple[str, ...]:
    tags = [word.lstrip("#") for line in chrome if line.startswith("#") for word in line.split() if len(word) > 1 and word.startswith("#")]
    return tuple(dict.fromkeys(tags))


# ---------------------------------------------------------------- cleaning one body


def _clean(draft: Draft, rules: Rules, diagnostics: list[Diagnostic], path: str) -> None:
    paragraphs = [_remove_captions(p, draft, rules) for p in draft.paragraphs]
    paragraphs = [p for p in paragraphs if p]
    if paragraphs:
        paragraphs[0] = _take_byline(paragraphs[0], draft, rules)
    paragraphs = [p for p in paragraphs if p]
    if paragraphs:
        paragraphs[0] = _take_dateline(paragraphs[0], draft, rules)
        paragraphs[-1] = _take_credit(paragraphs[-1], draft, rules)
    cleaned = []
    for text in paragraphs:
        text, unsure = _remove_promos(text, draft, rules)
        if unsure:
            diagnostics.append(Diagnostic(path, draft.line, f"in '{draft.headline}': could not tell where the promoted headline ends; removed '{unsure}'"))
        if text:
            cleaned.append(text)
    if cleaned:
        cleaned[-1] = _drop_trailing_tags(cleaned[-1], draft, rules)
    cleaned = [p for p in cleaned if p]
    if draft.one_line and cleaned:
        cleaned = split_paragraphs(" ".join(cleaned))
    draft.paragraphs = cleaned


def _remove_captions(text: str, draft: Draft, rules: Rules) -> str:
    """Drop ``<caption sentence> — Bernama photo``: the credit and the one sentence before it."""
    for pattern in rules.captions:
        pieces, position = [], 0
        for match in pattern.finditer(text):
            if match.start() < position:
                continue
            window_start = max(position, match.start() - 600)
            before = text[window_start:match.start()]
            spans = sentence_spans(before)
            caption_start = window_start + spans[-1][0] if spans else match.start()
            pieces.append(text[position:caption_start])
            draft.removed.append(text[caption_start:match.end()].strip())
            credit = match.groupdict().get("credit")
            draft.photo_credit = draft.photo_credit or (credit.strip() if credit else None)
            position = match.end()
        if pieces:
            text = " ".join("".join(pieces + [text[position:]]).split())
    return text


def _take_byline(text: str, draft: Draft, rules: Rules) -> str:
    for pattern in rules.bylines:
        match = pattern.match(text)
        if not match or not match.groupdict().get("author"):
            continue
        words = []
        for word in _WORD.finditer(text, match.start("author"), match.end("author")):
            bare = word.group().strip(".,'’")
            if bare in NOT_NAME_WORDS or (bare.isupper() and len(bare) > 1):
                break
            words.append(word)
        if len(words) < 2:  # "By Tuesday, the ..." is a sentence, not a byline
            continue
        draft.author = text[words[0].start():words[-1].end()].rstrip(",")
        end = match.end() if words[-1].end() == match.end("author") else words[-1].end()
        return text[end:].lstrip(" ,|")
    return text


def _take_dateline(text: str, draft: Draft, rules: Rules) -> str:
    for pattern in rules.datelines:
        match = pattern.match(text)
        if not match:
            continue
        draft.place = match["place"].strip()
        date_text = match.groupdict().get("date")
        rest = text[match.end():]
        draft.day = parse_day(date_text) if date_text else None
        if draft.day is None:
            spans = sentence_spans(rest[:1000])
            if spans:
                draft.day = lede_day(rest[spans[0][0]:spans[0][1]])
        return rest
    return text


def _take_credit(text: str, draft: Draft, rules: Rules) -> str:
    for pattern in rules.credits:
        match = pattern.search(text)
        if match and match.groupdict().get("credit"):
            draft.credit = match["credit"].strip()
            return text[:match.start()].rstrip()
    return text


def _remove_promos(text: str, draft: Draft, rules: Rules) -> tuple[str, str | None]:
    """Remove ``ALSO READ: <headline>`` and the headline it promotes; say what was cut blindly."""
    unsure = None
    for pattern in rules.promos:
        pieces, position = [], 0
        for match in pattern.finditer(text):
            if match.start() < position:
                continue
            end, sure = _headline_end(text, match.end())
            pieces.append(text[position:match.start()])
            draft.removed.append(text[match.start():end].strip())
            if not sure:
                unsure = text[match.start():end].strip()
            position = end
        if pieces:
            text = " ".join("".join(pieces + [text[position:]]).split())
    return text, unsure


def _headline_end(text: str, start: int) -> tuple[int, bool]:
    """Where the promoted headline after ``start`` ends: the start of the next sentence.

    Headlines carry no full stop, so the next sentence begins at the first word (from the
    third on) that opens with a quotation mark, follows sentence punctuation, or is a word
    that opens sentences far more often than it sits in a headline ("They", "His"). A
    Title Case headline ends where lower case begins, at the last such word before it.
    Returns (position, sure); when nothing tells, the cut is made at the end of the sentence.
    """
    words = []
    for match in _WORD.finditer(text, start):
        words.append(match)
        if len(words) > PROMO_HEADLINE_MAX_WORDS:
            break
    if not words:
        return len(text), True
    leading = [w.group().strip("\"'“”‘’:,") for w in words[:5]]
    title_case = len(leading) >= 4 and all(w[:1].isupper() or w.lower() in SMALL_WORDS or not w[:1].isalpha() for w in leading)
    last_starter = None
    for k, match in enumerate(words):
        word = match.group()
        bare = word.lstrip("\"'“‘(").rstrip(".,;:!?\"'”’)")
        if title_case and k >= 2 and word[:1].islower() and bare.lower() not in SMALL_WORDS:
            if last_starter is not None:
                return words[last_starter].start(), True
            return words[k - 1].start(), True
        if k < 2 or words[k - 1].group().endswith((":", ",", ";", "-", "–", "—")):
            continue
        previous_ends = words[k - 1].group().rstrip("\"'”’)").endswith((".", "!", "?"))
        opens = starts_with_quote(word) or (previous_ends and bare[:1].isupper()) or bare in SENTENCE_STARTERS
        if opens and not title_case:
            return match.start(), True
        if opens and title_case and bare in SENTENCE_STARTERS:
            last_starter = k
    if len(words) <= PROMO_HEADLINE_MAX_WORDS:
        tail = text[start:]
        if not any(mark in tail for mark in ".!?") or len(sentence_spans(tail)) <= 1:
            return len(text), True  # the promo closes the body ("Read more: Could rivalry overshadow election?")
    spans = sentence_spans(text[start:start + 2000])
    return (start + spans[0][1] if spans else len(text)), False


def _drop_trailing_tags(text: str, draft: Draft, rules: Rules) -> str:
    """Drop a last "sentence" that is a short run of words without punctuation: a tag list."""
    if rules.tag_words <= 0:
        return text
    tail_start = max(0, len(text) - 400)
    spans = sentence_spans(text[tail_start:])
    if len(spans) < 2 and tail_start == 0:
        return text
    last = text[tail_start + spans[-1][0]:] if spans else ""
    if last and not last.endswith(_TERMINAL) and len(last.split()) <= rules.tag_words:
        draft.removed.append(last)
        return text[:tail_start + spans[-1][0]].rstrip()
    return text
