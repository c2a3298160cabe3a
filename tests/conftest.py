"""Shared fixtures: real sites in tmp_path and the real CLI in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHIPPED_CONTENT = REPO / "content"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the shipped site (digest.yaml + content/) in a fresh folder."""
    root = tmp_path / "site"
    root.mkdir()
    shutil.copytree(SHIPPED_CONTENT, root / "content")
    shutil.copy(REPO / "digest.yaml", root / "digest.yaml")
    return root


@pytest.fixture
def empty_site(tmp_path: Path) -> Path:
    """A site folder with an empty content/ and no digest.yaml."""
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    return root


def run_digest(*args: str, cwd: Path, check: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the installed CLI exactly as a user would: ``python -m digest ...`` in a subprocess."""
    env = {**os.environ, "PYTHONUTF8": "1"}
    result = subprocess.run([sys.executable, "-m", "digest", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"digest {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def digest_cli():
    return run_digest


def chromium_or_skip() -> Path:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    return CHROMIUM


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def browser():
    """A headless Debian Chromium driven by Playwright (never `playwright install`)."""
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def _build_shipped(workdir: Path, base_url: str) -> Path:
    site = workdir / "site"
    shutil.copytree(SHIPPED_CONTENT, site / "content")
    shutil.copy(REPO / "digest.yaml", site / "digest.yaml")
    run_digest("build", "--output", str(workdir / "out"), "--base-url", base_url, cwd=site, check=True, timeout=600)
    return workdir / "out"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The shipped site built once per session (search included) for a sub-path: https://example.org/digest/."""
    return _build_shipped(tmp_path_factory.mktemp("built-subpath"), "https://example.org/digest/")


@pytest.fixture(scope="session")
def built_root_site(tmp_path_factory) -> Path:
    """The shipped site built once per session for a domain root: https://example.org/."""
    return _build_shipped(tmp_path_factory.mktemp("built-root"), "https://example.org/")
