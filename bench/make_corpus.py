#!/usr/bin/env python3
"""Deterministic generator of a synthetic news corpus for static-site benchmarks.

Usage:
    python3 make_corpus.py N OUTDIR [--format plain|hugo|pelican|jekyll]
                                    [--seed 42] [--truth FILE]

Writes N Markdown files with front matter into OUTDIR (for --format jekyll into
OUTDIR/_posts/, because Jekyll only treats files there as posts).  The same
(N, seed) always yields the same articles, whatever the format: only the
front-matter field names and the file names differ, so the anchors (Hugo,
Pelican, Jekyll) and our own generator can be run on the very same text.

What an article looks like:
  * title built from a headline template around a "story" (main entity, a
    theme-specific noun, a place);
  * date spread uniformly over 60 days (from 2024-03-01, UTC);
  * source: one of 40 fictional outlets; region: one of 8; theme: one of 8;
  * 3-8 entity tags drawn from a Zipf-like (Zipf-Mandelbrot s=1.05, q=10)
    vocabulary of 2,000 names (people, organisations, places): the most
    frequent name is on ~10% of the articles;
  * body of 300-900 words in 5-15 paragraphs; words drawn Zipf-like from ~200
    common English words plus ~6,000 seeded pseudo-words; some sentences
    mention the tagged entities; a dateline in bold, inline links in ~8% and
    italics in ~4% of the sentences, sometimes a block quote and (in long
    articles) a "##" sub-heading.
  * ~15% of articles are near-duplicate re-reports of an earlier article: same
    story from a different outlet, within 0-48 h, ~70% of the sentences shared,
    the headline reworded (other template, synonym verb), tags mostly shared.

Front matter per format:
  plain   : YAML  title/date/source/region/theme/tags
  digest  : as plain, with source: under digest's key outlet:
  hugo    : YAML  title/date/slug/source/categories[theme]/tags/regions[region]
  pelican : Pelican's stock Markdown metadata lines
            Title/Date/Category(theme)/Tags/Author(source)/Slug/Region
  jekyll  : YAML  layout/title/date/slug/source/region/categories[theme]/tags

--truth FILE writes a JSON list (one record per article: id, file, dup_of,
shared_sentences) so that de-duplication can be scored later; it is never put
into OUTDIR, so the site generators do not see it.
"""

import argparse
import datetime as dt
import json
import os
import random
import re
import sys
from array import array
from operator import itemgetter

START = dt.datetime(2024, 3, 1, 0, 0, 0)
SPAN_SECONDS = 60 * 24 * 3600
DUP_RATE = 0.15
DUP_SHARED = 0.70
TABLE_SIZE = 1 << 16
BIG_ENDIAN = sys.byteorder == "big"  # keep the output identical on any machine

REGIONS = [
    "South Asia", "Southeast Asia", "East Asia", "Middle East",
    "Europe", "Africa", "Latin America", "North America",
]

THEMES = {
    "security": ["border clash", "ceasefire", "militant attack", "arms deal",
                 "troop deployment", "drone strike", "security pact", "naval drills"],
    "trade": ["tariffs", "export ban", "trade deal", "customs dispute",
              "currency swap", "shipping rates", "supply chain", "investment pact"],
    "politics": ["election", "coalition talks", "no-confidence vote", "cabinet reshuffle",
                 "constitutional reform", "protest", "party split", "by-election"],
    "media": ["press law", "broadcast licence", "journalist arrest", "social media ban",
              "disinformation campaign", "newspaper closure", "internet shutdown",
              "editorial row"],
    "energy": ["gas pipeline", "oil output", "power cuts", "nuclear plant",
               "fuel subsidy", "solar tender", "LNG contract", "grid deal"],
    "climate": ["flood relief", "heatwave", "emissions target", "drought",
                "cyclone warning", "carbon tax", "glacier melt", "climate fund"],
    "technology": ["chip export", "data law", "AI rules", "telecom auction",
                   "cyber attack", "satellite launch", "5G rollout", "tech antitrust"],
    "health": ["vaccine drive", "hospital strike", "outbreak", "drug pricing",
               "health budget", "dengue cases", "medicine shortage", "pandemic treaty"],
}
THEME_NAMES = list(THEMES)

