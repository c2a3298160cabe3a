"""How the merge stage sees text: words (``tokens``), the names in it (``names``), and the words that say nothing.

The tokeniser cuts the text of many articles at once, with an end mark (``END``) closing each headline and
sentence; names are capitalised phrases without their titles, keyed so that "Datuk Seri Salleh Said Keruak" and
"Salleh Said Keruak" are one person.
"""

from __future__ import annotations

import re

from digest.models import Article
from digest.names import HONORIFICS

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does doing down during each either even ever every few for from further had has have having
he her here hers herself him himself his how however i if in into is it its itself just last least less like made
make many may me might more most much must my myself near neither new no nor not now of off on once one only or other
our ours ourselves out over own per put quite rather really said same say says saying see seen she should since so
some still such than that the their theirs them themselves then there these they this those though through to too
two under until up upon us very via was we well were what when where whether which while who whom whose why will
with within without would yet you your yours yourself week weeks day days year years time told added according
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow mr mrs ms dr
january february march april june july august september october november december
""".split())


# Words that may open a capitalised phrase without being part of the name: courtesy titles, offices, articles.
TITLE_WORDS = HONORIFICS | frozenset("""
tan madam sheikh president prime minister deputy state secretary senator chief general gen king queen prince the a an
former
""".split())
END = "\x01"  # closes each headline and sentence in the text given to the tokeniser: never part of a word
NAME_KEYS_KEPT = 500_000  # phrases whose name keys a ``names`` memo keeps


# A word (letters and digits, "pakistan's" whole), or the end mark the reader puts after each sentence.
_WORD_OR_END = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|\x01")


# A capitalised phrase: "Balochistan Liberation Army", "Tehrik-e-Taliban Pakistan", "GRS", "Gabungan Rakyat Sabah".
_NAME = re.compile(r"[A-Z](?<![\w'’][A-Z])[\w'’-]*(?:\s+(?:(?:of|bin|binti|al|de|la|van|von|der|e)\s+)?[A-Z][\w'’-]*)*")


_POSSESSIVE = re.compile(r"['’]s?$")


def names(text: str, known: dict[str, tuple[str, ...]]) -> set[str]:
    """Capitalised phrases without titles, plus their words: "salleh said keruak", "salleh", "keruak".

    ``known`` maps phrases to their keys, worked out once each: names recur across thousands of articles
    (the caller keeps it between calls; up to NAME_KEYS_KEPT phrases are added)."""
    found: set[str] = set()
    look_up = known.get
    for phrase in dict.fromkeys(_NAME.findall(text)):  # a name recurs in an article: look it up once (in order)
        keys = look_up(phrase)
        if keys is None:
            keys = _name_keys(phrase)
            if len(known) < NAME_KEYS_KEPT:
                known[phrase] = keys
        found.update(keys)
    return found


def _name_keys(phrase: str) -> tuple[str, ...]:
    parts = [_POSSESSIVE.sub("", p).lower() for p in phrase.split()]
    while parts and parts[0] in TITLE_WORDS:
        del parts[0]
    if not parts or (len(parts) == 1 and (parts[0] in STOP_WORDS or parts[0] in TITLE_WORDS or not parts[0])):
        return ()
    words = [p for p in parts if len(p) > 2 and p not in STOP_WORDS and p not in TITLE_WORDS] if len(parts) > 1 else []
    return (" ".join(parts), *words)


def article_text(article: Article) -> str:
    return article.headline + ".\n\n" + article.text


# The tokeniser's fast path, exactly ``_WORD_OR_END`` on ASCII text: every byte that is not a letter, a digit, an
# apostrophe or the end mark becomes a space (bytes >= 128 are kept: they only occur in words the regex already
# cut out), then an apostrophe not between two word bytes becomes a space too, and ``bytes.split`` does the rest.
_TO_SPACE = bytes(c if (chr(c).isalnum() or c in (1, 39) or c >= 128) else 32 for c in range(256))
_LONE_APOSTROPHE = re.compile(rb"(?<![^ \x01'])'|'(?![^ \x01'])")


def tokens(pieces: list[str]) -> list[bytes]:
    """The tokens of each piece (words, UTF-8, and each end mark), in order: ``_WORD_OR_END.findall`` on them all."""
    text = "".join(pieces)
    if not text.isascii():  # the regex for pieces with non-ASCII letters (its \w is Unicode), bytes.split for the rest
        find = _WORD_OR_END.findall
        text = " ".join(" ".join(find(piece)) if not piece.isascii() else piece for piece in pieces)
    blob = text.encode().replace(b"\x01", b" \x01 ").translate(_TO_SPACE)
    if b"'" in blob:
        blob = _LONE_APOSTROPHE.sub(b" ", blob)
    return blob.split()
