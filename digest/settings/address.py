"""The warning for a site without its public address: no ``site.base_url``, or one at example.org.

Feeds, the sitemap and canonical links need absolute addresses, so they are still written, under the placeholder:
the site works wherever it is opened (every page links relatively), and the warning says what to set before it is
published. It is said once per command, and is not a document's warning, so ``--strict`` does not fail on it.
"""

from __future__ import annotations

from digest.settings.values import is_placeholder_address


def placeholder_address_warning(base_url: str, line: int | None, shown_as: str = "digest.yaml") -> str | None:
    """``warning: ...`` naming the settings file (and ``line``, where ``base_url`` is set in it, if it is), or None
    when ``base_url`` is a real address."""
    if not is_placeholder_address(base_url):
        return None
    where = f"{shown_as}:{line}" if line else shown_as
    state = f"site.base_url is {base_url}, a placeholder" if line else f"site.base_url is not set (the default is {base_url})"
    return (f"{where}: warning: {state}: the feeds, the sitemap and the canonical links point there, not to your site "
            f"(set site.base_url in {shown_as} to the address the site is published at, e.g. https://user.github.io/repo/, "
            "or pass --base-url)")

