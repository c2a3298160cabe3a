"""``digest deploy``: build, then publish the output as the whole content of a branch (gh-pages).

The commit is written by ghp-import through ``git fast-import``: the working tree, the
index and the current branch are never touched, so deploying cannot damage the user's
repository. The build's private parse cache (``output/.digest-cache/``) and its marker file are not published:
ghp-import copies a folder as it is, so it is given a staged copy without the cache.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ghp_import import GhpError, ghp_import

from digest import __version__
from digest.errors import DeployError
from digest.pipeline.cache import CACHE_DIR
from digest.publish.safety import MARKER
from digest.settings.config import Config

if TYPE_CHECKING:
    from digest.pipeline.build import BuildReport

PLACEHOLDER_HOSTS = frozenset({"example.org", "example.com", "example.net", "www.example.org", "www.example.com"})
GITHUB_REMOTE = re.compile(r"github\.com[:/](?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?$")
# Changes here mean the published site no longer matches the commit named in the message.
WATCHED_INPUTS = ("content_dir", "templates_dir", "source_file")


@dataclass(frozen=True)
class DeployResult:
    branch: str
    commit: str  # the new commit on the branch
    message: str
    pushed_to: str | None  # the remote, or None with --no-push
    build: BuildReport


@dataclass(frozen=True)
class _Repository:
    top: Path
    current_branch: str | None  # None when HEAD is detached


def deploy(
    config: Config,
    *,
    remote: str = "origin",
    branch: str = "gh-pages",
    message: str | None = None,
    push: bool = True,
    warn: Callable[[str], None] = lambda text: None,
) -> DeployResult:
    """Check the repository, build, commit ``output/`` onto ``branch`` and (unless ``push`` is off) push it."""
    from digest.pipeline.build import build

    repo = _open_repository(config.root)
    _check_branch(repo, branch)
    if push:
        _check_remote(repo, remote)
    _check_identity(repo)
    for text in _uncommitted_input_warnings(repo, config):
        warn(text)
    if urlsplit(config.site.base_url).hostname in PLACEHOLDER_HOSTS:
        suggestion = pages_url(_git(repo.top, "remote", "get-url", remote, check=False).stdout.strip()) or "https://USER.github.io/REPO/"
        warn(f"site.base_url is {config.site.base_url}, a placeholder: feeds, sitemap and canonical links will point there; "
             f"set base_url: {suggestion} in digest.yaml (or pass --base-url)")
    full_message = commit_message(repo.top, message)

    report = build(config)
    if push:
        _fetch_branch(repo, remote, branch)
    before = {_rev(repo, f"refs/heads/{branch}"), _rev(repo, f"refs/remotes/{remote}/{branch}")}
    with tempfile.TemporaryDirectory(prefix="digest-deploy-") as staging:
        stage_site(config.output_dir, Path(staging))
        with contextlib.chdir(repo.top):  # ghp-import runs git in the current folder
            try:
                ghp_import(staging, branch=branch, remote=remote, mesg=full_message, nojekyll=True, push=False)
            except GhpError as exc:
                raise DeployError(f"ghp-import could not write the '{branch}' branch: {exc.message}", str(repo.top)) from exc
            except TypeError:
                pass  # ghp-import 2.1 reports a failed fast-import by writing bytes to sys.stdout; caught below
    commit = _rev(repo, f"refs/heads/{branch}")
    if commit is None or commit in before:
        raise DeployError(
            f"git fast-import did not write a commit to '{branch}' (see git's message above)",
            str(repo.top),
            hint="nothing was published; your working tree and index are unchanged",
        )
    if push:
        _push(repo, remote, branch)
    return DeployResult(branch, commit, full_message, remote if push else None, report)


def stage_site(output_dir: Path, staging: Path) -> int:
    """Copy the publishable files of ``output_dir`` into ``staging`` (hard links when possible). Returns the count."""
    if not output_dir.is_dir():
        raise DeployError("the build wrote no output folder", str(output_dir))
    link: Callable[[str, str], object] = os.link
    count = 0
    for dirpath, dirnames, filenames in os.walk(output_dir):
        rel = Path(dirpath).relative_to(output_dir)
        if rel == Path("."):
            dirnames[:] = [d for d in dirnames if d != CACHE_DIR]
            filenames = [name for name in filenames if name != MARKER]
        (staging / rel).mkdir(parents=True, exist_ok=True)
        for name in filenames:
            source, target = os.path.join(dirpath, name), str(staging / rel / name)
            try:
                link(source, target)
            except OSError:  # another file system: copy this and every later file
                link = shutil.copy2
                link(source, target)
            count += 1
    return count


def pages_url(remote_url: str) -> str | None:
    """Where GitHub Pages serves a repository's site, from its GitHub remote address."""
    match = GITHUB_REMOTE.search(remote_url)
    if not match:
        return None
    owner, name = match["owner"], match["repo"]
    if name.lower() == f"{owner.lower()}.github.io":
        return f"https://{name.lower()}/"  # a user or organisation site lives at the domain root
    return f"https://{owner.lower()}.github.io/{name}/"


