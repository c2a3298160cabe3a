"""End to end, in fresh processes: the installed console script and `python -m digest`, as a user runs them.

The shipped site's build by `python -m digest` in a fresh process is test_feeds.py's (its feeds must come out as
the session's build made them): one interpreter start and cold build (~0.6 CPU-s) for both checks."""

import subprocess
import sys
from pathlib import Path

from helpers import invoke


def test_version_from_the_installed_console_script(tmp_path):
    script = Path(sys.executable).parent / "digest"
    result = subprocess.run([str(script), "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("digest ")


def test_a_crash_shows_as_a_traceback_in_the_in_process_runs_too(site, monkeypatch):
    """Most tests run the CLI in this process (helpers.invoke): a crash must still look like one, status 1 and a
    traceback, so their `"Traceback" not in stderr` checks can fail; and the run leaves the current folder as it was."""
    import digest.pipeline.build

    def crash(*args, **kwargs):
        raise RuntimeError("a bug in a stage")

    monkeypatch.setattr(digest.pipeline.build, "build", crash)
    folder = Path.cwd()
    result = invoke("build", "--no-search", cwd=site)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr and "RuntimeError: a bug in a stage" in result.stderr
    assert Path.cwd() == folder


def test_the_summary_line_counts_in_words_a_reader_would_write(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "note.md").write_text("---\ntitle: Floods close the coast road\noutlet: Daily8\n---\nRain closed the road.\n", encoding="utf-8")
    result = invoke("build", "--no-search", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Built 1 story from 1 article: " in result.stdout
    assert "; 0 warnings." in result.stdout