SOURCES = [
    "The Morning Ledger", "Asia Wire Service", "Gulf Daily Observer", "Continental Post",
    "The Harbour Times", "Delta Chronicle", "Northern Dispatch", "Pacific Courier",
    "The Capital Gazette", "Meridian News", "Southern Star Tribune", "Frontier Herald",
    "Crescent Review", "The Evening Standardbearer", "Monsoon Media", "Atlas Newsroom",
    "Riverbank Journal", "The Plateau Mirror", "Global Brief", "Coastline Daily",
    "The Independent Register", "Steppe Times", "Isthmus Report", "Highland Bulletin",
    "The Civic Observer", "Archipelago Today", "Sahel Monitor", "Andes Chronicle",
    "The Baltic Messenger", "Levant Weekly", "Bay of Bengal Herald", "Danube Daily",
    "The Savannah Post", "Orient Express News", "Metro Wire", "The Lantern",
    "Pampas Gazette", "Fjord Review", "Horn of Africa Times", "Caribbean Current",
]

# Verb groups: each tuple holds synonyms; a re-report picks another one of the group.
VERBS = [
    ("warns of", "cautions over", "raises alarm over"),
    ("backs", "endorses", "throws weight behind"),
    ("rejects", "dismisses", "turns down"),
    ("announces", "unveils", "launches"),
    ("signs", "seals", "clinches"),
    ("probes", "investigates", "opens inquiry into"),
    ("suspends", "halts", "freezes"),
    ("defends", "stands by", "justifies"),
    ("criticises", "slams", "condemns"),
    ("pushes for", "calls for", "urges"),
]

HEADLINE_TEMPLATES = [
    "{E} {v} {n} in {P}",
    "{P}: {E} {v} {n}",
    "{E} {v} {n} amid {m}",
    "{N} row: {E} {v} plan",
    "{E} {v} {n} as {m} deepens",
    "Why {E} {v} {n}",
    "{E} {v} new {n}, officials say",
    "{N} in focus as {E} {v} {n}",
    "{E} {v} {n} after talks in {P}",
    "Analysis: {E} {v} {n}",
    "{E} {v} {n}; {P} reacts",
    "{E} {v} {n} ahead of {m} deadline",
]

COMMON_WORDS = (
    "the of and to in a that is for on said was with as by it at from his be has "
    "have are an not but this which had were its he they will would been their who "
    "more after also new or one two three first last year years week government "
    "minister officials people country state president national party said told "
    "talks deal plan report statement police court security military forces border "
    "foreign trade economic economy market prices workers leaders election vote "
    "protest crisis support against between over into about could should may while "
    "during since under before than when where other some many most such only any "
    "city region capital province local public international agency according "
    "spokesperson ministry council committee announced added noted called warned "
    "expected planned agreed rejected confirmed denied reported raised cut rise fall "
    "billion million percent cent number part group members office former senior "
    "official sources media press news tuesday wednesday thursday friday monday "
    "saturday sunday month months day days later earlier already still again "
    "further however meanwhile despite amid following ahead across within without "
    "recent major key new latest second third policy law bill budget funds aid "
    "talks meeting summit visit delegation envoy opposition coalition ruling"
).split()

SYLLABLES = (
    "ka ri man to shi na do pe lo vu ar en ti so ga mi ru ze ko fa la bi ne de "
    "sa mo ha ji ku ro ta ve li nu pa sen dar mar kal tor vin bel ran sol gor "
    "han bas nik ter ul om ez ib ak ev"
).split()

ORG_SUFFIXES = ["Ministry", "Party", "Group", "Bank", "Council", "Front", "Corporation",
                "Alliance", "Authority", "Institute", "Federation", "Commission"]
