"""Classify stage: stories -> countries, regions, themes, a section, entities and related stories.

Each story is scanned once (``TermIndex.scan``: one pass over its words finds every country,
place, region name, entity and theme cue of the taxonomy). Each mention then counts by where it is:

    score(target) = sum over (term, place in the story) of  weight × Σ subject bonuses / √count

so a term repeated n times in the body counts √n, not n; a place in the headline or dateline counts
far more than one in the body, and a place that opens the headline or a sentence (its subject)
counts more than a passing one. "Pakistan says deal made with US on tariffs" is about Pakistan.

Countries add up to their regions; themes come from weighted cue terms. Front matter ``region:``
and ``theme:`` override. The first section whose filters match takes the story. Evidence keeps
every reason, for ``digest explain`` and for "why it is filed here" on story pages.
"""

from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from digest.classify.entities import Mention, WordCaches, find_entities
from digest.classify.memo import story_fingerprint, taxonomy_fingerprint
from digest.forking import can_fork, collector_paused, forked, spawned
from digest.models import OTHER_NEWS, Article, Classification, ClassifiedStory, Evidence, Score, Story
from digest.taxonomy.build import default_taxonomy
from digest.taxonomy.model import Section, Taxonomy
from digest.taxonomy.terms import Hit, Meaning, words
from digest.taxonomy.world import CURRENCY_SIGNS

if TYPE_CHECKING:
    from digest.classify.related import RelatedMemo

LEAD_WORDS = 50  # the opening of an article: where news says what it is about
WHERE_ORDER = ("front-matter", "headline", "dateline", "lead", "body")
EVIDENCE_PER_TARGET = 8
MAX_COUNTRIES = 6
PARALLEL_CLASSIFY_MIN = 200  # below, a second process costs more than it saves (a fork ~0.03 s; a story ~1 ms)
# From this many stories on, new processes, not forked ones: a fork's resident set counts this process's pages (~530 MB
# at 10,000 articles); below, they are few, and a new process's imports (~0.1 CPU-s) a third of what it saves.
SPAWN_CLASSIFY_MIN = 1000

# An amount in a currency of one country: "£25m", "₹40 crore" (see _amounts for what is not one).
_AMOUNT = re.compile("([" + "".join(CURRENCY_SIGNS) + "])\\s?\\d")
# "ISLAMABAD:", "KOTA KINABALU (July 28):", "LONDON, May 3 -" at the start of a text.
_DATELINE = re.compile(r"^\s*([A-Z][A-Z .'’-]{2,40}?)(?:,\s*[A-Z][a-z]+\.? \d{1,2})?\s*(?:\([^)]{0,40}\))?\s*(?::|—|–|-{1,2}\s)")


@dataclass
class ClassifyStats:
    """What one ``classify_stories`` run did: which stories it classified, how many it took from the memo."""

    classified: list[str] = field(default_factory=list)  # slugs of the stories classified afresh
    reused: int = 0  # stories whose classification came from the memo


