"""Characters no web page or feed may carry, and taking them out of text as it is read.

XML 1.0 (the feeds) forbids most C0 controls, lone surrogates and U+FFFE/U+FFFF; HTML calls
every control and noncharacter a parse error. Tab and newline are all a document needs.
"""

from __future__ import annotations

import re

_FORBIDDEN_RANGES = [
    "\x00-\x08", "\x0b-\x1f", "\x7f-\x9f",  # C0 but tab and newline, DEL, C1
    "\ud800-\udfff",  # lone surrogates (a file name read with surrogateescape, a YAML "\ud800")
    "\ufdd0-\ufdef", "\ufffe\uffff",  # noncharacters
    *(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17)),
]
_ALL = re.compile(f"[{''.join(_FORBIDDEN_RANGES)}]")
# The regex engine tests the 32 astral noncharacters one by one at every position (six times slower than the rest):
# a text without astral characters (nearly every one) is searched for the basic plane's ranges alone.
_BASIC_PLANE = re.compile(f"[{''.join(_FORBIDDEN_RANGES[:6])}]")


def _has_astral(text: str) -> bool:
    """Whether ``text`` holds a character beyond the basic plane: each is two UTF-16 units (encoding is several
    times faster than a search for one; ``surrogatepass`` lets a lone surrogate through as one unit)."""
    return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


class _Forbidden:
    """The forbidden characters as one pattern (``search``, ``findall``, ``sub``), searched the fast way."""

    @staticmethod
    def pattern(text: str) -> re.Pattern[str]:
        return _BASIC_PLANE if text.isascii() or not _has_astral(text) else _ALL

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern(text).search(text)

    def findall(self, text: str) -> list[str]:
        return self.pattern(text).findall(text)

    def sub(self, replacement: str, text: str) -> str:
        return self.pattern(text).sub(replacement, text)


FORBIDDEN = _Forbidden()


def strip_forbidden(text: str) -> tuple[str, list[str]]:
    """``text`` without forbidden characters, and the code points removed (``U+001B``), in order."""
    found = FORBIDDEN.findall(text)
    if not found:
        return text, []
    return FORBIDDEN.sub("", text), [f"U+{ord(c):04X}" for c in found]


def first_forbidden_line(text: str) -> int:
    """The 1-based line of the first forbidden character in ``text`` (1 when there is none)."""
    match = FORBIDDEN.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def describe_removed(codes: list[str]) -> str:
    """"2 control characters (U+001B, U+000C)": what ``strip_forbidden`` took out, for a warning."""
    distinct = list(dict.fromkeys(codes))
    shown = ", ".join(distinct[:5]) + (", ..." if len(distinct) > 5 else "")
    plural = "s" if len(codes) != 1 else ""
    return f"{len(codes)} control character{plural} ({shown}) that a web page or feed cannot carry"
