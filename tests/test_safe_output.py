"""The output folder is digest's alone, and always a whole site: issue 13's data-loss cases.

A build refuses any output folder that would take the sources with it or that is not digest's to replace;
``output/`` is switched from the old site to the new in one step (never a mix); a full, read-only or
unwritable disk is a clear exit-2 error that leaves the old site as it was; and the search index holds exactly
the pages of the site it sits in.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import REPO, indexed_words

from digest.cli import cli
from digest.publish.safety import MARKER
from digest.publish.swap import recover, staging_folder, switch_in

NOTE = """---
title: {title}
date: 2025-07-27
outlet: Dawn
---
KARACHI: {body}
"""


def note(site: Path, name: str, title: str, body: str) -> Path:
    path = site / "content" / f"{name}.md"
    path.write_text(NOTE.format(title=title, body=body), encoding="utf-8")
    return path


@pytest.fixture
def small_site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    (root / ".git").mkdir()  # stands for the site's repository: it must survive any output setting
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    note(root, "harbour", "Harbour reopens in Karachi after the storm", "The port reopened on Sunday, officials said.")
    note(root, "rain", "Monsoon rains flood Lahore streets", "Streets in Lahore were flooded after heavy rain on Monday.")
    return root


def tree(folder: Path, leave_out: tuple[str, ...] = (".digest-cache/",)) -> dict[str, str]:
    """Every file under ``folder`` -> the hash of its bytes (the parse cache left out: it is not the site)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and not rel.startswith(leave_out):
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def build(site: Path, *args: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(site)
    return CliRunner().invoke(cli, ["build", "--no-search", *args], catch_exceptions=False)


def settings(site: Path, text: str) -> None:
    (site / "digest.yaml").write_text(text, encoding="utf-8")


# ---------------------------------------------------------------- folders digest refuses


@pytest.mark.parametrize("setting, named, why", [
    (["--output", "."], "--output .", "it is the site folder"),
    (["--output", "content"], "--output content", "it is the content folder"),
    (["--output", "content/site"], "--output content/site", "it is inside the content folder"),
    (["--output", ".git"], "--output .git", "it is the git repository's .git folder"),
    (["--output", ".."], "--output ..", "it contains the site folder"),
])
def test_an_output_flag_that_would_take_the_sources_is_refused(small_site, monkeypatch, setting, named, why):
    before = tree(small_site, leave_out=())
    result = build(small_site, *setting, monkeypatch=monkeypatch)
    assert result.exit_code == 2, result.output
    assert f"{named} is refused as the output folder: {why}" in result.output
    assert "hint: a build replaces its output folder completely" in result.output and "--output output" in result.output
    assert "Traceback" not in result.output
    assert tree(small_site, leave_out=()) == before  # nothing written, nothing deleted


@pytest.mark.parametrize("value, line, why", [
    ("..", 2, "it contains the site folder"),
    (".", 2, "it is the site folder"),
    ("content", 2, "it is the content folder"),
    ("templates", 2, "it is the templates folder"),
    ("content/site", 2, "it is inside the content folder"),
])
def test_an_output_dir_setting_that_would_take_the_sources_is_refused(small_site, monkeypatch, value, line, why):
    settings(small_site, f"site:\n  title: Test\noutput_dir: {value}\n")
    (small_site / "templates").mkdir()
    before = tree(small_site, leave_out=())
    result = build(small_site, monkeypatch=monkeypatch)
    assert result.exit_code == 2, result.output
    assert f"digest.yaml:3: output_dir: {value} is refused as the output folder: {why}" in result.output
    assert tree(small_site, leave_out=()) == before


def test_a_link_cannot_smuggle_a_source_folder_in(small_site, monkeypatch):
    (small_site / "published").symlink_to(small_site / "content", target_is_directory=True)
    result = build(small_site, "--output", "published", monkeypatch=monkeypatch)
    assert result.exit_code == 2 and "it is the content folder" in result.output
    assert sorted(p.name for p in (small_site / "content").iterdir()) == ["harbour.md", "rain.md"]


def test_an_output_link_is_followed_and_kept(small_site, tmp_path, monkeypatch):
    served = tmp_path / "www" / "site"
    served.mkdir(parents=True)
    (small_site / "output").symlink_to(served, target_is_directory=True)
    assert build(small_site, monkeypatch=monkeypatch).exit_code == 0
    note(small_site, "roof", "Cricket stadium roof collapses in Sialkot", "Nobody was hurt, the stadium's owners said.")
    assert build(small_site, monkeypatch=monkeypatch).exit_code == 0  # one that switches a new site in
    assert (small_site / "output").is_symlink()  # the link is left as it is; the folder it names is the site
    assert "Cricket stadium roof collapses" in (served / "index.html").read_text(encoding="utf-8")


def test_a_folder_digest_did_not_make_is_refused_unless_empty(small_site, monkeypatch):
    mine = small_site / "photos"
    mine.mkdir()
    (mine / "holiday.jpg").write_bytes(b"\xff\xd8 a photo")
    result = build(small_site, "--output", "photos", monkeypatch=monkeypatch)
    assert result.exit_code == 2
    assert f"is not empty and was not made by digest (it has no {MARKER} file)" in result.output
    assert [p.name for p in mine.iterdir()] == ["holiday.jpg"]

    (small_site / "fresh").mkdir()
    assert build(small_site, "--output", "fresh", monkeypatch=monkeypatch).exit_code == 0
    assert (small_site / "fresh" / "index.html").is_file() and (small_site / "fresh" / MARKER).is_file()
    # Digest's own folder from then on: the next build replaces it.
    assert build(small_site, "--output", "fresh", monkeypatch=monkeypatch).exit_code == 0


def test_a_file_in_the_way_is_refused(small_site, monkeypatch):
    (small_site / "output").write_text("not a folder")
    result = build(small_site, monkeypatch=monkeypatch)
    assert result.exit_code == 2 and "exists and is not a folder" in result.output
    assert (small_site / "output").read_text() == "not a folder"


def test_an_output_folder_from_an_older_digest_is_adopted(small_site, monkeypatch):
    assert build(small_site, monkeypatch=monkeypatch).exit_code == 0
    output = small_site / "output"
    (output / MARKER).unlink()  # as digest left it before the marker existed: only its cache says it is digest's
    assert build(small_site, monkeypatch=monkeypatch).exit_code == 0
    assert (output / MARKER).is_file()


def test_deploy_obeys_the_same_rules(small_site, monkeypatch):
    settings(small_site, "output_dir: content\n")
    (small_site / ".git").rename(small_site / "not-git")  # a real repository, made by git
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=small_site, check=True)
    before = tree(small_site / "content")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "t")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "t@example.org")
    monkeypatch.chdir(small_site)
    result = CliRunner().invoke(cli, ["deploy", "--no-push"])
    assert result.exit_code == 2, result.output
    assert "output_dir: content is refused as the output folder: it is the content folder" in result.stderr
    assert tree(small_site / "content") == before


