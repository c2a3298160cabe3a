"""Text helpers shared by the readers and the merge stage: sentences and paragraphs."""

from __future__ import annotations

import re

# Words after which a full stop does not end a sentence.
ABBREVIATIONS = {
    "dr", "mr", "mrs", "ms", "prof", "sen", "rep", "gov", "gen", "col", "lt", "capt", "sgt", "st", "jr", "sr",
    "no", "vs", "etc", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "mt", "ft", "dept", "univ", "approx", "est", "fig", "u.s", "u.k", "u.n", "e.g", "i.e",
}
_BOUNDARY = re.compile(r"""(?<=[.!?])(?:["'”’)\]]*)\s+(?=["'“‘(\[]?[A-Z0-9])""")


def split_sentences(text: str) -> list[str]:
    """Split running text into sentences, keeping abbreviations (U.S., Dr. S Jaishankar) and initials whole."""
    text = " ".join(text.split())
    if not text:
        return []
    sentences, start = [], 0
    for match in _BOUNDARY.finditer(text):
        end = match.start()
        before = text[start:end]
        last_word = before.rsplit(" ", 1)[-1].rstrip(".!?").lower()
        if last_word in ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        closing = re.match(r"""["'”’)\]]*""", text[end:]).group(0)
        sentences.append(text[start:end + len(closing)].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]
