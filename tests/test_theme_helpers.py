"""The default theme's pieces written in Python (digest/render/filters.py) write, byte for byte, what the Jinja
macros they replace wrote, for every kind of value the templates give them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from markupsafe import Markup

from digest.models import ArticleDate, DateSource
from digest.pipeline.gather import gather
from digest.render.filters import default_theme_dir
from digest.render.pages import make_environment, relative_url
from digest.settings.config import load_config
from digest.site.graph import build_site_graph

# The macro as _macros.html had it, and the calls the templates make of it.
WHEN_MACRO = (
    "{% macro when(date, undated='date unknown', note=true, fmt='%-d %B %Y') -%}\n"
    '{% if date %}<time datetime="{{ date.isoformat() }}" title="{{ date.label }}">{% if date.approximate %}about {% endif %}'
    "{{ date|datefmt(fmt) }}</time>{% set why = date|date_note %}"
    '{% if note and why %} <span class="provenance">({{ why }})</span>{% endif %}{% else %}{{ undated }}{% endif %}\n'
    "{%- endmacro %}"
)
CALLS = ["when(date)", "when(date, note=false)", "when(date, fmt='%-d %b %Y')", "when(date, undated='never <given>')",
         "when(date, 'no date')", "when(date, undated=markup)"]
DATES = [None, ArticleDate(dt.date(2024, 3, 3), DateSource.FRONT_MATTER), ArticleDate(dt.datetime(2024, 12, 31, 23, 5), DateSource.DATELINE),
         ArticleDate(dt.date(2024, 3, 3), DateSource.RELATIVE_AGE, "7 hours <ago> & 'then'"), ArticleDate(dt.date(2024, 3, 3), DateSource.RELATIVE_AGE),
         ArticleDate(dt.date(2023, 1, 9), DateSource.FILE_MTIME), ArticleDate(dt.date(2023, 1, 9), DateSource.RELATIVE_AGE_FILE, "yesterday")]


@pytest.mark.parametrize("call", CALLS)
def test_when_writes_what_the_macro_wrote(call):
    env = make_environment([default_theme_dir()])
    old = env.from_string(WHEN_MACRO + "{{ " + call + " }}")
    new = env.from_string('{% from "_macros.html" import when %}{{ ' + call + " }}")
    for date in DATES:
        values = {"date": date, "markup": Markup("<em>undated</em>")}
        assert new.render(values) == old.render(values), (call, date)
    assert "about" in new.render(date=DATES[-1], markup="")  # the cases are there
    assert ("provenance" in new.render(date=DATES[3], markup="")) == ("note=false" not in call)


# The macros _macros.html had for these (digest/render/pieces.py now), as they were.
OLD_MACROS = WHEN_MACRO + "\n\n" + (
    '{% macro sources_line(story) -%}\n'
    '{% set names = source_names(story) %}\n'
    "{% if names|length > 1 %}<strong>{{ names|length }} sources</strong>: {{ names|join(', ') }}{% else %}{{"
    " names|join(', ') }}{% endif %}\n"
    '{%- endmacro %}\n'
    '\n'
    '{% macro story_meta(story) -%}\n'
    '<p class="meta">{% if story.date %}{{ when(story.date, fmt=\'%-d %b %Y\') }} · {% endif %}{{'
    ' sources_line(story) }}</p>\n'
    '{%- endmacro %}\n'
    '\n'
    '{% macro tags(filing) -%}\n'
    '{% if filing.region or filing.theme %}\n'
    '<p class="tags">{% if filing.region %}<a class="tag" href="{{ url(paths.region(filing.region)) }}">{{'
    ' filing.region|label }}</a> {% endif %}{% if filing.theme %}<a class="tag" href="{{'
    ' url(paths.theme(filing.theme)) }}">{{ filing.theme|label }}</a>{% endif %}</p>\n'
    '{% endif %}\n'
    '{%- endmacro %}\n'
    '\n'
    '{% macro card(item, level=3, teaser_chars=260) -%}\n'
    '{% set story = item.story %}\n'
    '<article class="card">\n'
    '  <h{{ level }} class="card-title"><a href="{{ url(paths.story(item.slug)) }}">{{ story.title }}</a></h{{'
    ' level }}>\n'
    '  {% set text = teaser(story) %}\n'
    '  {% if text and teaser_chars %}<p class="teaser" data-pagefind-ignore>{{ text|clip(teaser_chars) }}</p>{%'
    ' endif %}\n'
    '  {{ story_meta(story) }}\n'
    '  {{ tags(item.classification) }}\n'
    '</article>\n'
    '{%- endmacro %}\n'
)
PIECE_CALLS = ["card(item)", "card(item, 2)", "card(item, 3, 0)", "card(item, teaser_chars=40)", "tags(item.classification)",
               "story_meta(item.story)", "sources_line(item.story)"]


def test_the_pieces_write_what_their_macros_wrote():
    config = load_config(None, root=Path(__file__).parent.parent)  # the shipped site
    digest = gather(config)
    paths = build_site_graph(digest).paths
    undated = dataclasses.replace(digest.stories[0].story, articles=tuple(dataclasses.replace(a, date=None) for a in digest.stories[0].story.articles))
    items = [*digest.stories, dataclasses.replace(digest.stories[0], story=undated),
             dataclasses.replace(digest.stories[-1], classification=dataclasses.replace(digest.stories[-1].classification, region=None, theme=None)),
             dataclasses.replace(digest.stories[-1], classification=dataclasses.replace(digest.stories[-1].classification, region=None))]
    env = make_environment([default_theme_dir()])
    defined = env.from_string(OLD_MACROS).render()  # what defining them writes (blank lines) before the call's own
    for call in PIECE_CALLS:
        old = env.from_string(OLD_MACROS + "{{ " + call + " }}")
        new = env.from_string('{% from "_macros.html" import card, tags, story_meta, sources_line with context %}{{ ' + call + " }}")
        for item in items:
            values = {"item": item, "paths": paths, "url": lambda target: relative_url("stories/a/index.html", target)}
            assert defined + new.render(values) == old.render(values), (call, item.slug)
    assert len({len(item.story.articles) > 1 for item in digest.stories}) == 2  # stories of one source and of several
