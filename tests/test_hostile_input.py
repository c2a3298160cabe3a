"""Issue 13, the input half: every hostile input is a `path:line` warning (document skipped, build goes on)
or a clear exit-2 error naming the digest.yaml line. Never a traceback, never a hang, never unsafe output.

Each case builds a small real site in tmp_path through the CLI (click's CliRunner; a real subprocess
for the cases that could hang or that depend on the terminal)."""

from __future__ import annotations

import json
import os
import re
import stat
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import run_digest

from digest.cli import cli

GOOD_NOTE = "---\ntitle: Floods force 12,000 from their homes in Vellora\ndate: 2025-07-28\n---\nRain fell for three days and the river rose.\n"
SETTINGS = "site:\n  base_url: https://example.org/\n"


@pytest.fixture
def site(tmp_path: Path, monkeypatch) -> Path:
    """A tiny site: settings and one good note, so a build that goes on has something to publish."""
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    (root / "digest.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "content" / "good.md").write_text(GOOD_NOTE, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def digest(*args: str):
    """Run the CLI in-process. A traceback would surface as ``result.exception``."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output + result.stderr
    return result


def build_goes_on(site: Path, expected: str, articles: int = 1) -> str:
    """Build; the warning ``expected`` (a whole line) is printed, the site is written and holds ``articles``."""
    result = digest("build", "--no-search")
    assert result.exit_code == 0, result.stderr
    assert expected in result.stderr.splitlines(), f"{expected!r} not in:\n{result.stderr}"
    assert (site / "output" / "index.html").is_file()
    listed = json.loads(digest("list", "--articles", "--json").stdout)
    assert len(listed) == articles, listed
    return result.stderr


def settings_refused(site: Path, settings: str, expected: str) -> str:
    (site / "digest.yaml").write_text(settings, encoding="utf-8")
    result = digest("build", "--no-search")
    assert result.exit_code == 2
    assert expected in result.stderr, result.stderr
    assert not (site / "output").exists()
    return result.stderr


def published_text(site: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (site / "output").rglob("*") if p.suffix in (".html", ".xml", ".json"))


# ---------------------------------------------------------------- crashes


@pytest.mark.parametrize("date", ["2025-13-45", "2025-02-30", "0000-01-01"])
def test_impossible_front_matter_date_is_a_warning(site, date):
    (site / "content" / "dated.md").write_text(f"---\ntitle: Dated note\ndate: {date}\n---\nSome text.\n", encoding="utf-8")
    build_goes_on(site, f"content/dated.md:3: warning: date '{date}' is not a date (use YYYY-MM-DD): "
                        "the note is dated by its file's modification time instead", articles=2)


def test_impossible_capture_time_in_a_page_header_is_a_warning(site):
    (site / "content" / "page.txt").write_text("---\ncaptured: 2025-02-30T10:00:00\n---\nHeadline of the page\nThe text of the page.\n", encoding="utf-8")
    build_goes_on(site, "content/page.txt:2: warning: the capture time '2025-02-30T10:00:00' is not an ISO 8601 time "
                        "(2025-07-28T18:30:00+08:00): ignored", articles=2)


def test_a_value_its_yaml_tag_cannot_hold_is_a_settings_error(site):
    settings_refused(site, SETTINGS + "  per_page: !!int 0b102\n",
                     "digest.yaml:3: invalid YAML: '0b102' is not a valid !!int (invalid literal for int() with base 2: '102')")


@pytest.mark.parametrize("tags", ["5", "true", "1.5"])
def test_tags_that_are_not_a_list_are_a_warning(site, tags):
    (site / "content" / "tagged.md").write_text(f"---\ntitle: Tagged note\ntags: {tags}\n---\nSome text.\n", encoding="utf-8")
    value = {"5": "5", "true": "True", "1.5": "1.5"}[tags]
    build_goes_on(site, f"content/tagged.md:3: warning: 'tags' must be a list of words (e.g. tags: [floods, Malaysia]), not {value}: ignored", articles=2)


@pytest.mark.parametrize("char", ["\x1b", "\x0c", "\x0b", "\x08", "\ufffe"])
def test_control_character_in_a_headline_never_reaches_pages_or_feeds(site, char):
    (site / "content" / "ctl.txt").write_text(f"Minister{char} resigns over floods\nThe minister resigned on Friday.\n", encoding="utf-8")
    build_goes_on(site, f"content/ctl.txt:1: warning: removed 1 control character (U+{ord(char):04X}) that a web page or feed cannot carry", articles=2)
    text = published_text(site)
    assert "Minister resigns over floods" in text and char not in text


@pytest.mark.parametrize("char", ["\U0001fffe", "\U0010ffff"])
def test_a_noncharacter_beyond_the_basic_plane_is_removed_and_other_astral_characters_kept(site, char):
    (site / "content" / "astral.txt").write_text(f"Café reopens after floods 🌊\nThe café{char} reopened on Friday 🎉.\n", encoding="utf-8")
    build_goes_on(site, f"content/astral.txt:2: warning: removed 1 control character (U+{ord(char):X}) that a web page or feed cannot carry", articles=2)
    text = published_text(site)
    assert "The café reopened on Friday 🎉." in text and "🌊" in text and char not in text


def test_nul_after_the_first_8_kb_is_removed(site):
    body = ("The river rose through the night. " * 300 + "\n") * 2
    (site / "content" / "long.txt").write_bytes(b"Long page about the river\n" + body.encode() + b"Last line \x00 here.\n")
    build_goes_on(
        site, f"content/long.txt:{body.count(chr(10)) + 2}: warning: removed 1 control character (U+0000) that a web page or feed cannot carry", articles=2
    )
    assert "\x00" not in published_text(site)


def test_control_characters_written_as_yaml_escapes_are_removed(site):
    (site / "content" / "esc.md").write_text('---\ntitle: "Floods \\e[31m in Vellora"\n---\nSome text.\n', encoding="utf-8")
    build_goes_on(site, "content/esc.md:2: warning: removed 1 control character (U+001B) that a web page or feed cannot carry", articles=2)
    assert "\x1b" not in published_text(site)


def test_lone_surrogate_escape_in_front_matter_is_a_warning(site):
    (site / "content" / "sur.md").write_text('---\ntitle: "Floods \\ud800 in Vellora"\n---\nSome text.\n', encoding="utf-8")
    build_goes_on(
        site,
        "content/sur.md:2: warning: invalid YAML front matter in 'title: \"Floods \\ud800 in Vellora\"': found invalid Unicode character escape code "
        "(while parsing a quoted scalar): skipped (check quoting and indentation near that line)",
    )


def test_control_characters_from_markdown_character_references_are_removed(site):
    (site / "content" / "ref.md").write_text("# Floods &#12; in Vellora\n\nRain &#12; fell.\n", encoding="utf-8")
    build_goes_on(
        site,
        "content/ref.md:1: warning: removed 1 control character (U+000C) that a web page or feed cannot carry (written as character references)",
        articles=2,
    )
    assert "\x0c" not in published_text(site)


def test_file_name_that_is_not_utf8_works_end_to_end_in_a_real_process(site):
    with open(os.fsencode(site / "content") + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"Cafe owners count the cost of the floods\nThe cafe reopened on Monday.\n")
    warning = "content/café.txt: warning: the file name is not UTF-8 text: read as 'café.txt' (rename the file to silence this)"
    result = run_digest("build", "--no-search", cwd=site, timeout=120)  # the name, on a real process's stderr
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert warning in result.stderr.splitlines()
    again = digest("build", "--no-search")  # starts from the cache the first one wrote
    assert again.exit_code == 0 and warning in again.stderr.splitlines(), again.stderr
    assert "Cafe owners count the cost" in published_text(site)
    listed = json.loads(digest("list", "--articles", "--json").stdout)  # the name as read, listed (no third process)
    assert sorted(article["source"] for article in listed) == ["café.txt", "good.md"]


def test_dateline_pattern_without_its_place_group_is_a_settings_error(site):
    settings_refused(
        site,
        SETTINGS + "capture:\n  datelines: ['^([A-Z]+):']\n",
        "digest.yaml:4: capture.datelines: '^([A-Z]+):' has no (?P<place>...) group: each datelines pattern must name what it captures that way",
    )


def test_relative_age_pattern_needs_both_its_groups(site):
    settings_refused(
        site,
        SETTINGS + "capture:\n  relative_ages: ['^(?P<n>\\d+) hours ago$']\n",
        "digest.yaml:4: capture.relative_ages: '^(?P<n>\\\\d+) hours ago$' has no (?P<unit>...) group",
    )


# ---------------------------------------------------------------- hangs

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n"
    for i in range(8)
)


def test_alias_bomb_in_front_matter_is_refused_at_once(site):
    (site / "content" / "bomb.md").write_text(f"---\ntitle: Bomb\n{BOMB}---\nSome text.\n", encoding="utf-8")
    started = time.monotonic()
    build_goes_on(
        site,
        "content/bomb.md:7: warning: invalid YAML front matter in 'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]': "
        "its aliases (*name) expand to more than 100,000 values: "
        "refused: skipped (write the values out instead of repeating aliases)",
    )
    assert time.monotonic() - started < 20


def test_alias_that_contains_itself_is_refused(site):
    (site / "content" / "loop.md").write_text("---\ntitle: Loop\ntags: &t [a, *t]\n---\nSome text.\n", encoding="utf-8")
    build_goes_on(
        site,
        "content/loop.md:3: warning: invalid YAML front matter in 'tags: &t [a, *t]': an alias (*name) refers to a value that contains it: "
        "refused: skipped (write the values out instead of repeating aliases)",
    )


def test_only_aliases_count_against_the_limit():
    from digest.settings.yaml_safe import YamlProblem, load_yaml

    large = "".join(f"k{i}: [a, b]\n" for i in range(20))  # 61 values, none repeated
    assert len(load_yaml(large, max_values=10).data) == 20
    repeated = "a: &a [x, y, z]\nb: [*a, *a, *a, *a]\n"  # 4 values written, 21 once expanded
    assert load_yaml(repeated, max_values=30).data["b"][3] == ["x", "y", "z"]
    with pytest.raises(YamlProblem) as refused:
        load_yaml(repeated, max_values=10)
    assert (refused.value.line, refused.value.message) == (2, "its aliases (*name) expand to more than 10 values: refused")


def test_alias_bomb_in_digest_yaml_is_a_settings_error_in_a_real_process(site):
    (site / "digest.yaml").write_text(SETTINGS + "lol:\n" + "".join("  " + line + "\n" for line in BOMB.splitlines()), encoding="utf-8")
    result = run_digest("build", "--no-search", cwd=site, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "digest.yaml:8: invalid YAML: its aliases (*name) expand to more than 100,000 values: refused" in result.stderr


def test_fifo_in_content_is_skipped_without_blocking_in_a_real_process(site):
    os.mkfifo(site / "content" / "pipe.txt")
    result = run_digest("build", "--no-search", cwd=site, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "content/pipe.txt: warning: not a regular file (a named pipe): skipped" in result.stderr.splitlines()
    assert (site / "output" / "index.html").is_file()


def test_device_in_content_is_skipped(site):
    try:
        os.mknod(site / "content" / "zero.txt", 0o600 | stat.S_IFCHR, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("making a device file needs root")
    build_goes_on(site, "content/zero.txt: warning: not a regular file (a character device): skipped")


@pytest.mark.parametrize("target", ["/dev/zero", "/etc/passwd"])
def test_link_out_of_the_site_is_not_followed(site, target):
    (site / "content" / "leak.txt").symlink_to(target)
    build_goes_on(site, f"content/leak.txt: warning: a link to {target}, outside the site folder: not followed, skipped")
    assert "root:" not in published_text(site)


def test_link_inside_the_site_is_followed(site):
    (site / "notes").mkdir()
    (site / "notes" / "kept.md").write_text("---\ntitle: A note kept beside the content\n---\nIts text.\n", encoding="utf-8")
    (site / "content" / "kept.md").symlink_to(site / "notes" / "kept.md")
    result = digest("build", "--no-search")
    assert result.exit_code == 0 and "kept.md" not in result.stderr
    assert "A note kept beside the content" in published_text(site)


def test_catastrophic_capture_pattern_is_stopped(site):
    (site / "digest.yaml").write_text(SETTINGS + "capture:\n  inline_promos: ['(a|aa)+$']\n", encoding="utf-8")
    (site / "content" / "slow.txt").write_text("A page the pattern chokes on\n" + "a" * 60 + "!\n", encoding="utf-8")
    started = time.monotonic()
    build_goes_on(
        site,
        "content/slow.txt:1: warning: capture pattern '(a|aa)+$' ran over 0.25 s and was stopped: "
        "this page's articles are kept as captured (simplify the pattern in digest.yaml)",
        articles=2,
    )
    assert time.monotonic() - started < 20


def test_document_over_the_size_limit_is_skipped(site):
    (site / "content" / "huge.txt").write_bytes(b"Huge page\n" + b"The river rose again today. " * 220_000)
    build_goes_on(
        site, "content/huge.txt: warning: the file is 5.9 MB, over the 5 MB limit: skipped (set max_document_mb in digest.yaml to read larger documents)"
    )


def test_size_limit_is_a_setting(site):
    (site / "digest.yaml").write_text(SETTINGS + "max_document_mb: 0.5\n", encoding="utf-8")
    (site / "content" / "big.txt").write_bytes(b"Big page\n" + b"The river rose again today. " * 40_000)
    build_goes_on(
        site, "content/big.txt: warning: the file is 1.1 MB, over the 0.5 MB limit: skipped (set max_document_mb in digest.yaml to read larger documents)"
    )


@pytest.mark.parametrize("value, message", [("-1", "must be a number ≥ 0, not -1"), ("0", "must be more than 0"), ("lots", "must be a number ≥ 0, not 'lots'")])
def test_size_limit_must_be_a_positive_number(site, value, message):
    settings_refused(site, SETTINGS + f"max_document_mb: {value}\n", f"digest.yaml:3: max_document_mb: {message}")


def test_reading_a_large_document_stays_linear():
    from digest.models import SourceDocument
    from digest.read import parse_document
    from digest.settings.config import CaptureConfig

    paragraph = "KOTA KINABALU (July 28): The minister said the floods forced 12,000 from their homes. ALSO READ: Rain Returns They said more.\n"

    def seconds(copies: int) -> float:
        doc = SourceDocument("big.txt", "Headline\n" + paragraph * copies, "x", 0.0)
        started = time.process_time()  # CPU time: other processes on a busy machine do not count
        parse_document(doc, CaptureConfig())
        return time.process_time() - started

    small, large = min(seconds(1_000) for _ in range(2)), min(seconds(8_000) for _ in range(2))  # ~18 and ~140 ms of CPU
    assert large < 8 * small * 3, (small, large)  # 8 times the text: far from 64 times the time


# ---------------------------------------------------------------- unsafe output


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "file:///etc/passwd"])
def test_unsafe_link_in_a_page_header_is_not_made(site, url):
    (site / "content" / "page.txt").write_text(f"---\nurl: '{url}'\n---\nHeadline of the page\nThe text of the page.\n", encoding="utf-8")
    build_goes_on(site, f"content/page.txt:2: warning: 'url' {url!r} is not an http(s) or relative address: no link is made to it", articles=2)
    assert url.split(":")[0] + ":" not in published_text(site)


def test_unsafe_link_in_front_matter_is_not_made(site):
    (site / "content" / "n.md").write_text("---\ntitle: Linked note\nurl: ' JavaScript:alert(1)'\n---\nSome text.\n", encoding="utf-8")
    build_goes_on(site, "content/n.md:3: warning: 'url' 'JavaScript:alert(1)' is not an http(s) or relative address: no link is made to it", articles=2)
    assert "javascript:" not in published_text(site).lower()


def test_http_and_relative_links_are_kept(site):
    (site / "content" / "n.md").write_text("---\ntitle: Linked note\nurl: https://news.example.com/floods\n---\nSome text.\n", encoding="utf-8")
    result = digest("build", "--no-search")
    assert result.exit_code == 0 and "n.md" not in result.stderr
    assert "https://news.example.com/floods" in published_text(site)


@pytest.mark.parametrize(
    "value, published, outcome",
    [
        ("'yes'", False, "the note is treated as a draft and not published"),
        ("'maybe'", False, "the note is treated as a draft and not published"),
        ("1", False, "the note is treated as a draft and not published"),
        ("'no'", True, "read as false: the note is published"),
        ("'false'", True, "read as false: the note is published"),
    ],
)
def test_draft_that_is_not_true_or_false_is_a_warning(site, value, published, outcome):
    (site / "content" / "d.md").write_text(f"---\ntitle: Maybe a draft\ndraft: {value}\n---\nSome text.\n", encoding="utf-8")
    shown = repr(value.strip("'")) if value.startswith("'") else value
    build_goes_on(
        site, f"content/d.md:3: warning: draft {shown} is not true or false: {outcome} (write draft: true or draft: false)", articles=2 if published else 1
    )
    assert ("Maybe a draft" in published_text(site)) == published


def test_title_that_is_a_list_is_a_warning(site):
    (site / "content" / "t.md").write_text("---\ntitle: [1, 2]\n---\n# The heading is the headline\n\nSome text.\n", encoding="utf-8")
    build_goes_on(site, "content/t.md:2: warning: 'title' must be text, not [1, 2]: ignored", articles=2)
    text = published_text(site)
    assert "The heading is the headline" in text and "[1, 2]" not in text


def test_title_that_is_a_list_and_no_heading_skips_the_note(site):
    (site / "content" / "t.md").write_text("---\ntitle: [1, 2]\n---\nSome text.\n", encoding="utf-8")
    stderr = build_goes_on(site, "content/t.md:1: warning: no headline: add 'title:' to the front matter or start the body with '# Headline': skipped")
    assert "content/t.md:2: warning: 'title' must be text, not [1, 2]: ignored" in stderr


def test_other_text_fields_of_the_wrong_type_are_warnings(site):
    (site / "content" / "o.md").write_text("---\ntitle: Outlet note\noutlet: {name: x}\nauthor: [a, b]\napart: 5\n---\nSome text.\n", encoding="utf-8")
    stderr = build_goes_on(site, "content/o.md:3: warning: 'outlet' must be text, not {'name': 'x'}: ignored", articles=2)
    assert "content/o.md:4: warning: 'author' must be text, not ['a', 'b']: ignored" in stderr
    assert "content/o.md:5: warning: 'apart' must be a list of words (e.g. apart: [floods, Malaysia]), not 5: ignored" in stderr


def test_note_with_only_front_matter_is_skipped(site):
    (site / "content" / "empty.md").write_text("---\ntitle: Nothing under it\n---\n", encoding="utf-8")
    build_goes_on(
        site, "content/empty.md:4: warning: the note has no text under its front matter and headline: skipped (write the note below the closing '---')"
    )
    assert "Nothing under it" not in published_text(site)


@pytest.mark.parametrize("value, shown", [(".nan", "nan"), (".inf", "inf"), ("-0.5", "-0.5")])
def test_non_finite_or_negative_merge_threshold_is_a_settings_error(site, value, shown):
    settings_refused(site, SETTINGS + f"merge:\n  threshold: {value}\n", f"digest.yaml:4: merge.threshold: must be a number ≥ 0, not {shown}")


def test_non_finite_taxonomy_weight_is_a_settings_error(site):
    settings_refused(site, SETTINGS + "taxonomy:\n  weights:\n    headline: .nan\n", "digest.yaml:5: taxonomy.weights.headline: must be a number ≥ 0, not nan")


def test_settings_file_that_is_a_fifo_is_refused(site):
    os.mkfifo(site / "pipe.yaml")
    result = digest("build", "--no-search", "--config", "pipe.yaml")
    assert result.exit_code == 2
    assert re.search(r"pipe\.yaml: the configuration is not a regular file", result.stderr), result.stderr


@pytest.mark.parametrize("url", ["https://ex ample.org/", "https://example.org:99999/", "http://[::1/", "javascript:alert(1)"])
def test_base_url_that_is_not_an_address_is_a_settings_error(site, url):
    settings_refused(
        site,
        f"site:\n  base_url: '{url}'\n",
        f"digest.yaml:2: site.base_url: must be an absolute http(s) URL such as https://user.github.io/repo/, not {url!r}",
    )
