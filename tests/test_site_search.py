"""The search page in Debian's Chromium: opened from disk it says why search cannot run and offers the archive."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_search_from_disk_explains_and_falls_back(tab, built_site):
    page = tab()  # the session's build, search index included: from disk the browser may not load it
    page.goto((built_site / "search" / "index.html").as_uri() + "?q=Salleh")
    status = page.locator("#search-status")
    status.wait_for(state="visible")
    page.wait_for_function("document.getElementById('search-status').textContent.length > 0")
    assert "opened from disk" in status.inner_text()
    fallback = page.locator("#search-fallback")
    assert fallback.is_visible()
    archive = fallback.locator("a", has_text="archive")
    assert archive.get_attribute("href") == "../archive/index.html"
    assert page.locator("#search-input").input_value() == "Salleh"
