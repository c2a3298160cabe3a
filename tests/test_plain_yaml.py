"""The fast path for plain front matter (digest/read/plain_yaml.py): whenever it reads a block, it reads exactly
what ``load_yaml`` does (values, their types, their order and each key's and list item's line), and it does read
the front matter notes are mostly written with.

Blocks are built by Hypothesis from lines where a hand-written reader would go wrong: YAML 1.1's true/false/null
words (keys and values), numbers, dates that do not exist, times with other zones, escapes and quotes inside
quotes, comments, flow lists spaced otherwise, indented continuation lines, repeated keys, tabs, non-ASCII.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digest.models import SourceDocument
from digest.read.front_matter import read_front_matter
from digest.read.plain_yaml import read_plain_yaml
from digest.settings.yaml_safe import load_yaml

# Each list starts with what the fast path takes, so that many blocks do take it; the rest is where it must not.
KEYS = ["title", "date", "tags", "theme", "region", "outlet", "slug", "_x", "a-b", "Title", "y",
        "yes", "No", "on", "null", "2a"]
PLAIN_VALUES = ['"Torto pushes for export ban, officials say"', '"a: b # c"', '""', '"it\'s"', "'plain quoted'", "''", "trade",
                "Middle East", "y", "n", "nan", "2024-03-03", "2024-03-03T21:25:57Z", '["Torto", "Biha Province"]', "[]", '["a: b"]']
ODD_VALUES = [
    '"a \\" b"', '"tab\\there"', "'it''s'", "Middle  East", "yes", "Off", "NULL", "null", ".inf", "~", "12", "1.5", "0x1f",
    "2024-3-3", "2024-02-30", "2024-03-03T25:00:00Z", "2024-03-03T21:25:57+02:00", "2024-03-03 21:25:57", "2024-03-03T21:25:57.5Z",
    "0000-01-01", '[ "a" ]', '["a","b"]', '["a", \'b\']', "[a, b]", "trade # a comment", "&anchor x", "*alias", "!!str 3", "|",
    ">", "Zürich", "a\tb", '"naïve"', "{a: 1}", "- x",
]
value = st.one_of(*[st.sampled_from(PLAIN_VALUES)] * 4, st.sampled_from(ODD_VALUES))
line = st.builds(lambda key, spaces, value, tail: f"{key}:{spaces}{value}{tail}", st.sampled_from(KEYS),
                 st.sampled_from([" "] * 8 + ["  ", "", "\t"]), value, st.sampled_from([""] * 8 + [" ", "  # note"]))
odd_line = st.sampled_from(["", "# comment", "  continued", "- item", "title", "---", "...", "key:", " key: x"])
lines = st.one_of(*[line] * 12, odd_line)
block = st.one_of(st.lists(lines, min_size=1, max_size=5, unique_by=lambda text: text.split(":")[0]),  # mostly each key once
                  st.lists(lines, min_size=2, max_size=4)).map(lambda lines: "".join(f"{x}\n" for x in lines))


def _read_by_yaml(text: str):
    try:
        return load_yaml(text, line_offset=1)
    except Exception as problem:  # noqa: BLE001 - what load_yaml raises (a YamlProblem) is compared by kind only
        return type(problem)


def _same_as_yaml(text: str) -> bool:
    """Whether the fast path read ``text`` (False: it left it to load_yaml); raises if it read it otherwise."""
    plain = read_plain_yaml(text, line_offset=1)
    if plain is None:
        return False
    by_yaml = _read_by_yaml(text)
    assert plain == by_yaml, text
    assert [(key, type(value)) for key, value in plain.data.items()] == [(key, type(value)) for key, value in by_yaml.data.items()], text
    assert dict(plain.lines) == dict(by_yaml.lines), text
    return True


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(block)
@example('title: "Torto pushes, officials say"\ndate: 2024-03-03T21:25:57Z\ntheme: trade\ntags: ["Torto", "Biha Province"]\n')
@example("date: 2024-03-03\ntags: []\nregion: 'Middle East'\n")
def test_a_block_read_plainly_is_what_yaml_reads(text):
    _same_as_yaml(text)


def test_every_key_and_value_is_read_as_yaml_reads_it_or_left_to_yaml():
    usual = 'title: "A headline, quoted"\n'
    taken = 0
    for key in KEYS:
        for shown in PLAIN_VALUES + ODD_VALUES:
            for spaces, tail in ((" ", ""), ("  ", " "), (" ", "  # note"), ("\t", "")):
                text = f"{key}:{spaces}{shown}{tail}\n"
                taken += _same_as_yaml(text)
                _same_as_yaml(usual + text)
                _same_as_yaml(text + "  continued\n")
    assert taken >= len(PLAIN_VALUES) * 10  # the plain values under the plain keys, spaced plainly


def test_the_usual_front_matter_is_read_plainly_and_the_rest_by_yaml():
    usual = 'title: "Torto pushes, officials say"\ndate: 2024-03-03T21:25:57Z\noutlet: "Delta Chronicle"\ntheme: trade\ntags: ["Torto", "Biha Province"]\n'
    plain = read_plain_yaml(usual, line_offset=1)
    assert plain is not None
    assert plain.data["date"] == dt.datetime(2024, 3, 3, 21, 25, 57, tzinfo=dt.UTC)
    assert plain.lines[("tags", 1)] == 6
    for not_plain in ("theme: yes\n", "on: x\n", "date: 2024-02-30\n", "title: a # b\n", 'title: "a"\ntitle: "b"\n', "title: Zürich\n",
                      'tags: ["a","b"]\n', "title: x\n  y\n"):
        assert read_plain_yaml(not_plain, line_offset=1) is None, not_plain
    note = SourceDocument(path="n.md", text=f"---\n{usual}---\n\nBody.\n", sha256="x", mtime=0.0)
    assert read_front_matter(note).meta == load_yaml(usual).data
    impossible = SourceDocument(path="n.md", text="---\ndate: 2024-02-30\n---\nBody.\n", sha256="x", mtime=0.0)
    assert read_front_matter(impossible).meta == {"date": "2024-02-30"}  # left to load_yaml, which keeps it as text
