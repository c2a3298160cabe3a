"""``digest deploy``: real git repositories in tmp_path, a local bare repository as origin, the real CLI."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from conftest import run_digest

CACHE = ".digest-cache"


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch, tmp_path):
    """Keep the user's global git settings (signing, hooks, default branch) out of the tests."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (tmp_path / "gitconfig").write_text("[user]\n\tname = Test Editor\n\temail = editor@example.org\n[init]\n\tdefaultBranch = main\n")


@pytest.fixture
def remote(tmp_path) -> Path:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(bare))
    return bare


@pytest.fixture
def repo(site, remote) -> Path:
    """The shipped site committed on main, with the bare repository as origin."""
    config = site / "digest.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("site:\n", "site:\n  cname: news.example.com\n", 1), encoding="utf-8")
    (site / ".gitignore").write_text("output/\n")
    git(site, "init", "--quiet")
    git(site, "add", ".")
    git(site, "commit", "--quiet", "-m", "Initial digest")
    git(site, "remote", "add", "origin", str(remote))
    git(site, "push", "--quiet", "origin", "main")
    return site


def published_files(output: Path) -> dict[str, str]:
    """What the branch should hold: every built file but the private cache, by git blob id."""
    files = {}
    for path in sorted(output.rglob("*")):
        name = path.relative_to(output).as_posix()
        if path.is_file() and not name.startswith(CACHE + "/"):
            data = path.read_bytes()
            files[name] = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    return files


def branch_files(repository: Path, ref: str) -> dict[str, str]:
    listing = git(repository, "ls-tree", "-r", ref)
    return {line.split("\t", 1)[1]: line.split()[2] for line in listing.splitlines()}


def snapshot(repo: Path) -> tuple[str, str, bytes, str]:
    """Everything deploy must not touch: working tree status, HEAD, the index file, the current branch."""
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    return status, git(repo, "rev-parse", "HEAD"), (repo / ".git" / "index").read_bytes(), git(repo, "symbolic-ref", "HEAD")


def test_deploy_publishes_exactly_the_built_site_and_a_second_deploy_adds_one_commit(repo, remote):
    (repo / "notes.txt").write_text("an untracked file outside the site's inputs\n")
    before = snapshot(repo)

    result = run_digest("deploy", cwd=repo, check=True)

    assert "Warning" not in result.stderr  # notes.txt is not an input of the site
    published = branch_files(remote, "gh-pages")
    assert published == published_files(repo / "output")
    assert ".nojekyll" in published and "index.html" in published
    assert (repo / "output" / CACHE).is_dir() and not any(name.startswith(CACHE) for name in published)
    assert git(remote, "show", "gh-pages:CNAME") == "news.example.com"
    assert snapshot(repo) == before
    message = git(remote, "log", "-1", "--format=%B", "gh-pages")
    assert message.splitlines()[0] == f"Deploy {git(repo, 'rev-parse', '--short', 'HEAD')}: Initial digest"
    assert git(repo, "rev-parse", "HEAD") in message
    assert git(remote, "rev-list", "--count", "gh-pages") == "1"
    assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "HEAD")  # main itself was not pushed again

    first = git(remote, "rev-parse", "gh-pages")
    sorted((repo / "content").iterdir())[0].unlink()
    git(repo, "commit", "--quiet", "-am", "Drop a story")
    before = snapshot(repo)

    run_digest("deploy", "--message", "Weekly edition", cwd=repo, check=True)

    assert git(remote, "rev-list", "--count", "gh-pages") == "2"
    assert git(remote, "rev-parse", "gh-pages^") == first
    assert branch_files(remote, "gh-pages") == published_files(repo / "output")
    message = git(remote, "log", "-1", "--format=%B", "gh-pages")
    assert message.startswith("Weekly edition\n")
    assert f"{git(repo, 'rev-parse', '--short', 'HEAD')} (Drop a story)" in message
    assert snapshot(repo) == before


def test_deploy_from_another_clone_builds_on_the_remote_branch(repo, remote, tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(remote), str(clone))  # knows nothing of gh-pages yet
    run_digest("deploy", cwd=repo, check=True)

    run_digest("deploy", cwd=clone, check=True)

    assert git(remote, "rev-list", "--count", "gh-pages") == "2"


def test_no_push_commits_locally_and_warns_about_uncommitted_site_inputs(repo, remote):
    story = sorted((repo / "content").iterdir())[0]
    story.write_text(story.read_text(encoding="utf-8") + "\nAn unsaved correction.\n", encoding="utf-8")
    (repo / "templates").mkdir()
    (repo / "templates" / "extra.html").write_text("<p>new</p>\n")
    config = repo / "digest.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    before = snapshot(repo)

    result = run_digest("deploy", "--no-push", "--branch", "site", cwd=repo, check=True)

    warning = next(line for line in result.stderr.splitlines() if line.startswith("Warning: uncommitted changes"))
    assert f"content/{story.name}" in warning and "templates/extra.html" in warning and "digest.yaml" in warning
    assert "not pushed" in result.stdout
    assert branch_files(repo, "site") == published_files(repo / "output")  # a warning, not a refusal
    assert subprocess.run(["git", "rev-parse", "--verify", "--quiet", "site"], cwd=remote).returncode != 0
    assert snapshot(repo) == before


def test_refuses_outside_a_git_repository(site):
    result = run_digest("deploy", "--no-push", cwd=site)

    assert result.returncode == 2
    assert "not inside a git repository" in result.stderr
    assert "hint: run `git init`" in result.stderr
    assert not (site / "output").exists()  # refused before building


def test_refuses_to_deploy_onto_the_current_branch(repo, remote):
    before = snapshot(repo)

    result = run_digest("deploy", "--branch", "main", cwd=repo)

    assert result.returncode == 2
    assert "'main' is the branch you are working on" in result.stderr
    assert snapshot(repo) == before
    assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "HEAD")


def test_refuses_a_missing_remote(repo):
    result = run_digest("deploy", "--remote", "upstream", cwd=repo)

    assert result.returncode == 2
    assert "no remote named 'upstream'" in result.stderr and "--no-push" in result.stderr