@collector_paused()  # what classifying makes is kept, or is garbage without cycles: nothing for full collections
def classify_stories(stories: Sequence[Story], taxonomy: Taxonomy | None = None, sections: Sequence[Section] = (),
                     memo: dict[tuple[str, str], Classification] | None = None,
                     stats: ClassifyStats | None = None, related: RelatedMemo | None = None) -> list[ClassifiedStory]:
    """Classify every story (one scan each), then link related stories through shared entities.

    ``memo`` is a plain dict the caller keeps between runs (``digest serve``, a build cache):
    ``{(taxonomy fingerprint, story fingerprint): Classification}``, both keys hex strings. A story
    whose content (its articles' ids, headlines, datelines, paragraphs, region/theme overrides) and
    taxonomy and sections are unchanged takes its classification from the memo; the others are
    classified. The dict is updated in place and afterwards holds exactly the given stories' entries,
    so it never grows beyond one site. Its values are frozen dataclasses of text and numbers: it can be
    pickled. Related stories depend on all stories and are always worked out again (fast: an inverted index);
    ``related``, kept by the caller too, hands back the last run's object for a story where nothing changed.
    """
    taxonomy = taxonomy if isinstance(taxonomy, Taxonomy) else default_taxonomy()
    sections = tuple(s for s in sections if isinstance(s, Section))
    filings: list[Classification | None] = [None] * len(stories)
    keys: list[tuple[str, str]] = []
    if memo is not None:
        fingerprint = taxonomy_fingerprint(taxonomy, sections)
        keys = [(fingerprint, story_fingerprint(story)) for story in stories]
        filings = [memo.get(key) for key in keys]
    todo = [i for i, filing in enumerate(filings) if filing is None]
    fresh = dict(zip(todo, _classify_all([stories[i] for i in todo], taxonomy, sections)))
    classified = [filing if filing is not None else fresh[i] for i, filing in enumerate(filings)]
    if memo is not None:
        memo.clear()
        memo.update(zip(keys, classified))
    if stats is not None:
        stats.classified += [stories[i].slug for i in todo]
        stats.reused += len(stories) - len(todo)
    from digest.classify.related import related_stories  # here: the spawned workers, importing this, need no numpy
    return related_stories([ClassifiedStory(story, filing) for story, filing in zip(stories, classified)], last=related)