PLACE_SUFFIXES = ["", "", "", " Province", " City", " Valley", " Coast", " District"]


def _pseudo_word(rng, lo, hi):
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(lo, hi)))


def _unique(rng, maker, count):
    seen = {}
    while len(seen) < count:
        seen.setdefault(maker(rng), None)
    return list(seen)  # dict keeps insertion order: deterministic


def _zipf_cum(n, s, q=0):
    """Cumulative Zipf(-Mandelbrot) weights 1/(rank+q)**s for ranks 1..n."""
    cum, total = [], 0.0
    for rank in range(1, n + 1):
        total += 1.0 / (rank + q) ** s
        cum.append(total)
    return cum


class Vocab:
    def __init__(self, rng):
        pseudo = _unique(rng, lambda r: _pseudo_word(r, 1, 4), 6000)
        common = list(dict.fromkeys(COMMON_WORDS))
        common_set = set(common)
        self.words = common + [w for w in pseudo if w not in common_set]
        # Zipf (s=1.0) over the word list, as a 2**16-slot lookup table so that
        # drawing a word is one table index on 16 random bits (fast).
        cum = _zipf_cum(len(self.words), 1.0)
        slots, prev = [], 0.0
        for c in cum:
            slots.append(max(1, round((c - prev) / cum[-1] * TABLE_SIZE)))
            prev = c
        slots[0] += TABLE_SIZE - sum(slots)
        self.word_table = [w for w, k in zip(self.words, slots) for _ in range(k)]

        def person(r):
            return _pseudo_word(r, 2, 3).capitalize() + " " + _pseudo_word(r, 2, 3).capitalize()

        def org(r):
            return _pseudo_word(r, 2, 3).capitalize() + " " + r.choice(ORG_SUFFIXES)

        def place(r):
            return _pseudo_word(r, 2, 3).capitalize() + r.choice(PLACE_SUFFIXES)

        people = _unique(rng, person, 1200)
        orgs = _unique(rng, org, 500)
        places = _unique(rng, place, 300)
        ents = people + orgs + places
        rng.shuffle(ents)
        self.entities = list(dict.fromkeys(ents))[:2000]
        # Zipf-Mandelbrot (s=1.05, q=10): the most frequent entity is on ~10%
        # of the articles, the long tail on a few each (plain Zipf puts the
        # top one on more than half of them, which no news feed looks like).
        self.entity_cum = _zipf_cum(len(self.entities), 1.05, q=10)
        self.places = places


