"""Threads: the stories of one running event, told over several days, linked in date order.

An attack, then its death toll, the raid, the inquiry: the merge keeps these apart (each day's news is its own
story, with its own versions), and a thread links them so that a reader follows the event, not only the day.

Two stories are linked when they are dated at most ``window_days`` apart, filed under the same region and a
theme in common, happen in the same place (a shared place, or the same main country), and are alike: the cosine
of their TF-IDF vectors of names and of headline and lead words reaches ``threshold`` (below what a merge asks:
the raid is not the attack, but it names the attack's place, people and words). Candidate pairs come from an
inverted index of those names and words, each shared by at most ``max_shared`` stories, each story paired with
its ``NEIGHBOURS`` nearest in time: the work grows with the number of stories, never with its square.
A thread is a group of linked stories, joined best link first; a thread of one story is none.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from digest.models import ClassifiedStory, Story
from digest.settings.threads import ThreadsConfig
from digest.site.model import Context, Crumb, Page
from digest.site.stories import story_dates
from digest.stories.tokens import STOP_WORDS, names
from digest.wording import clip, teaser

NEIGHBOURS = 8  # within one shared name or word, each story is paired with this many nearest in time
LEAD_WORDS = 80  # of a story's summary: where a report says what happened
HEADLINE_WEIGHT = 2.0  # a headline word counts twice: it names the event
NAME_WEIGHT = 2.0  # so does a person, organisation or place the story names
LINKAGE = 0.75  # of the threshold: how alike, on average, two groups' stories must be to join (see _grouped)
AROUND = 3  # stories shown before and after the current one in a story page's thread box
_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]")
_SENTENCE_END = re.compile(r"[.!?][\"”’']?(?=\s+[\"“‘']?[A-Z0-9])")
_SUFFIXES = ("ings", "ing", "ers", "er", "ed", "es", "s")  # "bombing", "bombers", "bombs" -> "bomb"


@dataclass(frozen=True)
class Thread:
    """One running event: its stories, oldest first. ``slug`` is its first story's: it stays as the event goes on."""

    slug: str
    title: str  # the event's name: its place and the word its headlines share, "Quetta bombing"
    stories: tuple[ClassifiedStory, ...]

    @property
    def path(self) -> str:
        return thread_path(self.slug)

    @property
    def first(self) -> dt.date:
        return story_dates(self.stories[0].story)[0].day

    @property
    def last(self) -> dt.date:
        """The day of its latest report (a thread holds dated stories only)."""
        return max((latest or earliest).day for earliest, latest in (story_dates(item.story) for item in self.stories))

    def around(self, slug: str, reach: int = AROUND) -> tuple[tuple[int, ClassifiedStory], ...]:
        """(number from 1, story) of the stories near ``slug``'s in the thread, and the first and last ones."""
        here = next((n for n, item in enumerate(self.stories) if item.slug == slug), 0)
        keep = {0, len(self.stories) - 1} | set(range(max(0, here - reach), min(len(self.stories), here + reach + 1)))
        return tuple((n + 1, self.stories[n]) for n in sorted(keep))


def thread_path(slug: str) -> str:
    return f"threads/{slug}/index.html"


def standfirst(story: Story) -> str:
    """The story's first sentence: a timeline entry says what happened that day, once."""
    text = teaser(story)
    end = _SENTENCE_END.search(text)
    return clip(text[:end.end()] if end else text, 240)


def thread_values(thread: Thread, **_) -> dict[str, Any]:
    """What a thread page shows that follows from its stories: worked out when the page is rendered."""
    entries = tuple((item, story_dates(item.story)[0], item.story.outlets, standfirst(item.story)) for item in thread.stories)
    outlets = tuple(dict.fromkeys(outlet for item in thread.stories for outlet in item.story.outlets))
    return {"entries": entries, "outlets": outlets}


# ---------------------------------------------------------------- finding threads