def test_serve_leaves_a_refused_output_folder_alone(small_site):
    from digest.preview.serve import Previewer

    settings(small_site, "output_dir: content\n")
    before = tree(small_site, leave_out=())
    outcome = Previewer(None, small_site).build()
    assert outcome.failure is None and outcome.files["index.html"]  # the preview builds in memory ...
    assert tree(small_site, leave_out=()) == before  # ... and writes nothing anywhere


# ---------------------------------------------------------------- never half-built


def fresh_tree(site: Path, monkeypatch) -> dict[str, str]:
    """The site as a clean build makes it from nothing, for comparing."""
    assert build(site, "--clean", "--output", "fresh", monkeypatch=monkeypatch).exit_code == 0
    made = tree(site / "fresh")
    for path in site.glob("*fresh*"):
        shutil.rmtree(path)
    return made


def test_a_build_switches_the_new_site_in_whole_and_rewrites_only_what_changed(small_site, monkeypatch):
    assert build(small_site, monkeypatch=monkeypatch).exit_code == 0
    output = small_site / "output"
    unchanged_asset = next(output.glob("static/style.*.css"))
    inode = unchanged_asset.stat().st_ino
    note(small_site, "quake", "Earthquake shakes Quetta", "A strong earthquake shook Quetta on Tuesday.")
    result = build(small_site, monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    assert "Earthquake shakes Quetta" in (output / "index.html").read_text(encoding="utf-8")
    assert unchanged_asset.stat().st_ino == inode  # carried over as a hard link, not written again
    # The superseded site is kept, hidden and ignored by git, as the spare the next build starts from.
    assert sorted(p.name for p in small_site.iterdir()) == [".git", ".output.digest-spare", "content", "output"]
    assert (small_site / ".output.digest-spare" / ".gitignore").read_text() == "*\n"

    (small_site / "content" / "quake.md").unlink()
    result = build(small_site, monkeypatch=monkeypatch)
    assert result.exit_code == 0 and "Earthquake" not in (output / "index.html").read_text(encoding="utf-8")
    assert tree(output) == fresh_tree(small_site, monkeypatch)  # the spare, changed where it differs, is exact
    assert unchanged_asset.stat().st_ino == inode


def test_leftovers_of_a_killed_build_are_reused_or_cleaned_and_only_those(small_site, monkeypatch):
    assert build(small_site, monkeypatch=monkeypatch).exit_code == 0
    dead = _dead_pid()
    leftover = small_site / f".output.digest-new-{dead}"
    (leftover / "stories" / "gone").mkdir(parents=True)
    (leftover / MARKER).write_text("")
    (leftover / "index.html").write_text("half a site")
    (leftover / "stories" / "gone" / "index.html").write_text("a story no build will make")
    lookalike = small_site / f".output.digest-new-{dead + 1}"  # no marker: not digest's, never touched
    lookalike.mkdir()
    note(small_site, "quake", "Earthquake shakes Quetta", "A strong earthquake shook Quetta on Tuesday.")
    assert build(small_site, monkeypatch=monkeypatch).exit_code == 0
    assert not leftover.exists() and lookalike.is_dir()
    assert tree(small_site / "output") == fresh_tree(small_site, monkeypatch)


def test_a_switch_killed_half_way_is_undone_by_the_next_run(small_site, monkeypatch):
    assert build(small_site, monkeypatch=monkeypatch).exit_code == 0
    output = small_site / "output"
    old = tree(output)
    # Where the two-rename switch (no atomic exchange) leaves things if killed between its renames.
    dead = _dead_pid()
    output.rename(small_site / f".output.digest-old-{dead}")
    (small_site / f".output.digest-new-{dead}").mkdir()
    (small_site / f".output.digest-new-{dead}" / MARKER).write_text("")
    recover(output)
    assert tree(output) == old
    # The killed run's staging folder is kept as the spare.
    assert sorted(p.name for p in small_site.iterdir()) == [".git", ".output.digest-spare", "content", "output"]


@pytest.mark.parametrize("exchange", [True, False], ids=["atomic exchange", "two renames"])
def test_both_ways_of_switching_give_the_new_site(tmp_path, exchange):
    output, new = tmp_path / "output", staging_folder(tmp_path / "output")
    for folder, text in ((output, "old"), (new, "new")):
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "page.html").write_text(text)
    switch_in(new, output, exchange)
    assert (output / "sub" / "page.html").read_text() == "new"
    assert (new / "sub" / "page.html").read_text() == "old"  # the superseded site, for the caller to remove


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_on_linux_the_switch_is_one_atomic_exchange(tmp_path):
    from digest.publish.swap import _exchange

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "from-a").write_text("")
    assert _exchange(tmp_path / "a", tmp_path / "b")  # not the two-rename fallback
    assert (tmp_path / "b" / "from-a").is_file() and not (tmp_path / "a" / "from-a").exists()


