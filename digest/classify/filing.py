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

import functools
import hashlib
import math
import os
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from digest.classify.entities import Mention, find_entities
from digest.models import Article, Classification, ClassifiedStory, Evidence, Score, Story
from digest.classify.related import related_stories
from digest.processes import helper_pool
from digest.taxonomy.model import OTHER_NEWS, Hit, Section, Taxonomy, default_taxonomy

LEAD_WORDS = 50  # the opening of an article: where news says what it is about
WHERE_ORDER = ("front-matter", "headline", "dateline", "lead", "body")
EVIDENCE_PER_TARGET = 8
MAX_COUNTRIES = 6
# Below this many stories, starting worker processes (and sending them the taxonomy) costs more than it saves.
PARALLEL_CLASSIFY_MIN = 1000

# "ISLAMABAD:", "KOTA KINABALU (July 28):", "LONDON, May 3 -" at the start of a text.
_DATELINE = re.compile(r"^\s*([A-Z][A-Z .'’-]{2,40}?)(?:,\s*[A-Z][a-z]+\.? \d{1,2})?\s*(?:\([^)]{0,40}\))?\s*(?::|—|–|-{1,2}\s)")


@dataclass
class ClassifyStats:
    """What one ``classify_stories`` run did: which stories it classified, how many it took from the memo."""

    classified: list[str] = field(default_factory=list)  # slugs of the stories classified afresh
    reused: int = 0  # stories whose classification came from the memo


def classify_stories(stories: Sequence[Story], taxonomy: Taxonomy | None = None, sections: Sequence[Section] = (),
                     memo: dict[tuple[str, str], Classification] | None = None,
                     stats: ClassifyStats | None = None) -> list[ClassifiedStory]:
    """Classify every story (one scan each), then link related stories through shared entities.

    ``memo`` is a plain dict the caller keeps between runs (``digest serve``, a build cache):
    ``{(taxonomy fingerprint, story fingerprint): Classification}``, both keys hex strings. A story
    whose content (its articles' ids, headlines, datelines, paragraphs, region/theme overrides) and
    taxonomy and sections are unchanged takes its classification from the memo; the others are
    classified. The dict is updated in place and afterwards holds exactly the given stories' entries,
    so it never grows beyond one site. Its values are frozen dataclasses of text and numbers: it can be
    pickled. Related stories depend on all stories and are always worked out again (fast: an inverted index).
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
    for i, filing in zip(todo, _classify_all([stories[i] for i in todo], taxonomy, sections)):
        filings[i] = filing
    if memo is not None:
        memo.clear()
        memo.update(zip(keys, filings))
    if stats is not None:
        stats.classified += [stories[i].slug for i in todo]
        stats.reused += len(stories) - len(todo)
    return related_stories([ClassifiedStory(story, filing) for story, filing in zip(stories, filings)])


def _classify_all(stories: Sequence[Story], taxonomy: Taxonomy, sections: tuple[Section, ...]) -> list[Classification]:
    workers = min(os.cpu_count() or 1, 4)
    if len(stories) >= PARALLEL_CLASSIFY_MIN and workers > 1:
        # The taxonomy goes to each worker once (not with every chunk); a few chunks per worker even out their load.
        size = max(50, -(-len(stories) // (workers * 4)))
        chunks = [stories[i:i + size] for i in range(0, len(stories), size)]
        with helper_pool(workers, initializer=_worker_setup, initargs=(taxonomy, sections)) as pool:
            return [f for chunk in pool.map(_classify_chunk, chunks) for f in chunk]
    return [classify_story(story, taxonomy, sections) for story in stories]


_KEY = "_digest_classify_key"  # where a story's or an article's fingerprint is kept on the object (not a field)


def story_fingerprint(story: Story) -> str:
    """A hash of everything classifying a story reads: each article's id, headline, dateline, paragraphs, overrides.

    Made from its articles' fingerprints, each worked out once per article object and kept on it (articles
    live from build to build in the parse cache, and are pickled with their key): after an edit, only the
    edited articles are hashed again. Stories and articles are frozen, so a kept key stays true."""
    kept = story.__dict__.get(_KEY)
    if kept is None:
        kept = hashlib.sha1("\n".join([article_fingerprint(article) for article in story.articles]).encode()).hexdigest()
        object.__setattr__(story, _KEY, kept)
    return kept


def article_fingerprint(article: Article) -> str:
    kept = article.__dict__.get(_KEY)
    if kept is None:
        parts = (article.id, article.headline, article.dateline or "", article.region or "", article.theme or "", *article.paragraphs)
        # Lengths first, so no two different articles (or paragraph splits) hash alike.
        digest = hashlib.sha1(f"{len(parts)}:{','.join(str(len(p)) for p in parts)}\n".encode())
        digest.update("".join(parts).encode("utf-8", "surrogatepass"))
        kept = digest.hexdigest()
        object.__setattr__(article, _KEY, kept)
    return kept


def taxonomy_fingerprint(taxonomy: Taxonomy, sections: Sequence[Section] = ()) -> str:
    """A hash of the taxonomy, the sections and the classifier's own code: what every memo entry depends on.

    Worked out once per taxonomy object (a large taxonomy takes ~0.1 s to describe).
    """
    cached = getattr(taxonomy.index, "_fingerprints", None)
    if cached is None:
        cached = taxonomy.index._fingerprints = {}
    sections = tuple(sections)
    if sections not in cached:
        if "" not in cached:
            digest = hashlib.sha1(_code_version().encode())
            for value in (taxonomy.countries, taxonomy.regions, taxonomy.region_of, taxonomy.places, taxonomy.themes,
                          taxonomy.entities, taxonomy.weights, sorted(taxonomy.index.terms())):
                digest.update(repr(value).encode("utf-8", "surrogatepass"))
            cached[""] = digest.hexdigest()
        cached[sections] = hashlib.sha1((cached[""] + repr(sections)).encode("utf-8", "surrogatepass")).hexdigest()
    return cached[sections]


@functools.lru_cache(maxsize=1)
def _code_version() -> str:
    """The classifier's source: a memo written by other code is not reused."""
    from digest.classify import entities
    from digest import models
    from digest import slugs
    from digest.taxonomy import model as taxonomy

    digest = hashlib.sha1()
    for module in (sys.modules[__name__], entities, models, slugs, taxonomy):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