@dataclass(frozen=True)
class _Facts:
    """What linking needs to know of one story."""

    day: int  # ordinal of its earliest date
    region: str | None
    theme: str | None  # its primary theme
    places: frozenset[str]  # slugs of the places it names
    who: frozenset[str]  # the people, organisations and other names it names ("@slug", "#phrase"), not places
    country: str | None  # its main country
    terms: Mapping[str, float]  # names ("@slug", "#phrase") and word stems, weighted
    keys: frozenset[str]  # what proposes pairs: its names and its headline's words (not its lead's: too many)


class ThreadMemo:
    """What the last ``find`` worked out, for the caller to keep between builds (the preview finds threads after
    every save): each story's terms by story object, and the threads of the very same stories and settings."""

    def __init__(self) -> None:
        self.terms: dict[int, tuple[ClassifiedStory, _Facts]] = {}
        self.stories: tuple[ClassifiedStory, ...] = ()
        self.config: ThreadsConfig | None = None
        self.threads: dict[str, Thread] = {}
        self.names: dict[str, tuple[str, ...]] = {}  # phrase -> its name keys (``tokens.names`` bounds it)
        self.slugs: tuple[str, ...] = ()  # of ``stories``

    def find(self, items: Sequence[ClassifiedStory], config: ThreadsConfig) -> tuple[Thread, ...]:
        """The threads of ``items``: the last call's Thread objects for the threads that did not change."""
        items = tuple(items)
        if config == self.config and len(items) == len(self.stories):
            if all(map(_same, items, self.stories)):
                return tuple(self.threads.values())
            alike = self._alike(items)
            if alike is not None:
                return alike
        facts = []
        terms: dict[int, tuple[ClassifiedStory, _Facts]] = {}
        for item in items:
            kept = self.terms.get(id(item))
            found = kept[1] if kept is not None and kept[0] is item else _facts_of(item, self.names)
            terms[id(item)] = (item, found)
            facts.append(found)
        threads = find_threads(items, config, facts, self.threads)
        self.threads = {thread.slug: thread for thread in threads}
        self.terms, self.stories, self.config, self.slugs = terms, items, config, tuple(item.slug for item in items)
        return tuple(self.threads.values())

    def _alike(self, items: tuple[ClassifiedStory, ...]) -> tuple[Thread, ...] | None:
        """The last threads, their stories replaced, when each story that is not the last call's object at its place
        has that one's slug, thread facts, headline, entities, countries and dates: the same links, groups, titles
        and order (an edit far from a story's lead, that names nobody new). None otherwise."""
        if len(self.slugs) != len(items):
            return None
        last = {item.slug: (item, found) for item, found in self.terms.values()}
        swapped: dict[int, ClassifiedStory] = {}
        terms: dict[int, tuple[ClassifiedStory, _Facts]] = {}
        for item, before, slug in zip(items, self.stories, self.slugs):
            kept = self.terms.get(id(item))
            if item is before and kept is not None and kept[0] is item:
                terms[id(item)] = kept
                continue
            old = last.get(item.slug)
            if item.slug != slug or old is None:
                return None
            found = _facts_of(item, self.names)
            if found != old[1] or _shown(item) != _shown(old[0]):
                return None
            swapped[id(before)] = item
            terms[id(item)] = (item, found)
        self.threads = {slug: thread if not any(id(s) in swapped for s in thread.stories) else
                        Thread(thread.slug, thread.title, tuple(swapped.get(id(s), s) for s in thread.stories))
                        for slug, thread in self.threads.items()}
        self.terms, self.stories = terms, items
        return tuple(self.threads.values())


def _same(a: object, b: object) -> bool:
    return a is b


def _shown(item: ClassifiedStory) -> tuple:
    """What a thread's title and place among the threads follow from, besides a story's thread facts."""
    return item.story.title, item.classification.entities, item.classification.countries, story_dates(item.story)


