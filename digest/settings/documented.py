"""``setting()``: a settings field that carries its own documentation.

Every ``digest.yaml`` key is documented where it is defined, in one line, so that the configuration
reference (``digest/settings/reference.py``, rendered into the documentation site) is derived from the
code and cannot fall behind it.
"""

from __future__ import annotations

from dataclasses import MISSING, field
from typing import Any


def setting(default: Any = MISSING, doc: str = "", *, example: Any = MISSING, default_factory: Any = MISSING, **options: Any) -> Any:
    """A dataclass field with its one-line documentation, and an example when the default does not show the key well."""
    metadata = {"doc": doc} if example is MISSING else {"doc": doc, "example": example}
    return field(default=default, default_factory=default_factory, metadata=metadata, **options)


def not_a_setting(default: Any = MISSING, **options: Any) -> Any:
    """A field of the settings object that ``digest.yaml`` does not set (where it was read from, its warnings)."""
    return field(default=default, metadata={"setting": False}, **options)