# ---------------------------------------------------------------- full, read-only and unwritable disks


def run_digest(*args: str, cwd: Path, wrapper: list[str] | None = None, preexec=None) -> subprocess.CompletedProcess:
    return subprocess.run([*(wrapper or []), sys.executable, "-m", "digest", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=180, preexec_fn=preexec, env={**os.environ, "PYTHONPATH": str(REPO)})


def _without_root_powers() -> None:
    """Run the child as an ordinary user would be: root's power to ignore file modes is dropped."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        libc.prctl(24, capability, 0, 0, 0)  # PR_CAPBSET_DROP: gone after exec


def test_an_unwritable_site_folder_is_a_clear_error_and_the_old_site_stays(small_site, monkeypatch):
    assert build(small_site, monkeypatch=monkeypatch).exit_code == 0  # the site before: built in this process
    old = tree(small_site / "output")
    note(small_site, "quake", "Earthquake shakes Quetta", "A strong earthquake shook Quetta on Tuesday.")
    small_site.chmod(0o555)  # the staging folder beside output/ cannot be made
    try:
        result = run_digest("build", "--no-search", cwd=small_site, preexec=_without_root_powers if os.geteuid() == 0 else None)
    finally:
        small_site.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert "cannot write the site: Permission denied (EACCES); the previous output was left as it was" in result.stderr
    assert str(small_site) in result.stderr and "hint: you may not write there" in result.stderr
    assert "Traceback" not in result.stderr and "template" not in result.stderr.lower()
    assert tree(small_site / "output") == old


SNAPSHOT = """{python} -c "import hashlib, pathlib, json; o = pathlib.Path('{disk}/output'); \
print(json.dumps({{str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(o.rglob('*')) if p.is_file() and '.digest-cache' not in p.parts}}))"
"""
DISK_SCENARIO = """
set -e
cp -a {disk} {tmp}/disk-before
mount -t tmpfs -o size={size} tmpfs {disk}
cp -a {tmp}/disk-before/. {disk}/
cd {site}
{snapshot} > {tmp}/before.json
mkdir -p {site}/templates
sed 's|</footer>|<p>A changed template: compiled again, and its bytecode not cached on this disk.</p></footer>|' \
    {repo}/templates/base.html > {site}/templates/base.html
{fill}
set +e
{python} -m digest build --no-search 2> {tmp}/stderr.txt
echo $? > {tmp}/status.txt
{snapshot} > {tmp}/after.json
ls -a {disk} > {tmp}/disk.txt
"""


@pytest.mark.parametrize("fill, error", [
    # Fill the disk to the last few kilobytes: the new site cannot be staged.
    ("dd if=/dev/zero of={disk}/filler bs=1k count=$(( $(df -k --output=avail {disk} | tail -1) - 8 )) 2>/dev/null || true", "ENOSPC"),
    ("mount -o remount,ro {disk}", "EROFS"),
], ids=["full disk", "read-only disk"])
def test_a_full_or_read_only_disk_is_a_clear_error_and_the_old_site_stays(small_site, tmp_path, fill, error):
    """In a private mount namespace (``unshare``), the output folder on a small tmpfs of its own. The site before
    is built in this process, then moved onto that tmpfs (with its spare and cache, times kept); the build that
    meets the full or read-only disk is a real ``python -m digest`` in the namespace."""
    disk = small_site / "disk"
    disk.mkdir()
    settings(small_site, "output_dir: disk/output\n")
    with pytest.MonkeyPatch.context() as patch:
        assert build(small_site, monkeypatch=patch).exit_code == 0
    quake = (small_site / "content" / "harbour.md").read_text(encoding="utf-8").replace("Harbour", "Quake") * 40
    (small_site / "content" / "quake.md").write_text(quake, encoding="utf-8")
    fields = {"disk": disk, "site": small_site, "python": sys.executable, "tmp": tmp_path, "size": "2m", "repo": REPO}
    script = DISK_SCENARIO.format(**fields, fill=fill.format(**fields), snapshot=SNAPSHOT.format(**fields).strip())
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a private mount namespace here (unshare -rm: {probe.stderr.decode().strip()})")
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    stderr = (tmp_path / "stderr.txt").read_text()
    assert (tmp_path / "status.txt").read_text().strip() == "2", stderr
    assert f"({error}); the previous output was left as it was" in stderr and str(disk) in stderr
    assert "Traceback" not in stderr and "template" not in stderr.lower()
    assert "/output/index.html" in (tmp_path / "before.json").read_text()  # the old site was there, on the small disk
    assert (tmp_path / "after.json").read_text() == (tmp_path / "before.json").read_text()
    assert ".output.digest-new" not in (tmp_path / "disk.txt").read_text()


# ---------------------------------------------------------------- the search index


def test_a_deleted_document_is_not_searchable_after_the_next_build(small_site, monkeypatch):
    pytest.importorskip("pagefind")
    monkeypatch.chdir(small_site)
    doomed = note(small_site, "quake", "Earthquake shakes Quetta", "Rescuers searched the zyxquorbital ruins overnight.")
    assert CliRunner().invoke(cli, ["build"]).exit_code == 0
    assert b"zyxquorbital" in indexed_words(small_site / "output" / "pagefind")
    doomed.unlink()
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    assert b"zyxquorbital" not in indexed_words(small_site / "output" / "pagefind")
    assert b"Monsoon rains flood Lahore" in indexed_words(small_site / "output" / "pagefind")  # the rest is still found


def _dead_pid() -> int:
    """A process id no process has now."""
    pid = 4_000_000
    while Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid + 1}").exists():
        pid -= 2
    return pid
