"""The keys ``digest.yaml`` may use inside ``taxonomy:`` and ``sections:``, each documented.

The taxonomy's loader accepts exactly these keys, and the settings reference (``docs/``) is rendered from them.
"""

from __future__ import annotations

from types import MappingProxyType

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
    "theme": ("a theme key: a mention also counts (entity_theme) for it, as a party does for politics", "politics"),
    "home": ("where it is based, for an entity that is not its country's story (a club): a mention counts "
             "(entity_country) for that country's region only", "United Kingdom"),
})
SECTION_SETTINGS = MappingProxyType({
    "name": ("the section's heading on the front page, and its address", "South Asia security"),
    "region": ("a region, or a list: the story's primary region must be one of them", "South Asia"),
    "country": ("a country or a list: the story's primary country must be one of them", "Pakistan"),
    "theme": ("a theme key or label, or a list: the story's primary theme must be one of them", "security"),
})