_worker: tuple[Taxonomy, tuple[Section, ...]] | None = None


def _worker_setup(taxonomy: Taxonomy, sections: tuple[Section, ...]) -> None:
    global _worker
    _worker = (taxonomy, sections)


def _classify_chunk(stories: Sequence[Story]) -> list[Classification]:
    assert _worker is not None, "_worker_setup runs first in each worker process"
    taxonomy, sections = _worker
    return [classify_story(story, taxonomy, sections) for story in stories]


def classify_story(story: Story, taxonomy: Taxonomy, sections: Sequence[Section] = ()) -> Classification:
    mentions = scan_story(story, taxonomy)
    mentions = _with_context(mentions, taxonomy)
    weights = taxonomy.weights
    evidence: list[Evidence] = []

    # Where: countries (directly, through places and through entities), then regions.
    groups: dict[tuple[str, str, str, str, str], list[Mention]] = defaultdict(list)  # (kind, target, term, via, how)
    for mention in mentions:
        for meaning in mention.hit.meanings:
            if meaning.kind == "country":
                groups[("country", meaning.target, meaning.term, "", "name")].append(mention)
            elif meaning.kind == "place":
                place = taxonomy.places[meaning.target]
                for code in place.countries:
                    groups[("country", code, meaning.term, _place_via(place, taxonomy), f"place/{len(place.countries)}")].append(mention)
            elif meaning.kind == "entity":
                entity = taxonomy.entities[meaning.target]
                if entity.country:
                    via = f"{entity.name}, of {taxonomy.country_name(entity.country)}" if meaning.term != entity.name else f"of {taxonomy.country_name(entity.country)}"
                    groups[("country", entity.country, meaning.term, via, "entity")].append(mention)
            elif meaning.kind == "region":
                groups[("region", meaning.target, meaning.term, "names the region", "name")].append(mention)
            elif meaning.kind == "cue":
                groups[("theme", meaning.target, meaning.term, "", "cue")].append(mention)

    # Geography is pooled per (country, place in the story): ten mentions count √10 whether they say
    # "US", "Washington" or "United States", so a country named many ways does not outscore the
    # country the story is about. Themes are damped per cue term: many different cues is a good sign.
    pools: dict[tuple[str, str, str], float] = defaultdict(float)
    for (kind, target, term, via, how), found in groups.items():
        if kind != "theme":
            for mention in found:
                pools[(kind, target, mention.where)] += _base_factor(how, weights)
    country_scores: dict[str, float] = defaultdict(float)
    region_scores: dict[str, float] = defaultdict(float)
    theme_scores: dict[str, float] = defaultdict(float)
    for (kind, target, term, via, how), found in groups.items():
        base = _base_factor(how, weights)
        if kind == "theme":
            score = taxonomy.themes[target].cues.get(term, 1.0) * _location_score(found, weights, False)
        else:
            score = sum(getattr(weights, m.where) * base * (weights.subject if m.subject else 1.0)
                        / math.sqrt(max(1.0, pools[(kind, target, m.where)])) for m in found)
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
        for region in taxonomy.region_of.get(code, ()):
            region_scores[region] += score

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
        entities=find_entities(story, mentions, taxonomy),
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
            text = text[match.end():]
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
    return mentions


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
        meanings = tuple(m for m in mention.hit.meanings if m.kind != "context" and not (
            m.kind == "entity" and m.term in taxonomy.entities[m.target].ambiguous
            and m.target not in named and m.target not in contexts and taxonomy.entities[m.target].country not in codes))
        if meanings:
            kept.append(Mention(Hit(mention.hit.term, meanings, mention.hit.index, mention.hit.sentence_start), mention.where, mention.subject, mention.article))
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
    kept, per_target = [], defaultdict(int)
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


