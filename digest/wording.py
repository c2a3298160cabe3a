"""How digest says things in words: labels, lists, teasers and why a story is filed where it is."""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from digest.models import Article, Evidence

_WHERE = MappingProxyType(
    {
        "headline": "the headline",
        "lead": "the opening paragraph",
        "dateline": "the dateline",
        "body": "the text",
        "front-matter": "the editor's front matter",
        "summary": "the summary",
    }
)
_EXPLAIN_WHERE = MappingProxyType({"lead": "opening"})  # after "in the": "in the dateline and opening"


def label(name: str) -> str:
    """Display form of a taxonomy key: "security" -> "Security"; names already capitalised are kept."""
    return name[:1].upper() + name[1:] if name and name == name.lower() else name


def describe_evidence(evidence: Evidence) -> str:
    """One reason in words, for readers: 'Pakistan' appears 5 times, in the headline and the text (South Asia)."""
    where = join_words([_WHERE.get(w, w) for w in evidence.where]) or "the story"
    target = "" if evidence.target.lower() == evidence.term.lower() else f", which points to {label(evidence.target)}"
    return f"“{evidence.term}” appears {how_often(evidence.count)} in {where}{target}."


def explain_evidence(evidence: Evidence) -> str:
    """One reason with its score, for ``digest explain``: 'Islamabad' 3 times, in the dateline and body (a place in Pakistan): +9.2"""
    if evidence.where == ("front-matter",):
        return f"front matter says “{evidence.term}” ({evidence.via})"
    where = join_words([_EXPLAIN_WHERE.get(w, w) for w in evidence.where])
    via = f" ({evidence.via})" if evidence.via else ""
    return f"“{evidence.term}” {how_often(evidence.count)}, in the {where}{via}: +{evidence.weight:g}"


def how_often(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def counted(count: int, noun: str, plural: str = "") -> str:
    """'1 story', '2 stories', '0 warnings': a count with its noun in the right number."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def join_words(words: Sequence[str]) -> str:
    words = list(words)
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def teaser(story) -> str:
    """The story's summary, or (until the summariser has run) the opening sentences of its first version."""
    if story.summary:
        return " ".join(story.summary)
    for article in story.articles:
        if article.paragraphs:
            return clip(article.paragraphs[0], 320)
    return ""


def source_name(article: Article) -> str:
    """What to call the source of a version: its outlet, else the agency credited, else where it was captured."""
    named = named_source(article)
    if named:
        return named
    return f"unnamed outlet via {article.aggregator}" if article.aggregator else "unnamed outlet"


def named_source(article: Article) -> str | None:
    """The version's outlet, else the agency it credits ("AP" for a wire story an aggregator carried): the name the
    site and ``digest list`` both give its source."""
    return article.outlet or article.credit or None


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:—- ")
    return cut + "…"
