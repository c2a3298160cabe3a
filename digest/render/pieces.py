"""The default theme's most used pieces, written in Python: what its macros of the same names in ``_macros.html``
wrote, byte for byte (``_macros.html`` exports these under those names, so templates import them as before).

A Jinja macro call costs about ten times the little work these do (a new context, each argument bound), and a
list of stories calls them for every card: ~12,000 calls a 1,000-article site, ~120,000 at 10,000 articles.
``tags`` and ``card`` link to other pages, so they take the calling page's ``url`` and ``paths`` from its context,
as the macros did. The whitespace is the macros' as Jinja wrote it (``trim_blocks``, ``lstrip_blocks``).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from digest.render.escaping import escape_output
from digest.render.filters import source_names, when_html
from digest.wording import clip, label, teaser


def sources_line_html(story: Any) -> Markup:
    """``sources_line(story)``: who reported the story; "<strong>N sources</strong>: a, b" when several did."""
    names = source_names(story)
    joined = escape_output(", ".join(names))
    return Markup(f"<strong>{len(names)} sources</strong>: {joined}" if len(names) > 1 else joined)


def story_meta_html(story: Any) -> Markup:
    """``story_meta(story)``: the story's date (short) and its sources, in a paragraph."""
    dated = f"{when_html(story.date, fmt='%-d %b %Y')} · " if story.date else ""
    return Markup(f'<p class="meta">{dated}{sources_line_html(story)}</p>')


@pass_context
def tags_html(context: Context, filing: Any) -> Markup:
    """``tags(filing)``: links to the story's region and theme pages (nothing without either)."""
    if not (filing.region or filing.theme):
        return Markup("")
    url, paths = context.resolve("url"), context.resolve("paths")
    region = f'<a class="tag" href="{escape_output(url(paths.region(filing.region)))}">{escape_output(label(filing.region))}</a> ' if filing.region else ""
    theme = f'<a class="tag" href="{escape_output(url(paths.theme(filing.theme)))}">{escape_output(label(filing.theme))}</a>' if filing.theme else ""
    return Markup(f'<p class="tags">{region}{theme}</p>\n')


@pass_context
def card_html(context: Context, item: Any, level: Any = 3, teaser_chars: Any = 260) -> Markup:
    """``card(item, level=3, teaser_chars=260)``: one story in a list: its headline linked, its teaser clipped,
    its date and sources, its tags."""
    story = item.story
    url, paths = context.resolve("url"), context.resolve("paths")
    level = escape_output(level)
    text = teaser(story)
    shown = f'<p class="teaser" data-pagefind-ignore>{escape_output(clip(text, teaser_chars))}</p>' if text and teaser_chars else ""
    return Markup(f'<article class="card">\n  <h{level} class="card-title"><a href="{escape_output(url(paths.story(item.slug)))}">'
                  f"{escape_output(story.title)}</a></h{level}>\n{shown}  {story_meta_html(story)}\n"
                  f"  {tags_html(context, item.classification)}\n</article>")


THEME_PIECES = MappingProxyType({"sources_line_html": sources_line_html, "story_meta_html": story_meta_html, "tags_html": tags_html,
                                 "card_html": card_html})