# ---------------------------------------------------------------- explaining


def explain_lines(item: ClassifiedStory, taxonomy: Taxonomy | None = None, sections: Sequence[Section] = ()) -> list[str]:
    """Why a story is filed where it is, in plain sentences: for ``digest explain`` and story pages."""
    taxonomy = taxonomy if isinstance(taxonomy, Taxonomy) else default_taxonomy()
    filing = item.classification
    label = taxonomy.theme_label(filing.theme)
    lines = [f"{item.story.title}",
             f"  filed under: {filing.region or 'no region'} / {label or 'no theme'}  →  section “{filing.section}”"]
    section = next((s for s in sections if s.name == filing.section), None)
    if section is not None:
        lines.append(f"  section “{section.name}” is the first whose filters match ({section.describe()})")
    elif filing.section == OTHER_NEWS and sections:
        lines.append(f"  no configured section matches, so it is under “{OTHER_NEWS}”")

    def reasons(kind: str, target: str) -> list[str]:
        return [f"      {_reason(e)}" for e in filing.evidence if e.kind == kind and e.target == target]

    def heading(kind: str, empty: str) -> None:
        lines.extend(["", kind.capitalize() + (" (set by the editor)" if kind in filing.overridden else "")])
        if not (filing.regions if kind == "region" else filing.themes):
            lines.append(f"  {empty}")

    heading("region", "no country or region is named often enough to file it by place")
    for n, score in enumerate(filing.regions):
        lines.append(f"  {'primary' if n == 0 else 'also':8} {score.name}  (score {score.score:g})")
        lines += reasons("region", score.name)
        region = taxonomy.regions.get(score.name)
        for country in filing.country_scores:
            if region and taxonomy.country_code(country.name) in region.countries:
                lines.append(f"    {country.name}  (score {country.score:g})")
                lines += ["  " + r for r in reasons("country", country.name)]
    heading("theme", "no theme's cue words are frequent enough")
    for n, score in enumerate(filing.themes):
        lines.append(f"  {'primary' if n == 0 else 'also':8} {taxonomy.theme_label(score.name)} [{score.name}]  (score {score.score:g})")
        lines += reasons("theme", score.name)
    lines.append("")
    lines.append("Entities")
    for ref in filing.entities:
        aliases = f"  (also: {', '.join(ref.aliases)})" if ref.aliases else ""
        lines.append(f"  {ref.kind:12} {ref.name}{aliases}")
    if item.related:
        lines.append("")
        lines.append("Related stories, best first")
        lines += [f"  {slug}" for slug in item.related]
    return lines


def _reason(evidence: Evidence) -> str:
    """'Islamabad' 3 times, in the dateline and the body (a place in Pakistan): +9.2"""
    if evidence.where == ("front-matter",):
        return f"front matter says “{evidence.term}” ({evidence.via})"
    times = {1: "once", 2: "twice"}.get(evidence.count, f"{evidence.count} times")
    where = [{"lead": "opening", "dateline": "dateline"}.get(w, w) for w in evidence.where]
    joined = where[0] if len(where) == 1 else ", ".join(where[:-1]) + " and " + where[-1]
    via = f" ({evidence.via})" if evidence.via else ""
    return f"“{evidence.term}” {times}, in the {joined}{via}: +{evidence.weight:g}"


def similar_slugs(slug: str, slugs: Sequence[str], limit: int = 3) -> list[str]:
    """Slugs close to a mistyped one: by spelling, then any that contain it or its words."""
    import difflib

    close = difflib.get_close_matches(slug, slugs, n=limit, cutoff=0.5)
    words = [w for w in slug.split("-") if len(w) > 2]
    close += [s for s in slugs if s not in close and (slug in s or (words and all(w in s for w in words)))]
    return close[:limit]