def find_threads(items: Sequence[ClassifiedStory], config: ThreadsConfig, facts: Sequence[_Facts] | None = None,
                 last: Mapping[str, Thread] | None = None) -> tuple[Thread, ...]:
    """The threads among ``items``, newest event first (by its latest story). ``facts``: each item's, if known;
    ``last``: the threads found before, by slug: a thread of the very same stories is that thread object."""
    last = last or {}
    if not config.enabled:
        return ()
    if facts is None:
        known_names: dict[str, tuple[str, ...]] = {}
        facts = [_facts_of(item, known_names) for item in items]
    dated = [i for i, found in enumerate(facts) if found is not _UNDATED]
    known = [facts[i] for i in dated]
    vectors = _Vectors([found.terms for found in known])
    scores = {}
    for a, b in _candidates(known, config):
        if _may_link(known[a], known[b]):
            scores[a, b] = _cosine(vectors[a], vectors[b])
    groups = _grouped(known, scores, config)
    threads = []
    for members in groups:
        ordered = sorted(members, key=lambda k: (known[k].day, items[dated[k]].slug))
        stories = tuple(items[dated[k]] for k in ordered)
        kept = last.get(stories[0].slug)
        if kept is None or len(kept.stories) != len(stories) or not all(map(_same, kept.stories, stories)):
            kept = Thread(stories[0].slug, _title(stories), stories)
        threads.append(kept)
    return tuple(sorted(threads, key=lambda t: (-t.last.toordinal(), t.slug)))


def _candidates(known: Sequence[_Facts], config: ThreadsConfig) -> set[tuple[int, int]]:
    """Pairs of stories (as indexes into ``known``) that share a name or headline word no more than ``max_shared``
    stories use, dated at most ``window_days`` apart, each story with its ``NEIGHBOURS`` nearest in time within each key."""
    postings: dict[str, list[int]] = defaultdict(list)
    for i, found in enumerate(known):
        for key in found.keys:
            postings[key].append(i)
    pairs: set[tuple[int, int]] = set()
    for holders in postings.values():
        if not 1 < len(holders) <= config.max_shared:
            continue
        holders.sort(key=lambda i: known[i].day)
        for position, a in enumerate(holders):
            for b in holders[position + 1:position + 1 + NEIGHBOURS]:
                if known[b].day - known[a].day > config.window_days:
                    break
                pairs.add((a, b) if a < b else (b, a))
    return pairs


def _may_link(a: _Facts, b: _Facts) -> bool:
    """The same region and theme, someone or something both name (a person, an organisation, a name like
    "Kandahari Bazaar"), and the same place: a place both name, or (when neither names a place) the same main country."""
    if a.region and b.region and a.region != b.region:
        return False
    if a.theme and b.theme and a.theme != b.theme:
        return False
    if a.who.isdisjoint(b.who):
        return False
    if a.places or b.places:
        return not a.places.isdisjoint(b.places)
    return a.country is not None and a.country == b.country


class _Vectors:
    """Each story's terms weighted by TF-IDF, of length 1; worked out for a story when first asked for (only stories
    that may link are)."""

    def __init__(self, terms: Sequence[Mapping[str, float]]):
        frequency: Counter[str] = Counter()
        for found in terms:
            frequency.update(found.keys())
        n = len(terms)
        self.terms = terms
        self.idf = {term: math.log(1 + n / count) for term, count in frequency.items()}
        self.made: dict[int, dict[str, float]] = {}

    def __getitem__(self, i: int) -> dict[str, float]:
        vector = self.made.get(i)
        if vector is None:
            idf = self.idf
            weighted = {term: count * idf[term] for term, count in self.terms[i].items()}
            norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
            vector = self.made[i] = {term: w / norm for term, w in weighted.items()}
        return vector


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    return sum(a[term] * b[term] for term in a.keys() & b.keys())


def _grouped(known: Sequence[_Facts], scores: Mapping[tuple[int, int], float], config: ThreadsConfig) -> list[list[int]]:
    """The groups of two or more stories that links join, best link first. A link joins two groups only if their
    stories within ``window_days`` of each other are alike on average (``LINKAGE`` of the threshold; a pair not
    compared counts as 0): one story that looks like two events does not chain them into one thread."""
    members = {i: [i] for i in range(len(known))}  # group -> its stories; a group is named by one of them
    group = list(range(len(known)))
    for (a, b), score in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])):
        if score < config.threshold:
            break
        mine, theirs = group[a], group[b]
        if mine == theirs:
            continue
        near = [(x, y) if x < y else (y, x) for x in members[mine] for y in members[theirs]
                if abs(known[x].day - known[y].day) <= config.window_days]  # holds (a, b) at least
        if sum(scores.get(pair, 0.0) for pair in near) < LINKAGE * config.threshold * len(near):
            continue
        if len(members[mine]) < len(members[theirs]):
            mine, theirs = theirs, mine
        for x in members[theirs]:
            group[x] = mine
        members[mine] += members.pop(theirs)
    return [found for found in members.values() if len(found) > 1]