def _classify_all(stories: Sequence[Story], taxonomy: Taxonomy, sections: tuple[Section, ...]) -> list[Classification]:
    workers = min(os.cpu_count() or 1, 4)
    if len(stories) < PARALLEL_CLASSIFY_MIN or workers < 2:
        return _classify_chunk(stories, taxonomy, sections)
    len(taxonomy.index)  # fills the index (it fills itself when first used), so the workers are sent it filled
    size = -(-len(stories) // workers)
    chunks = [stories[i:i + size] for i in range(0, len(stories), size)]
    # The other chunks elsewhere meanwhile: forked, inheriting the stories; spawned, sent only what classifying reads.
    if len(stories) < SPAWN_CLASSIFY_MIN and can_fork():
        theirs = [forked(_classify_chunk, chunk, taxonomy, sections) for chunk in chunks[1:]]
    else:
        theirs = [spawned(_classify_chunk, [_as_read(story) for story in chunk], taxonomy, sections) for chunk in chunks[1:]]
    try:
        mine = _classify_chunk(chunks[0], taxonomy, sections)
    finally:  # every worker is waited for, even when this chunk fails
        classified = [wait() for wait in theirs]
    return mine + [filing for chunk in classified for filing in chunk]


def _classify_chunk(stories: Sequence[Story], taxonomy: Taxonomy, sections: tuple[Section, ...]) -> list[Classification]:
    words = WordCaches()
    return [classify_story(story, taxonomy, sections, words) for story in stories]


def _as_read(story: Story) -> Story:
    """The story with only what ``classify_story`` reads of it: less to send to another process (a note's rendered
    body, its front matter, the summary and additions are a third of what pickling the story would send)."""
    return Story(story.slug, story.title, tuple(_article_as_read(article) for article in story.articles))


def _article_as_read(article: Article) -> Article:
    return Article(article.id, article.source, article.line, article.kind, article.headline, article.paragraphs,
                   dateline=article.dateline, region=article.region, theme=article.theme)


def classify_story(story: Story, taxonomy: Taxonomy, sections: Sequence[Section] = (), words: WordCaches | None = None) -> Classification:
    mentions = scan_story(story, taxonomy)
    mentions = _with_context(mentions, taxonomy)
    weights = taxonomy.weights
    evidence: list[Evidence] = []

    # Where: countries (directly, through places and through entities), then regions.
    groups: dict[tuple[str, str, str, str, str], list[Mention]] = defaultdict(list)  # (kind, target, term, via, how)
    for mention in mentions:
        for meaning in mention.hit.meanings:
            if meaning.kind == "country":
                via = "an amount in its currency" if meaning.term in CURRENCY_SIGNS else ""
                groups[("country", meaning.target, meaning.term, via, "name")].append(mention)
            elif meaning.kind == "place":
                place = taxonomy.places[meaning.target]
                for code in place.countries:
                    groups[("country", code, meaning.term, _place_via(place, taxonomy), f"place/{len(place.countries)}")].append(mention)
            elif meaning.kind == "entity":
                entity = taxonomy.entities[meaning.target]
                if entity.country:
                    via = _entity_via(entity, meaning.term, f"of {taxonomy.country_name(entity.country)}")
                    groups[("country", entity.country, meaning.term, via, "entity")].append(mention)
                elif entity.home:  # a club: its country's region, but not its country's story
                    via = _entity_via(entity, meaning.term, f"based in {taxonomy.country_name(entity.home)}")
                    for home_region in taxonomy.region_of.get(entity.home, ()):
                        groups[("region", home_region, meaning.term, via, "entity")].append(mention)
                if entity.theme and not any(m.kind == "cue" and m.target == entity.theme for m in mention.hit.meanings):
                    groups[("theme", entity.theme, meaning.term, f"names {entity.name}", "entity")].append(mention)
            elif meaning.kind == "region":
                groups[("region", meaning.target, meaning.term, "names the region", "name")].append(mention)
            elif meaning.kind == "cue":
                groups[("theme", meaning.target, meaning.term, "", "cue")].append(mention)

    # Geography is pooled per (country, place in the story): ten mentions count √10 whether they say
    # "US", "Washington" or "United States", so a country named many ways does not outscore the
    # country the story is about. Themes are damped per cue term: many different cues is a good sign.
    pools: dict[tuple[str, str, str], float] = defaultdict(float)
    for (kind, target, _term, _via, how), found in groups.items():
        if kind != "theme":
            for mention in found:
                pools[(kind, target, mention.where)] += _base_factor(how, weights)
    country_scores: dict[str, float] = defaultdict(float)
    region_scores: dict[str, float] = defaultdict(float)
    theme_scores: dict[str, float] = defaultdict(float)
    for (kind, target, term, via, how), found in groups.items():
        base = _base_factor(how, weights)
        if kind == "theme":
            cue = weights.entity_theme if how == "entity" else taxonomy.themes[target].cues.get(term, 1.0)
            score = cue * _location_score(found, weights, False)
        else:
            score = sum(
                getattr(weights, m.where) * base * (weights.subject if m.subject else 1.0) / math.sqrt(max(1.0, pools[(kind, target, m.where)])) for m in found
            )
        if kind == "country":
            country_scores[target] += score
            name = taxonomy.country_name(target)
        elif kind == "region":
            region_scores[target] += score
            name = target
        else:
            theme_scores[target] += score
            name = target
        evidence.append(Evidence(term, name, _where(found), len(found), round(score, 2), kind, via))
    for code, score in country_scores.items():
        for country_region in taxonomy.region_of.get(code, ()):
            region_scores[country_region] += score

    countries = _ranked(country_scores, weights.secondary)[:MAX_COUNTRIES]
    regions = _ranked(region_scores, weights.secondary, weights.min_score)
    themes = _ranked(theme_scores, weights.secondary, weights.min_score)
    country_names = tuple(taxonomy.country_name(code) for code, _ in countries)
    region = regions[0][0] if regions else None
    theme = themes[0][0] if themes else None

    overridden = []
    for article in story.articles:
        if article.region and "region" not in overridden:
            region, country_names, note = _region_override(article.region, taxonomy, country_names)
            regions = [(region, max([s for _, s in regions] or [0.0]))] + [(r, s) for r, s in regions if r != region]
            evidence.append(Evidence(article.region, region, ("front-matter",), 1, 0.0, "region", note))
            overridden.append("region")
        if article.theme and "theme" not in overridden:
            theme = taxonomy.theme_key(article.theme) or article.theme.strip()
            themes = [(theme, max([s for _, s in themes] or [0.0]))] + [(t, s) for t, s in themes if t != theme]
            evidence.append(Evidence(article.theme, theme, ("front-matter",), 1, 0.0, "theme", "set by the editor"))
            overridden.append("theme")

    primary_country = country_names[0] if country_names else None
    section = next((s.name for s in sections if s.matches(region, primary_country, theme)), OTHER_NEWS)
    order = {"front-matter": 0}
    evidence.sort(key=lambda e: (-order.get(e.where[0], 1), -e.weight))
    return Classification(
        region=region,
        regions=tuple(Score(name, round(score, 2)) for name, score in regions),
        countries=country_names,
        country_scores=tuple(Score(taxonomy.country_name(code), round(score, 2)) for code, score in countries),
        theme=theme,
        themes=tuple(Score(name, round(score, 2)) for name, score in themes),
        section=section,
        entities=find_entities(story, mentions, taxonomy, words),
        evidence=_trimmed(evidence),
        overridden=tuple(overridden),
    )


# ---------------------------------------------------------------- scanning


def story_texts(story: Story) -> Iterable[tuple[int, str, str]]:
    """(article index, where, text) for every part of every version of a story."""
    for n, article in enumerate(story.articles):
        yield n, "headline", article.headline
        text = article.text
        dateline = article.dateline
        match = _DATELINE.match(text)
        if match and (dateline is None or match.group(1).strip().casefold() == dateline.strip().casefold()):
            dateline = dateline or match.group(1).strip()
            text = text[match.end() :]
        if dateline:
            yield n, "dateline", dateline
        yield n, "text", text


def scan_story(story: Story, taxonomy: Taxonomy) -> list[Mention]:
    mentions: list[Mention] = []
    for n, where, text in story_texts(story):
        first_geo_seen = False
        for hit in taxonomy.index.scan(text):
            place = where
            if where == "text":
                place = "lead" if hit.index < LEAD_WORDS else "body"
            geographic = any(m.kind in ("country", "place") for m in hit.meanings)
            if where == "headline":
                subject = geographic and not first_geo_seen and hit.index <= 3
            else:
                subject = geographic and hit.sentence_start
            first_geo_seen = first_geo_seen or geographic
            mentions.append(Mention(hit, place, subject, n))
        mentions += _amounts(text, where, n)
    return mentions


def _amounts(text: str, where: str, article: int) -> list[Mention]:
    """Amounts quoted in a currency of one country: each counts for the country, as its name in the text would."""
    found: list[Mention] = []
    if not any(sign in text for sign in CURRENCY_SIGNS):
        return found  # most texts: a substring test each is far cheaper than the pattern
    index, counted = 0, 0  # words before the amount, counted once and only as far as the opening (LEAD_WORDS)
    for match in _AMOUNT.finditer(text):
        before = text[match.start() - 1] if match.start() else " "
        if before == "(" or before.isalnum():
            continue  # "$8.6bn (£4.6bn)" is a conversion; "E£5" is another country's pound
        sign = match.group(1)
        if index < LEAD_WORDS:
            index += len(words(text[counted : match.start()]))
            counted = match.start()
        place = where if where != "text" else "lead" if index < LEAD_WORDS else "body"
        hit = Hit(sign, (Meaning("country", CURRENCY_SIGNS[sign], term=sign),), index, False)
        found.append(Mention(hit, place, False, article))
    return found


_PLAIN_KINDS = frozenset(("cue", "country", "place", "region"))  # meanings _with_context never drops


def _with_context(mentions: list[Mention], taxonomy: Taxonomy) -> list[Mention]:
    """Drop ambiguous aliases ("PH", "Pas", "X") unless the story gives them context."""
    named, contexts, codes = set(), set(), set()
    for mention in mentions:
        for meaning in mention.hit.meanings:
            if meaning.kind == "entity" and meaning.term not in taxonomy.entities[meaning.target].ambiguous:
                named.add(meaning.target)
            elif meaning.kind == "context":
                contexts.add(meaning.target)
            elif meaning.kind == "country":
                codes.add(meaning.target)
            elif meaning.kind == "place":
                codes.update(taxonomy.places[meaning.target].countries)
    kept = []
    for mention in mentions:
        if all(m.kind in _PLAIN_KINDS for m in mention.hit.meanings):
            kept.append(mention)  # nothing to drop: most mentions (cue words, countries, places)
            continue
        meanings = tuple(
            m
            for m in mention.hit.meanings
            if m.kind != "context"
            and not (
                m.kind == "entity"
                and m.term in taxonomy.entities[m.target].ambiguous
                and m.target not in named
                and m.target not in contexts
                and taxonomy.entities[m.target].country not in codes
            )
        )
        if meanings:
            kept.append(
                Mention(Hit(mention.hit.term, meanings, mention.hit.index, mention.hit.sentence_start), mention.where, mention.subject, mention.article)
            )
    return kept


# ---------------------------------------------------------------- scoring


def _base_factor(how: str, weights) -> float:
    if how == "entity":  # a person or organisation of a country: a hint, not a place
        return weights.entity_country
    if how.startswith("place/"):  # a place shared by n countries counts 1/n for each
        return 1.0 / int(how.split("/")[1])
    return 1.0


def _location_score(found: list[Mention], weights, use_subject: bool) -> float:
    by_where: dict[str, list[Mention]] = defaultdict(list)
    for mention in found:
        by_where[mention.where].append(mention)
    total = 0.0
    for where, items in by_where.items():
        bonus = sum(weights.subject if use_subject and m.subject else 1.0 for m in items)
        total += getattr(weights, where) * bonus / math.sqrt(len(items))
    return total


def _entity_via(entity, term: str, what: str) -> str:
    """'of Pakistan' where the text names the entity itself, 'Imran Khan, of Pakistan' where it uses an alias."""
    return what if term == entity.name else f"{entity.name}, {what}"


def _place_via(place, taxonomy: Taxonomy) -> str:
    names = " and ".join(taxonomy.country_name(c) for c in place.countries)
    return f"a place in {names}" if len(place.countries) == 1 else f"a place shared by {names}"


def _ranked(scores: dict[str, float], secondary: float, minimum: float = 0.0) -> list[tuple[str, float]]:
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    if not ranked or ranked[0][1] < minimum:
        return []
    top = ranked[0][1]
    return [(name, score) for name, score in ranked if score >= secondary * top]


def _where(found: list[Mention]) -> tuple[str, ...]:
    places = {m.where for m in found}
    return tuple(w for w in WHERE_ORDER if w in places)


def _trimmed(evidence: list[Evidence]) -> tuple[Evidence, ...]:
    kept: list[Evidence] = []
    per_target: defaultdict[tuple[str, str], int] = defaultdict(int)
    for item in evidence:
        key = (item.kind, item.target)
        if per_target[key] < EVIDENCE_PER_TARGET:
            kept.append(item)
        per_target[key] += 1
    return tuple(kept)


def _region_override(value: str, taxonomy: Taxonomy, countries: tuple[str, ...]) -> tuple[str, tuple[str, ...], str]:
    """Front matter ``region:`` names a region, or a country (whose region is then used)."""
    region = taxonomy.region_name(value)
    if region:
        return region, countries, "set by the editor"
    code = taxonomy.country_code(value)
    if code and taxonomy.region_of.get(code):
        name = taxonomy.country_name(code)
        return taxonomy.region_of[code][0], (name,) + tuple(c for c in countries if c != name), f"set by the editor: {name}"
    return value.strip(), countries, "set by the editor (not a region of the taxonomy)"
