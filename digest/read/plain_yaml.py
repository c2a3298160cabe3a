"""Front matter of the commonest shape read without PyYAML: the same values, ~4x sooner.

Most notes' front matter is a few ``key: value`` lines (``title: "..."``, ``date: 2024-03-03T21:25:57Z``,
``theme: trade``, ``tags: ["a", "b"]``), and libyaml's scanner, composer and PyYAML's constructors were a sixth
of the parse stage's time for them. ``read_plain_yaml`` reads a block only where YAML's rules leave no room for
doubt, and gives up (None: let ``load_yaml`` read it) on anything else. Every line must be printable ASCII of the
form ``key: value``: a key of letters, digits, ``_`` and ``-`` starting with a letter or ``_`` that YAML 1.1 does
not read as true, false or null (each key once), then one or more spaces and one of

- a double-quoted text without ``\\`` or ``"`` (no escapes), or a single-quoted one without ``'``;
- words of letters separated by single spaces, not one YAML 1.1 reads as true, false or null (``yes``, ``Off``,
  ``null``): text;
- a date ``2024-03-03``, or a UTC time ``2024-03-03T21:25:57Z``, that exists: what PyYAML's timestamp gives;
- ``[]`` or a list ``["a", "b"]`` of such double-quoted texts, separated by ``, ``;

then nothing but spaces (no comment). That what it reads is ``load_yaml``'s document (values, their types, the
line of each key and list item) is tested against ``load_yaml`` on generated blocks (tests/test_plain_yaml.py)
and was compared on every note of the 1,000-, 10,000- and 100,000-article benchmark corpora.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from digest.settings.yaml_safe import YamlDocument

_QUOTED = r'"[^"\\]*"'
_LINE = re.compile(
    r"(?P<key>[A-Za-z_][A-Za-z0-9_-]*): +(?:"
    r'"(?P<double>[^"\\]*)"'
    r"|'(?P<single>[^']*)'"
    r"|(?P<words>[A-Za-z]+(?: [A-Za-z]+)*)"
    r"|(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)(?:T(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d)Z)?"
    rf"|\[(?P<items>(?:{_QUOTED}(?:, {_QUOTED})*)?)\]"
    r") *"
)
_ITEM = re.compile(r'"([^"\\]*)"')
# What YAML 1.1 (PyYAML's resolver) reads as true, false or null rather than as text, when written plain.
_NOT_TEXT = frozenset("yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF null Null NULL".split())


def read_plain_yaml(block: str, line_offset: int = 0) -> YamlDocument | None:
    """``load_yaml(block, line_offset=line_offset)`` for a block of the shape above; None for any other block."""
    if not block.endswith("\n") or not block.isascii():
        return None
    data: dict[str, Any] = {}
    lines: dict[tuple, int] = {}
    number = line_offset
    for line in block[:-1].split("\n"):
        number += 1
        found = _LINE.fullmatch(line)
        if found is None or not line.isprintable():
            return None
        key, kind = found["key"], found.lastgroup
        if key in data or key in _NOT_TEXT:
            return None
        if kind in _TEXTS:
            value = found[kind]
            if kind == "words" and value in _NOT_TEXT:
                return None
        elif kind == "items":
            value = _ITEM.findall(found["items"])
            lines.update(((key, position), number) for position in range(len(value)))
        else:
            value = _moment(found)
            if value is None:
                return None
        data[key] = value
        lines[(key,)] = number
    return YamlDocument(data, lines) if data else None


_TEXTS = frozenset(("double", "single", "words"))


def _moment(found: re.Match[str]) -> dt.date | None:
    """The date or UTC time of a line, as PyYAML's timestamp gives it; None for a day or time that does not exist
    (``load_yaml`` keeps it as text, for the reader to say what is wrong)."""
    try:
        day = dt.date(int(found["year"]), int(found["month"]), int(found["day"]))
        if found["hour"] is None:
            return day
        return dt.datetime(day.year, day.month, day.day, int(found["hour"]), int(found["minute"]), int(found["second"]), tzinfo=dt.UTC)
    except ValueError:
        return None
