"""The default theme's pieces written in Python (digest/render/filters.py) write, byte for byte, what the Jinja
macros they replace wrote, for every kind of value the templates give them."""

from __future__ import annotations

import datetime as dt

import pytest
from markupsafe import Markup

from digest.models import ArticleDate, DateSource
from digest.render.filters import default_theme_dir
from digest.render.pages import make_environment

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
