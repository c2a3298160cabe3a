"""The taxonomy: countries, places, regions, themes, known entities and sections, typed and validated.

Built once per run from three layers, later ones winning:

1. world data from well-kept packages: country_converter's ``country_data.tsv`` (names, ISO codes,
   UN sub-regions, name patterns) and pycountry's ISO 3166-2 subdivisions (Balochistan, Sabah, ...).
   Both are read as plain data files (csv/json), never imported: ``import country_converter``
   pulls in pandas (~1 s), ``import pycountry`` builds objects we do not need (~80 ms);
2. digest's own defaults in ``digest/data/`` (themes and their cue terms, world entities,
   cities, irregular demonyms);
3. the editor's ``taxonomy:`` and ``sections:`` in ``digest.yaml``.

Every cue term and name then goes into one ``TermIndex``: a dictionary keyed by the first word of
each term, so scanning a story is a single pass over its words, whatever the number of terms.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import json
import re
from collections import defaultdict
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field, fields
from itertools import compress
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping

import yaml

from digest.models import Diagnostic
from digest.settings.documented import documented

DATA = Path(__file__).resolve().parent / "data"
OTHER_NEWS = "Other news"
KINDS = ("person", "organisation", "place")

# UN M49 sub-regions under the names news uses. Iran is the one country moved by default: UN files
# it under Southern Asia, news under the Middle East.
UN_REGION_NAMES = {
    "Southern Asia": "South Asia", "South-eastern Asia": "Southeast Asia", "Eastern Asia": "East Asia",
    "Central Asia": "Central Asia", "Western Asia": "Middle East", "Northern Africa": "North Africa",
    "Western Africa": "West Africa", "Eastern Africa": "East Africa", "Middle Africa": "Central Africa",
    "Southern Africa": "Southern Africa", "Northern America": "North America", "Central America": "Central America",
    "Caribbean": "Caribbean", "South America": "South America", "Northern Europe": "Northern Europe",
    "Western Europe": "Western Europe", "Southern Europe": "Southern Europe", "Eastern Europe": "Eastern Europe",
    "Australia and New Zealand": "Australia and New Zealand", "Melanesia": "Pacific Islands",
    "Micronesia": "Pacific Islands", "Polynesia": "Pacific Islands", "Antarctica": "Antarctica",
}
DEFAULT_MOVES = {"IR": "Middle East"}
# Words in the text that name a region directly ("the South Asian country").
DEFAULT_REGION_ALIASES = {
    "South Asia": ("South Asian", "subcontinent"), "Southeast Asia": ("Southeast Asian", "South-East Asia", "South East Asia", "South-East Asian"),
    "East Asia": ("East Asian",), "Middle East": ("Middle Eastern", "Gulf states"), "Caribbean": (),
    "Central Asia": ("Central Asian",), "West Africa": ("Sahel",), "East Africa": ("Horn of Africa", "East African"),
    "Southern Europe": ("Balkans",), "Northern Europe": ("Scandinavia", "Nordic"), "Pacific Islands": ("Pacific island",),
}
# Subdivision names that are ordinary words or repeat across the world; never read as places.
GENERIC_PLACE_WORDS = {
    "central", "centre", "center", "north", "south", "east", "west", "northern", "southern", "eastern", "western",
    "capital", "coast", "islands", "lakes", "upper", "lower", "delta", "plateau", "littoral", "nord", "sud", "est",
    "ouest", "interior", "federal", "national", "city", "valley", "mountain", "river", "border", "grand", "long",
    "independence", "liberty", "victoria", "georgia", "orange", "salt", "sunshine", "union", "lagos state",
}
# Country and place names that are also common first names or surnames ("Michael Jordan").
PERSON_LIKE_NAMES = {"jordan", "chad", "georgia", "israel", "kingston", "santiago", "florence", "paris", "lima"}
SUBDIVISION_TYPES = {
    "province", "state", "region", "governorate", "prefecture", "land", "autonomous region", "union territory",
    "federal territory", "federal capital territory", "emirate", "oblast", "republic", "autonomous community",
    "autonomous province", "special administrative region", "capital territory", "territory", "country", "nation",
    "metropolitan region", "capital district", "capital city", "federal district", "special region",
}


# ---------------------------------------------------------------- the typed taxonomy


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166 alpha-2
    name: str  # country_converter's short name: "Pakistan", "United States"
    un_region: str  # "Southern Asia"
    continent: str
    pattern: str = field(default="", repr=False)  # country_converter's regex for names of this country
    iso3: str = ""  # country_converter's regex for names of this country


@dataclass(frozen=True)
class Place:
    name: str
    countries: tuple[str, ...]  # ISO codes: one, or several for shared or disputed places (Kashmir)
    kind: str = "place"  # "city", "province", "place"


@dataclass(frozen=True)
class Region:
    name: str
    countries: tuple[str, ...]  # ISO codes
    aliases: tuple[str, ...] = ()  # words naming the region itself in a text
    source: str = "un"  # "un" (a UN sub-region) or "editor"


@dataclass(frozen=True)
class Theme:
    key: str  # "security": what sections, front matter and `digest list` use
    label: str  # "Security and conflict": what readers see
    cues: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class KnownEntity:
    name: str
    kind: str  # "person", "organisation", "place"
    aliases: tuple[str, ...] = ()
    country: str | None = None  # ISO code: a mention also counts (a little) for this country
    ambiguous: tuple[str, ...] = ()  # aliases that count only with context ("PH", "Pas", "X")
    context: tuple[str, ...] = ()  # terms that make an ambiguous alias count


@dataclass(frozen=True)
class Weights:
    """How much a mention counts, by where it is (docs/taxonomy.md: how a story is classified)."""

    headline: float = field(default=3.0, metadata=documented("a mention in the headline counts this much"))
    dateline: float = field(default=4.0, metadata=documented("a place in the dateline counts this much"))
    lead: float = field(default=1.5, metadata=documented("a mention in the first 50 words counts this much"))
    body: float = field(default=1.0, metadata=documented("a mention in the rest of the text counts this much"))
    subject: float = field(default=1.5, metadata=documented("multiplier for a place that opens the headline or a sentence (its subject)"))
    entity_country: float = field(default=0.5, metadata=documented("a person or organisation of a country counts this much for the country"))
    secondary: float = field(default=0.3, metadata=documented("other regions, themes and countries are listed down to this share of the top score"))
    min_score: float = field(default=2.0, metadata=documented("below this score no region and no theme is chosen"))


@dataclass(frozen=True)
class Section(MappingABC):
    """A named filter over where a story is filed; the first section that matches takes the story.

    Empty filters match anything. It also reads like its YAML entry: ``section["name"]``.
    """

    name: str
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # country names as the taxonomy spells them
    themes: tuple[str, ...] = ()  # theme keys

    def matches(self, region: str | None, country: str | None, theme: str | None) -> bool:
        return ((not self.regions or region in self.regions) and (not self.countries or country in self.countries)
                and (not self.themes or theme in self.themes))

    def describe(self) -> str:
        parts = [f"{label} {' or '.join(values)}" for label, values in
                 (("region", self.regions), ("country", self.countries), ("theme", self.themes)) if values]
        return ", ".join(parts) or "every story"

    def __getitem__(self, key: str) -> Any:
        if key not in _SECTION_KEYS:
            raise KeyError(key)
        return getattr(self, _SECTION_KEYS[key])

    def __iter__(self) -> Iterator[str]:
        return iter(_SECTION_KEYS)

    def __len__(self) -> int:
        return len(_SECTION_KEYS)


_SECTION_KEYS = {"name": "name", "region": "regions", "country": "countries", "theme": "themes"}  # YAML key -> field


@dataclass(frozen=True)
class Meaning:
    """What a term found in a text stands for."""

    kind: str  # "country", "place", "region", "entity", "cue", "context"
    target: str  # ISO code, place name, region name, entity name or theme key
    weight: float = 1.0
    case: str = "any"  # "any" (cue words), "capital" (names), "exact" (acronyms and ambiguous words)
    term: str = ""  # the term as configured: the text evidence quotes


@dataclass(frozen=True)
class Hit:
    term: str  # the words as they appear in the text
    meanings: tuple[Meaning, ...]
    index: int  # word position in the text
    sentence_start: bool  # among the first words of its sentence


_WORD = re.compile(r"[^\W_]+")
_OPENERS = {"the", "in", "on", "at", "from", "to", "of", "for", "and", "by", "with", "a", "an"}
_BOUNDARY = re.compile(r"[.!?:;]\s|[\"“”]")


@functools.lru_cache(maxsize=1 << 16)  # words repeat: most lookups are cache hits
def singular(word: str) -> str:
    """A crude but consistent singular, applied to both terms and text: tariffs -> tariff."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ws")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    return _WORD.findall(text)


