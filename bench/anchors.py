"""digest against Hugo on one corpus, in one run: cold build, build after one edit, no-change build, peak memory.

    .venv/bin/python bench/anchors.py 10000                      # digest (with search) and, if installed, Hugo
    .venv/bin/python bench/anchors.py 1000 --runs 3              # the median of 3 runs of each build
    .venv/bin/python bench/anchors.py 10000 --no-search --tools digest
    BENCH_WORK=/dev/shm/anchors .venv/bin/python bench/anchors.py 100000 --tools digest

The method of the shared ``run_anchors.sh``, ported: one corpus from ``bench/make_corpus.py`` (the same text
for both tools: ``--format digest`` for digest, ``--format hugo`` for Hugo, whose minimal site is
``bench/hugo-site/``), each build timed from the outside as a user runs it (start-up and imports included):

- ``cold``: an empty output folder and no cache (Hugo: no ``resources/`` nor cache folder either);
- ``edit1``: a paragraph appended to one article (another one each run), then the same command again; the
  table says in how many runs the edit reached the published HTML;
- ``nochange``: the same command once more, nothing changed.

Wall time and CPU time (user + system of the build and the children it waited for) are both reported: on a
busy machine, CPU time is what the build costs.

Peak memory is the largest sum of the resident sets of the build's whole process tree (digest's Pagefind
child and parse workers count), sampled every 20 ms from ``/proc``; a forked worker's resident set counts every
page it still shares with its parent, so the tree's proportional set size (PSS: a shared page counted once in
all) is reported too, sampled every 100 ms. The machine may be shared: compare
digest and Hugo within one run, as ratios (the last column), never across runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PHASES = ("cold", "edit1", "nochange")
EDIT_TEXT = "\n\nUpdate {n}: officials later confirmed the figures in a statement.\n"


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants, now (0 once it is gone)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * page
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue  # ended meanwhile
    return total


def tree_pss(pid: int) -> int:
    """Proportional set size of ``pid`` and its descendants: a page shared by k of them counts 1/k in each, so
    the pages a forked worker shares with its parent count once (their resident sets count them in each)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:")) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError, StopIteration):
            continue  # ended meanwhile
    return total


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds of the tree's reaped processes
    peak: int  # bytes
    peak_pss: int = 0  # bytes, sampled 5 times less often (reading it walks every page table)


