"""A site without its public address (no site.base_url, or one at example.org): build and check say so once,
naming digest.yaml, the key and the fix; the feeds, sitemap and canonical links are still written."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.settings.values import is_placeholder_address
from tests.helpers import invoke

NOTE = "---\ntitle: Harbour reopens after storm\ndate: 2025-03-03\noutlet: SeaNews\n---\nPORTO: The harbour reopened on Monday after the storm.\n"


def site(root: Path, settings: str | None) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "content" / "harbour.md").write_text(NOTE, encoding="utf-8")
    if settings is not None:
        (root / "digest.yaml").write_text(settings, encoding="utf-8")
    return root


def placeholder_warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if "site.base_url" in line]


def test_no_base_url_is_a_warning_from_build_and_check(tmp_path):
    root = site(tmp_path, "site:\n  title: Harbour news\n")
    built = invoke("build", "--no-search", cwd=root)
    assert built.returncode == 0
    [warning] = placeholder_warnings(built.stderr)  # once
    assert warning.startswith("digest.yaml: warning: site.base_url is not set")
    assert "set site.base_url in digest.yaml" in warning and "--base-url" in warning
    checked = invoke("check", cwd=root)
    assert checked.returncode == 0
    assert len(placeholder_warnings(checked.stderr)) == 1
    # still written, under the placeholder: the feeds and sitemap need absolute addresses to be valid at all
    assert "https://example.org/" in (root / "output" / "sitemap.xml").read_text(encoding="utf-8")


def test_an_example_org_base_url_is_a_warning_with_its_line(tmp_path):
    root = site(tmp_path, "site:\n  title: Harbour news\n  base_url: https://example.org/harbour/\n")
    built = invoke("build", "--no-search", cwd=root)
    [warning] = placeholder_warnings(built.stderr)
    assert warning.startswith("digest.yaml:3: warning: site.base_url is https://example.org/harbour/, a placeholder")


def test_no_settings_file_at_all_is_the_same_warning(tmp_path):
    built = invoke("build", "--no-search", cwd=site(tmp_path, None))
    assert len(placeholder_warnings(built.stderr)) == 1


def test_a_real_address_or_the_flag_silences_it(tmp_path):
    root = site(tmp_path / "a", "site:\n  base_url: https://alice.github.io/harbour/\n")
    assert placeholder_warnings(invoke("build", "--no-search", cwd=root, check=True).stderr) == []
    assert placeholder_warnings(invoke("check", cwd=root, check=True).stderr) == []
    flagged = site(tmp_path / "b", "site:\n  title: Harbour news\n")
    assert placeholder_warnings(invoke("build", "--no-search", "--base-url", "https://alice.github.io/h/", cwd=flagged, check=True).stderr) == []
    # check then checks under the address the site was built for, which is real
    assert placeholder_warnings(invoke("check", cwd=flagged, check=True).stderr) == []


def test_strict_does_not_fail_on_it(tmp_path):
    """It is about where the site will be published, not about a document: --strict is for documents."""
    assert invoke("build", "--no-search", "--strict", cwd=site(tmp_path, "site:\n  title: T\n")).returncode == 0


@pytest.mark.parametrize(("url", "placeholder"), [
    ("https://example.org/", True), ("https://www.example.com/x/", True), ("http://news.example/", True),
    ("https://alice.github.io/repo/", False), ("https://example.organic.news/", False), ("https://notexample.org/", False),
])
def test_placeholder_addresses(url, placeholder):
    assert is_placeholder_address(url) is placeholder
