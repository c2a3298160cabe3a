"""Typed values from the YAML of ``digest.yaml``: each section's settings checked against their defaults' types."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any
from urllib.parse import urlsplit

from digest.settings.problems import KeyPath, Problems


def section_from(cls, data: Any, keys: KeyPath, problems: Problems, checks: Mapping[str, Callable[[Any], str | None]] | None = None):
    """Build a section dataclass from a mapping, checking each value against the field's default type."""
    default = cls()
    if data is None:
        return default
    if not isinstance(data, dict):
        problems.error(keys, "must be a mapping of settings")
        return default
    problems.unknown_keys(keys, data, {f.name for f in fields(cls)})
    values = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value, problem = coerce(data[f.name], getattr(default, f.name))
        if problem is None and checks and f.name in checks:
            problem = checks[f.name](value)
        if problem:
            problems.error((*keys, f.name), problem)
        else:
            values[f.name] = value
    return cls(**{**default.__dict__, **values})


def coerce(raw: Any, expected: Any) -> tuple[Any, str | None]:
    """``raw`` as the type of ``expected`` (a default value), or why it cannot be."""
    if isinstance(expected, bool):
        return (raw, None) if isinstance(raw, bool) else (None, f"must be true or false, not {raw!r}")
    if isinstance(expected, int):
        return (raw, None) if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else (None, f"must be a whole number ≥ 0, not {raw!r}")
    if isinstance(expected, float):
        ok = isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw) and raw >= 0
        return (float(raw), None) if ok else (None, f"must be a number ≥ 0, not {raw!r}")
    if isinstance(expected, tuple):
        return _coerce_list(raw, expected)
    if isinstance(expected, Mapping):
        return _coerce_lines_by_name(raw)
    if expected is None or isinstance(expected, str):
        if raw is None and expected is None:
            return None, None
        if isinstance(raw, str) or isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw):
            return str(raw), None
        if hasattr(raw, "isoformat"):  # YAML dates and timestamps
            return raw.isoformat(), None
        return None, f"must be text, not {raw!r}"
    return raw, None


def _coerce_list(raw: Any, expected: tuple) -> tuple[Any, str | None]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        return None, f"must be a list, not {raw!r}"
    if expected and isinstance(expected[0], tuple) or not expected and raw and isinstance(raw[0], list):
        if not all(isinstance(group, list) and all(isinstance(x, str) for x in group) for group in raw):
            return None, "must be a list of lists of article ids"
        return tuple(tuple(group) for group in raw), None
    if not all(isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in raw):
        return None, "must be a list of text values"
    return tuple(str(x) for x in raw), None


def _coerce_lines_by_name(raw: Any) -> tuple[Any, str | None]:
    if not isinstance(raw, dict):
        return None, f"must be a mapping, not {raw!r}"
    out = {}
    for key, value in raw.items():
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, f"'{key}' must be a list of text lines"
        out[str(key)] = tuple(value)
    return out, None


def time_problems(value: str | None) -> str | None:
    from digest.read.dates import parse_capture_time

    if value is not None and parse_capture_time(value) is None:
        return f"must be an ISO 8601 time such as 2025-07-28T18:30:00+08:00, not {value!r}"
    return None


def base_url_problems(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not one (":99999", ":x")
    except ValueError:  # also "http://[::1": an unclosed IPv6 address
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        return f"must be an absolute http(s) URL such as https://user.github.io/repo/, not {url!r}"
    return None


def normalise_base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


# Domains reserved for examples (RFC 2606): an address there is no site's real public address.
PLACEHOLDER_DOMAINS = ("example.org", "example.com", "example.net")


def is_placeholder_address(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host.endswith(".example") or any(host == domain or host.endswith("." + domain) for domain in PLACEHOLDER_DOMAINS)
