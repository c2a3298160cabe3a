"""Entities: the people, organisations and places a story is about.

Found three ways, then merged by alias within each story:

- the taxonomy's known entities and places, as the classifier's scan found them ("TTP", "Pakatan Harapan");
- names the text introduces with a title or an honorific: "Deputy Interior Minister Talal Chaudhry",
  "Chief Minister Datuk Seri Hajiji Noor" -> "Hajiji Noor" (honorifics are stripped);
- acronyms the text defines: "Tehrik-e-Taliban Pakistan or TTP", "Gabungan Rakyat Sabah (GRS)".

Later bare mentions resolve to them: "Chaudhry" -> Talal Chaudhry, "Hajiji's" -> Hajiji Noor.
Each entity's slug is ``slugify(name)``: the same name is the same entity in every story.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from types import MappingProxyType
from typing import TYPE_CHECKING

from digest.models import EntityRef, Story
from digest.names import HONORIFICS
from digest.slugs import slugify
from digest.taxonomy.terms import Hit

if TYPE_CHECKING:  # pragma: no cover
    from digest.taxonomy.model import Taxonomy


@dataclass(frozen=True)
class Mention:
    """A place, theme or entity term found in one article of a story, and where."""

    hit: Hit
    where: str  # "headline", "dateline", "lead", "body"
    subject: bool  # opens the headline or a sentence
    article: int  # index of the article within the story


MAX_ENTITIES = 30
WHERE_WEIGHT = MappingProxyType({"headline": 3.0, "dateline": 2.0, "lead": 1.5, "body": 1.0})

# The word that ends a title: "Deputy Interior *Minister*", "US *President*", "foreign *secretary*".
TITLE_HEADS = frozenset({
    "minister", "president", "secretary", "chancellor", "governor", "mayor", "senator", "treasurer", "chairman",
    "chairwoman", "chairperson", "chair", "chief", "leader", "speaker", "ambassador", "marshal", "marshall", "general",
    "commissioner", "director", "spokesman", "spokeswoman", "spokesperson", "premier", "king", "queen", "prince",
    "princess", "sultan", "pope", "envoy", "adviser", "advisor", "ceo", "judge", "lawmaker", "mp", "pm", "cm", "lop",
    "sen", "rep", "gov", "gen", "col", "capt", "lt", "superintendent", "founder", "executive", "coach", "captain",
    "minister-designate", "president-elect", "deputy", "vice-president", "prosecutor", "attorney-general", "archbishop",
})
# Words of a portfolio between a title and a name: "Minister of State for Law and Justice Barrister Aqeel Malik".
PORTFOLIO = frozenset({
    "of", "for", "and", "the", "&", ",", "state", "law", "justice", "foreign", "affairs", "interior", "home", "defence",
    "defense", "finance", "trade", "industry", "investment", "health", "education", "information", "commerce",
    "energy", "economy", "economic", "agriculture", "transport", "works", "labour", "labor", "human", "resources",
    "communications", "digital", "science", "technology", "environment", "water", "religious", "youth", "sports",
    "women", "development", "planning", "housing", "local", "government", "tourism", "culture", "arts", "rural",
    "opposition", "staff", "army", "navy", "air", "force", "external", "federal", "national", "security", "public",
    "council", "minister", "deputy", "prime", "chief", "vice", "executive", "secretary", "general", "party", "field",
    "senior", "acting", "former", "junior", "international", "cooperation", "relations", "petroleum", "power",
})
NOT_NAMES = frozenset({
    "the", "a", "an", "in", "on", "at", "he", "she", "it", "they", "we", "his", "her", "their", "this", "that",
    "who", "also", "and", "but", "as", "after", "while", "when", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december", "today", "yesterday", "if", "however", "meanwhile",
})
CONNECTORS = frozenset({"of", "and", "for", "the", "on", "de", "al", "el", "e", "du", "des", "van", "von", "der"})
_TOKEN = re.compile(r"[^\W_][\w'’-]*|[^\w\s]")
# The same tokens in a text of ASCII characters only, found a third faster (see ``terms._ASCII_WORD``); \s stays
# Unicode's, which also counts the ASCII separators \x1c-\x1f as space.
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_'-]*|[^A-Za-z0-9_\s]")
_ACRONYM = re.compile(r"[A-Z][A-Z0-9&]{1,6}")


@dataclass
class _Found:
    name: str
    kind: str
    aliases: dict[str, None] = field(default_factory=dict)
    salience: float = 0.0
    mentions: int = 0

    def add(self, alias: str | None, where: str) -> None:
        if alias and alias != self.name:
            self.aliases.setdefault(alias, None)
        self.salience += WHERE_WEIGHT.get(where, 1.0)
        self.mentions += 1


def find_entities(story: Story, mentions: Sequence[Mention], taxonomy: Taxonomy, words: WordCaches | None = None) -> tuple[EntityRef, ...]:
    """The entities of one story, most prominent first (``words``: the word caches of a run of stories)."""
    words = words if words is not None else WordCaches()
    bare = words.bare
    found: dict[str, _Found] = {}
    known_by_alias = _known_aliases(taxonomy)

    def entity(name: str, kind: str) -> _Found:
        key = name.casefold()
        if key not in found:
            found[key] = _Found(name, kind)
        return found[key]

    for mention in mentions:
        for meaning in mention.hit.meanings:
            if meaning.kind == "entity":
                known = taxonomy.entities[meaning.target]
                entity(known.name, known.kind).add(meaning.term, mention.where)
            elif meaning.kind == "place":
                entity(meaning.target, "place").add(None, mention.where)

    people: dict[str, _Found] = {}
    acronyms: dict[str, _Found | None] = {}  # None: two entities share it in this story
    texts = [(where, (_ASCII_TOKEN if text.isascii() else _TOKEN).findall(text)) for where, text in _texts(story)]  # tokenized once
    for where, tokens in texts:
        # In a Title Case headline every word looks like a name ("PM Narendra Modi Has Skillfully ..."):
        # only known names count there.
        title_case = where == "headline" and _title_case(tokens)
        for name in titled_names(tokens, words):
            if title_case and name.casefold() not in known_by_alias:
                continue
            known = known_by_alias.get(name.casefold())
            if known is not None:
                entity(known.name, known.kind).add(name, where)
            elif len(name.split()) >= 2:
                person = entity(name, "person")
                person.add(None, where)
                people[name] = person
        for long_form, acronym in defined_acronyms(tokens, words):
            known = known_by_alias.get(long_form.casefold()) or known_by_alias.get(acronym.casefold())
            target = entity(known.name, known.kind) if known is not None else entity(long_form, "organisation")
            target.add(acronym, where)
            if long_form != target.name:
                target.aliases.setdefault(long_form, None)
            previous = acronyms.get(acronym, target)
            acronyms[acronym] = target if previous is target else None

    # Bare mentions: "Chaudhry" for Talal Chaudhry, "TTP" once it has been defined.
    by_part: dict[str, set[str]] = defaultdict(set)
    for name in people:
        parts = name.split()
        for part in (parts[0], parts[-1]):
            if len(part) > 2:
                by_part[part].add(name)
    wanted = by_part.keys() | acronyms.keys()
    if wanted:
        for where, tokens in texts:
            # Only capitalised words that are a known part or acronym (most words cost one lookup).
            for i in compress(range(len(tokens)), map(wanted.__contains__, map(bare.__getitem__, tokens))):
                token = tokens[i]
                word = bare[token]
                neighbours = (tokens[i - 1] if i else "", tokens[i + 1] if i + 1 < len(tokens) else "")
                if any(_is_name_word(n) for n in neighbours):
                    continue  # part of a longer name, counted above
                if len(by_part.get(word, ())) == 1:
                    people[next(iter(by_part[word]))].add(word, where)
                elif (defined := acronyms.get(word)) is not None and neighbours[0] not in ("(", "or"):  # not its definition again
                    defined.add(word, where)

    ranked = sorted(found.values(), key=lambda f: (-f.salience, f.name.casefold()))[:MAX_ENTITIES]
    return tuple(EntityRef(slugify(f.name), f.name, f.kind, tuple(f.aliases), f.mentions) for f in ranked)


def _texts(story: Story) -> Iterable[tuple[str, str]]:
    for article in story.articles:
        yield "headline", article.headline
        paragraphs = article.paragraphs
        if paragraphs:
            yield "lead", paragraphs[0]
            for paragraph in paragraphs[1:]:
                yield "body", paragraph


def _known_aliases(taxonomy: Taxonomy):
    cache = getattr(taxonomy.index, "_known_aliases", None)
    if cache is None:
        cache = {}
        for known in taxonomy.entities.values():
            for alias in (known.name, *known.aliases):
                if alias not in known.ambiguous:
                    cache.setdefault(alias.casefold(), known)
        taxonomy.index._known_aliases = cache  # computed once per taxonomy
    return cache


def _title_case(tokens: Sequence[str]) -> bool:
    words = [t for t in tokens if t[:1].isalpha() and len(t) > 3]
    return len(words) >= 3 and sum(t[:1].isupper() for t in words) >= 0.8 * len(words)


class _WordCache(dict):
    """token -> function(token), worked out once per distinct word: words repeat across stories."""

    def __init__(self, function) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, token: str):
        value = self[token] = self.function(token)
        return value


def _strip_possessive(token: str) -> str:
    for suffix in ("'s", "’s", "'", "’"):
        if token.endswith(suffix) and len(token) > len(suffix) + 1:
            return token[: -len(suffix)]
    return token


def _is_name_word(token: str) -> bool:
    return bool(token[:1].isupper()) and token.casefold() not in NOT_NAMES and token not in {"'", "’"}


def titled_names(tokens: Sequence[str], words: WordCaches | None = None) -> Iterable[str]:
    """Names that follow a title or an honorific: "Prime Minister Datuk Seri Anwar Ibrahim's" -> "Anwar Ibrahim"."""
    n, after = len(tokens), 0
    opens_title = (words if words is not None else WordCaches()).opens_title
    for i in compress(range(n), map(opens_title.__getitem__, tokens)):
        if i < after:
            continue  # inside the previous title and name
        if tokens[i] != _strip_possessive(tokens[i]):  # "the Prime Minister's party": not followed by a name
            continue
        j = i + 1
        while j < n:  # the rest of the title: its portfolio, honorifics and their full stops
            word = tokens[j].casefold()
            if word in HONORIFICS or word in TITLE_HEADS or (word == "." and j > i):
                j += 1
            elif word in PORTFOLIO and (tokens[j][:1].isupper() or word in CONNECTORS or word == ","):
                j += 1
            else:
                break
        name: list[str] = []
        while j < n and len(name) < 4:
            token = tokens[j]
            base = _strip_possessive(token)
            if not (base[:1].isupper() and base.casefold() not in NOT_NAMES and base.casefold() not in TITLE_HEADS):
                break
            name.append(base)
            j += 1
            if base != token:
                break
        if name and not (len(name) == 1 and len(name[0]) == 1):
            yield " ".join(name)
        after = max(j, i + 1)


def defined_acronyms(tokens: Sequence[str], words: WordCaches | None = None) -> Iterable[tuple[str, str]]:
    """(long form, acronym) for "Balochistan Liberation Army, or BLA" and "Perikatan Nasional (PN)"."""
    is_acronym = (words if words is not None else WordCaches()).is_acronym
    for k in compress(range(len(tokens)), map(is_acronym.__getitem__, tokens)):
        if k < 2:
            continue
        token = tokens[k]
        j = k - 1
        if tokens[j] == "(" and (k + 1 >= len(tokens) or tokens[k + 1] == ")"):
            j -= 1
        elif tokens[j] == "or":
            j -= 1
            if tokens[j] == ",":
                j -= 1
        else:
            continue
        run: list[str] = []
        while j >= 0:
            word = tokens[j]
            base = _strip_possessive(word)
            if base != word and run:  # "the British Army's Special Air Service (SAS)": stop at the possessor
                break
            if base[:1].isupper() or (base in CONNECTORS and run):
                run.insert(0, base)
                j -= 1
            else:
                break
        while run and run[0] in CONNECTORS:
            run.pop(0)
        for start in range(len(run)):
            candidate = run[start:]
            if candidate[0][:1].isupper() and _initials_match(candidate, token):
                yield " ".join(candidate), token
                break


def _opens_title(token: str) -> bool:
    folded = token.casefold()
    return folded in TITLE_HEADS or (folded in HONORIFICS and token[:1].isupper())


def _bare(token: str) -> str:
    return _strip_possessive(token) if token[:1].isupper() else ""


def _is_acronym(token: str) -> bool:
    return _ACRONYM.fullmatch(token) is not None


class WordCaches:
    """What each distinct word is for the entity finder, worked out once per word: words repeat across stories, so
    a run of stories (``classify_stories``) shares one."""

    def __init__(self) -> None:
        self.opens_title = _WordCache(_opens_title)
        self.is_acronym = _WordCache(_is_acronym)
        self.bare = _WordCache(_bare)  # a capitalised word without its possessive; "" for other words


def _initials_match(words: Sequence[str], acronym: str) -> bool:
    capitals = "".join(part[0] for w in words for part in w.split("-") if part and part[0].isupper())
    every = "".join(part[0].upper() for w in words for part in w.split("-") if part)
    return acronym.replace("&", "") in (capitals, every)
