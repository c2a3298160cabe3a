"""Bad input never crashes the build and never passes silently: `path:line: message`, skip, go on, count."""

from __future__ import annotations

import json
import re

import pytest
from helpers import invoke

SHIPPED_ARTICLES = 8
CP1252_PAGE = "Minister\x92s plea \x93heard\x94 in Islamabad\nThe minister\x92s plea was heard on Friday.\n".encode("latin-1")

CASES = {
    # name: (file name, bytes, expected location prefix, words of the message, is the document read?)
    "empty": ("empty.txt", b"  \n\n", "content/empty.txt:1:", "empty", False),
    "binary": ("scan.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "content/scan.txt:", "binary", False),
    "not-utf8": ("windows.txt", CP1252_PAGE, "content/windows.txt:1:", "cp1252", True),
    "no-headline": ("chrome-only.txt", b"\nHashtags\nComments\nNo comments yet...\n", "content/chrome-only.txt:2:", "no headline", False),
    "headline-is-body": ("flat.txt", ("word " * 100).encode() + b"\n", "content/flat.txt:1:", "no headline", False),
    "broken-yaml": ("note.md", b"---\ntitle: Fine\ntags: [a, b\ndate: 2025-07-28\n---\nBody.\n", "content/note.md:", "invalid YAML", False),
    "unknown-extension": ("notes.docx", b"PK\x03\x04 not a document", "content/notes.docx:", "unknown file type", False),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_document_is_reported_skipped_and_the_build_goes_on(site, case):
    name, data, location, words, read = CASES[case]
    (site / "content" / name).write_bytes(data)
    result = invoke("build", "--no-search", cwd=site)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(location)]
    assert lines, f"no '{location}' message in:\n{result.stderr}"
    assert words in lines[0]
    if case == "broken-yaml":
        assert re.match(r"content/note\.md:[34]:", lines[0])  # the line of the unclosed list
    assert re.search(r"; \d+ warnings?\.", result.stdout)
    assert (site / "output" / "index.html").is_file()
    articles = json.loads(invoke("list", "--articles", "--json", cwd=site, check=True).stdout)
    assert len(articles) == SHIPPED_ARTICLES + (1 if read else 0)


def test_cp1252_page_is_read_correctly(site):
    (site / "content" / "windows.txt").write_bytes(CP1252_PAGE)
    articles = json.loads(invoke("list", "--articles", "--json", cwd=site, check=True).stdout)
    [page] = [a for a in articles if a["source"] == "windows.txt"]
    assert page["headline"] == "Minister’s plea “heard” in Islamabad"


def test_warnings_are_counted(site):
    (site / "content" / "empty.txt").write_bytes(b"")
    (site / "content" / "notes.docx").write_bytes(b"x")
    result = invoke("build", "--no-search", cwd=site, check=True)
    assert result.stdout.strip().endswith("2 warnings.")


def test_strict_exits_1_and_writes_nothing(site):
    (site / "content" / "empty.txt").write_bytes(b"")
    result = invoke("build", "--no-search", "--strict", cwd=site)
    assert result.returncode == 1
    assert "content/empty.txt:1:" in result.stderr and "--strict" in result.stderr
    assert not (site / "output").exists()


def test_shipped_content_has_no_warnings(site):
    result = invoke("build", "--no-search", "--strict", cwd=site, check=True)
    assert result.stdout.strip().endswith("0 warnings.")


def test_missing_content_folder_is_an_error_saying_what_to_do(empty_site):
    (empty_site / "content").rmdir()
    result = invoke("build", "--no-search", cwd=empty_site)
    assert result.returncode == 2
    assert "content" in result.stderr and "not found" in result.stderr and "hint:" in result.stderr
    assert not (empty_site / "output").exists()


def test_invalid_digest_yaml_is_an_error_naming_the_line(site):
    (site / "digest.yaml").write_text("site:\n  title: [unclosed\n  language: en\n", encoding="utf-8")
    result = invoke("build", "--no-search", cwd=site)
    assert result.returncode == 2
    assert re.search(r"digest\.yaml:\d+: invalid YAML", result.stderr)
    assert not (site / "output").exists()
    (site / "digest.yaml").write_text("site:\n  base_url: not a url\n", encoding="utf-8")
    result = invoke("build", "--no-search", cwd=site)
    assert result.returncode == 2 and "digest.yaml:2" in result.stderr and "site.base_url" in result.stderr
