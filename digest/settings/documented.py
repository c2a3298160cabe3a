"""The documentation a settings field carries: ``field(default=..., metadata=documented("..."))``.

Every ``digest.yaml`` key is documented where it is defined, in one line, so that the configuration
reference (``digest/settings/reference.py``, rendered into the documentation site) is derived from the
code and cannot fall behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING
from types import MappingProxyType
from typing import Any

# The metadata of a settings object's field that digest.yaml does not set (where it was read from, its warnings).
NOT_A_SETTING: Mapping[str, Any] = MappingProxyType({"setting": False})


def documented(doc: str, *, example: Any = MISSING) -> Mapping[str, Any]:
    """A field's metadata: its one-line documentation, and an example when the default does not show the key well."""
    return MappingProxyType({"doc": doc} if example is MISSING else {"doc": doc, "example": example})
