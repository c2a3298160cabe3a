"""Feeds, sitemap and robots.txt: the non-HTML files of the site.

PLACEHOLDER until issue 5 lands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Config
    from .site import SiteGraph


def feed_files(graph: "SiteGraph", config: "Config") -> dict[str, bytes]:
    return {}
