"""Where the default theme lives: inside the installed package, or templates/ in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).parent


def default_theme_dir() -> Path:
    packaged = _PACKAGE / "theme"
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / "templates"  # editable install / source checkout