class _Keys(dict):
    """A word as it appears -> its key (casefolded singular), worked out once per distinct word."""

    def __missing__(self, token: str) -> str:
        key = self[token] = singular(token.casefold())
        return key


class _Firsts(dict):
    """A word as it appears -> its key if some term starts with it, else "": one lookup for most words."""

    def __init__(self, keys: _Keys, by_first: Mapping[str, Any]) -> None:
        super().__init__()
        self._keys, self._by_first = keys, by_first

    def __missing__(self, token: str) -> str:
        key = self._keys[token]
        first = self[token] = key if key in self._by_first else ""
        return first


class TermIndex:
    """Every term of the taxonomy, found in one left-to-right pass over a text (longest match wins).

    The cost is one dictionary lookup per word of the text (``_Firsts``, cached per distinct word);
    only words that start some term are looked at further.
    """

    def __init__(self) -> None:
        self._by_first: dict[str, Any] = defaultdict(dict)
        self._forms: dict[tuple[str, ...], tuple[str, ...]] = {}  # normalised -> original words
        self._pending: Callable[[], None] | None = None
        self._caches()

    def fill_later(self, fill: Callable[[], None]) -> None:
        """Run ``fill`` (which adds the terms and freezes) when the index is first used: a build whose
        classifications are all remembered never needs it, and filling it is a third of start-up."""
        self._pending = fill

    def _ready(self) -> None:
        if self._pending is not None:
            fill, self._pending = self._pending, None
            fill()

    def _caches(self) -> None:
        self._keys = _Keys()
        self._firsts = _Firsts(self._keys, self._by_first)

    def __getstate__(self) -> dict:  # the word caches are rebuilt, not sent to worker processes
        self._ready()
        return {k: v for k, v in self.__dict__.items() if k not in ("_keys", "_firsts", "_known_aliases", "_fingerprints", "_pending")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._pending = None
        self._caches()

    def add(self, term: str, meaning: Meaning) -> None:
        original = tuple(words(term))
        if not original:
            return
        key = tuple(singular(w.casefold()) for w in original)
        meanings = self._by_first[key[0]].setdefault(key, [])
        # "Indian"/"Indians", "J D Vance"/"J.D. Vance" are one key: one meaning each, or they count twice.
        if not any(m.kind == meaning.kind and m.target == meaning.target and m.case == meaning.case for m in meanings):
            meanings.append(meaning)
        self._forms.setdefault(key, original)

    def freeze(self) -> None:
        # Longest terms first, so "Balochistan Liberation Army" wins over "Balochistan". Each candidate
        # is (key, size, its meanings with the spellings an "exact" one accepts).
        def checks(key: tuple[str, ...], meanings: list[Meaning]) -> tuple:
            out = []
            for m in meanings:
                exact = None
                if m.case == "exact":
                    configured = words(m.term) if m.term else list(self._forms[key])
                    exact = (configured, [w.upper() for w in configured])
                out.append((m, exact))
            return tuple(out)

        self._by_first = {first: tuple((key, len(key), checks(key, meanings)) for key, meanings in sorted(v.items(), key=lambda kv: -len(kv[0])))
                          for first, v in self._by_first.items()}
        self._caches()

    def __len__(self) -> int:
        self._ready()
        return sum(len(v) for v in self._by_first.values())

    def terms(self) -> Iterator[tuple[tuple[str, ...], tuple[Meaning, ...]]]:
        """Every term (its normalised words) and its meanings: what a fingerprint of the index hashes."""
        self._ready()
        for candidates in self._by_first.values():
            for key, _size, checks in candidates:
                yield key, tuple(m for m, _exact in checks)

    def scan(self, text: str) -> list[Hit]:
        if self._pending is not None:
            self._ready()
        # Sentences first, so each word knows how many words precede it in its sentence.
        tokens: list[str] = []
        starts: list[int] = []
        for piece in _BOUNDARY.split(text):
            found = _WORD.findall(piece)
            if found:
                tokens += found
                starts += range(len(found))
        firsts = list(map(self._firsts.__getitem__, tokens))
        keys, by_first = self._keys, self._by_first
        hits: list[Hit] = []
        n, free = len(tokens), 0
        for i in compress(range(n), firsts):
            if i < free:
                continue  # inside the previous match
            for key, size, checks in by_first[firsts[i]]:
                if size > 1:
                    if i + size > n:
                        continue
                    k = 1
                    while k < size and keys[tokens[i + k]] == key[k]:
                        k += 1
                    if k < size:
                        continue
                seen = tokens[i:i + size]
                allowed = tuple(m for m, exact in checks if _case_ok(m, exact, seen, tokens, i, size))
                if allowed:
                    hits.append(Hit(" ".join(seen), allowed, i, starts[i] <= 3))
                    free = i + size
                    break
        return hits


def _case_ok(meaning: Meaning, exact, seen: list[str], tokens: list[str], i: int, size: int) -> bool:
    if meaning.case == "any":
        return True
    if meaning.case == "exact":
        return seen == exact[0] or seen == exact[1]
    if not (seen[0][:1].isupper() or seen[0][:1].isdigit()):
        return False
    before = tokens[i - 1] if i > 0 else ""
    after = tokens[i + size] if i + size < len(tokens) else ""
    if seen[0].casefold() in PERSON_LIKE_NAMES and (before[:1].isupper() or after[:1].isupper()):
        return False  # "Michael Jordan", "Jordan Peterson": a person
    if meaning.kind == "place" and size == 1 and before[:1].isupper() and after[:1].isupper() and before.casefold() not in _OPENERS:
        return False  # "Liew Chin Tong": a part of a name, not Myanmar's Chin State
    return True


@dataclass(frozen=True)
class Taxonomy:
    countries: Mapping[str, Country] = field(repr=False)
    regions: Mapping[str, Region] = field(repr=False)  # in order: the editor's first
    region_of: Mapping[str, tuple[str, ...]] = field(repr=False)  # ISO code -> region names
    places: Mapping[str, Place] = field(repr=False)
    themes: Mapping[str, Theme] = field(repr=False)
    entities: Mapping[str, KnownEntity] = field(repr=False)
    weights: Weights = Weights()
    index: TermIndex = field(default_factory=TermIndex, repr=False, compare=False)

    def country_name(self, code: str) -> str:
        country = self.countries.get(code)
        return country.name if country else code

    def country_code(self, name: str) -> str | None:
        return resolve_country(name, self.countries)

    def theme_label(self, key: str | None) -> str | None:
        if key is None:
            return None
        theme = self.themes.get(key)
        return theme.label if theme else key

    def theme_key(self, value: str) -> str | None:
        """A theme from what an editor wrote: its key or its label, any case."""
        folded = value.strip().casefold()
        for key, theme in self.themes.items():
            if folded in (key.casefold(), theme.label.casefold()):
                return key
        return None

    def region_name(self, value: str) -> str | None:
        folded = value.strip().casefold()
        for name, region in self.regions.items():
            if folded == name.casefold() or folded in (a.casefold() for a in region.aliases):
                return name
        return None


# ---------------------------------------------------------------- world data


def _package_dir(name: str) -> Path:
    """A package's folder, found without importing it (see the module docstring for why)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the package {name!r} is not installed (pip install {name})")
    return Path(list(spec.submodule_search_locations)[0])


@functools.lru_cache(maxsize=1)
def world_countries() -> dict[str, Country]:
    path = _package_dir("country_converter") / "country_data.tsv"
    countries = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            # A few ISO2 cells are patterns ("^GB$|^UK$"): the first code is the ISO one.
            codes = re.findall(r"[A-Z]{2}", row["ISO2"])
            if not codes or not row["UNregion"] or row["obsolete"]:
                continue
            countries[codes[0]] = Country(codes[0], row["name_short"], row["UNregion"], row["continent"], row["regex"], row["ISO3"])
    return countries


@functools.lru_cache(maxsize=1)
def _country_names() -> dict[str, tuple[str, ...]]:
    """ISO code -> every name and demonym we read as that country."""
    names: dict[str, dict[str, None]] = defaultdict(dict)
    countries = world_countries()
    pycountry_dir = _package_dir("pycountry") / "databases"
    iso = json.loads((pycountry_dir / "iso3166-1.json").read_text(encoding="utf-8"))["3166-1"]
    for entry in iso:
        code = entry["alpha_2"]
        if code in countries:
            for key in ("name", "common_name", "official_name"):
                if entry.get(key) and "," not in entry[key]:
                    names[code][entry[key]] = None
    for code, country in countries.items():
        names[code][country.name] = None
    for name, code in _read_tsv(DATA / "country_names.tsv"):
        names[code][name] = None
    for code in list(names):
        for name in list(names[code]):
            if " " in name or len(name) < 4 or name.isupper():
                continue
            if name.endswith("a"):  # Malaysia -> Malaysian
                names[code][name + "n"] = None
            elif name.endswith(("stan", "desh", "aq", "el")):  # Pakistani, Bangladeshi, Iraqi, Israeli
                names[code][name + "i"] = None
            elif name[-1] not in "aeiouy":  # Iran -> Iranian, Egypt -> Egyptian
                names[code][name + "ian"] = None
    return {code: tuple(n) for code, n in names.items()}


@functools.lru_cache(maxsize=1)
def world_places() -> dict[str, Place]:
    """Provinces and states from pycountry, then digest's list of cities and places (which wins)."""
    countries = world_countries()
    country_words = {n.casefold() for names in _country_names().values() for n in names}
    by_name: dict[str, set[str]] = defaultdict(set)
    data = json.loads((_package_dir("pycountry") / "databases" / "iso3166-2.json").read_text(encoding="utf-8"))["3166-2"]
    for entry in data:
        if "parent" in entry or entry.get("type", "").casefold() not in SUBDIVISION_TYPES:
            continue
        code = entry["code"].split("-")[0]
        name = re.sub(r"\s*\(.*?\)\s*", "", entry["name"]).strip()
        folded = name.casefold()
        if code in countries and len(name) >= 4 and folded not in GENERIC_PLACE_WORDS and folded not in country_words:
            by_name[name].add(code)
    places = {}
    for name, codes in by_name.items():
        # A name shared across regions ("Maryland": US and Liberia) says nothing reliable; within one
        # region ("Punjab": India and Pakistan) it still says where.
        if len({countries[c].un_region for c in codes}) == 1:
            places[name] = Place(name, tuple(sorted(codes)), "province")
    for name, codes in _read_tsv(DATA / "places.tsv"):
        places[name] = Place(name, tuple(c.strip() for c in codes.split(",")), "city")
    return places


def _read_tsv(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, value = line.split("\t")[:2]
            rows.append((name.strip(), value.strip()))
    return rows


def resolve_country(name: str, countries: Mapping[str, Country] | None = None) -> str | None:
    """An ISO code from any way an editor writes a country: "PK", "PAK", "Pakistan", "Republic of Korea"."""
    countries = countries if countries is not None else world_countries()
    text = str(name).strip()
    upper = text.upper()
    if upper in countries:
        return upper
    by_iso3 = [code for code, country in countries.items() if country.iso3 == upper]
    if by_iso3:
        return by_iso3[0]
    folded = text.casefold()
    for code, names in _country_names().items():
        if code in countries and any(folded == n.casefold() for n in names):
            return code
    matches = [code for code, c in countries.items() if c.pattern and re.search(c.pattern, text, re.I)]
    return matches[0] if len(matches) == 1 else None


def _load_yaml(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


@functools.lru_cache(maxsize=1)
def _default_themes() -> dict[str, Theme]:
    return {key: Theme(key, spec["label"], {str(t): float(w) for t, w in spec["cues"].items()})
            for key, spec in _load_yaml(DATA / "themes.yaml").items()}


@functools.lru_cache(maxsize=1)
def _default_entity_specs() -> dict[str, Mapping[str, Any]]:
    return dict(_load_yaml(DATA / "entities.yaml"))


# ---------------------------------------------------------------- building and validating


# The keys digest.yaml may use inside taxonomy: and sections:, each with (its documentation, an example
# value[, its default]). The loader accepts exactly these keys, and docs/hooks.py renders the settings
# reference from them; taxonomy.weights is the Weights dataclass.
TAXONOMY_SETTINGS = MappingProxyType({
    "defaults": ("`false`: start from nothing but the world's countries (no default regions, themes or entities)", True, True),
    "regions": ("regions by name: a UN sub-region and/or countries (a plain list means countries:); "
                "countries put in your regions leave their default region",
                {"South Asia": {"un": "Southern Asia", "except": ["Iran"], "aliases": ["South Asian", "subcontinent"]},
                 "Gulf": ["Saudi Arabia", "UAE", "Qatar", "Kuwait", "Bahrain", "Oman"]}),
    "places": ("extra places and their country, or several countries for shared or disputed places",
               {"Dataran Merdeka": "Malaysia", "Kashmir": ["India", "Pakistan"]}),
    "themes": ("themes by key (one lower-case word, what sections and front matter use): new ones, or cues added to a built-in one",
               {"crime": {"label": "Crime and courts", "cues": {"robbery": 3, "court": 2, "sentenced": 3}},
                "politics": {"cues": {"unity government": 2.5, "state polls": 3}}}),
    "entities": ("known people, organisations and places by name; aliases and acronyms merge into one entity",
                 {"Pakatan Harapan": {"kind": "organisation", "aliases": ["PH", "Pakatan"], "country": "Malaysia", "ambiguous": ["PH"]},
                  "X": {"kind": "organisation", "aliases": ["X Corp"], "ambiguous": ["X"], "context": ["Twitter", "social media"]}}),
    "weights": ("how much a mention counts, by where it is", {"headline": 3, "dateline": 4}),
})
REGION_SETTINGS = MappingProxyType({
    "un": ("a UN sub-region, or a list, whose countries the region takes", "Southern Asia"),
    "countries": ("countries, by name or ISO code", ["India", "Pakistan", "Bangladesh"]),
    "except": ("countries left out of the UN sub-region", ["Iran"]),
    "aliases": ("words that name the region itself in a text", ["South Asian", "subcontinent"]),
})
THEME_SETTINGS = MappingProxyType({
    "label": ("what readers see; a new theme's default is its key, capitalised", "Crime and courts"),
    "cues": ("term: weight (3: the term alone says what the story is about, 1: a weak hint, 0: removes a built-in cue); "
             "plurals match by themselves", {"robbery": 3, "court": 2}),
    "replace": ("true: these cues replace the built-in theme's instead of adding to them", True, False),
})
ENTITY_SETTINGS = MappingProxyType({
    "kind": ("person, organisation or place", "organisation", "organisation"),
    "aliases": ("other names and acronyms of the entity", ["PH", "Pakatan"]),
    "country": ("its country: a mention also counts (entity_country) for it", "Malaysia"),
    "ambiguous": ("aliases that count only when the story also names the entity another way, its country or a context term",
                  ["PH"]),
    "context": ("terms that make an ambiguous alias count", ["coalition", "Sabah polls"]),
})
SECTION_SETTINGS = MappingProxyType({
    "name": ("the section's heading on the front page, and its address", "South Asia security"),
    "region": ("a region, or a list: the story's primary region must be one of them", "South Asia"),
    "country": ("a country or a list: the story's primary country must be one of them", "Pakistan"),
    "theme": ("a theme key or label, or a list: the story's primary theme must be one of them", "security"),
})


class _Problems:
    """Collects problems for a taxonomy built outside ``digest.yaml`` (tests, defaults)."""

    def __init__(self) -> None:
        self.path = "taxonomy"
        self.problems: list[Any] = []
        self.warnings: list[Diagnostic] = []

    def line(self, keys) -> int | None:
        return None

    def error(self, keys, message: str, hint: str | None = None) -> None:
        from digest.errors import DigestError

        label = ".".join(str(k) for k in keys)
        self.problems.append(DigestError(f"{label}: {message}", hint=hint))

    def unknown_keys(self, keys, data, known) -> None:
        for key in data:
            if key not in known:
                self.warnings.append(Diagnostic(self.path, None, f"unknown setting '{'.'.join(map(str, (*keys, key)))}' is ignored"))


def build_taxonomy(raw: Any = None, raw_sections: Any = None, ctx: Any = None) -> tuple[Taxonomy, tuple[Section, ...]]:
    """The taxonomy and sections from ``digest.yaml``'s ``taxonomy:`` and ``sections:``.

    ``ctx`` is the config loader's problem collector (``error``, ``unknown_keys``, ``warnings``, ``line``):
    every problem is reported with its line, all together. Without one, problems raise ``ConfigError``.
    """
    own = ctx is None
    ctx = ctx or _Problems()
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        ctx.error(("taxonomy",), "must be a mapping (regions:, places:, themes:, entities:, weights:)")
        raw = {}
    ctx.unknown_keys(("taxonomy",), raw, TAXONOMY_SETTINGS)
    use_defaults = raw.get("defaults", True)
    if not isinstance(use_defaults, bool):
        ctx.error(("taxonomy", "defaults"), f"must be true or false, not {use_defaults!r}")
        use_defaults = True

    countries = world_countries()
    regions, region_of = _regions(raw.get("regions"), countries, use_defaults, ctx)
    places = dict(world_places())
    for name, value in _mapping(raw.get("places"), ("taxonomy", "places"), ctx, "Dataran Merdeka: Malaysia").items():
        codes = _country_list(value, ("taxonomy", "places", name), ctx)
        if codes:
            places[str(name)] = Place(str(name), codes, "place")
    themes = _themes(raw.get("themes"), use_defaults, ctx)
    entities = _entities(raw.get("entities"), use_defaults, ctx)
    weights = _weights(raw.get("weights"), ctx)
    taxonomy = Taxonomy(countries, regions, region_of, places, themes, entities, weights)
    _fill_index(taxonomy)
    sections = _sections(raw_sections, taxonomy, ctx)
    if own and ctx.problems:
        from digest.errors import ConfigError

        raise ConfigError(ctx.problems)
    return taxonomy, sections


@functools.lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The built-in world taxonomy, used when ``digest.yaml`` has no ``taxonomy:``."""
    return build_taxonomy()[0]


def _mapping(value: Any, keys, ctx, example: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        ctx.error(keys, f"must be a mapping, e.g. '{example}'")
        return {}
    return value


def _text_list(value: Any, keys, ctx) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return (str(value),)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return tuple(str(v) for v in value)
    ctx.error(keys, f"must be a text or a list of texts, not {value!r}")
    return ()


def _country_list(value: Any, keys, ctx) -> tuple[str, ...]:
    codes = []
    for name in _text_list(value, keys, ctx):
        code = resolve_country(name)
        if code is None:
            ctx.error(keys, f"unknown country {name!r}", hint="use a country name (Malaysia) or its ISO code (MY)")
        else:
            codes.append(code)
    return tuple(dict.fromkeys(codes))


def _regions(raw: Any, countries: Mapping[str, Country], use_defaults: bool, ctx):
    un_names = {c.un_region for c in countries.values()}
    defaults: dict[str, list[str]] = defaultdict(list)
    if use_defaults:
        for code, country in countries.items():
            defaults[DEFAULT_MOVES.get(code) or UN_REGION_NAMES.get(country.un_region, country.un_region)].append(code)
    editor: dict[str, Region] = {}
    for name, spec in _mapping(raw, ("taxonomy", "regions"), ctx, "South Asia: {un: Southern Asia}").items():
        keys = ("taxonomy", "regions", name)
        name = str(name)
        if isinstance(spec, list):
            spec = {"countries": spec}
        if not isinstance(spec, dict):
            ctx.error(keys, "must be a list of countries or a mapping with un:, countries:, except:, aliases:",
                      hint="e.g. 'South Asia: {un: Southern Asia, except: [Iran]}'")
            continue
        ctx.unknown_keys(keys, spec, REGION_SETTINGS)
        codes: list[str] = []
        for un in _text_list(spec.get("un"), (*keys, "un"), ctx):
            if un not in un_names:
                ctx.error((*keys, "un"), f"unknown UN sub-region {un!r}", hint="one of: " + ", ".join(sorted(un_names)))
            codes += [c for c, country in countries.items() if country.un_region == un]
        codes += _country_list(spec.get("countries"), (*keys, "countries"), ctx)
        dropped = set(_country_list(spec.get("except"), (*keys, "except"), ctx))
        codes = [c for c in dict.fromkeys(codes) if c not in dropped]
        if not codes and "un" not in spec and "countries" not in spec:
            ctx.error(keys, "a region needs countries: give 'un: <UN sub-region>' or 'countries: [...]'")
        aliases = _text_list(spec.get("aliases"), (*keys, "aliases"), ctx) or DEFAULT_REGION_ALIASES.get(name, ())
        editor[name] = Region(name, tuple(codes), aliases, "editor")
    claimed = {c for region in editor.values() for c in region.countries}
    regions = dict(editor)
    for name, codes in defaults.items():
        if name not in regions:
            rest = tuple(c for c in codes if c not in claimed)
            if rest:
                regions[name] = Region(name, rest, DEFAULT_REGION_ALIASES.get(name, ()), "un")
    region_of: dict[str, list[str]] = defaultdict(list)
    for region in regions.values():
        for code in region.countries:
            region_of[code].append(region.name)
    return regions, {c: tuple(r) for c, r in region_of.items()}


def _themes(raw: Any, use_defaults: bool, ctx) -> dict[str, Theme]:
    themes = dict(_default_themes()) if use_defaults else {}
    for key, spec in _mapping(raw, ("taxonomy", "themes"), ctx, "security: {cues: {militant: 3}}").items():
        keys = ("taxonomy", "themes", key)
        key = str(key)
        if not re.fullmatch(r"[a-z][a-z0-9-]*", key):
            ctx.error(keys, "a theme key is one lower-case word (security, trade); put the wording in label:")
            continue
        if not isinstance(spec, dict):
            ctx.error(keys, "must be a mapping with label: and cues:", hint="e.g. 'trade: {label: Trade and economy, cues: {tariff: 3}}'")
            continue
        ctx.unknown_keys(keys, spec, THEME_SETTINGS)
        base = themes.get(key)
        cues = {} if spec.get("replace") is True or base is None else dict(base.cues)
        for term, weight in _mapping(spec.get("cues"), (*keys, "cues"), ctx, "tariff: 3").items():
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
                ctx.error((*keys, "cues", term), f"a cue's weight must be a number ≥ 0 (0 removes it), not {weight!r}")
            elif weight == 0:
                cues.pop(str(term).casefold(), None)
            else:
                cues[str(term).casefold()] = float(weight)
        label = spec.get("label", base.label if base else key.capitalize())
        if not isinstance(label, str):
            ctx.error((*keys, "label"), "must be text")
            label = key.capitalize()
        if not cues:
            ctx.error((*keys, "cues"), "a theme needs at least one cue term with a weight")
        themes[key] = Theme(key, label, cues)
    return themes


def _entities(raw: Any, use_defaults: bool, ctx) -> dict[str, KnownEntity]:
    specs: list[tuple[tuple, str, Any]] = []
    if use_defaults:
        specs += [(("entities.yaml", name), name, spec) for name, spec in _default_entity_specs().items()]
    specs += [(("taxonomy", "entities", name), str(name), spec) for name, spec in
              _mapping(raw, ("taxonomy", "entities"), ctx, "Pakatan Harapan: {kind: organisation, aliases: [PH]}").items()]
    entities: dict[str, KnownEntity] = {}
    for keys, name, spec in specs:
        spec = spec or {}
        if not isinstance(spec, dict):
            ctx.error(keys, "must be a mapping with kind:, aliases:, country:", hint="e.g. 'Barisan Nasional: {kind: organisation, aliases: [BN]}'")
            continue
        ctx.unknown_keys(keys, spec, ENTITY_SETTINGS)
        kind = spec.get("kind", "organisation")
        if kind not in KINDS:
            ctx.error((*keys, "kind"), f"must be one of {', '.join(KINDS)}, not {kind!r}")
            continue
        aliases = _text_list(spec.get("aliases"), (*keys, "aliases"), ctx)
        ambiguous = _text_list(spec.get("ambiguous"), (*keys, "ambiguous"), ctx)
        for alias in ambiguous:
            if alias not in aliases and alias != name:
                ctx.error((*keys, "ambiguous"), f"{alias!r} is not one of the aliases", hint="list it under aliases: too")
        country = None
        if spec.get("country") is not None:
            codes = _country_list(spec.get("country"), (*keys, "country"), ctx)
            country = codes[0] if codes else None
        entities.pop(name, None)  # the editor's entry replaces a default of the same name
        entities[name] = KnownEntity(name, kind, aliases, country, ambiguous, _text_list(spec.get("context"), (*keys, "context"), ctx))
    return entities


def _weights(raw: Any, ctx) -> Weights:
    values = {}
    for key, value in _mapping(raw, ("taxonomy", "weights"), ctx, "headline: 3").items():
        if key not in {f.name for f in fields(Weights)}:
            ctx.unknown_keys(("taxonomy", "weights"), {key: value}, {f.name for f in fields(Weights)})
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            ctx.error(("taxonomy", "weights", key), f"must be a number ≥ 0, not {value!r}")
        else:
            values[key] = float(value)
    return Weights(**values)


def _sections(raw: Any, taxonomy: Taxonomy, ctx) -> tuple[Section, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        ctx.error(("sections",), "must be a list of sections, each with a name", hint="e.g. '- {name: Trade, theme: trade}'")
        return ()
    sections, names = [], set()
    for i, spec in enumerate(raw):
        keys = ("sections", i)
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"].strip():
            ctx.error(keys, "each section needs a name, e.g. '- name: Trade' with 'theme: trade'")
            continue
        ctx.unknown_keys(keys, spec, SECTION_SETTINGS)
        name = spec["name"].strip()
        if name in names or name == OTHER_NEWS:
            ctx.error((*keys, "name"), f"the section name {name!r} is used twice" if name in names else
                      f"'{OTHER_NEWS}' is where unmatched stories go; it cannot be configured")
        names.add(name)
        regions = _lookup(spec.get("region"), (*keys, "region"), ctx, taxonomy.region_name, "region",
                          "define it under taxonomy.regions, or use one of: " + ", ".join(taxonomy.regions))
        countries = [taxonomy.country_name(code) for code in _country_list(spec.get("country"), (*keys, "country"), ctx)]
        themes = _lookup(spec.get("theme"), (*keys, "theme"), ctx, taxonomy.theme_key, "theme", "one of: " + ", ".join(taxonomy.themes))
        sections.append(Section(name, tuple(regions), tuple(countries), tuple(themes)))
    return tuple(sections)


def _lookup(value: Any, keys, ctx, find, what: str, hint: str) -> list[str]:
    found = []
    for text in _text_list(value, keys, ctx):
        name = find(text)
        if name is None:
            ctx.error(keys, f"unknown {what} {text!r}", hint=hint)
        else:
            found.append(name)
    return found


# ---------------------------------------------------------------- the index


def _fill_index(taxonomy: Taxonomy) -> None:
    taxonomy.index.fill_later(lambda: _fill_now(taxonomy))


def _fill_now(taxonomy: Taxonomy) -> None:
    index = taxonomy.index
    names = _country_names()
    for code in taxonomy.countries:
        for name in names.get(code, ()):
            index.add(name, Meaning("country", code, case=_name_case(name), term=name))
    for place in taxonomy.places.values():
        index.add(place.name, Meaning("place", place.name, case="capital", term=place.name))
    for region in taxonomy.regions.values():
        for alias in (region.name, *region.aliases):
            index.add(alias, Meaning("region", region.name, case="capital", term=alias))
    for theme in taxonomy.themes.values():
        for term, weight in theme.cues.items():
            index.add(term, Meaning("cue", theme.key, weight, "any", term))
    for entity in taxonomy.entities.values():
        for alias in (entity.name, *entity.aliases):
            case = "exact" if alias in entity.ambiguous else _name_case(alias)
            index.add(alias, Meaning("entity", entity.name, case=case, term=alias))
        for term in entity.context:
            index.add(term, Meaning("context", entity.name, case="any", term=term))
    index.freeze()


def _name_case(name: str) -> str:
    """Acronyms (US, TTP, U.S.) match only in capitals; other names need a capital first letter."""
    letters = [c for c in name if c.isalpha()]
    return "exact" if letters and len(letters) <= 5 and all(c.isupper() for c in letters) else "capital"
