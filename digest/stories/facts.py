"""Whether another version of a story states a sentence's fact in its own words.

"What each outlet adds" must list only facts no other version states. The summary stage's bigram test finds
the sentences worded differently from every other version; a reworded fact ("a 60-day state of emergency",
"an emergency lasting 60 days") is one of them, and would be shown as one outlet's own. Here each such sentence
is compared with the sentences of the other versions by their content words, reduced to a common form (plural,
possessive and verb endings off, number words as digits, an acronym a version spells out as its name) and
weighted by how rare each is in the story: "emergency" and "60" say more than "earthquake" in a story about an
earthquake. A sentence another version's sentence covers to RESTATED or more is shared; one whose figures no
other version gives is the outlet's own whatever the rest of its words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from digest.stories.arrays import distinct, ranges
from digest.stories.tokens import STOP_WORDS

# Weighted share of a sentence's content words that one sentence of another version must hold for the sentence's
# fact to count as stated there too. Chosen on the cases (tests/test_outlet_adds.py) and the shipped
# stories: facts only one outlet has score 0-0.31 with at most 2 specific words; reworded shared ones 0.35-1.
RESTATED = 0.42
# ... or this share, when the words held include SPECIFIC_WORDS that no other sentence of the story uses: "60",
# "emergency" and "provinces" said in two sentences only are one fact, however the rest is worded.
RESTATED_SPECIFIC = 0.25
SPECIFIC_WORDS = 3
# Only sentences sharing a rare word (used by at most SEED_USES sentences of the story, or SEED_SHARE of them) with a
# candidate are compared with it: a fact stated twice shares its specific words, and comparing every pair would
# cost seconds per 10,000 articles.
SEED_USES = 3
SEED_SHARE = 0.1

NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "hundred": "100", "thousand": "1000", "dozen": "12"}

Fact = frozenset[str]  # a sentence's content words, in their common form


def common_form(word: str) -> str | None:
    """The form a content word is compared in, the same for its inflections ("landslides", "landslide" ->
    "landslid"; "twelve" -> "12"); None for a word that says nothing (a stop word)."""
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    word = word.rstrip("'")
    if word in NUMBER_WORDS:
        return NUMBER_WORDS[word]
    if word in STOP_WORDS or not word:
        return None
    if word.isdigit():
        return word.lstrip("0") or "0"
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3 and not word.endswith("ss"):
            word = word[: -len(ending)]
            if ending != "s" and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # "beginning" -> "begin"
            if word.endswith("i"):
                word = word[:-1] + "y"  # "identified", "parties" -> "identify", "party"
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word  # "base", "based" -> "bas"


def fact(words: Sequence[str]) -> Fact:
    return frozenset(form for form in map(common_form, words) if form is not None)


# "Barisan Nasional (BN)": an acronym a version spells out, which another version may use instead of the name.
_ACRONYM = re.compile(r"\([A-Z]{2,6}\)")
_SPELLED_OUT = re.compile(r"((?:[A-Z][\w'’-]*\s+){1,6})\(([A-Z]{2,6})\)")


def acronyms(texts: Sequence[str]) -> dict[str, str]:
    """Acronym -> the common form of the first word of its name, as the texts spell them out ("bn" -> "barisan"),
    when the acronym's letters are the initials of the words before it."""
    found = {}
    for text in texts:
        if not _ACRONYM.search(text):  # most texts: the slower pattern below need not run
            continue
        for words, acronym in _SPELLED_OUT.findall(text):
            name = words.split()[-len(acronym):]
            if len(name) == len(acronym) and "".join(word[0] for word in name).upper() == acronym:
                first = common_form(name[0].lower())
                if first:
                    found[acronym.lower()] = first
    return found