_UNDATED = _Facts(0, None, None, frozenset(), frozenset(), None, {}, frozenset())  # a story without a date is in no thread


def _facts_of(item: ClassifiedStory, known_names: dict[str, tuple[str, ...]]) -> _Facts:
    date = story_dates(item.story)[0]
    if date is None:
        return _UNDATED
    filing, story = item.classification, item.story
    terms: defaultdict[str, float] = defaultdict(float)
    for word in _words(story.title):
        terms[_stem(word)] += HEADLINE_WEIGHT
    headline = set(terms)
    lead = teaser(story)
    for word in _words(lead)[:LEAD_WORDS]:
        terms[_stem(word)] += 1.0
    places: set[str] = set()
    who: set[str] = set()
    for ref in filing.entities:
        terms["@" + ref.slug] += NAME_WEIGHT
        (places if ref.kind == "place" else who).add("@" + ref.slug)
    where = {ref.name.lower() for ref in filing.entities if ref.kind == "place"} | {c.lower() for c in filing.countries}
    for phrase in names(f"{story.title}. {lead}", known_names):  # "Kandahari Bazaar": a name the taxonomy need not know
        if " " in phrase:
            terms["#" + phrase] += 1.0
            if phrase not in where and phrase.split(" ", 1)[0] not in STOP_WORDS:  # not "of state"
                who.add("#" + phrase)
    keys = frozenset(term for term in terms if term in headline or term[0] in "@#")
    return _Facts(date.day.toordinal(), filing.region, filing.theme, frozenset(places), frozenset(who), filing.countries[0] if filing.countries else None,
                  dict(terms), keys)


def _words(text: str) -> list[str]:
    return [w for w in (m.lower() for m in _WORD.findall(text)) if w not in STOP_WORDS and len(w) > 2]


@lru_cache(maxsize=1 << 16)  # the same words recur in every story
def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _title(stories: Sequence[ClassifiedStory]) -> str:
    """The event's name: the place most of its stories name (else their country), and the word most of its headlines
    share; without such a word, its first story's headline."""
    places: Counter[str] = Counter()  # in the order first named, so a tie goes to the first (most_common keeps it)
    for item in stories:
        places.update(list(dict.fromkeys(ref.name for ref in item.classification.entities if ref.kind == "place")))
    if not places:  # no place named: the country most of them are about
        places.update(item.classification.countries[0] for item in stories if item.classification.countries)
    place = places.most_common(1)[0][0] if places else ""
    # The word is what happened, not where: neither the place nor a country of the thread.
    taken = {_stem(w) for w in _words(" ".join([place, *(c for item in stories for c in item.classification.countries)]))}
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for item in stories:
        words = [w for w in _words(item.story.title) if _stem(w) not in taken]
        counts.update(list(dict.fromkeys(_stem(w) for w in words)))
        for word in words:
            forms[_stem(word)][word] += 1
    stem, count = counts.most_common(1)[0] if counts else ("", 0)
    if count < 2:
        return stories[0].story.title
    word = forms[stem].most_common(1)[0][0]
    return f"{place} {word}" if place else word.capitalize()


def thread_pages(threads: Sequence[Thread], crumbs: tuple[Crumb, ...], site_title: str) -> list[Page]:
    """One timeline page per thread."""
    return [Page(thread.path, "thread.html", f"{thread.title}: timeline", Context({"thread": thread}, thread_values),
                 description=f"{thread.title}: {len(thread.stories)} stories from {thread.first:%-d %B} to {thread.last:%-d %B %Y}, "
                             f"as {site_title} followed the event.",
                 kind="thread", breadcrumbs=crumbs + (Crumb(thread.title, None),), lastmod=thread.last) for thread in threads]
