"""Fingerprints of what classifying a story reads, the keys of the classification memo (see ``classify_stories``)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from digest.fingerprints import source_fingerprint
from digest.models import Article, Story
from digest.taxonomy.model import Section, Taxonomy

# The classifier's source: a memo written by other code is not reused.
CLASSIFIER_CODE = ("classify", "taxonomy", "models.py", "slugs.py")
_KEY = "_digest_classify_key"  # where a story's or an article's fingerprint is kept on the object (not a field)


def story_fingerprint(story: Story) -> str:
    """A hash of everything classifying a story reads: each article's id, headline, dateline, paragraphs, overrides.

    Made from its articles' fingerprints, each worked out once per article object and kept on it (articles
    live from build to build in the parse cache, and are pickled with their key): after an edit, only the
    edited articles are hashed again. Stories and articles are frozen, so a kept key stays true."""
    kept = story.__dict__.get(_KEY)
    if kept is None:
        kept = hashlib.sha1("\n".join([article_fingerprint(article) for article in story.articles]).encode()).hexdigest()
        object.__setattr__(story, _KEY, kept)
    return kept


def article_fingerprint(article: Article) -> str:
    kept = article.__dict__.get(_KEY)
    if kept is None:
        parts = (article.id, article.headline, article.dateline or "", article.region or "", article.theme or "", *article.paragraphs)
        # Lengths first, so no two different articles (or paragraph splits) hash alike.
        digest = hashlib.sha1(f"{len(parts)}:{','.join(str(len(p)) for p in parts)}\n".encode())
        digest.update("".join(parts).encode("utf-8", "surrogatepass"))
        kept = digest.hexdigest()
        object.__setattr__(article, _KEY, kept)
    return kept


def taxonomy_fingerprint(taxonomy: Taxonomy, sections: Sequence[Section] = ()) -> str:
    """A hash of the taxonomy, the sections and the classifier's own code: what every memo entry depends on.

    Worked out once per taxonomy object (a large taxonomy takes ~0.1 s to describe).
    """
    cached = getattr(taxonomy.index, "_fingerprints", None)
    if cached is None:
        cached = taxonomy.index._fingerprints = {}
    sections = tuple(sections)
    if sections not in cached:
        if "" not in cached:
            digest = hashlib.sha1(source_fingerprint(*CLASSIFIER_CODE).encode())
            for value in (taxonomy.countries, taxonomy.regions, taxonomy.region_of, taxonomy.places, taxonomy.themes,
                          taxonomy.entities, taxonomy.weights, sorted(taxonomy.index.terms())):
                digest.update(repr(value).encode("utf-8", "surrogatepass"))
            cached[""] = digest.hexdigest()
        cached[sections] = hashlib.sha1((cached[""] + repr(sections)).encode("utf-8", "surrogatepass")).hexdigest()
    return cached[sections]
