"""The taxonomy's types: regions, themes, known entities, weights, sections, and the ``Taxonomy`` itself.

A taxonomy is built (``taxonomy/build.py``) once per run from three layers, later ones winning:
the built-in world (``taxonomy/world.py``), digest's own defaults in ``taxonomy/data/`` (themes
and their cue terms, world entities) and the editor's ``taxonomy:`` and ``sections:`` in
``digest.yaml``. Its terms are found in a text by its ``TermIndex`` (``taxonomy/terms.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from digest.settings.documented import documented
from digest.taxonomy.terms import TermIndex
from digest.taxonomy.world import Country, Place, resolve_country

KINDS = ("person", "organisation", "place")


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
    theme: str | None = None  # a theme key: a mention also counts (entity_theme) for it ("Labour" for politics)
    # ISO code of where it is based: a mention counts (entity_country) for that country's region, not for the
    # country ("Arsenal" files a story under Northern Europe without making it a United Kingdom story).
    home: str | None = None


@dataclass(frozen=True)
class Weights:
    """How much a mention counts, by where it is (docs/taxonomy.md: how a story is classified)."""

    headline: float = field(default=3.0, metadata=documented("a mention in the headline counts this much"))
    dateline: float = field(default=4.0, metadata=documented("a place in the dateline counts this much"))
    lead: float = field(default=1.5, metadata=documented("a mention in the first 50 words counts this much"))
    body: float = field(default=1.0, metadata=documented("a mention in the rest of the text counts this much"))
    subject: float = field(default=1.5, metadata=documented("multiplier for a place that opens the headline or a sentence (its subject)"))
    entity_country: float = field(default=0.5, metadata=documented("a person or organisation of a country counts this much for the country"))
    entity_theme: float = field(default=1.5, metadata=documented("an entity with a theme (a party, a league) counts for it as a cue of this weight"))
    secondary: float = field(default=0.3, metadata=documented("other regions, themes and countries are listed down to this share of the top score"))
    min_score: float = field(default=1.5, metadata=documented("below this score no region and no theme is chosen"))


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


_SECTION_KEYS = MappingProxyType({"name": "name", "region": "regions", "country": "countries", "theme": "themes"})  # YAML key -> field


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
    # The answers of country_code, region_name and theme_key, by (kind, value asked about): front matter names the
    # same few countries, regions and themes in story after story (each lookup is a walk of every name and alias).
    _answers: dict[tuple[str, str], str | None] = field(default_factory=dict, init=False, repr=False, compare=False)

    def country_name(self, code: str) -> str:
        country = self.countries.get(code)
        return country.name if country else code

    def _answer(self, kind: str, value: str, find: Callable[[str], str | None]) -> str | None:
        key = (kind, value)
        answers = self._answers
        if key not in answers:
            answers[key] = find(value)
        return answers[key]

    def country_code(self, name: str) -> str | None:
        return self._answer("country", name, lambda name: resolve_country(name, self.countries))

    def theme_label(self, key: str | None) -> str | None:
        if key is None:
            return None
        theme = self.themes.get(key)
        return theme.label if theme else key

    def theme_key(self, value: str) -> str | None:
        """A theme from what an editor wrote: its key or its label, any case."""
        return self._answer("theme", value, self._find_theme)

    def _find_theme(self, value: str) -> str | None:
        folded = value.strip().casefold()
        for key, theme in self.themes.items():
            if folded in (key.casefold(), theme.label.casefold()):
                return key
        return None

    def region_name(self, value: str) -> str | None:
        """A region from what an editor wrote: its name or an alias, any case."""
        return self._answer("region", value, self._find_region)

    def _find_region(self, value: str) -> str | None:
        folded = value.strip().casefold()
        for name, region in self.regions.items():
            if folded == name.casefold() or folded in (a.casefold() for a in region.aliases):
                return name
        return None
