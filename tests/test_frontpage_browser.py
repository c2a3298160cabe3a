"""The front page and a story page as Debian's Chromium lays them out (issue #15): the hierarchy is visible in type
sizes, no grid shows an empty column at any width, the coverage timeline is drawn and labelled, dark mode is
dark, a phone never scrolls sideways, and search results read as news, not as debug output."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

SABAH = "stories/sabah-polls-ph-has-a-delicate-balancing-act-to-pull/"
PAKISTAN = "stories/pakistan-urges-global-social-media-platforms-to-block-accounts-run/"
WIDTHS = (1280, 900, 390)
PHONE = {"height": 844, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}  # with tab(390, "light"): a phone


def open_page(tab, url: str, width: int = 1280, scheme: str = "light", **options):
    page = tab(width, scheme, **options)
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    return page


def font_size(page, selector: str) -> float:
    return page.evaluate("(s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)", selector)


def test_headlines_are_clearly_larger_than_their_teasers(tab, served_site):
    page = open_page(tab, served_site)
    lead, standfirst = font_size(page, ".lead-title"), font_size(page, ".standfirst")
    second, teaser = font_size(page, ".second-title"), font_size(page, ".second .teaser")
    section_headline = font_size(page, ".headlines .headline")
    assert lead >= 1.8 * standfirst, (lead, standfirst)
    assert lead > 1.4 * second and second >= 1.25 * teaser, (lead, second, teaser)
    assert section_headline >= 1.15 * font_size(page, ".headlines .teaser")
    assert page.locator(".lead-title").is_visible() and page.locator(".lead .standfirst").is_visible()


@pytest.mark.parametrize("path", ["", SABAH])
def test_no_grid_shows_an_empty_column(tab, served_site, path):
    """At each width: the page is loaded once and the window resized, as a reader resizes it (the layout is the style
    sheet's media queries and grids, which follow the viewport; no script lays the page out)."""
    page = open_page(tab, served_site + path, WIDTHS[0])
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("window.innerWidth") == width
            grids = page.evaluate("""() => [...document.querySelectorAll('main *')]
                .filter(e => getComputedStyle(e).display === 'grid' && e.checkVisibility())
                .map(e => [e.className || e.tagName, getComputedStyle(e).gridTemplateColumns.split(' ').filter(w => parseFloat(w) > 0).length,
                           [...e.children].filter(c => c.checkVisibility()).length])""")
            for name, columns, children in grids:  # auto-fit's collapsed tracks are 0 px wide: not columns
                assert columns <= children, f"/{path} at {width} px: .{name} has {columns} columns for {children} items"
    finally:
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})  # the tab is the session's: back to its own size


@pytest.mark.parametrize("width", [390, 1280])
def test_the_coverage_timeline_is_visible_labelled_and_in_date_order(tab, served_site, width):
    page = open_page(tab, served_site + PAKISTAN, width, **(PHONE if width == 390 else {}))  # 390 px: the phone's tab
    figure = page.locator("figure.timeline")
    assert figure.is_visible()
    rows = page.get_by_role("list", name="reports from 2 sources")
    assert rows.count() == 1 and rows.locator("li").count() == 2  # the list, named by the caption
    dots = page.locator(".timeline .dot")
    assert dots.count() == 2 and all(dots.nth(i).is_visible() for i in range(2))
    first, last = (dots.nth(i).bounding_box() for i in range(2))
    track = page.locator(".timeline .track").first.bounding_box()
    assert first["x"] < track["x"] + 10 and last["x"] + last["width"] > track["x"] + track["width"] - 10, "oldest left, newest right"
    ticks = page.locator(".timeline .tick")
    assert [ticks.nth(i).is_visible() for i in range(ticks.count())] == [True, True]
    assert ticks.first.bounding_box()["x"] + ticks.first.bounding_box()["width"] < ticks.last.bounding_box()["x"], "axis labels overlap"
    headline = rows.locator("a").first
    headline.click()
    assert page.url.endswith("#version-1") and page.locator("#version-1").is_visible()


def test_why_it_is_filed_here_opens_on_request(tab, served_site):
    page = open_page(tab, served_site + SABAH)
    reasons = page.locator("details.filing .filed")
    assert not reasons.is_visible()
    page.locator("details.filing > summary").click()
    assert reasons.is_visible() and "Region" in reasons.inner_text()
    assert page.locator("aside").get_by_text("Why it is filed here").count() == 0


def luminance(page, selector: str, prop: str) -> float:
    rgb = page.evaluate("([s, p]) => getComputedStyle(document.querySelector(s))[p].match(/\\d+/g).slice(0, 3).map(Number)", [selector, prop])
    return sum(channel * weight for channel, weight in zip(rgb, (0.2126, 0.7152, 0.0722))) / 255


@pytest.mark.parametrize("path", ["", SABAH])
def test_dark_mode_is_dark_and_the_timeline_shows_on_it(tab, served_site, path):
    """The page in the light tab, switched to dark in place, as when the reader's system switches (the style sheet's
    media queries follow; the theme has no transition and no script that reads the scheme): no context of its own."""
    page = open_page(tab, served_site + path)
    page.emulate_media(color_scheme="dark")
    try:
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        assert luminance(page, "body", "backgroundColor") < 0.1
        assert luminance(page, "h1, .lead-title", "color") > 0.7
        if path:
            assert luminance(page, ".timeline .dot", "backgroundColor") > 0.5  # a light dot on the dark box
    finally:
        page.emulate_media(color_scheme=None)  # the tab is the session's: back to its own scheme


@pytest.mark.parametrize("path", ["", SABAH, PAKISTAN, "search/", "archive/"])
def test_a_phone_never_scrolls_sideways(tab, served_site, path):
    page = tab(390, "light", **PHONE)
    assert page.goto(served_site + path).status == 200
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"/{path} is {overflow} px wider than a 390 px phone"


def test_search_results_show_section_date_outlets_and_text_not_provenance(tab, served_site):
    page = open_page(tab, served_site + "search/?q=Salleh")
    page.wait_for_function("[...document.querySelectorAll('#search-results > li')].some(li => li.textContent.includes('Salleh: GRS'))",
                           polling="raf", timeout=15_000)  # at every frame, not at the locator's retries (up to 1 s apart)
    result = page.locator("#search-results > li").filter(has_text="Salleh: GRS")
    result.wait_for(state="visible", timeout=15_000)
    text = result.inner_text()
    assert "Malaysian politics · 28 July 2025 · Borneo Post, The Star" in text
    assert "Salleh" in result.locator("mark").first.inner_text()  # the excerpt, with the match marked
    everything = page.locator("#search-results").inner_text()
    for debug in ("From 00", ".txt", "captured from", "Why it is filed here", "related article on the page"):
        assert debug not in everything, debug
    assert page.locator("#search-results ul").count() == 0, "no sub-results under a result"
