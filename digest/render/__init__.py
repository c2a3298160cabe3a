"""Render stage: pages -> bytes, in memory (Jinja2), plus feeds and the sitemap."""
