"""Which unchanged articles a re-merge must judge again: those whose comparisons an edit shifts.

A full merge compares two articles when they share two rare keys (word 3-shingles, names), and within a key
held by more than ``neighbours`` + 1 articles pairs each holder with its ``neighbours`` nearest in first-seen
order only; a key held by more than ``max_shared`` proposes nothing. So a version coming or going changes the
comparisons of *other* articles: who is nearest in a crowded key (one in between came or went), and whether a
key held by ``max_shared`` + 1 proposes pairs at all. The re-merger keeps the pairs of unchanged articles, so
it judges those articles again (``digest.stories.remerge``): without it, deleting one of 60 near-identical
notes left their story in pieces that ``digest build --clean`` kept whole.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

import numpy as np

from digest.settings.config import MergeConfig

if TYPE_CHECKING:
    from digest.stories.remerge import _Features, _Tables


class KeyHolders:
    """The articles holding each key now: the kept tables' but the ``gone``, and the ``changed`` versions."""

    def __init__(self, tables: _Tables, changed: dict[str, _Features], gone: set[str], seen: dict[str, tuple], config: MergeConfig):
        self.tables, self.changed, self.gone, self.seen, self.config = tables, changed, gone, seen, config

    def shifted(self, version: _Features, seen_key: tuple, other: _Features | None = None) -> set[str]:
        """The articles whose comparisons this version coming or going shifts. ``other``: the same article's
        version on the other side of the edit, at the same place in first-seen order; a key both hold has the
        same holders before and after, so it shifts nothing."""
        tables, config = self.tables, self.config
        crowd, found = min(config.neighbours + 1, config.max_shared), set()
        for keys, kept_keys, holders, start, keys_of in (
                (version.shingles, tables.corpus.shingle_hashes, tables.shingle_holders, tables.shingle_start, lambda f: f.shingles),
                (version.names, None, tables.name_holders, tables.name_start, lambda f: f.names)):
            if other is not None:
                keys = np.setdiff1d(keys, keys_of(other), assume_unique=True)
            at = kept_places(keys, kept_keys, start)
            held = np.where(at >= 0, start[at + 1] - start[at], 0)
            edited = holders_among(keys, {k: keys_of(f) for k, f in self.changed.items() if f is not version})
            for key, f, kept in zip(keys.tolist(), at.tolist(), held.tolist()):
                if kept + len(edited.get(key, ())) + 1 <= crowd or kept - len(self.gone) > config.max_shared + 1:
                    continue  # too few holders to be crowded, or too many to propose pairs with or without it
                others = [tables.ids[h] for h in holders[start[f] : start[f + 1]].tolist()] if f >= 0 else []
                others = sorted([h for h in others if h not in self.gone] + edited.get(key, []), key=self.seen.__getitem__)
                if len(others) == config.max_shared:  # proposes pairs without this version, none with it
                    found.update(others)
                elif crowd < len(others) + 1 <= config.max_shared:
                    # Nearest only: the pairs ``neighbours`` apart across its place come or go; judging the earlier
                    # of each again (an article's judging finds its pairs either side) judges them all.
                    place = bisect_left([self.seen[h] for h in others], seen_key)
                    found.update(others[max(0, place - config.neighbours) : place])
        return found


def kept_places(keys: np.ndarray, kept_keys: np.ndarray | None, start: np.ndarray) -> np.ndarray:
    """Each key's place in the kept inverted index (-1: no kept article holds it)."""
    if kept_keys is None:  # names: their ids are places in the kept vocabulary
        return np.where(keys < len(start) - 1, keys, -1)
    if len(kept_keys):  # shingles: look their hashes up
        pos = np.minimum(np.searchsorted(kept_keys, keys), len(kept_keys) - 1)
        return np.where(kept_keys[pos] == keys, pos, -1)
    return np.full(len(keys), -1)


def holders_among(keys: np.ndarray, others: dict[str, np.ndarray]) -> dict[int, list[str]]:
    """Key -> the other edited articles holding it."""
    found: dict[int, list[str]] = {}
    for other, their_keys in others.items():
        for key in np.intersect1d(keys, their_keys, assume_unique=True).tolist():
            found.setdefault(key, []).append(other)
    return found
