"""``redirects:`` in digest.yaml: an old story address keeps working after a headline edit moved the story."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import copy_shipped_site, invoke, published_tree

from digest.errors import ConfigError
from digest.settings.config import parse_config

STORY = "pakistan-urges-global-social-media-platforms-to-block-accounts-run"
OTHER = "liew-pn-must-offer-vision-not-just-angry-noise"


def with_redirects(site: Path, lines: str) -> None:
    settings = site / "digest.yaml"
    settings.write_text("redirects:\n" + lines + settings.read_text(encoding="utf-8"), encoding="utf-8")


def test_settings_name_each_bad_line_with_the_slug_to_write():
    text = "redirects:\n  old-one: new-one\n  stories/Old Two/: x\n  same: same\n"
    with pytest.raises(ConfigError) as raised:
        parse_config(text, Path("digest.yaml"))
    messages = [str(p) for p in raised.value.problems]
    assert any(m.startswith("digest.yaml:3: redirects.stories/Old Two/: 'stories/Old Two/' is not a story slug") and "'old-two'" in m for m in messages)
    assert any(m.startswith("digest.yaml:4: redirects.same: sends the story to itself") for m in messages)
    assert len(messages) == 2  # the good line is not a problem

    config = parse_config("redirects:\n  old-one: new-one\n", Path("digest.yaml"))
    assert [(r.old, r.to, r.line) for r in config.redirects] == [("old-one", "new-one", 2)]
    with pytest.raises(ConfigError, match="must be a mapping"):
        parse_config("redirects: [old-one]\n", Path("digest.yaml"))


@pytest.fixture(scope="module")
def redirected(tmp_path_factory) -> tuple[Path, object]:
    """(site, its build's run): the shipped site built with three redirects, one good, one to a slug no story has,
    one from an address a story has. Read only."""
    site = copy_shipped_site(tmp_path_factory.mktemp("redirects") / "site")
    with_redirects(site, f"  pakistan-platforms: {STORY}\n  gone: no-such-story\n  {OTHER}: {STORY}\n")
    return site, invoke("build", "--no-search", cwd=site, check=True)


def test_an_old_address_gets_a_page_that_sends_readers_on_and_is_checked(redirected):
    site, built = redirected
    out = site / "output"
    page = (out / "stories/pakistan-platforms/index.html").read_text(encoding="utf-8")
    assert f'<meta http-equiv="refresh" content="0; url=../../stories/{STORY}/index.html">' in page
    assert f'<link rel="canonical" href="https://example.org/digest/stories/{STORY}/">' in page
    assert '<meta name="robots" content="noindex">' in page
    assert f'href="../../stories/{STORY}/index.html">Pakistan urges global social media platforms' in page  # a link for readers too
    assert "pakistan-platforms" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert not (out / "stories/gone").exists()
    assert "<h1>This story has moved</h1>" not in (out / f"stories/{OTHER}/index.html").read_text(encoding="utf-8")  # a story keeps its page
    warnings = [line for line in built.stderr.splitlines() if "redirects." in line]
    assert any("digest.yaml:3: warning: redirects.gone: no story has the slug 'no-such-story'" in w for w in warnings), built.stderr
    assert any(f"digest.yaml:4: warning: redirects.{OTHER}: a story has this address now" in w for w in warnings), built.stderr

    checked = invoke("check", cwd=site)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    published = published_tree(out)
    strict = invoke("build", "--no-search", "--strict", cwd=site)
    assert strict.returncode != 0 and "redirects.gone" in strict.stderr
    assert published_tree(out) == published  # a failed build publishes nothing: the module's site is as it was


def test_the_old_address_opened_from_disk_lands_on_the_story(redirected, tab):
    site, _ = redirected
    page = tab()
    page.goto((site / "output/stories/pakistan-platforms/index.html").as_uri())
    page.wait_for_url(f"**/stories/{STORY}/index.html")
    assert page.locator("h1").first.inner_text().startswith("Pakistan urges global social media platforms")


NOTE = """---
title: "{title}"
date: 2025-07-20
outlet: Test Gazette
---
The harbour bridge at Port Vesta reopened on Sunday after three months of repairs, the works ministry said.
Traffic was light in the first hours, and ferry operators said they expected fewer passengers.
"""


def test_a_build_says_which_story_moved_and_what_line_keeps_its_old_address(site):
    note = site / "content" / "bridge.md"
    note.write_text(NOTE.format(title="Harbour bridge reopens after repairs"), encoding="utf-8")
    first = invoke("build", "--no-search", cwd=site, check=True)
    assert "moved to" not in first.stderr

    note.write_text(NOTE.format(title="Harbour Bridge Reopens To Traffic After Repairs"), encoding="utf-8")
    moved = invoke("build", "--no-search", cwd=site, check=True)
    assert "stories/harbour-bridge-reopens-after-repairs/ moved to stories/harbour-bridge-reopens-to-traffic-after-repairs/" in moved.stderr
    assert "    harbour-bridge-reopens-after-repairs: harbour-bridge-reopens-to-traffic-after-repairs\n" in moved.stderr
    assert "moved to" not in invoke("build", "--no-search", cwd=site, check=True).stderr  # said once, for the build that moved it

    note.write_text(NOTE.format(title="Harbour bridge reopens after repairs"), encoding="utf-8")
    invoke("build", "--no-search", cwd=site, check=True)  # and back
    note.write_text(NOTE.format(title="Harbour Bridge Reopens To Traffic After Repairs"), encoding="utf-8")
    with_redirects(site, "  harbour-bridge-reopens-after-repairs: harbour-bridge-reopens-to-traffic-after-repairs\n")
    kept = invoke("build", "--no-search", cwd=site, check=True)
    assert "moved to" not in kept.stderr  # the redirect keeps the old address: nothing to advise
    assert (site / "output/stories/harbour-bridge-reopens-after-repairs/index.html").is_file()