def commit_message(top: Path, message: str | None) -> str:
    """The message always names the source commit, so a published site can be traced back."""
    source = _git(top, "log", "-1", "--format=%h%x00%s%x00%H", check=False)
    if source.returncode != 0 or not source.stdout.strip():
        origin = "a repository with no commits yet"
        return f"{message or 'Deploy digest site'}\n\nBuilt with digest {__version__} from {origin}.\n"
    short, subject, full = source.stdout.rstrip("\n").split("\0", 2)
    if message:
        return f"{message}\n\nBuilt with digest {__version__} from {short} ({subject}).\n"
    return f"Deploy {short}: {subject}\n\nBuilt with digest {__version__} from commit {full}.\n"


# ---------------------------------------------------------------- git


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise DeployError("git is not installed or not on PATH", hint="install git, then run digest deploy again") from exc
    if check and result.returncode != 0:
        raise DeployError(f"git {' '.join(args)} failed: {result.stderr.strip() or result.stdout.strip()}", str(cwd))
    return result


def _rev(repo: _Repository, ref: str) -> str | None:
    result = _git(repo.top, "rev-parse", "--verify", "--quiet", ref + "^{commit}", check=False)
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def _open_repository(root: Path) -> _Repository:
    top = _git(root, "rev-parse", "--show-toplevel", check=False)
    if top.returncode != 0 or not top.stdout.strip():
        raise DeployError(
            "not inside a git repository: digest deploy publishes to a branch of the site's repository",
            str(root),
            hint="run `git init` and commit your site, add a remote (git remote add origin URL), then deploy",
        )
    current = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    return _Repository(Path(top.stdout.strip()), current.stdout.strip() or None)


def _check_branch(repo: _Repository, branch: str) -> None:
    if _git(repo.top, "check-ref-format", "--branch", branch, check=False).returncode != 0:
        raise DeployError(f"'{branch}' is not a valid branch name", hint="use e.g. --branch gh-pages")
    if branch == repo.current_branch:
        raise DeployError(
            f"'{branch}' is the branch you are working on; deploy replaces the whole content of the target branch",
            str(repo.top),
            hint="deploy to another branch (the default is gh-pages) or switch to your source branch first",
        )


def _check_remote(repo: _Repository, remote: str) -> None:
    if _git(repo.top, "remote", "get-url", remote, check=False).returncode != 0:
        raise DeployError(
            f"the repository has no remote named '{remote}'",
            str(repo.top),
            hint=f"add it (git remote add {remote} URL), name another with --remote, or commit locally only with --no-push",
        )


def _check_identity(repo: _Repository) -> None:
    # ghp-import takes the committer from these, and would write an empty one without them.
    for variable, key in (("GIT_COMMITTER_NAME", "user.name"), ("GIT_COMMITTER_EMAIL", "user.email")):
        if not os.environ.get(variable) and not _git(repo.top, "config", key, check=False).stdout.strip():
            raise DeployError(f"git does not know who you are ({key} is not set)", str(repo.top), hint=f'run git config {key} "..." and deploy again')


def _uncommitted_input_warnings(repo: _Repository, config: Config) -> list[str]:
    paths = []
    for attribute in WATCHED_INPUTS:
        path = getattr(config, attribute)
        if path is not None and path.resolve().is_relative_to(repo.top.resolve()):
            paths.append(str(path.resolve()))
    if not paths:
        return []
    status = _git(repo.top, "status", "--porcelain", "--untracked-files=all", "--", *paths, check=False)
    changed = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    if not changed:
        return []
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    return [f"uncommitted changes in {shown}: the published site will include them, but the commit message names the last commit"]


def _fetch_branch(repo: _Repository, remote: str, branch: str) -> None:
    """Build on top of what the remote has, so the push is a fast-forward."""
    result = _git(repo.top, "fetch", "--quiet", remote, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}", check=False)
    if result.returncode != 0 and "couldn't find remote ref" not in result.stderr:
        raise DeployError(
            f"cannot fetch '{branch}' from '{remote}': {result.stderr.strip()}",
            str(repo.top),
            hint="check the remote and your connection, or deploy locally with --no-push",
        )


def _push(repo: _Repository, remote: str, branch: str) -> None:
    result = _git(repo.top, "push", "--quiet", remote, f"refs/heads/{branch}:refs/heads/{branch}", check=False)
    if result.returncode != 0:
        raise DeployError(
            f"the commit is on your local '{branch}' branch, but pushing it to '{remote}' failed: {result.stderr.strip()}",
            str(repo.top),
            hint=f"fix the remote access and run `git push {remote} {branch}`",
        )
