"""What the test modules share besides fixtures (those are in conftest.py): paths, the CLI, the quality-tool checks.

Test modules import from here, never from each other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gzip
import importlib.util
import io
import os
import random
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.models import Article, ArticleDate, DateSource, Story

REPO = Path(__file__).resolve().parent.parent
SHIPPED_CONTENT = REPO / "content"
QUALITY_TOOLS = REPO / "tools" / "quality"
REQUIRE_QUALITY_TOOLS = os.environ.get("DIGEST_REQUIRE_QUALITY_TOOLS") == "1"

if str(QUALITY_TOOLS) not in sys.path:  # sitecheck.py: the quality tools' own module, not a test module
    sys.path.insert(0, str(QUALITY_TOOLS))

import sitecheck  # noqa: E402

CHROMIUM = sitecheck.CHROMIUM
CHROMIUM_ARGS = sitecheck.CHROMIUM_ARGS


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """The folder ``name`` made by ``make(folder)`` once per test session, however many xdist workers ask.

    Workers share the parent of their own temporary folders (the session's); the first to take the lock makes
    the folder, the others wait and read it. A folder left half-made (its maker failed) is made again. Readers
    must not change it: every worker sees the same one.
    """
    own = tmp_path_factory.getbasetemp()
    shared = own.parent if os.environ.get("PYTEST_XDIST_WORKER") else own
    folder, done = shared / name, shared / f"{name}.done"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, also if make() raises
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


def copy_of_built(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None], root: Path) -> Path:
    """A copy in ``root`` (which must not exist yet) of the folder ``name`` that ``make`` makes once per session
    (``built_once``): a site and its first build, for tests that each go on from there with edits of their own.

    The copy keeps every file's modification time, which the build's stat map compares: its next build finds each
    document unchanged and each page as it wrote it, as the next build in the same folder would."""
    shutil.copytree(built_once(tmp_path_factory, name, make), root)
    return root


def copy_of_shipped_build(tmp_path_factory: pytest.TempPathFactory, root: Path, source_date_epoch: str | None = None) -> Path:
    """A copy in ``root`` of the shipped site (digest.yaml + content/) and its first build (``--no-search``), made
    once per session (``copy_of_built``): for tests that start from a built site, ~0.2 CPU-s less each. Built with
    ``SOURCE_DATE_EPOCH`` set to ``source_date_epoch`` when given, for tests whose builds fix the day."""

    def make(folder: Path) -> None:
        shutil.copytree(SHIPPED_CONTENT, folder / "content")
        shutil.copy(REPO / "digest.yaml", folder / "digest.yaml")
        with pytest.MonkeyPatch.context() as patch:
            if source_date_epoch is not None:
                patch.setenv("SOURCE_DATE_EPOCH", source_date_epoch)
            build_site(folder)

    return copy_of_built(tmp_path_factory, f"shipped-built-{source_date_epoch or 'today'}", make, root)


def build_site(site: Path, *, clean: bool = False, output: Path | None = None, search: bool = False):
    """``digest build`` of ``site`` in this process (its digest.yaml, if any), into ``output`` if given; its report."""
    from digest.pipeline.build import build
    from digest.settings.config import load_config

    config = load_config(site / "digest.yaml" if (site / "digest.yaml").exists() else None, root=site)
    if output is not None:
        config = config.with_overrides(output_dir=output)
    return build(config, clean=clean, search=search)


def make_corpus(articles: int, content: Path, truth: Path | None = None) -> None:
    """bench/make_corpus.py's news site of ``articles`` generated articles written into ``content`` with digest's
    front matter (and which re-reports which into ``truth``), run in this process: no interpreter start."""
    spec = importlib.util.spec_from_file_location("make_corpus", REPO / "bench" / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with contextlib.redirect_stderr(io.StringIO()):  # its "wrote N articles" line
        script.main([str(articles), str(content), "--format", "digest", *(["--truth", str(truth)] if truth else [])])


def generate_and_build(folder: Path, articles: int) -> None:
    """A news site of ``articles`` generated articles (bench/make_corpus.py) in ``folder``, and its first build."""
    make_corpus(articles, folder / "content")
    build_site(folder)


def assert_same_as_clean(site: Path, clean: Path) -> None:
    """The pages ``site``'s output holds are those a clean build (made into ``clean``) makes, byte for byte."""
    from digest.pipeline.cache import CACHE_DIR

    shutil.rmtree(clean, ignore_errors=True)
    build_site(site, clean=True, output=clean)
    tree = lambda output: {path.relative_to(output).as_posix(): path.read_bytes() for path in sorted(output.rglob("*"))  # noqa: E731
                           if path.is_file() and path.relative_to(output).parts[0] != CACHE_DIR}
    built, expected = tree(site / "output"), tree(clean)
    assert built.keys() == expected.keys()
    assert [path for path in expected if built[path] != expected[path]] == []


def copy_shipped_site(root: Path) -> Path:
    """A copy of the shipped site (digest.yaml + content/) in ``root``, which must not exist yet."""
    root.mkdir(parents=True)
    shutil.copytree(SHIPPED_CONTENT, root / "content")
    shutil.copy(REPO / "digest.yaml", root / "digest.yaml")
    return root


@dataclass(frozen=True)
class CliRun:
    """What a run of ``digest`` gave, named as subprocess.CompletedProcess names it."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def invoke(*args: str, cwd: Path, check: bool = False) -> CliRun:
    """Run ``digest ARGS`` in this process through click's CliRunner, from the folder ``cwd``.

    The CLI reads digest.yaml and content/ from the current folder, so the run changes into ``cwd``
    and back. An exception the CLI let through shows in stderr as the traceback a user would see.
    """
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(cli, list(args), prog_name="digest")
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(*result.exc_info))
    run = CliRun(tuple(args), result.exit_code, result.stdout, stderr)
    if check and run.returncode != 0:
        raise AssertionError(f"digest {' '.join(args)} failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    return run


def run_digest(*args: str, cwd: Path, check: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the CLI exactly as a user would: ``python -m digest ...`` in a fresh process (for the end-to-end tests)."""
    env = {**os.environ, "PYTHONUTF8": "1"}
    result = subprocess.run([sys.executable, "-m", "digest", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"digest {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def tool_missing(reason: str) -> None:
    """Skip locally; fail with DIGEST_REQUIRE_QUALITY_TOOLS=1 (CI), where every quality tool must be installed."""
    if REQUIRE_QUALITY_TOOLS:
        pytest.fail(f"{reason}; DIGEST_REQUIRE_QUALITY_TOOLS=1 requires it (run tools/quality/install.sh)")
    pytest.skip(f"{reason} (run tools/quality/install.sh)")


def require_browser() -> Path:
    """Debian's Chromium and Playwright, or a skip (a failure with DIGEST_REQUIRE_QUALITY_TOOLS=1)."""
    if not CHROMIUM.exists():
        tool_missing(f"Debian's chromium is missing at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        tool_missing("playwright is not installed (pip install -e '.[test]')")
    return CHROMIUM


def require_vnu() -> None:
    if sitecheck.vnu_command() is None:
        tool_missing("the W3C Nu HTML Checker is missing: needs java and tools/quality/node_modules/vnu-jar")


def require_axe() -> None:
    require_browser()
    if not sitecheck.AXE_JS.is_file():
        tool_missing(f"axe-core is missing: {sitecheck.AXE_JS}")


AFTER_LOAD = "() => !document.getElementById('search-fallback') || location.protocol === 'file:' || document.getElementById('search-fallback').hidden"


def axe_violations_on(page, url: str, axe_script: str | None = None) -> list[str]:
    """What axe-core finds wrong with the page at ``url``, one line per rule broken, loaded in ``page`` (its viewport
    and colour scheme are the ones checked). axe-core comes from ``axe_script`` (its URL: conftest's ``axe_script``)
    if given, else from the file, put inline."""
    response = page.goto(url)  # "load": the page and everything it links are in
    assert response is not None and response.status == 200, f"{url} answered {response and response.status}"
    # What a page does after "load": the search page (the only one with a script) loads its index, then hides
    # the note for readers without it. (Waiting for "networkidle" instead costs half a second on every page.)
    page.wait_for_function(AFTER_LOAD, timeout=15_000)
    if axe_script:
        page.add_script_tag(url=axe_script)
    else:
        page.add_script_tag(path=str(sitecheck.AXE_JS))
    return axe_run(page)


def axe_run(page) -> list[str]:
    """What axe-core finds wrong with the page as it is now, in a page where axe is loaded (axe_violations_on)."""
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} nodes, e.g. "
            + "; ".join(" ".join(n["target"]) for n in v["nodes"][:3]) for v in result["violations"]]


# ---------------------------------------------------------------- articles and stories made here

FLOOD = [
    "Floods in Northern Vellora forced 12,000 people from their homes on Tuesday, the regional disaster agency said.",
    "The Kessan river burst its banks near Ambrel after three days of monsoon rain.",
    "Governor Ilse Marrow said emergency shelters had been opened in six schools.",
    "The army has sent boats and helicopters to reach villages cut off by the water.",
    "Forecasters expect more heavy rain in the hills above the river until Friday.",
]
FLOOD_REREPORT = [
    "Floods in northern Vellora have forced some 12,000 people from their homes, the regional disaster agency said on Tuesday.",
    "The Kessan river burst its banks near Ambrel after three days of monsoon rains.",
    "Governor Ilse Marrow said emergency shelters had been opened in six schools.",
    "Two fishermen are missing after their boat capsized near the river mouth, police said.",
    "The army has sent boats and helicopters to reach villages cut off by the floodwater.",
]
# Same governor, same province, same week: another event.
BUDGET = [
    "Governor Ilse Marrow presented Northern Vellora's budget to the provincial assembly on Wednesday.",
    "The plan raises spending on schools and hospitals by a tenth and cuts the tax on small farms.",
    "Opposition members walked out of the assembly before the vote, calling the plan reckless.",
    "The finance secretary said the deficit would fall to two percent of output by next year.",
    "Marrow said the province could afford the plan because mining revenue had doubled.",
]


def article(article_id: str, headline: str, sentences: list[str], day: int | None = 10, outlet: str = "Outlet", **extra) -> Article:
    date = ArticleDate(dt.date(2025, 7, day), DateSource.DATELINE) if day else None
    return Article(id=article_id, source=f"{article_id}.md", line=1, kind="lead", headline=headline,
                   paragraphs=(" ".join(sentences),), outlet=outlet, date=date, **extra)


def flood(day=10, **extra) -> Article:
    return article("flood-a", "Floods force 12,000 from their homes in Northern Vellora", FLOOD, day, "Vellora Times", **extra)


def flood_rereport(day=10, **extra) -> Article:
    return article("flood-b", "Thousands flee as Kessan river floods Vellora", FLOOD_REREPORT, day, "Wire", **extra)


def budget(day=10, **extra) -> Article:
    return article("budget", "Marrow's budget raises school spending", BUDGET, day, "Vellora Times", **extra)


def story(headline: str, *paragraphs: str, dateline: str | None = None, region: str | None = None, theme: str | None = None, slug: str | None = None) -> Story:
    only_version = Article(id=slug or headline[:20], source="test.md", line=1, kind="note", headline=headline,
                           paragraphs=tuple(paragraphs), dateline=dateline, region=region, theme=theme)
    return Story(slug=slug or headline.lower().replace(" ", "-")[:40], title=headline, articles=(only_version,))


# ---------------------------------------------------------------- a site to search

SEARCH_SYLLABLES = ("ka", "lo", "mi", "ra", "ten", "vu", "sor", "pel", "an", "dri", "mo", "ze", "bar", "tal", "fo", "gan")
SEARCH_NOTE = "---\ntitle: {title}\ndate: {date}\noutlet: {outlet}\n---\n{body}\n"
DAM_REPORT = ("Heavy rain closed the old bridge over the river on Tuesday, and the council sent crews to shore up the "
              "banks. Engineers said the dam above the valley had cracked along its eastern wall during the night.")


def _made_up_words(rng: random.Random, n: int) -> str:
    return " ".join("".join(rng.choice(SEARCH_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(n))


def write_search_corpus(content: Path, stories: int = 120) -> None:
    """``stories`` unrelated notes, some sharing the word 'lanternfish', one with 'Brantwhistle' in its headline;
    and one event told by two outlets, of which only the second has 'quillowmarsh', in its last paragraph."""
    rng = random.Random(14)
    content.mkdir(parents=True, exist_ok=True)
    for i in range(stories):
        title = ("Brantwhistle " if i == 17 else "") + _made_up_words(rng, 5).capitalize()
        paragraphs = [_made_up_words(rng, 40).capitalize() + "." for _ in range(3)]
        if i % 12 == 0:
            paragraphs[1] += " Fishers landed lanternfish at dawn."
        body = "\n\n".join(paragraphs)
        (content / f"note-{i:03d}.md").write_text(
            SEARCH_NOTE.format(title=title, date=f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}", outlet=f"Outlet {i % 5}", body=body), encoding="utf-8")
    for outlet, extra in (("River Post", ""), ("Valley Times", "\n\nDivers later found quillowmarsh silt in the spillway.")):
        (content / f"dam-{outlet.split()[0].lower()}.md").write_text(
            SEARCH_NOTE.format(title="Dam cracks above flooded valley", date="2025-06-10", outlet=outlet,
                               body=f"{DAM_REPORT}\n\n{DAM_REPORT.replace('Tuesday', 'the same day')}{extra}"), encoding="utf-8")


def indexed_words(bundle: Path) -> bytes:
    """Everything Pagefind wrote into one bundle (a shard), decompressed."""
    text = b""
    for path in sorted(bundle.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError):
                pass
            text += data
    return text


def published_tree(folder: Path) -> dict[str, str]:
    """Every file of a published site -> the sha256 of its bytes (the cache left out: it is not the site)."""
    import hashlib

    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file() and ".digest-cache" not in path.parts}


def parse_cache_line(*extra: str) -> str:
    """``digest build --no-search -v`` in the working folder; the line that says its parse cache hits and misses."""
    result = CliRunner().invoke(cli, ["build", "--no-search", "-v", *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return next(line for line in result.output.splitlines() if line.startswith("Parse cache:"))


def clean_tree(site: Path) -> dict[str, str]:
    """The site in the working folder ``site`` as a clean build makes it from nothing (into a folder removed after)."""
    result = CliRunner().invoke(cli, ["build", "--no-search", "--clean", "--output", "fresh"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    made = published_tree(site / "fresh")
    for path in site.glob("*fresh*"):
        shutil.rmtree(path)
    return made
