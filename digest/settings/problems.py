"""The one collector of what is wrong with a settings document: every problem at once, each with its line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from digest.errors import ConfigError, DigestError
from digest.models import Diagnostic

KeyPath = tuple[Any, ...]


class Problems:
    """Errors (reported together as one ``ConfigError``) and warnings, located by key path.

    ``lines`` maps key paths to 1-based lines (``YamlDocument.lines``); a key without a line of its
    own is reported at the nearest enclosing key that has one."""

    def __init__(self, path: str | None, lines: Mapping[KeyPath, int] | None = None):
        self.path = path
        self.lines = lines or {}
        self.problems: list[DigestError] = []
        self.warnings: list[Diagnostic] = []

    def line(self, keys: KeyPath) -> int | None:
        while keys and keys not in self.lines:
            keys = keys[:-1]
        return self.lines.get(keys)

    def error(self, keys: KeyPath, message: str, hint: str | None = None) -> None:
        label = _label(keys)
        self.problems.append(DigestError(f"{label}: {message}" if label else message, self.path, self.line(keys), hint))

    def warn(self, keys: KeyPath, message: str) -> None:
        self.warnings.append(Diagnostic(self.path or "settings", self.line(keys), message))

    def problems_at(self, keys: KeyPath) -> bool:
        label = _label(keys)
        return any(p.message.startswith(label + ":") for p in self.problems)

    def unknown_keys(self, keys: KeyPath, data: Mapping, known: set[str]) -> None:
        for key in data:
            if key not in known:
                self.warn((*keys, key), f"unknown setting '{_label((*keys, key))}' is ignored (known here: {', '.join(sorted(known))})")

    def raise_if_any(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)


def _label(keys: KeyPath) -> str:
    return ".".join(str(k) for k in keys)
