"""Synthetic news with known stories, for the merge benchmark.

An *arc* is a run of events around the same people, organisation and place (a minister's week, a trade talk):
events of one arc share names and some vocabulary but are different stories, the hard case for a merger.
Each *event* is told by 1..6 *versions*: re-reports that keep part of the event's sentences, reword some of
them (synonyms, a dropped or added word), reword the headline, and add one or two sentences of their own.
Versions are dated the event's day or up to two days later; some are undated.

    python bench/generate.py 1000            # prints a summary of a generated set
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import random
import sys
from dataclasses import dataclass, field

from digest.models import Article, ArticleDate, DateSource

SYLLABLES = ("ka", "lo", "mi", "ra", "ten", "vu", "sor", "pel", "an", "dri", "mo", "ze", "bar", "qui", "nes", "tal",
             "fo", "ri", "gan", "hu", "ber", "ix", "sa", "dun", "el", "or", "pra", "tin", "wo", "lek", "ca", "mar",
             "jo", "ste", "plu", "ny", "gro", "ved", "kim", "bo", "sha", "tre", "ul", "fin", "dao", "ry", "pin", "cus")
STOP = ("the", "of", "and", "to", "in", "a", "said", "on", "for", "that", "with", "was", "as", "by", "at", "from",
        "it", "has", "would", "its", "after", "have", "be", "this", "is", "are", "were", "also", "had", "which")
OUTLETS = tuple(f"Outlet {i}" for i in range(40))
START = dt.date(2024, 1, 1)


@dataclass(frozen=True)
class Synthetic:
    articles: list[Article]
    truth: dict[str, int]  # article id -> event number
    arcs: dict[str, int] = field(default_factory=dict)  # article id -> arc number (the events of one arc: a thread)


def _words(rng: random.Random, n: int, capital: bool = False) -> list[str]:
    # rng.randint(2, 3) and rng.choice(SYLLABLES) draw exactly rng._randbelow(2) and rng._randbelow(48): called
    # directly, the same words for half the time (the tests that generate articles draw ~10^6 of them).
    below, syllables, count = rng._randbelow, SYLLABLES, len(SYLLABLES)
    words: dict[str, None] = {}
    while len(words) < n:
        word = "".join([syllables[below(count)] for _ in range(2 + below(2))])
        words.setdefault(word.capitalize() if capital else word, None)
    return list(words)


@functools.lru_cache(maxsize=8)
def _drawn(seed: int, vocabulary: int) -> tuple:
    """What a Generator draws before its first article (its words and names, and the state its generator is left
    in): the same for the same seed, so drawn once per process for the tests that generate with one seed often."""
    rng = random.Random(seed)
    vocab = _words(rng, vocabulary)
    synonym = list(range(vocabulary))
    rng.shuffle(synonym)  # each word's stand-in when a version rewords it
    zipf_cdf = list(itertools.accumulate(1.0 / r ** 1.05 for r in range(1, vocabulary + 1)))
    first, last = _words(rng, 1500, True), _words(rng, 3000, True)
    people = [f"{first[i % 1500]} {last[i]}" for i in range(3000)]
    kinds = ("Party", "Council", "Ministry", "Front", "Bank")
    orgs = [f"{a} {b} {rng.choice(kinds)}" for a, b in zip(_words(rng, 800, True), _words(rng, 800, True))]
    places = _words(rng, 400, True)
    return tuple(vocab), tuple(synonym), tuple(zipf_cdf), tuple(people), tuple(orgs), tuple(places), rng.getstate()


class Generator:
    def __init__(self, seed: int = 7, vocabulary: int = 20_000):
        self.vocab, self.synonym, self.zipf_cdf, self.people, self.orgs, self.places, state = _drawn(seed, vocabulary)
        self.rng = random.Random()
        self.rng.setstate(state)

    def _zipf(self, k: int) -> list[int]:
        total, cdf, rnd = self.zipf_cdf[-1], self.zipf_cdf, self.rng.random
        return [bisect.bisect_left(cdf, rnd() * total) for _ in range(k)]

    def _popular(self, pool: tuple[str, ...], k: int) -> list[str]:
        """A few names, the first ones of the pool far more often: some people are in the news every day."""
        picks: dict[str, None] = {}
        while len(picks) < k:
            picks.setdefault(pool[min(len(pool) - 1, int(len(pool) ** self.rng.random()) - 1)], None)
        return list(picks)

    def _sentence(self, names: list[str], topic: list[int]) -> list:
        # rng.randint(a, b), rng.choice(seq) and one rng.random() into the Zipf table, spelt as the draws they make
        # (a + rng._randbelow(b - a + 1), seq[rng._randbelow(len(seq))]): the same sentences, a third faster.
        rng = self.rng
        random, below, cdf = rng.random, rng._randbelow, self.zipf_cdf
        total, stop = cdf[-1], len(STOP)
        words: list = []
        for _ in range(12 + below(14)):
            if random() < 0.45:
                words.append(STOP[below(stop)])
            elif random() < 0.33:  # the arc's topic: sibling events share vocabulary, not just names
                words.append(topic[below(len(topic))])
            else:
                words.append(bisect.bisect_left(cdf, random() * total))
        for name in rng.sample(names, 1 + below(2)):
            words.insert(below(len(words) + 1), name)
        if random() < 0.3:
            words.insert(below(len(words) + 1), str(2 + below(4999)))
        return words

    def _render(self, words: list, reword: float) -> str:
        rng, vocab, synonym = self.rng, self.vocab, self.synonym
        out = [(vocab[synonym[w]] if reword and rng.random() < reword else vocab[w]) if isinstance(w, int) else w for w in words]
        if reword and rng.random() < 0.5 and len(out) > 6:
            del out[rng.randrange(1, len(out))]
        text = " ".join(out)
        return text[0].upper() + text[1:] + "."

    def generate(self, n: int) -> Synthetic:
        rng = self.rng
        days = max(30, n // 150)  # about 150 articles a day
        articles: list[Article] = []
        truth: dict[str, int] = {}
        arcs: dict[str, int] = {}
        event = 0
        while len(articles) < n:
            arc = event  # numbered by its first event
            names = self._popular(self.people, 2) + self._popular(self.orgs, 1) + self._popular(self.places, 1)
            topic = self._zipf(25)
            arc_day = rng.randrange(days)
            for _ in range(rng.randint(1, 4)):  # events of this arc
                day = arc_day + rng.randint(0, 3)
                facts = [self._sentence(names, topic) for _ in range(rng.randint(8, 14))]
                headline = [w for w in facts[0] if isinstance(w, int)][:6] + [names[0]]
                for v in range(rng.choice((1, 1, 1, 2, 2, 3, 4, 6))):
                    if len(articles) >= n:
                        break
                    share = rng.uniform(0.4, 0.8)
                    keep = facts if v == 0 else [f for f in facts if rng.random() < share] or facts[:2]
                    body = [self._render(f, 0.3 if v and rng.random() < 0.5 else 0.0) for f in keep]
                    body += [self._render(self._sentence(names, topic), 0) for _ in range(rng.randint(0 if v == 0 else 1, 2))]
                    head_words = list(headline)
                    if v:
                        rng.shuffle(head_words)
                    title = self._render(head_words, 0.4 if v else 0.0).rstrip(".")
                    when = None
                    if rng.random() > 0.1:
                        late = rng.choice((0, 0, 1, 2)) if v else 0
                        when = ArticleDate(START + dt.timedelta(days=day + late), DateSource.DATELINE)
                    article_id = f"synthetic/{len(articles):06d}"
                    paragraphs = tuple(" ".join(body[i:i + 3]) for i in range(0, len(body), 3))
                    articles.append(Article(id=article_id, source=article_id + ".txt", line=1, kind="lead", headline=title,
                                            paragraphs=paragraphs, outlet=OUTLETS[rng.randrange(len(OUTLETS))], date=when))
                    truth[article_id] = event
                    arcs[article_id] = arc
                event += 1
        rng.shuffle(articles)  # the merger must not rely on arrival order
        return Synthetic(articles, truth, arcs)


def generate(n: int, seed: int = 7) -> Synthetic:
    return Generator(seed).generate(n)


if __name__ == "__main__":
    data = generate(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
    groups = len(set(data.truth.values()))
    print(f"{len(data.articles)} articles, {groups} events; e.g.:\n")
    sample = data.articles[0]
    print(sample.headline, "|", sample.outlet, sample.date and sample.date.isoformat())
    print(sample.text[:600])
