"""kill -9 at any moment: ``output/`` is the old site or the new one, and no digest process lives on.

One generated corpus of small documents serves every test here: just enough pages for the render pool and
documents for the parse pool, whose thresholds are lowered for this test (200 documents then; at the shipped
thresholds it would take 400, and each moment would wait longer for the same stages). The rebuild under test
changes a template (every page is rendered again, by the render pool, and written again); the parse pool and
Pagefind are killed in a test of their own, the moment they run. Each kill is sent to the real CLI in a process
group of its own, and afterwards the group must be empty (helpers die with their parent) and ``output/`` must
match, file for file and byte for byte, either the site before the rebuild or the site the rebuild makes when left
alone. The default tier kills the rebuild at four moments, one in each stage; the stress tier (``DIGEST_SUITE=full``,
CI) at twenty. The builds and the preview are forked from a process that has imported digest already
(cli_forks.py: the moments then fall in the build, not in Python's start-up)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_forks import ForkedCli, ForkedRun
from helpers import REPO

PARALLEL_PARSE_MIN, PARALLEL_RENDER_MIN = 100, 200  # the pools' thresholds in the forked CLI (200 and 400 shipped)
POOLS = {"digest.pipeline.gather.PARALLEL_PARSE_MIN": PARALLEL_PARSE_MIN, "digest.render.pages.PARALLEL_RENDER_MIN": PARALLEL_RENDER_MIN}
DOCUMENTS = max(2 * PARALLEL_PARSE_MIN, PARALLEL_RENDER_MIN)  # a site has more pages than documents
MOMENTS = 20
PLACES = ["Karachi", "Lahore", "Quetta", "Peshawar", "Multan", "Hyderabad", "Sukkur", "Gwadar", "Sialkot", "Faisalabad"]
TOPICS = "council river market school bridge harbour festival court railway hospital farmers election museum".split()

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")


def write_corpus(content: Path) -> None:
    content.mkdir(parents=True)
    for i in range(DOCUMENTS):
        place, first, second = PLACES[i % len(PLACES)], TOPICS[i % len(TOPICS)], TOPICS[(i * 7 + 3) % len(TOPICS)]
        (content / f"n{i:04d}.md").write_text(
            f"---\ntitle: {place} {first} and {second}, report {i}\ndate: 2025-{1 + i % 12:02d}-{1 + i % 28:02d}\n"
            f"outlet: Outlet {i % 7}\n---\n{place.upper()}: The {first} and the {second} were discussed on day {i}, "
            f"officials said. Reference word{i}x.\n", encoding="utf-8")


def make_new_edition(site: Path) -> None:
    """The change the rebuild publishes: a template every page uses, so every page is rendered (by the render
    pool) and written again."""
    (site / "templates").mkdir()
    base = (REPO / "templates" / "base.html").read_text(encoding="utf-8")
    assert "</footer>" in base
    (site / "templates" / "base.html").write_text(base.replace("</footer>", "<p>The new edition.</p></footer>"), encoding="utf-8")


def site_tree(output: Path) -> dict[str, str]:
    """The published site: every file (not the parse cache) -> the hash of its bytes."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(output):
        dirnames[:] = [d for d in dirnames if d != ".digest-cache"]
        for name in filenames:
            path = Path(dirpath) / name
            found[path.relative_to(output).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@dataclass(frozen=True)
class Corpus:
    site: Path  # content/ and templates/ of the new edition
    old_output: Path  # the site before the rebuild (hard links: never changed in place)
    old: dict[str, str]
    new: dict[str, str]
    seconds: float  # how long the rebuild takes when left alone
    write_seconds: float  # ... of which the write stage (the moments that used to leave a mix)

    def reset(self) -> Path:
        """``output/`` as the old site again, with no leftover of an earlier run."""
        for path in self.site.iterdir():
            if path.name == "output" or path.name.startswith(".output."):
                shutil.rmtree(path)
        shutil.copytree(self.old_output, self.site / "output", copy_function=os.link)
        return self.site / "output"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A folder in memory (tmpfs) when there is one: twenty resets of a 300-file site on a busy disk's journal
    would take minutes. It is a real file system all the same (links, renames, the atomic exchange)."""
    memory = Path("/dev/shm")
    if memory.is_dir() and os.access(memory, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="digest-kill-", dir=memory))
        yield folder
        shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("kill")


@pytest.fixture(scope="module")
def forks():
    forks = ForkedCli(POOLS)
    yield forks
    forks.close()


def forked_build(forks: ForkedCli, site: Path, *options: str) -> str:
    """What ``digest build --no-search OPTIONS`` run to its end in a fork printed; a failure fails the test."""
    printed = site.parent / "printed.txt"
    run = forks.start("build", "--no-search", *options, cwd=site, stdout=printed)
    assert run.wait() == 0, printed.read_text(encoding="utf-8")
    return printed.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def corpus(scratch: Path, forks: ForkedCli) -> Corpus:
    site = scratch / "site"
    write_corpus(site / "content")
    forked_build(forks, site)
    old_output = site.parent / "old-output"
    shutil.copytree(site / "output", old_output, copy_function=os.link)
    make_new_edition(site)
    started = time.perf_counter()
    printed = forked_build(forks, site, "-v")  # started as the rebuilds under test are: the moments are spread over this
    seconds = time.perf_counter() - started
    write = float(re.search(r"write (\d+) ms", printed)[1]) / 1000
    corpus = Corpus(site, old_output, site_tree(old_output), site_tree(site / "output"), seconds, write)
    assert corpus.old != corpus.new and len(corpus.new) > DOCUMENTS
    pages = int(re.search(r": (\d+) pages in output/", printed)[1])
    assert pages >= PARALLEL_RENDER_MIN, f"{pages} pages: too few for the render pool this test kills"
    return corpus


# ---------------------------------------------------------------- processes, from /proc


def group_members(group: int) -> list[str]:
    """The live processes of a process group, as 'pid command line'."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue  # ended while we looked
        fields = stat[stat.rindex(")") + 2:].split()  # state, ppid, pgrp, ...
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(f"{entry.name} {command}")
    return members


def children_of(pid: int) -> list[str]:
    """The command lines of ``pid``'s children. The tests poll this every 5 ms while a build runs: read from the
    kernel's list of each of its threads' children (a pool forked by one thread, Pagefind started by another),
    not by reading every process's stat (~4 ms of CPU a look, taken from the build being watched)."""
    tasks = Path(f"/proc/{pid}/task")
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():  # a kernel without CONFIG_PROC_CHILDREN
        return _children_by_parent(pid)
    found = []
    for listing in tasks.glob("*/children"):
        try:
            pids = listing.read_text().split()
        except OSError:
            continue  # the thread ended while we looked
        for child in pids:
            try:
                found.append((Path("/proc") / child / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                continue
    return found


def _children_by_parent(pid: int) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace") if stat else ""
        except OSError:
            continue
        if stat and int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            found.append(command)
    return found


def kill_and_wait_for_the_group(process: ForkedRun, grace: float = 5.0) -> list[str]:
    """kill -9 the digest process only (never its group: its helpers must go by themselves); what is left of
    its group after ``grace`` seconds."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + grace
    while (left := group_members(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.01)  # its helpers die with it within milliseconds: a longer nap is the test's idle time
    if left:  # do not leave them running for the tests after this one
        os.killpg(process.pid, signal.SIGKILL)
    return left


def wait_for(condition, timeout: float = 60.0, every: float = 0.005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"still not so after {timeout} s: {condition.__code__.co_filename}:{condition.__code__.co_firstlineno}")


# ---------------------------------------------------------------- the tests


def kill_at(corpus: Corpus, forks: ForkedCli, moments: list[tuple[str, float]]) -> None:
    """Rebuild and kill -9 at each moment (seconds after the run's start, or after its staging folder appears):
    output/ is the old site or the new one, nothing of the group lives on, and the next run publishes the new."""
    outcomes = []
    for since, moment in moments:
        output = corpus.reset()
        process = forks.start("build", "--no-search", cwd=corpus.site)
        if since == "write":
            staging = corpus.site / f".output.digest-new-{process.pid}"
            wait_for(lambda staging=staging, process=process: staging.exists() or process.poll() is not None, every=0.001)
        time.sleep(moment)
        survivors = kill_and_wait_for_the_group(process)
        when = f"killed {moment:.2f} s after its {since}"
        assert not survivors, f"{when}, still running: {survivors}"
        tree = site_tree(output)
        assert tree in (corpus.old, corpus.new), (
            f"{when}: output/ is neither the old site nor the new one "
            f"({len(set(tree.items()) - set(corpus.old.items()))} files differ from the old, "
            f"{len(set(tree.items()) - set(corpus.new.items()))} from the new)")
        outcomes.append((since, "new" if tree == corpus.new else "old"))
    assert ("write", "old") in outcomes, outcomes  # some kills did land in the write stage, before the switch

    # The next run cleans what the killed ones left beside output/ (but the spare) and publishes the new site.
    forked_build(forks, corpus.site)
    assert site_tree(corpus.site / "output") == corpus.new
    assert [p.name for p in corpus.site.iterdir() if p.name.startswith(".output.")] == [".output.digest-spare"]


def test_kill_9_in_each_stage_of_a_rebuild_leaves_the_old_or_the_new_site(corpus, forks):
    # Four moments of the twenty the stress tier tries: before anything is written (reading, merging, the graph),
    # the moment the first new page reaches the staging folder (timed from it, so that a busy machine, which slows
    # everything before it, does not make it miss), half-way through the rendering into it, and near the end,
    # around the switch.
    kill_at(corpus, forks, [("start", corpus.seconds * 0.2), ("write", 0.0), ("start", corpus.seconds * 0.6), ("start", corpus.seconds * 0.95)])


@pytest.mark.stress
def test_kill_9_at_twenty_moments_of_a_rebuild_leaves_the_old_or_the_new_site(corpus, forks):
    # Half the moments spread over the whole run; half over its write stage, timed from its staging folder.
    spread = [("start", corpus.seconds * (i + 0.5) / (MOMENTS // 2)) for i in range(MOMENTS // 2)]
    in_write = [("write", corpus.write_seconds * 1.2 * i / (MOMENTS // 2 - 1)) for i in range(MOMENTS // 2)]
    kill_at(corpus, forks, spread + in_write)


def test_the_parse_pool_and_the_search_indexer_die_with_a_killed_build(corpus, forks):
    edited = list((corpus.site / "content").glob("*.md"))[:2 * PARALLEL_PARSE_MIN]  # enough for the parse pool to start
    assert len(edited) == 2 * PARALLEL_PARSE_MIN
    for document in edited:
        os.utime(document, ns=(document.stat().st_atime_ns, document.stat().st_mtime_ns + 1))
        document.write_text(document.read_text(encoding="utf-8") + "Read again.\n", encoding="utf-8")
    for helper in ("concurrent", "pagefind"):
        output = corpus.reset()
        process = forks.start("build", cwd=corpus.site)
        # A pool worker is a fork of digest (same command line); Pagefind's runs its own binary.
        seen = wait_for(lambda process=process, helper=helper: [c for c in children_of(process.pid) if (helper in c) == (helper == "pagefind")])
        survivors = kill_and_wait_for_the_group(process)
        assert not survivors, f"killed while {seen} ran, still running: {survivors}"
        assert site_tree(output) == corpus.old


def test_a_killed_preview_leaves_no_worker_and_frees_its_port(corpus, scratch, forks):
    site = scratch / "preview"
    shutil.copytree(corpus.site / "content", site / "content")  # no output/: every document is parsed, by the pool
    printed = scratch / "preview.txt"
    process = forks.start("serve", "--port", "0", cwd=site, stdout=printed)
    port = int(wait_for(lambda: printed.exists() and re.search(r"http://127\.0\.0\.1:(\d+)", printed.read_text(encoding="utf-8")))[1])
    seen = wait_for(lambda: children_of(process.pid))
    survivors = kill_and_wait_for_the_group(process)
    assert not survivors, f"killed while {seen} ran, still running: {survivors}"
    # Nobody listens on the port any more, once the kernel has closed the dead processes' sockets (it may take a
    # moment after they are gone). Binding the port to check would race with other programs' outgoing
    # connections, which may be given that port number as their own the moment it is free.
    wait_for(lambda: port not in listening_ports(), timeout=5, every=0.05)


def listening_ports() -> set[int]:
    """Every local TCP port some process listens on (other tests' client connections may hold a port too)."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A":  # LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
