"""``digest serve`` in headless Debian Chromium: the open page follows saves through livereload.js.

The tests run the preview in this process (previewing.serving_here: the command's PreviewSession, and what the
command prints after each build), where a process of its own would prove nothing more; test_serve.py runs the real
command end to end."""

from __future__ import annotations

import re
import shutil

import pytest
from helpers import REPO
from previewing import BRIDGE, NOTE, add_note, serving_here

pytestmark = pytest.mark.browser
# livereload.js fires LiveReloadConnect on the document once its handshake with the server is done.
NOTE_CONNECTED = "document.addEventListener('LiveReloadConnect', () => { window.liveReloadConnected = true; })"
CONNECTED = "window.liveReloadConnected === true"


def own_template(site, name: str):
    """A copy of the default theme's template ``name`` as the site's own, in its templates/."""
    (site / "templates").mkdir()
    return shutil.copy(REPO / "templates" / name, site / "templates" / name)


def test_the_open_page_follows_edits_errors_and_deletions(site, fresh_page):
    from playwright.sync_api import expect

    # The site's own story template, to break and fix (the rest comes from the default theme: a site's templates
    # are searched first, file by file). The whole theme copied would be compiled afresh, ~0.6 s.
    story_template = own_template(site, "story.html")
    good_template = story_template.read_text(encoding="utf-8")
    note = add_note(site, "bridge.md", "Harbour bridge reopens after repairs")
    with serving_here(site) as served:
        page = fresh_page
        page.goto(served.url)
        page.get_by_role("link", name="Harbour bridge reopens after repairs").first.click()
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("Harbour bridge reopens after repairs")
        story_url = page.url
        page.evaluate("window.notReloaded = true")

        # Edit the headline. The story's address comes from its headline's words, so it moves: the open page
        # reloads into the story's new address instead of a 404.
        note.write_text(NOTE.format(title="Harbour Bridge Reopens To Traffic After Repairs", body=BRIDGE), encoding="utf-8")
        expect(heading).to_have_text("Harbour Bridge Reopens To Traffic After Repairs", timeout=20_000)
        assert page.url != story_url and page.url.endswith("/stories/harbour-bridge-reopens-to-traffic-after-repairs/")
        assert page.evaluate("window.notReloaded") is None  # the script reloaded it; nobody else did
        served.wait_for_line(r"^stories/harbour-bridge-reopens-after-repairs/ moved to stories/harbour-bridge-reopens-to-traffic-after-repairs/")
        served.wait_for_line(r"^    harbour-bridge-reopens-after-repairs: harbour-bridge-reopens-to-traffic-after-repairs$")  # what to add

        # Break the template: the page shows where and what, over the last good page.
        lines = good_template.splitlines()
        lines.insert(2, "{% if %}")
        story_template.write_text("\n".join(lines) + "\n", encoding="utf-8")
        overlay = page.locator("#digest-build-error")
        expect(overlay).to_be_visible(timeout=20_000)
        expect(overlay).to_contain_text("templates/story.html:3")
        expect(overlay).to_contain_text("syntax")

        # Fix it: the overlay goes, the story is back.
        story_template.write_text(good_template, encoding="utf-8")
        expect(overlay).to_have_count(0, timeout=20_000)
        expect(heading).to_have_text("Harbour Bridge Reopens To Traffic After Repairs")

        # Delete the document: its story leaves the open front page.
        page.goto(served.url)
        link = page.get_by_role("link", name="Harbour Bridge Reopens To Traffic After Repairs")
        expect(link.first).to_be_visible()
        note.unlink()
        expect(link).to_have_count(0, timeout=20_000)
        expect(page.get_by_role("link", name=re.compile("Pakistan urges")).first).to_be_visible()




def test_each_save_reloads_the_open_page(site, fresh_page):
    """Three saves, three reloads with the new text. How fast is bench/bench_preview.py's to say (< 0.5 s on the
    shipped site): a timed assertion here would fail on a busy machine, not on slow code."""
    note = add_note(site, "bridge.md", "Harbour bridge reopens after repairs")
    with serving_here(site) as served:
        page = fresh_page
        page.add_init_script(NOTE_CONNECTED)
        page.goto(served.url + "stories/harbour-bridge-reopens-after-repairs/")
        for edit in range(3):
            page.wait_for_function(CONNECTED, polling="raf", timeout=10_000)
            sentence = f"Tolls return in May, the ministry said ({edit})."
            with page.expect_navigation(wait_until="load", timeout=10_000):
                note.write_text(NOTE.format(title="Harbour bridge reopens after repairs", body=BRIDGE + "\n" + sentence), encoding="utf-8")
            assert sentence in page.locator("main").inner_text()


def test_the_preview_reads_without_javascript(site, tab):
    from playwright.sync_api import expect

    index = own_template(site, "index.html")
    good = index.read_text(encoding="utf-8")
    with serving_here(site) as served:
        page = tab(390, height=844, java_script_enabled=False)  # the session's phone without JavaScript
        assert page.goto(served.url).status == 200
        expect(page.locator("h1").first).to_be_visible()
        link = page.locator("main a[href*='stories/']").first
        expect(link).to_be_visible()
        before = served.status()
        lines = good.splitlines()
        index.write_text("\n".join([*lines[:2], "{% if %}", *lines[2:]]) + "\n", encoding="utf-8")
        served.wait_until(lambda s: s["builds"] > before["builds"], "the broken template")
        page.reload()  # no script reloads it: the reader does
        overlay = page.locator("#digest-build-error")
        expect(overlay).to_be_visible()
        expect(overlay).to_contain_text("templates/index.html:3")
        expect(link).to_be_attached()  # the last good page, underneath
        before = served.status()
        index.write_text(good, encoding="utf-8")
        served.wait_until(lambda s: s["builds"] > before["builds"] and s["error"] is None, "the fixed template")
        page.reload()
        expect(overlay).to_have_count(0)
        link.click()
        expect(page.locator("h1").first).to_be_visible()