def timed(command: list[str], cwd: Path, log: Path) -> Run:
    """Run ``command`` to its end, sampling its process tree's memory; a failure stops the benchmark."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        peak = peak_pss = samples = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak, peak_pss, samples
            while not done.is_set():
                peak = max(peak, tree_rss(proc.pid))
                if samples % 5 == 0:
                    peak_pss = max(peak_pss, tree_pss(proc.pid))
                samples += 1
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}): see {log}\n{log.read_text(errors='replace')[-2000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, peak, peak_pss)


@dataclass
class Tool:
    name: str
    command: list[str]
    cwd: Path
    posts: Path  # the folder of articles edited
    output: Path
    scratch: list[Path]  # removed before a cold build
    runs: dict[str, list[Run]] = field(default_factory=dict)
    edits_shown: int = 0
    html_pages: int = 0


def make_corpus(n: int, dest: Path, fmt: str, seed: int) -> None:
    subprocess.run([sys.executable, str(HERE / "make_corpus.py"), str(n), str(dest), "--format", fmt, "--seed", str(seed)],
                   check=True, stderr=subprocess.DEVNULL)


def setup(tools: list[str], n: int, work: Path, seed: int, digest: str, search: bool) -> list[Tool]:
    made = []
    if "digest" in tools:
        site = work / "digest-site"
        make_corpus(n, site / "content", "digest", seed)
        command = [digest, "build", "--output", str(work / "out-digest")] + ([] if search else ["--no-search"])
        made.append(Tool("digest", command, site, site / "content", work / "out-digest", [work / "out-digest"]))
    if "hugo" in tools:
        site = work / "hugo-site"
        shutil.copytree(HERE / "hugo-site", site)
        make_corpus(n, site / "content" / "posts", "hugo", seed)
        out, cache = work / "out-hugo", work / "hugo-cache"
        command = ["hugo", "--source", str(site), "--destination", str(out), "--cacheDir", str(cache), "--noBuildLock", "--quiet"]
        made.append(Tool("hugo", command, site, site / "content" / "posts", out, [out, site / "resources", cache]))
    return made


def edit_one(posts: Path, run: int, number: int) -> None:
    """Append a numbered paragraph to one article, counted from the middle of the corpus (as run_anchors.sh)."""
    files = sorted(posts.glob("*.md"))
    with open(files[(len(files) // 2 + run) % len(files)], "a", encoding="utf-8") as f:
        f.write(EDIT_TEXT.format(n=number))


def shows(output: Path, number: int) -> bool:
    needle = f"Update {number}: officials".encode()
    return any(needle in page.read_bytes() for page in output.rglob("*.html"))


def bench(tool: Tool, runs: int, log_dir: Path) -> None:
    def measure(phase: str, k: int) -> None:
        run = timed(tool.command, tool.cwd, log_dir / f"{tool.name}-{phase}-{k}.log")
        tool.runs.setdefault(phase, []).append(run)
        print(f"   {tool.name} {phase} {k}: {run.wall:.2f} s wall, {run.cpu:.2f} s CPU, {run.peak / 2**20:.0f} MiB "
              f"({run.peak_pss / 2**20:.0f} MiB PSS)", file=sys.stderr)

    for k in range(runs):
        for path in tool.scratch:
            shutil.rmtree(path, ignore_errors=True)
        measure("cold", k)
    tool.html_pages = sum(1 for _ in tool.output.rglob("*.html"))
    for k in range(runs):
        number = k + 1
        edit_one(tool.posts, k, number)
        measure("edit1", k)
        tool.edits_shown += shows(tool.output, number)
        measure("nochange", k)


def table(tools: list[Tool], n: int, runs: int) -> str:
    def median(tool: Tool, phase: str) -> float:
        return statistics.median(r.wall for r in tool.runs[phase])

    def peak(tool: Tool, phase: str) -> float:
        return max(r.peak for r in tool.runs[phase]) / 2**20

    def peak_pss(tool: Tool, phase: str) -> float:
        return max(r.peak_pss for r in tool.runs[phase]) / 2**20

    names = [t.name for t in tools]
    ratio = len(tools) == 2 and names == ["digest", "hugo"]
    head = "| " + " | ".join(["", *names] + (["digest / Hugo"] if ratio else [])) + " |"
    lines = [f"N={n} articles, {runs} run(s) each, median wall s; {os.cpu_count()} cores, load average "
             f"{os.getloadavg()[0]:.1f} at the end", "", head, "|---" + "|---:" * (len(names) + ratio) + "|"]
    rows = [(f"{phase} build s", lambda t, p=phase: median(t, p), "{:.2f}") for phase in PHASES]
    rows += [(f"{phase} build CPU s (process tree)", lambda t, p=phase: statistics.median(r.cpu for r in t.runs[p]), "{:.2f}")
             for phase in PHASES]
    rows += [(f"{phase} peak RSS MiB (process tree)", lambda t, p=phase: peak(t, p), "{:.0f}") for phase in PHASES]
    rows += [(f"{phase} peak PSS MiB (process tree)", lambda t, p=phase: peak_pss(t, p), "{:.0f}") for phase in PHASES]
    rows += [("HTML pages", lambda t: t.html_pages, "{}"), ("edits shown", lambda t: t.edits_shown, "{}/" + str(runs))]
    for label, value, form in rows:
        cells = [form.format(value(t)) for t in tools]
        if ratio:
            a, b = value(tools[0]), value(tools[1])
            cells.append(f"{a / b:.2f}" if b and "edits" not in label else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="articles in the corpus")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--tools", default="digest,hugo", help="comma-separated: digest, hugo (Hugo only when installed)")
    parser.add_argument("--digest", type=lambda p: str(Path(p).absolute()) if os.sep in p else p,
                        default=shutil.which("digest") or str(Path(sys.executable).with_name("digest")))
    parser.add_argument("--no-search", action="store_true", help="digest build --no-search")
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("BENCH_WORK", "/tmp/anchors-bench")))
    args = parser.parse_args()
    wanted = [t for t in args.tools.split(",") if t != "hugo" or shutil.which("hugo")]
    work = args.work / f"n{args.n}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "log").mkdir(parents=True)
    tools = setup(wanted, args.n, work, args.seed, args.digest, not args.no_search)
    for tool in tools:
        bench(tool, args.runs, work / "log")
    report = table(tools, args.n, args.runs)
    (work / "results.md").write_text(report + "\n", encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
