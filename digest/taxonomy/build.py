"""Building and validating a taxonomy from ``digest.yaml``'s ``taxonomy:`` and ``sections:``.

Three layers, later ones winning: the built-in world (``world.py``), digest's own defaults in
``taxonomy/data/`` (themes and their cue terms, world entities) and the editor's settings. Every
problem is reported with its line, all together.
"""

from __future__ import annotations

import functools
import math
import pickle
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from digest.models import OTHER_NEWS
from digest.settings.problems import Problems
from digest.settings.yaml_safe import load_yaml
from digest.taxonomy.keys import ENTITY_SETTINGS, REGION_SETTINGS, SECTION_SETTINGS, TAXONOMY_SETTINGS, THEME_SETTINGS
from digest.taxonomy.model import KINDS, KnownEntity, Region, Section, Taxonomy, Theme, Weights
from digest.taxonomy.terms import Meaning
from digest.taxonomy.world import (
    DATA,
    DEFAULT_MOVES,
    DEFAULT_REGION_ALIASES,
    UN_REGION_NAMES,
    Country,
    Place,
    country_names,
    resolve_country,
    world_countries,
    world_places,
)


def _load_yaml(path: Path) -> Any:
    return load_yaml(path.read_text(encoding="utf-8")).data


@functools.lru_cache(maxsize=1)
def _default_themes() -> dict[str, Theme]:
    return {key: Theme(key, spec["label"], {str(t): float(w) for t, w in spec["cues"].items()})
            for key, spec in _load_yaml(DATA / "themes.yaml").items()}


@functools.lru_cache(maxsize=1)
def _default_entity_specs() -> dict[str, Mapping[str, Any]]:
    return dict(_load_yaml(DATA / "entities.yaml"))


# ---------------------------------------------------------------- building and validating


def is_weight(value: Any) -> bool:
    """A number ≥ 0 that is one: not true/false, not .nan, not .inf."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def build_taxonomy(raw: Any = None, raw_sections: Any = None, ctx: Any = None) -> tuple[Taxonomy, tuple[Section, ...]]:
    """The taxonomy and sections from ``digest.yaml``'s ``taxonomy:`` and ``sections:``.

    ``ctx`` is the config loader's problem collector (``error``, ``unknown_keys``, ``warnings``, ``line``):
    every problem is reported with its line, all together. Without one, problems raise ``ConfigError``.
    """
    if raw is None and raw_sections is None and ctx is not None:
        return default_taxonomy(), ()  # the same, built once: most sites change nothing
    key = _settings_key(raw, raw_sections) if ctx is not None else None
    if key is None:
        return _build(raw, raw_sections, ctx)
    taxonomy, sections, said = _built(key)
    for what, *args in said:  # each caller's collector locates them in its own file
        getattr(ctx, what)(*args)
    return taxonomy, sections


def _settings_key(raw: Any, raw_sections: Any) -> bytes | None:
    """The settings as bytes equal only for equal settings (None for any that cannot be written so)."""
    try:
        return pickle.dumps((raw, raw_sections), protocol=5)
    except (pickle.PicklingError, AttributeError, TypeError, ValueError, RecursionError):
        return None


@functools.lru_cache(maxsize=4)
def _built(key: bytes) -> tuple[Taxonomy, tuple[Section, ...], tuple[tuple, ...]]:
    """The taxonomy and sections of the settings ``key`` holds, and what building them said (the problem
    collector's calls), built once per process for equal settings: ~50 ms at the shipped site's size, its term
    index and fingerprint included, which the taxonomy object keeps. Like the default taxonomy, never changed
    once built."""
    raw, raw_sections = pickle.loads(key)
    said = _Said()
    taxonomy, sections = _build(raw, raw_sections, said)
    return taxonomy, sections, tuple(said.calls)


class _Said:
    """A problem collector that keeps the calls made to it, to make them again on the caller's (Problems)."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def error(self, keys, message: str, hint: str | None = None) -> None:
        self.calls.append(("error", keys, message, hint))

    def unknown_keys(self, keys, data, known) -> None:
        self.calls.append(("unknown_keys", keys, data, known))


def _build(raw: Any, raw_sections: Any, ctx: Any) -> tuple[Taxonomy, tuple[Section, ...]]:
    own = ctx is None
    ctx = ctx or Problems("taxonomy")
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
    entities = _entities(raw.get("entities"), use_defaults, ctx, themes)
    weights = _weights(raw.get("weights"), ctx)
    taxonomy = Taxonomy(countries, regions, region_of, places, themes, entities, weights)
    _fill_index(taxonomy)
    sections = _sections(raw_sections, taxonomy, ctx)
    if own:
        ctx.raise_if_any()
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


def _one_country(value: Any, keys, ctx) -> str | None:
    codes = _country_list(value, keys, ctx) if value is not None else ()
    return codes[0] if codes else None


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
            if not is_weight(weight):
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


def _entities(raw: Any, use_defaults: bool, ctx, themes: Mapping[str, Theme]) -> dict[str, KnownEntity]:
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
        country, home = (_one_country(spec.get(key), (*keys, key), ctx) for key in ("country", "home"))
        theme = spec.get("theme")
        if theme is not None and theme not in themes:
            ctx.error((*keys, "theme"), f"{theme!r} is not a theme key", hint=f"one of {', '.join(sorted(themes))}")
            theme = None
        entities.pop(name, None)  # the editor's entry replaces a default of the same name
        entities[name] = KnownEntity(name, kind, aliases, country, ambiguous, _text_list(spec.get("context"), (*keys, "context"), ctx), theme, home)
    return entities


def _weights(raw: Any, ctx) -> Weights:
    values = {}
    for key, value in _mapping(raw, ("taxonomy", "weights"), ctx, "headline: 3").items():
        if key not in {f.name for f in fields(Weights)}:
            ctx.unknown_keys(("taxonomy", "weights"), {key: value}, {f.name for f in fields(Weights)})
        elif not is_weight(value):
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
    names = country_names()
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