def restated(candidates: dict[int, Fact], versions: Sequence[Sequence[tuple[int, Fact]]], aliases: Mapping[str, str] | None = None) -> set[int]:
    """The candidate sentences (row -> fact) that another version states too. ``versions`` are one story's
    versions, each its sentences in order as (row, fact); a candidate is compared with the versions it is not in.
    ``aliases`` maps a word to the one it stands for (an acronym to its name's first word)."""
    ids: dict[str, int] = {}
    rows = [row for sentences in versions for row, _ in sentences]
    entries = sorted({(i, ids.setdefault((aliases or {}).get(w, w), len(ids)))
                      for i, (_, words) in enumerate(s for sentences in versions for s in sentences) for w in words})
    sentence = np.array([i for i, _ in entries], dtype=np.int64)
    form = np.array([f for _, f in entries], dtype=np.int64)
    version = np.repeat(np.arange(len(versions)), [len(sentences) for sentences in versions])
    wanted = np.array([rows.index(row) for row in candidates], dtype=np.int64)
    figure = np.array([word.isdigit() for word in ids], dtype=bool)
    stated = restated_rows(np.zeros(len(rows), dtype=np.int64), version, sentence, form, wanted, figure)
    return {rows[i] for i in stated}


def restated_rows(story: np.ndarray, version: np.ndarray, sentence: np.ndarray, form: np.ndarray, candidates: np.ndarray,
                  figure: np.ndarray) -> list[int]:
    """``restated`` on many stories at once, as arrays. Sentences are numbered 0..n-1 in reading order, each with
    its ``story`` and ``version`` (ids unique across stories); (``sentence``, ``form``) are the distinct words of
    each, sorted; ``candidates`` are sentence numbers; ``figure`` says which word ids are figures. Returns the
    candidates another version of their story states."""
    if not len(candidates) or not len(sentence):
        return []
    n, width = len(story), int(form.max()) + 1
    # How rare each word is in its story: log(1 + sentences / sentences using it).
    key = story[sentence] * width + form
    keys, uses = distinct(key, counts=True)
    at = np.searchsorted(keys, key)
    told = np.bincount(story, minlength=int(story.max()) + 1)[story[sentence]]
    weight = np.log1p(told / uses[at])
    # Sentences of other versions that share a rare word with a candidate are the ones that may state its fact.
    is_candidate = np.zeros(n, dtype=bool)
    is_candidate[candidates] = True
    mine = np.flatnonzero(is_candidate[sentence])
    rare = mine[uses[at[mine]] <= np.maximum(SEED_USES, SEED_SHARE * told[mine])]
    order = np.argsort(key, kind="stable")
    found, owner = ranges(np.searchsorted(key, key[rare], sorter=order), np.searchsorted(key, key[rare], side="right", sorter=order))
    seed = distinct(sentence[rare[owner]] * n + sentence[order[found]])
    seed = seed[version[seed // n] != version[seed % n]]
    near, other = seed // n, seed % n
    # Each seed pair's shared words: the candidate's words looked up in the other sentence's.
    entry, pair = ranges(np.searchsorted(sentence, near), np.searchsorted(sentence, near, side="right"))
    words = sentence * width + form  # sorted: by sentence, then word
    wanted = other[pair] * width + form[entry]
    held = words[np.minimum(np.searchsorted(words, wanted), len(words) - 1)] == wanted
    covered = np.bincount(pair, weights=weight[entry] * held, minlength=len(seed))
    specific = np.bincount(pair, weights=(uses[at[entry]] <= 2) & held, minlength=len(seed))  # in these two only
    total = np.bincount(sentence[mine], weights=weight[mine], minlength=n)
    share = covered / np.maximum(total[near], 1e-9)
    stated = np.zeros(n, dtype=bool)
    stated[near[(share >= RESTATED) | ((share >= RESTATED_SPECIFIC) & (specific >= SPECIFIC_WORDS))]] = True
    # A sentence whose figures no other version gives is the outlet's own ("90 days" where others say 60).
    versions_with = _versions_using(keys, key, version[sentence])
    figures = mine[figure[form[mine]]]
    has_figure = np.bincount(sentence[figures], minlength=n) > 0
    given = np.bincount(sentence[figures], weights=versions_with[at[figures]] > 1, minlength=n) > 0
    stated &= ~(has_figure & ~given)
    return np.flatnonzero(stated & is_candidate).tolist()


def _versions_using(keys: np.ndarray, key: np.ndarray, version: np.ndarray) -> np.ndarray:
    """For each (story, word) key: how many versions of the story use the word."""
    versions = int(version.max()) + 1
    used = distinct(key * versions + version) // versions
    return np.bincount(np.searchsorted(keys, used), minlength=len(keys))


