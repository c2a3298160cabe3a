"""Quality gates on the site built from the shipped content (issue 5, "What it must show").

W3C Nu HTML Checker on every page, axe-core in headless Chromium, and every internal link from a
sub-path and from a domain root. The checks also run on small broken sites made here, so a checker
that silently stopped finding problems fails too. Lighthouse is tools/lighthouse.sh (too slow here).

A missing tool (Java + vnu.jar, chromium, axe-core) skips its check locally; with
DIGEST_REQUIRE_QUALITY_TOOLS=1 (set by .ci/run) it fails instead. tools/quality/install.sh installs them.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import axe_violations_on, require_axe, require_vnu, sitecheck

TESTS = Path(__file__).resolve().parent


def test_a_missing_browser_fails_when_the_quality_tools_are_required(pytester, monkeypatch):
    """The browser fixtures skip locally when Chromium is missing, and fail with DIGEST_REQUIRE_QUALITY_TOOLS=1.

    The inner sessions run in this process (a session in a process of its own costs ~1.2 CPU-s), each with the
    suite's own helpers and sitecheck imported afresh, as a new process imports them: they read the environment
    (CHROME_PATH, DIGEST_REQUIRE_QUALITY_TOOLS) when imported."""
    pytester.makeconftest((TESTS / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_needs_chromium="def test_one(browser):\n    pass\n\n\ndef test_module(chromium):\n    pass\n")
    monkeypatch.setenv("CHROME_PATH", str(pytester.path / "no-chromium-here"))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the fixtures need no installed plugin (xdist, cov...)

    def session_here(required: bool) -> pytest.RunResult:
        if required:
            monkeypatch.setenv("DIGEST_REQUIRE_QUALITY_TOOLS", "1")
        else:
            monkeypatch.delenv("DIGEST_REQUIRE_QUALITY_TOOLS", raising=False)
        for name in ("helpers", "sitecheck"):  # put back after the test by monkeypatch
            monkeypatch.delitem(sys.modules, name, raising=False)
        return pytester.runpytest_inprocess("-p", "no:cacheprovider")

    session_here(required=False).assert_outcomes(skipped=2)
    required = session_here(required=True)
    required.assert_outcomes(errors=2)
    required.stdout.fnmatch_lines(["*chromium is missing at*no-chromium-here*DIGEST_REQUIRE_QUALITY_TOOLS=1 requires it*"])


# --- axe-core ----------------------------------------------------------------------------------

# (name, folder the page lives in; "" is the front page, a folder picks its first page one level down)
AXE_PAGES = [("front", ""), ("story", "stories/"), ("entity", "entities/"), ("search", "search")]


def page_of_kind(site: Path, folder: str) -> str:
    """The URL (relative to the site) of a page of this kind; fails, never skips, when the site has none."""
    if folder == "":
        assert (site / "index.html").is_file(), "the build has no front page (index.html)"
        return ""
    if not folder.endswith("/"):
        assert (site / folder / "index.html").is_file(), f"the build has no {folder}/index.html page"
        return folder + "/"
    pages = sitecheck.pages_under(site, folder)
    assert pages, f"the build has no page under {folder} (expected {folder}<slug>/index.html)"
    return pages[0]


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name,folder", AXE_PAGES, ids=[n for n, _ in AXE_PAGES])
def test_axe_finds_no_violations(built_site, served_site, axe_in_both_schemes, name, folder, scheme):
    path = page_of_kind(built_site, folder)
    violations = axe_in_both_schemes(served_site + path)[scheme]  # one load of the page checks both schemes
    assert not violations, f"axe-core on the {name} page /{path} ({scheme} colour scheme):\n" + "\n".join(violations)


@pytest.mark.browser
def test_axe_finds_violations_on_a_bad_page(tmp_path, tab, axe_script):
    require_axe()
    (tmp_path / "index.html").write_text("<!DOCTYPE html><html><body><img src=x.png><p style='color:#ccc'>pale</p></body></html>")
    with sitecheck.serve(tmp_path, "/") as url:
        violations = axe_violations_on(tab(), url, axe_script)
    assert any(v.startswith("image-alt") for v in violations), violations
    assert any(v.startswith("html-has-lang") for v in violations), violations


# --- internal links ----------------------------------------------------------------------------

def crawl_built(site: Path, base: str, public_url: str) -> tuple[sitecheck.LinkReport, sitecheck.LinkReport]:
    seeds = [sitecheck.page_url(p) for p in sitecheck.html_pages(site) if p != "404.html"]
    with sitecheck.serve(site, base) as url:
        return sitecheck.crawl(url, seeds, public_url), sitecheck.check_not_found_page(url)


@pytest.mark.parametrize("build,base,public_url", [
    ("built_site", "/digest/", sitecheck.SUB_PATH_URL),
    ("built_root_site", "/", sitecheck.DOMAIN_ROOT_URL),
], ids=["sub-path", "domain-root"])
def test_no_internal_link_is_broken(request, build, base, public_url):
    site = request.getfixturevalue(build)
    report, not_found = crawl_built(site, base, public_url)
    assert report.checked > 0, f"no internal link found on {report.pages} pages"
    assert not report.broken, f"served under {base}: {report}"
    assert not not_found.broken, f"served under {base}, the 404 page at a deep missing address: {not_found}"


def test_link_crawler_finds_broken_links(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "style.css").write_text("body { background: url(missing.png) }")
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><link rel=stylesheet href="style.css"><a href="a/">ok</a>\n<a href="/a/">root-relative</a>'
        '\n<a href="a/#nowhere">bad fragment</a>\n<img srcset="pic.png 2x">\n<a href="https://example.org/digest/gone/">public</a>')
    (tmp_path / "a" / "index.html").write_text('<!DOCTYPE html><a href="../">up</a><a href="../a">no slash</a>')
    with sitecheck.serve(tmp_path, "/digest/") as url:
        report = sitecheck.crawl(url, [], sitecheck.SUB_PATH_URL)
    broken = "\n".join(report.broken)
    assert "style.css: missing.png -> 404" in broken
    assert "/a/ -> 404" in broken  # root-relative links break under a sub-path
    assert "no element with id 'nowhere'" in broken
    assert "pic.png -> 404" in broken
    assert "https://example.org/digest/gone/ -> 404" in broken
    assert "../a -> 301" in broken
    assert len(report.broken) == 6, broken


def test_server_follows_github_pages_rules(tmp_path):
    import urllib.request

    (tmp_path / "stories" / "x").mkdir(parents=True)
    (tmp_path / "stories" / "x" / "index.html").write_text("story")
    (tmp_path / "about.html").write_text("about")
    (tmp_path / "index.html").write_text("front")
    (tmp_path / "404.html").write_text("not here")
    with sitecheck.serve(tmp_path, "/digest/") as url:
        root = url[: -len("digest/")]
        assert sitecheck.fetch(root + "digest")[::3] == (301, "/digest/")
        assert sitecheck.fetch(url + "stories/x")[::3] == (301, "/digest/stories/x/")
        assert sitecheck.fetch(url + "stories/x/")[2] == b"story"
        assert sitecheck.fetch(url + "about")[2] == b"about"
        assert sitecheck.fetch(url + "nothing/")[::2] == (404, b"not here")
        assert sitecheck.fetch(url + "stories/")[0] == 404  # a folder without index.html: no listing
        assert sitecheck.fetch(root + "x/")[0] == 404
        with urllib.request.urlopen(root + "digest") as followed:
            assert (followed.url, followed.read()) == (url, b"front")


# --- W3C Nu HTML Checker -----------------------------------------------------------------------

NU_SAMPLE = {  # a page and a stylesheet with one known error each, so a checker that stopped finding errors fails
    "sample/index.html": "<!DOCTYPE html>\n<html lang=en>\n<head><title>t</title></head>\n<body>\n<p><div>x</div></p>\n</body></html>\n",
    "sample/style.css": "body {\n  colour: red;\n}\n",
}


@pytest.fixture(scope="module")
def nu_run(built_site, tmp_path_factory) -> Iterator[sitecheck.VnuRun]:
    """The Nu checker started once (one Java for the pages and the stylesheets: sitecheck.STYLE_PAGE) over the shipped
    site, linked in as shipped/, and NU_SAMPLE: starting Java costs more than checking a page."""
    require_vnu()
    folder = tmp_path_factory.mktemp("nu")
    shutil.copytree(built_site, folder / "shipped", copy_function=os.link)
    for name, text in NU_SAMPLE.items():
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    run = sitecheck.VnuRun(folder)
    yield run
    run.stop()


@pytest.fixture(scope="module", autouse=True)
def nu_started_first(request) -> None:
    """The checker starts with the module's first test when a Nu test is to run, and its tests come last: Java
    checks the pages while the browser and the crawler check them their own ways. (Without Java or vnu.jar the Nu
    tests skip or fail on their own; the others run.)"""
    if sitecheck.vnu_command() is not None and any("nu_report" in item.fixturenames for item in request.session.items if item.module is request.module):
        request.getfixturevalue("nu_run")


@pytest.fixture(scope="module")
def nu_report(nu_run) -> sitecheck.VnuReport:
    return nu_run.report()


@pytest.mark.xdist_group("nu")  # both tests read one report: on one worker it is made once
def test_every_page_and_stylesheet_is_valid(nu_report, built_site):
    assert sitecheck.html_pages(built_site), "the build wrote no .html page"
    assert nu_report.files > len(NU_SAMPLE)
    errors = [e for e in nu_report.errors if not e.startswith("sample/")]
    assert not errors, f"vnu found {len(errors)} errors in {nu_report.files - len(NU_SAMPLE)} pages:\n" + "\n".join(errors)


@pytest.mark.xdist_group("nu")
def test_nu_checker_reports_file_line_and_message(nu_report):
    html_errors = [e for e in nu_report.errors if e.startswith("sample/index.html:")]
    assert html_errors, f"vnu found nothing wrong with a <div> inside a <p>: {nu_report.errors}"
    assert all(e.startswith("sample/index.html:5:") for e in html_errors), html_errors
    assert [e for e in nu_report.errors if e.startswith("sample/style.css:2:") and "colour" in e], nu_report.errors
