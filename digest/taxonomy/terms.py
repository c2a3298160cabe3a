"""The term index: every term of the taxonomy found in one left-to-right pass over a text.

Every cue term and name goes into one ``TermIndex``: a dictionary keyed by the first word of
each term, so scanning a story is a single pass over its words, whatever the number of terms.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from itertools import compress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from digest.taxonomy.model import KnownEntity, Section

# Country and place names that are also common first names or surnames ("Michael Jordan").
PERSON_LIKE_NAMES = frozenset({"jordan", "chad", "georgia", "israel", "kingston", "santiago", "florence", "paris", "lima"})


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
# The same words in a text of ASCII characters only (most news text in English), found a quarter faster: the
# classes are spelt out, where [^\W_] asks Unicode's tables about each character.
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
_OPENERS = frozenset({"the", "in", "on", "at", "from", "to", "of", "for", "and", "by", "with", "a", "an"})
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
    """A word as it appears -> the terms that may start with it, spelt so (empty for most words): one lookup a word.

    A term whose every meaning wants a capital or an exact spelling cannot start at a word spelt otherwise, so
    "the" (lower case) is not looked at further for "The Hague", nor "who" for "WHO": half the words that start
    some term, in news text, start only such terms."""

    def __init__(self, keys: _Keys, by_first: Mapping[str, Any]) -> None:
        super().__init__()
        self._keys, self._by_first = keys, by_first

    def __missing__(self, token: str) -> tuple:
        candidates = self._by_first.get(self._keys[token], ())
        if candidates:
            candidates = tuple((key, size, checks, _settled(checks, token, size)) for key, size, checks in candidates
                               if any(_may_start(m, exact, token) for m, exact in checks))
        self[token] = candidates
        return candidates


class TermIndex:
    """Every term of the taxonomy, found in one left-to-right pass over a text (longest match wins).

    The cost is one dictionary lookup per word of the text (``_Firsts``, cached per distinct word);
    only words that start some term are looked at further.
    """

    # Worked out by the classifier once per taxonomy and kept here, not pickled (see __getstate__):
    # absent until then, so read with getattr.
    _fingerprints: dict[tuple[Section, ...] | str, str]  # classify/memo.py
    _known_aliases: dict[str, KnownEntity]  # classify/entities.py

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
        find_words = (_ASCII_WORD if text.isascii() else _WORD).findall
        for piece in _BOUNDARY.split(text):
            found = find_words(piece)
            if found:
                tokens += found
                starts += range(len(found))
        firsts = list(map(self._firsts.__getitem__, tokens))
        keys = self._keys
        hits: list[Hit] = []
        n, free = len(tokens), 0
        for i in compress(range(n), firsts):
            if i < free:
                continue  # inside the previous match
            for key, size, checks, settled in firsts[i]:
                if size > 1:
                    if i + size > n:
                        continue
                    k = 1
                    while k < size and keys[tokens[i + k]] == key[k]:
                        k += 1
                    if k < size:
                        continue
                seen = tokens[i:i + size]
                allowed = settled if settled is not None else tuple(m for m, exact in checks if _case_ok(m, exact, seen, tokens, i, size))
                if allowed:
                    hits.append(Hit(" ".join(seen), allowed, i, starts[i] <= 3))
                    free = i + size
                    break
        return hits


def _settled(checks: tuple, token: str, size: int) -> tuple[Meaning, ...] | None:
    """The meanings ``_case_ok`` accepts for a match of ``size`` words starting with ``token``, when that does not
    depend on the words around it nor (for an exact spelling) on the match's other words; else None. Worked out once
    per spelling of a first word (``_Firsts``): most matches are settled so, without a check per meaning."""
    allowed = []
    for meaning, exact in checks:
        if meaning.case == "exact":
            if size > 1:
                return None
            ok = _case_ok(meaning, exact, [token], [token], 0, 1)
        elif meaning.case == "any":
            ok = True
        elif not (token[:1].isupper() or token[:1].isdigit()):
            ok = False
        elif token.casefold() in PERSON_LIKE_NAMES or (meaning.kind == "place" and size == 1):
            return None  # "Michael Jordan", "Liew Chin Tong": told by the neighbours
        else:
            ok = True
        if ok:
            allowed.append(meaning)
    return tuple(allowed)


def _may_start(meaning: Meaning, exact, token: str) -> bool:
    """Whether ``_case_ok`` could accept a match of ``meaning`` whose first word is spelt ``token``."""
    if meaning.case == "any":
        return True
    if meaning.case == "exact":
        return token in exact[0][:1] or token in exact[1][:1]
    return token[:1].isupper() or token[:1].isdigit()


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
