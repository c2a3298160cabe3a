#!/usr/bin/env python3
"""Full-page screenshots of the built digest: the front page and a story page, 1280 px (desktop) and
390 px (phone emulation) wide, light and dark colour schemes: 8 PNGs for a person to look at.

    python tools/screenshots.py                      # build the shipped content, shots into screenshots/
    python tools/screenshots.py --site output/       # use a site already built (for base URL .../digest/)
    python tools/screenshots.py --out /tmp/shots --story stories/some-slug/
    python tools/screenshots.py --docs               # the documentation's images: docs/images/*.jpg

--docs makes the six smaller images docs/site.md shows: the front page and the story told by the most
outlets, light, dark and phone, each the top of the page (JPEG, at most DOCS_HEIGHT px tall).

The site is served under /digest/ on 127.0.0.1 like a GitHub Pages project site. Needs Debian's chromium
and the playwright package (never `playwright install`). Also prints any page wider than its viewport.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "quality"))
import sitecheck  # noqa: E402

VIEWPORTS = {
    "1280": {"viewport": {"width": 1280, "height": 800}},
    "390": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
}


DOCS_IMAGES = sitecheck.REPO / "docs" / "images"
DOCS_SHOTS = {  # name -> (viewport options, colour scheme)
    "light": ({"viewport": {"width": 1280, "height": 800}}, "light"),
    "dark": ({"viewport": {"width": 1280, "height": 800}}, "dark"),
    "mobile": ({"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}, "light"),
}
DOCS_HEIGHT = 1500


def most_told_story(site: Path) -> str | None:
    """The story page with the most versions: the one that shows a coverage timeline best."""
    stories = sitecheck.pages_under(site, "stories")
    return max(stories, key=lambda s: (site / s / "index.html").read_text(encoding="utf-8").count('class="version"'), default=None)


def take_docs(site: Path, out: Path, story: str | None) -> list[Path]:
    from playwright.sync_api import sync_playwright

    story = story or most_told_story(site)
    if story is None:
        raise SystemExit(f"screenshots: {site} has no page under stories/")
    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with sitecheck.serve(site, "/digest/") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(sitecheck.CHROMIUM), headless=True, args=sitecheck.CHROMIUM_ARGS)
        try:
            for name, path in (("front", ""), ("story", story.strip("/") + "/")):
                for kind, (options, scheme) in DOCS_SHOTS.items():
                    context = browser.new_context(color_scheme=scheme, **options)
                    page = context.new_page()
                    page.goto(url + path, wait_until="networkidle")
                    page.add_style_tag(content="* { content-visibility: visible !important; }")
                    width = options["viewport"]["width"]
                    height = min(DOCS_HEIGHT, page.evaluate("document.documentElement.scrollHeight"))
                    shot = out / f"{name}-{kind}.jpg"
                    page.screenshot(path=str(shot), full_page=True, type="jpeg", quality=80,
                                    clip={"x": 0, "y": 0, "width": width, "height": height})
                    shots.append(shot)
                    context.close()
        finally:
            browser.close()
    return shots


def take(site: Path, out: Path, story: str | None) -> list[Path]:
    from playwright.sync_api import sync_playwright

    stories = sitecheck.pages_under(site, "stories")
    story = story or (stories[0] if stories else None)
    if story is None:
        raise SystemExit(f"screenshots: {site} has no page under stories/")
    pages = {"front": "", "story": story.strip("/") + "/"}
    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with sitecheck.serve(site, "/digest/") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(sitecheck.CHROMIUM), headless=True, args=sitecheck.CHROMIUM_ARGS)
        try:
            for name, path in pages.items():
                for width, options in VIEWPORTS.items():
                    for scheme in ("light", "dark"):
                        context = browser.new_context(color_scheme=scheme, **options)
                        page = context.new_page()
                        response = page.goto(url + path, wait_until="networkidle")
                        if response is None or response.status != 200:
                            raise SystemExit(f"screenshots: /digest/{path} answered {response and response.status}")
                        # content-visibility: auto leaves off-screen parts unpainted in a full-page capture;
                        # a reader scrolling there sees them, so the screenshot shows them too.
                        page.add_style_tag(content="* { content-visibility: visible !important; }")
                        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                        if overflow > 0:
                            print(f"screenshots: {name} at {width} px ({scheme}) is {overflow} px wider than the screen", file=sys.stderr)
                        shot = out / f"{name}-{width}-{scheme}.png"
                        page.screenshot(path=str(shot), full_page=True)
                        shots.append(shot)
                        context.close()
        finally:
            browser.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build the shipped content into a temporary folder)")
    parser.add_argument("--out", type=Path, default=sitecheck.REPO / "screenshots", help="where the PNGs go (default: screenshots/)")
    parser.add_argument("--story", help="the story page to shoot, e.g. stories/<slug>/ (default: the first one)")
    parser.add_argument("--docs", action="store_true", help=f"make the documentation's six images in {DOCS_IMAGES.relative_to(sitecheck.REPO)}/")
    args = parser.parse_args(argv)
    if not sitecheck.CHROMIUM.exists():
        print(f"screenshots: {sitecheck.CHROMIUM} is missing: run tools/quality/install.sh", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="digest-shots-") as work:
        site = args.site.resolve() if args.site else sitecheck.build_shipped_site(Path(work))
        shots = take_docs(site, DOCS_IMAGES, args.story) if args.docs else take(site, args.out, args.story)
    print(*shots, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
