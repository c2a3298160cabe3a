"""The built-in world: countries, their names and UN sub-regions, provinces and cities.

Read from well-kept packages: country_converter's ``country_data.tsv`` (names, ISO codes,
UN sub-regions, name patterns) and pycountry's ISO 3166-2 subdivisions (Balochistan, Sabah, ...),
plus digest's own ``taxonomy/data/`` (cities, irregular demonyms). Both packages are read as
plain data files (csv/json), never imported: ``import country_converter`` pulls in pandas (~1 s),
``import pycountry`` builds objects we do not need (~80 ms).
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

DATA = Path(__file__).resolve().parent / "data"

# UN M49 sub-regions under the names news uses. Iran is the one country moved by default: UN files
# it under Southern Asia, news under the Middle East.
UN_REGION_NAMES = MappingProxyType({
    "Southern Asia": "South Asia", "South-eastern Asia": "Southeast Asia", "Eastern Asia": "East Asia",
    "Central Asia": "Central Asia", "Western Asia": "Middle East", "Northern Africa": "North Africa",
    "Western Africa": "West Africa", "Eastern Africa": "East Africa", "Middle Africa": "Central Africa",
    "Southern Africa": "Southern Africa", "Northern America": "North America", "Central America": "Central America",
    "Caribbean": "Caribbean", "South America": "South America", "Northern Europe": "Northern Europe",
    "Western Europe": "Western Europe", "Southern Europe": "Southern Europe", "Eastern Europe": "Eastern Europe",
    "Australia and New Zealand": "Australia and New Zealand", "Melanesia": "Pacific Islands",
    "Micronesia": "Pacific Islands", "Polynesia": "Pacific Islands", "Antarctica": "Antarctica",
})
DEFAULT_MOVES = MappingProxyType({"IR": "Middle East"})
# Words in the text that name a region directly ("the South Asian country").
DEFAULT_REGION_ALIASES = MappingProxyType({
    "South Asia": ("South Asian", "subcontinent"), "Southeast Asia": ("Southeast Asian", "South-East Asia", "South East Asia", "South-East Asian"),
    "East Asia": ("East Asian",), "Middle East": ("Middle Eastern", "Gulf states"), "Caribbean": (),
    "Central Asia": ("Central Asian",), "West Africa": ("Sahel",), "East Africa": ("Horn of Africa", "East African"),
    "Southern Europe": ("Balkans",), "Northern Europe": ("Scandinavia", "Nordic"), "Pacific Islands": ("Pacific island",),
})
# Currency signs used by one country only: an amount quoted in one ("£25m", not a conversion in brackets
# after another currency) is a hint of where the story is. $, € and ¥ are shared by many countries.
CURRENCY_SIGNS = MappingProxyType({"£": "GB", "₹": "IN", "₩": "KR", "₱": "PH", "₦": "NG", "₺": "TR", "₴": "UA", "₽": "RU", "฿": "TH"})
# Subdivision names that are ordinary words or repeat across the world; never read as places.
GENERIC_PLACE_WORDS = frozenset({
    "central", "centre", "center", "north", "south", "east", "west", "northern", "southern", "eastern", "western",
    "capital", "coast", "islands", "lakes", "upper", "lower", "delta", "plateau", "littoral", "nord", "sud", "est",
    "ouest", "interior", "federal", "national", "city", "valley", "mountain", "river", "border", "grand", "long",
    "independence", "liberty", "victoria", "georgia", "orange", "salt", "sunshine", "union", "lagos state",
})
SUBDIVISION_TYPES = frozenset({
    "province", "state", "region", "governorate", "prefecture", "land", "autonomous region", "union territory",
    "federal territory", "federal capital territory", "emirate", "oblast", "republic", "autonomous community",
    "autonomous province", "special administrative region", "capital territory", "territory", "country", "nation",
    "metropolitan region", "capital district", "capital city", "federal district", "special region",
})


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166 alpha-2
    name: str  # country_converter's short name: "Pakistan", "United States"
    un_region: str  # "Southern Asia"
    continent: str
    pattern: str = field(default="", repr=False)  # country_converter's regex for names of this country
    iso3: str = ""  # the ISO 3166-1 alpha-3 code ("MYS"), so that a taxonomy may name a country by it


@dataclass(frozen=True)
class Place:
    name: str
    countries: tuple[str, ...]  # ISO codes: one, or several for shared or disputed places (Kashmir)
    kind: str = "place"  # "city", "province", "place"


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
def country_names() -> dict[str, tuple[str, ...]]:
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
    country_words = {n.casefold() for names in country_names().values() for n in names}
    by_name: dict[str, set[str]] = defaultdict(set)
    data = json.loads((_package_dir("pycountry") / "databases" / "iso3166-2.json").read_text(encoding="utf-8"))["3166-2"]
    for entry in data:
        if "parent" in entry or entry.get("type", "").casefold() not in SUBDIVISION_TYPES:
            continue
        code = entry["code"].split("-")[0]
        name = re.sub(r"\s*\(.*?\)\s*", "", entry["name"]).strip()
        folded = name.casefold()
        generic = all(word in GENERIC_PLACE_WORDS for word in folded.replace("-", " ").split())  # "North East", "Upper West"
        if code in countries and len(name) >= 4 and not generic and folded not in GENERIC_PLACE_WORDS and folded not in country_words:
            by_name[name].add(code)
    places = {}
    for name, codes in by_name.items():
        # A name shared across regions ("Maryland": US and Liberia) says nothing reliable; within one
        # region ("Punjab": India and Pakistan) it still says where.
        if len({countries[c].un_region for c in codes}) == 1:
            places[name] = Place(name, tuple(sorted(codes)), "province")
    for name, listed_codes in _read_tsv(DATA / "places.tsv"):
        places[name] = Place(name, tuple(c.strip() for c in listed_codes.split(",")), "city")
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
    world = world_countries()
    countries = countries if countries is not None else world
    text = str(name).strip()
    upper = text.upper()
    if upper in countries:
        return upper
    by_iso3, by_name = _world_lookup() if countries is world else _lookup(countries)
    code = by_iso3.get(upper) or by_name.get(text.casefold())
    if code is not None:
        return code
    matches = [code for code, c in countries.items() if c.pattern and re.search(c.pattern, text, re.I)]
    return matches[0] if len(matches) == 1 else None


def _lookup(countries: Mapping[str, Country]) -> tuple[dict[str, str], dict[str, str]]:
    """(ISO3 code -> ISO code, folded name -> ISO code) of ``countries``: where a name or an ISO3 code is shared,
    the first country in ``countries`` (ISO3) or in ``country_names()`` (names) has it."""
    by_iso3: dict[str, str] = {}
    for code, country in countries.items():
        by_iso3.setdefault(country.iso3, code)
    by_name: dict[str, str] = {}
    for code, names in country_names().items():
        if code in countries:
            for known in names:
                by_name.setdefault(known.casefold(), code)
    return by_iso3, by_name


@functools.lru_cache(maxsize=1)
def _world_lookup() -> tuple[dict[str, str], dict[str, str]]:
    # Each taxonomy built resolves the countries of ~160 known entities: a scan of every country's names each
    # time (~0.2 ms a name) made a third of building one.
    return _lookup(world_countries())