def slugify(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.v = Vocab(random.Random(seed * 7919 + 1))

    # -- pieces ---------------------------------------------------------
    def tags(self, k):
        rng, v = self.rng, self.v
        out = {}
        while len(out) < k:
            for e in rng.choices(v.entities, cum_weights=v.entity_cum, k=k):
                out.setdefault(e, None)
        return list(out)[:k]

    def sentence(self, tags):
        rng, v = self.rng, self.v
        n = rng.randint(8, 28)
        idx = array("H", rng.randbytes(2 * n))
        if BIG_ENDIAN:
            idx.byteswap()
        words = list(itemgetter(*idx)(v.word_table))
        if tags and rng.random() < 0.35:
            words[rng.randrange(1, n)] = rng.choice(tags)
        if rng.random() < 0.08:  # an inline link
            i = rng.randrange(0, n - 2)
            words[i] = f"[{words[i]} {words[i + 1]}](https://example.org/{words[i + 1]})"
            del words[i + 1]
        elif rng.random() < 0.04:
            i = rng.randrange(0, n)
            words[i] = f"*{words[i]}*"
        s = " ".join(words)
        end = "?" if rng.random() < 0.03 else "."
        return s[0].upper() + s[1:] + end

    def body(self, tags):
        """Return paragraphs as lists of sentences (~300-900 words, 5-15 paras)."""
        rng = self.rng
        target = rng.randint(300, 900)
        nparas = max(5, min(15, round(target / 60 + rng.uniform(-2, 2))))
        sentences, words = [], 0
        while words < target:
            s = self.sentence(tags)
            sentences.append(s)
            words += s.count(" ") + 1
        return self.split_paras(sentences, nparas)

    def split_paras(self, sentences, nparas):
        nparas = max(1, min(nparas, len(sentences)))
        cuts = sorted(self.rng.sample(range(1, len(sentences)), nparas - 1)) if nparas > 1 else []
        bounds = [0] + cuts + [len(sentences)]
        return [sentences[a:b] for a, b in zip(bounds, bounds[1:])]

    def headline(self, story, template, verb):
        e, n, place, m = story
        t = HEADLINE_TEMPLATES[template]
        h = t.format(E=e, v=verb, n=n, N=n[0].upper() + n[1:], P=place, m=m)
        return h[0].upper() + h[1:]

    # -- articles -------------------------------------------------------
    def original(self, idx):
        rng, v = self.rng, self.v
        theme = rng.choice(THEME_NAMES)
        tags = self.tags(rng.randint(3, 8))
        story = (tags[0], rng.choice(THEMES[theme]), rng.choice(v.places),
                 rng.choice(THEMES[theme]))
        vg = rng.randrange(len(VERBS))
        template = rng.randrange(len(HEADLINE_TEMPLATES))
        verb = rng.choice(VERBS[vg])
        return {
            "id": idx,
            "title": self.headline(story, template, verb),
            "date": START + dt.timedelta(seconds=rng.randrange(SPAN_SECONDS)),
            "source": rng.choice(SOURCES),
            "region": rng.choice(REGIONS),
            "theme": theme,
            "tags": tags,
            "paras": self.body(tags),
            "story": story, "vg": vg, "template": template, "verb": verb,
            "dateline": rng.choice(v.places).split(" ")[0].upper(),
            "dup_of": None, "shared": None,
        }

    def rereport(self, idx, orig):
        rng = self.rng
        tags = list(orig["tags"])
        if len(tags) > 3 and rng.random() < 0.5:
            tags.pop(rng.randrange(1, len(tags)))
        if rng.random() < 0.5:
            for t in self.tags(2):
                if t not in tags:
                    tags.append(t)
                    break
        sentences, shared, total = [], 0, 0
        for para in orig["paras"]:
            for s in para:
                total += 1
                if rng.random() < DUP_SHARED:
                    sentences.append(s)
                    shared += 1
                else:
                    sentences.append(self.sentence(tags))
        if rng.random() < 0.3:  # re-reports often add a line of their own
            sentences.append(self.sentence(tags))
        template = rng.choice([t for t in range(len(HEADLINE_TEMPLATES)) if t != orig["template"]])
        verb = rng.choice([w for w in VERBS[orig["vg"]] if w != orig["verb"]])
        return {
            "id": idx,
            "title": self.headline(orig["story"], template, verb),
            "date": orig["date"] + dt.timedelta(seconds=rng.randrange(60, 48 * 3600)),
            "source": rng.choice([s for s in SOURCES if s != orig["source"]]),
            "region": orig["region"],
            "theme": orig["theme"],
            "tags": tags,
            "paras": self.split_paras(sentences, max(5, min(15, len(orig["paras"]) + rng.randint(-1, 1)))),
            "story": orig["story"], "vg": orig["vg"], "template": template, "verb": verb,
            "dateline": orig["dateline"],
            "dup_of": orig["id"], "shared": round(shared / total, 3),
        }

    def articles(self, n):
        originals = []
        for idx in range(n):
            if originals and self.rng.random() < DUP_RATE:
                yield self.rereport(idx, self.rng.choice(originals[-500:]))
            else:
                a = self.original(idx)
                originals.append(a)
                yield a


# -- rendering --------------------------------------------------------------
def render_body(a, rng):
    out = []
    paras = a["paras"]
    quote_at = rng.randrange(1, len(paras)) if len(paras) > 2 and rng.random() < 0.3 else -1
    head_at = len(paras) // 2 if len(paras) >= 10 else -1
    for i, p in enumerate(paras):
        text = " ".join(p)
        if i == 0:
            text = "**{}** — {}".format(a["dateline"], text)
        if i == head_at:
            out.append("## " + p[0].rstrip(".?").split(" ", 4)[-1].capitalize()[:60])
        if i == quote_at:
            text = f'> "{text}"'
        out.append(text)
    return "\n\n".join(out) + "\n"


def q(s):  # JSON strings are valid YAML double-quoted scalars
    return json.dumps(s, ensure_ascii=False)


def front_matter(a, fmt, slug):
    d = a["date"]
    if fmt == "pelican":
        return "Title: {}\nDate: {}\nCategory: {}\nTags: {}\nAuthor: {}\nSlug: {}\nRegion: {}\n\n".format(
            a["title"], d.strftime("%Y-%m-%d %H:%M"), a["theme"], ", ".join(a["tags"]), a["source"], slug, a["region"])
    iso = d.strftime("%Y-%m-%dT%H:%M:%SZ")
    tags = "[" + ", ".join(q(t) for t in a["tags"]) + "]"
    if fmt == "hugo":
        lines = ["title: " + q(a["title"]), "date: " + iso, "slug: " + slug,
                 "source: " + q(a["source"]), "categories: [{}]".format(q(a["theme"])),
                 "tags: " + tags, "regions: [{}]".format(q(a["region"]))]
    elif fmt == "jekyll":
        lines = ["layout: post", "title: " + q(a["title"]),
                 "date: " + d.strftime("%Y-%m-%d %H:%M:%S +0000"), "slug: " + slug,
                 "source: " + q(a["source"]), "region: " + q(a["region"]),
                 "categories: [{}]".format(q(a["theme"])), "tags: " + tags]
    else:  # plain; digest: the same, with the outlet under digest's key
        outlet = "outlet: " if fmt == "digest" else "source: "
        lines = ["title: " + q(a["title"]), "date: " + iso, outlet + q(a["source"]),
                 "region: " + q(a["region"]), "theme: " + a["theme"], "tags: " + tags]
    return "---\n" + "\n".join(lines) + "\n---\n\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of articles")
    ap.add_argument("outdir")
    ap.add_argument("--format", choices=["plain", "digest", "hugo", "pelican", "jekyll"], default="plain")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--truth", help="write ground truth (duplicates) as JSON to this file")
    args = ap.parse_args(argv)

    outdir = os.path.join(args.outdir, "_posts") if args.format == "jekyll" else args.outdir
    os.makedirs(outdir, exist_ok=True)
    gen = Generator(args.seed)
    render_rng = random.Random(args.seed + 1)
    truth = []
    width = max(5, len(str(args.n)))
    for a in gen.articles(args.n):
        slug = f"{slugify(a['title'])[:60].rstrip('-')}-{a['id']:0{width}d}"
        if args.format == "jekyll":
            fname = "{}-{}.md".format(a["date"].strftime("%Y-%m-%d"), slug)
        else:
            fname = f"{a['id']:0{width}d}-{slugify(a['title'])[:60].rstrip('-')}.md"
        text = front_matter(a, args.format, slug) + render_body(a, render_rng)
        with open(os.path.join(outdir, fname), "w", encoding="utf-8") as f:
            f.write(text)
        truth.append({"id": a["id"], "file": fname, "dup_of": a["dup_of"],
                      "shared_sentences": a["shared"]})
    if args.truth:
        with open(args.truth, "w", encoding="utf-8") as f:
            json.dump(truth, f, indent=0)
    ndup = sum(1 for t in truth if t["dup_of"] is not None)
    print(f"wrote {len(truth)} articles ({ndup} re-reports) to {outdir}", file=sys.stderr)


if __name__ == "__main__":
    main()
