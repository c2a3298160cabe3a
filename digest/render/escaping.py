"""What a template's ``{{ value }}`` writes, escaped as Jinja would, without making a ``Markup`` of it first.

With autoescaping, Jinja's compiled templates call ``markupsafe.escape`` on every value they output: the escaped
text is wrapped in a ``Markup`` (a Python-level constructor) only to be joined into the page at once. A story page
outputs ~170 values, so that wrapping is a tenth of rendering a page. ``CodeGenerator`` makes compiled templates
call ``escape_output`` there instead: the very same text, as a plain string. Everywhere else (filters, ``~``,
``{% set %}`` blocks, macros' results) Jinja is unchanged.
"""

from __future__ import annotations

from typing import Any

import markupsafe
from jinja2.compiler import CodeGenerator as _JinjaCodeGenerator
from jinja2.compiler import Frame
from jinja2.nodes import Template

# markupsafe's C function under ``escape`` (pure Python where its extension is not built); its own ``escape`` where a
# later release moves it.
_escape_text = getattr(markupsafe, "_escape_inner", None) or (lambda text: str(markupsafe.escape(text)))


def escape_output(value: Any) -> str:
    """``str(markupsafe.escape(value))``, tested in the same order: a plain string, an object that knows its HTML
    (``Markup``, a macro's result), anything else by its ``str``."""
    if type(value) is str:
        return _escape_text(value)
    if hasattr(value, "__html__"):
        html = value.__html__()
        return html if isinstance(html, str) else str(html)
    return _escape_text(str(value))


class CodeGenerator(_JinjaCodeGenerator):
    """Jinja's code generator, with one line more at the end of every compiled template module: it rebinds the
    module's ``escape`` (imported from ``jinja2.runtime`` at its top, and used only where a value is output) to
    ``escape_output``. It runs when the module is loaded, before any of its functions is called."""

    def visit_Template(self, node: Template, frame: Frame | None = None) -> None:
        super().visit_Template(node, frame)
        self.writeline(f"from {__name__} import escape_output as escape")
