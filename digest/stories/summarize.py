"""What a story says: its headline, its standfirst, and what each version adds.

Everything here is taken from the versions, never written up. The headline and the standfirst come from one
version, the best (an editor's note, else the one whose headline words most versions share): the standfirst is
its lead, the first one or two sentences of its first paragraph, about 45 words at most, never repeating itself.
What a version adds: its sentences whose content-word bigrams ("aqeel malik", "481 accounts") are mostly in no
other version, less those another version states in its own words (``digest.stories.facts``).

The articles were read once by the merge stage (``digest.stories.reading.Reading``: word ids per sentence); every
multi-version story is told at once with array arithmetic, and only the few sentences that end up in a standfirst
or an addition are cut out of their paragraphs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from digest.models import Article, OutletAddition
from digest.read.text import split_sentences
from digest.stories.arrays import dense_ids, distinct, in_thread, ranges
from digest.stories.facts import acronyms, common_form, restated_rows
from digest.stories.reading import Reading, cut_sentence
from digest.stories.tokens import STOP_WORDS

# A sentence is shared when at least this share of its content-word bigrams appears in another version.
SHARED_BIGRAMS = 0.5
LEAD_SENTENCES = 2
LEAD_WORDS = 45  # a second sentence joins the standfirst only if the two stay this short

Told = tuple[str, tuple[str, ...], tuple[OutletAddition, ...]]  # (headline, summary, what each version adds)


def tell_all(articles: Sequence[Article], reading: Reading, stories: Sequence[Sequence[int]]) -> list[Told]:
    """(headline, summary, adds) of each story, given as indices of its versions in date order."""
    told: list[Told | None] = [None] * len(stories)
    multi = [k for k, versions in enumerate(stories) if len(versions) > 1]
    # Many multi-version stories: the later ones are told on a second thread while this one tells the rest (a
    # thread, not a forked process: the sorts and searches that are most of it run outside the interpreter lock, and
    # a fork of the merge stage's process would map, and count, its memory twice).
    split = _split(reading, [stories[k] for k in multi]) if len(multi) >= PARALLEL_TELL_MIN else len(multi)
    theirs = in_thread(_tell_part, articles, reading, [stories[k] for k in multi[split:]]) if split < len(multi) else None
    for k, versions in enumerate(stories):
        if len(versions) == 1:
            article = articles[versions[0]]
            told[k] = (article.headline, _editor_summary([article]) or _lead(article, versions[0], reading), ())
    mine = _tell_part(articles, reading, [stories[k] for k in multi[:split]]) if split else []
    for k, result in zip(multi, mine + (theirs() if theirs else [])):
        told[k] = result
    return told  # type: ignore[return-value]


# Multi-version stories are told on two cores when there are at least this many: each story is told from its own
# versions only, so two parts told apart give exactly what one pass gives.
PARALLEL_TELL_MIN = 1000


def _split(reading: Reading, stories: Sequence[Sequence[int]]) -> int:
    """Where to cut the stories so that this thread (which also tells the single versions) and the second one
    finish together; the work is measured by the tokens of the versions."""
    if not stories:
        return 0
    tokens = reading.token_start[1:] - reading.token_start[:-1]
    work = np.cumsum(tokens[np.fromiter((i for versions in stories for i in versions), dtype=np.int64)])
    work = work[np.cumsum([len(versions) for versions in stories]) - 1]  # after each story
    return int(np.searchsorted(work, work[-1] * 0.48)) + 1


def _tell_part(articles: Sequence[Article], reading: Reading, stories: Sequence[Sequence[int]]) -> list[Told]:
    return _Versions(articles, reading, stories).tell() if stories else []


def _lead(article: Article, index: int, reading: Reading) -> tuple[str, ...]:
    """The standfirst: the first one or two sentences of the version's first paragraph, as news is written lead
    first; a second only while the two stay within LEAD_WORDS and it does not restate the first."""
    first, last = int(reading.sentence_start[index]), int(reading.sentence_start[index + 1])
    rows = reading.sentences[first:last, :3].tolist()  # (tokens, words, paragraph)
    token = int(reading.token_start[index] + reading.headline_tokens[index])
    chosen: list[str] = []
    said: set[str] = set()
    total = 0
    for row, (tokens, length, paragraph) in enumerate(rows, start=first):
        words = {w for w in (reading.vocabulary[i] for i in reading.ids[token:token + tokens].tolist()) if w not in STOP_WORDS}
        token += tokens
        if chosen and (paragraph != rows[0][2] or len(chosen) >= LEAD_SENTENCES or total + length > LEAD_WORDS
                       or len(words & said) >= SHARED_BIGRAMS * max(min(len(words), len(said)), 1)):
            break
        chosen.append(reading.sentence_text(article, row))
        said |= words
        total += length
    return tuple(chosen)


class _Versions:
    """Every version of every multi-version story, as arrays over their tokens and sentences."""

    def __init__(self, articles: Sequence[Article], reading: Reading, stories: Sequence[Sequence[int]]):
        self.articles, self.reading, self.stories = articles, reading, stories
        version = np.fromiter((i for versions in stories for i in versions), dtype=np.int64)  # article of each version
        self.version = version
        self.story = np.repeat(np.arange(len(stories)), [len(v) for v in stories])  # story of each version
        vocabulary = reading.vocabulary
        width = self.width = max(len(vocabulary), 1)
        stop = np.fromiter((w in STOP_WORDS for w in vocabulary), dtype=bool, count=len(vocabulary))

        # Tokens: each version's headline, then its sentences; the sentence of each token (-1: the headline).
        token, token_version = ranges(reading.token_start[version], reading.token_start[version + 1])
        word = reading.ids[token].astype(np.int64)
        row, row_version = ranges(reading.sentence_start[version], reading.sentence_start[version + 1])
        self.row, self.row_version = row, row_version  # sentence rows of the versions, in order
        heads = reading.headline_tokens[version].astype(np.int64)
        segments = np.empty(len(version) + len(row), dtype=np.int64)  # per version: headline, then sentences
        labels = np.empty(len(segments), dtype=np.int64)
        head_at = np.arange(len(version)) + np.r_[0, np.cumsum(reading.sentence_start[version + 1] - reading.sentence_start[version])[:-1]]
        is_head = np.zeros(len(segments), dtype=bool)
        is_head[head_at] = True
        segments[is_head], segments[~is_head] = heads, reading.sentences[row, 0]
        labels[is_head], labels[~is_head] = -1, np.arange(len(row))
        sentence = np.repeat(labels, segments)
        content = ~stop[word]

        # How many versions of its story use each content word: what the outlets agree the story is about.
        used = distinct(token_version[content] * width + word[content], runs=True)
        story_word, self.agree = distinct(self.story[used // width] * width + used % width, counts=True, runs=True)
        self.story_word = story_word

        # Each sentence's distinct content words.
        in_sentence = content & (sentence >= 0)
        cs, cw = sentence[in_sentence], word[in_sentence]
        words = distinct(cs * width + cw, runs=True)

        # Headline words, scored the same way.
        in_head = content & (sentence < 0)
        heads_used = distinct(token_version[in_head] * width + word[in_head], runs=True)
        hv = heads_used // width
        self.headline_agreement = np.bincount(hv, weights=self._weight(self.story[hv], heads_used % width), minlength=len(version))

        # Content-word bigrams of each sentence (a single content word stands for itself), numbered densely.
        count = np.bincount(cs, minlength=len(row))
        follows = np.flatnonzero(cs[1:] == cs[:-1])
        alone = np.flatnonzero(count[cs] == 1)
        codes = np.concatenate([cw[follows] * width + cw[follows + 1], width * width + cw[alone]])
        owners = np.concatenate([cs[follows], cs[alone]])
        b_width = width * width + width  # every code: numbering them densely costs a sort of its own
        if (len(row) * b_width).bit_length() > 62:  # the codes would not fit in int64 beside a sentence number
            bigram_codes, codes = dense_ids(codes)
            b_width = max(len(bigram_codes), 1)
        entries = distinct(owners * b_width + codes.reshape(-1), runs=True)
        self.bigram_sentence, self.bigram = entries // b_width, entries % b_width
        self.bigram_start = np.r_[0, np.cumsum(np.bincount(self.bigram_sentence, minlength=len(row)))]
        self.bigrams = self.bigram_start[1:] - self.bigram_start[:-1]

        # A sentence adds to its version when most of its bigrams are in no other version of the story.
        held = distinct(row_version[self.bigram_sentence] * b_width + self.bigram, runs=True)  # (version, bigram)
        in_story = self.story[held // b_width] * b_width + held % b_width
        keys, versions_with = distinct(in_story, counts=True, runs=True)
        lookup = np.searchsorted(keys, self.story[row_version[self.bigram_sentence]] * b_width + self.bigram)
        elsewhere = np.bincount(self.bigram_sentence, weights=(versions_with[lookup] > 1).astype(np.float64), minlength=len(row))
        self.adds = (self.bigrams > 0) & (elsewhere < SHARED_BIGRAMS * self.bigrams)
        self.adds[self._restated(words)] = False

    def _restated(self, words: np.ndarray) -> list[int]:
        """The sentences worded unlike every other version whose fact another version states in its own words
        (``words``: each sentence's distinct content words, as sentence * width + word, sorted)."""
        candidate = np.flatnonzero(self.adds)
        if not len(candidate):
            return []
        stories = distinct(self.story[self.row_version[candidate]], runs=True)
        version_bounds = np.r_[0, np.cumsum([len(v) for v in self.stories])]
        row_bounds = np.searchsorted(self.row_version, np.arange(len(self.version) + 1))
        rows, _ = ranges(row_bounds[version_bounds[stories]], row_bounds[version_bounds[stories + 1]])
        local = np.full(len(self.row), -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        sentence, word = words // self.width, words % self.width
        keep = local[sentence] >= 0
        sentence, word = local[sentence[keep]], word[keep]
        # Each word in its common form, numbered (acronyms a version spells out as the name's first word).
        used, inverse = dense_ids(word)
        forms: dict[str, int] = {}
        vocabulary = self.reading.vocabulary
        form_of = np.array([-1 if (f := common_form(vocabulary[w])) is None else forms.setdefault(f, len(forms)) for w in used.tolist()], dtype=np.int64)
        form = form_of[inverse.reshape(-1)]
        story = self.story[self.row_version[rows]]
        story_start = np.searchsorted(story[sentence], stories).tolist() + [len(sentence)]  # rows are in story order
        for k, begin, end in zip(stories.tolist(), story_start, story_start[1:]):
            texts = [self.articles[int(i)].text for i in self.version[version_bounds[k]:version_bounds[k + 1]]]
            for a, b in acronyms(texts).items():
                if a in forms:
                    part = form[begin:end]
                    part[part == forms[a]] = forms.setdefault(b, len(forms))
        keep = form >= 0
        code = distinct(sentence[keep] * (len(forms) + 1) + form[keep], runs=True)  # distinct again: aliases may repeat a word
        figure = np.array([f.isdigit() for f in forms], dtype=bool)
        stated = restated_rows(story, self.row_version[rows], code // (len(forms) + 1), code % (len(forms) + 1), local[candidate], figure)
        return rows[stated].tolist()

    def _weight(self, story: np.ndarray, word: np.ndarray) -> np.ndarray:
        return self.agree[np.searchsorted(self.story_word, story * self.width + word)].astype(np.float64)

    def tell(self) -> list[Told]:
        articles = self.articles
        version_start = np.r_[0, np.cumsum([len(v) for v in self.stories])]
        row_end = np.searchsorted(self.row_version, np.arange(1, len(self.version) + 1)).tolist()
        added = np.flatnonzero(self.adds).tolist()
        added_at = 0
        # (paragraph, begin, end) of each sentence that adds: a list for every sentence would cost more than the rest.
        place = dict(zip(added, self.reading.sentences[self.row[added], 2:].tolist()))
        normalised: dict = {}  # (article id, paragraph) -> its text as the sentences were cut from it

        def sentence(article: Article, r: int) -> str:
            paragraph, begin, end = place[r]
            return cut_sentence(article, paragraph, begin, end, normalised)

        told = []
        for k, members in enumerate(self.stories):
            versions = [articles[i] for i in members]
            first = int(version_start[k])
            best = self._best_version(versions, first)
            headline = versions[best].headline
            summary = _editor_summary(versions) or _lead(versions[best], members[best], self.reading)
            adds = []
            for v, article in enumerate(versions, start=first):
                texts: list[str] = []
                end = row_end[v]
                while added_at < len(added) and added[added_at] < end:
                    text = sentence(article, added[added_at])
                    if text not in texts:
                        texts.append(text)
                    added_at += 1
                adds.append(OutletAddition(article.id, article.outlet, tuple(texts)))
            told.append((headline, summary, tuple(adds)))
        return told

    def _best_version(self, versions: list[Article], first: int) -> int:
        """The version that gives the story its headline and standfirst: an editor's note, else the one whose
        headline words most versions share (ties: the longer-told version, then the first seen)."""
        note = next((i for i, v in enumerate(versions) if v.kind == "note"), None)
        if note is not None:
            return note
        scores = self.headline_agreement[first:first + len(versions)].tolist()
        return max(range(len(versions)), key=lambda i: (scores[i], len(versions[i].text), -i))


def _editor_summary(versions: Sequence[Article]) -> tuple[str, ...]:
    for version in versions:
        written = version.meta.get("summary") if version.kind == "note" and version.meta else None
        if isinstance(written, str) and written.strip():
            return tuple(split_sentences(written))
    return ()
