"""How long an editor waits: save a file -> the preview has reloaded; and a no-change ``digest build``.

    python bench/bench_preview.py              # the shipped content and a generated 10,000-article site
    python bench/bench_preview.py --only shipped
    python bench/bench_preview.py --articles 2000

For each site (a copy in a temporary folder):
- ``digest build --no-search`` twice: the second one finds everything in the parse cache. Reported: the
  build's own time (what ``-v`` prints) and the command's wall time (Python start-up and imports included);
- ``digest serve --port 0``, with a LiveReload connection open as livereload.js would have it; then, several times,
  one document is edited and saved. Measured: save -> the server announces the reload, and save -> the
  reloaded page's bytes have been fetched (what the browser waits for). Median and worst are printed.
Targets (issue 6): shipped < 0.5 s and 10,000 articles < 2 s for save -> reloaded page; no-change build
< 0.5 s and < 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

TARGETS = {"shipped": (0.5, 0.5), "generated": (2.0, 3.0)}  # (save -> reloaded page, no-change build)
EDITS = 7


def make_shipped(root: Path) -> Path:
    site = root / "shipped"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "digest.yaml", site / "digest.yaml")
    return site


def make_generated(root: Path, articles: int) -> Path:
    """Markdown notes with varied text and real near-duplicates (bench/generate.py, the merge benchmark's generator)."""
    from generate import generate

    site = root / "generated"
    content = site / "content"
    for i, article in enumerate(generate(articles).articles):
        folder = content / f"{i // 1000:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        date = f"date: {article.date.isoformat()}\n" if article.date else ""
        body = "\n\n".join(article.paragraphs)
        (folder / f"note-{i:05d}.md").write_text(
            f"---\ntitle: {json.dumps(article.headline)}\n{date}outlet: {json.dumps(article.outlet)}\n---\n{body}\n", encoding="utf-8")
    shutil.copy(REPO / "digest.yaml", site / "digest.yaml")
    return site


def digest(*args: str, cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "digest", *args], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"digest {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return wall, result.stdout


def build_times(site: Path) -> dict:
    cold_wall, cold = digest("build", "--no-search", "-v", cwd=site)
    warm_wall, warm = digest("build", "--no-search", "-v", cwd=site)
    took = lambda out: float(re.search(r" in ([\d.]+) s;", out).group(1))  # noqa: E731
    return {"cold": took(cold), "cold_wall": cold_wall, "warm": took(warm), "warm_wall": warm_wall,
            "warm_stages": re.search(r"Stages: (.*)", warm).group(1), "warm_cache": re.search(r"Parse cache: (.*)", warm).group(1)}


class Preview:
    def __init__(self, site: Path):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "digest", "serve", "--port", "0", "-v"], cwd=site, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lines: list[str] = []
        self.url = ""
        started = time.perf_counter()
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if line.startswith("Serving "):
                self.url = line.split()[1]
            if line.startswith("Built "):
                break
        self.first_build = time.perf_counter() - started
        threading.Thread(target=lambda: [self.lines.append(line.rstrip()) for line in self.process.stdout], daemon=True).start()
        self.generation = self.status()["generation"]
        self.announced: dict[int, float] = {}
        self._arrived = threading.Condition()
        self._connected = threading.Event()
        threading.Thread(target=self._listen, daemon=True).start()
        if not self._connected.wait(30):
            raise SystemExit("no LiveReload handshake within 30 s")

    def status(self) -> dict:
        with urllib.request.urlopen(self.url + "__digest__/status") as response:
            return json.load(response)

    def _listen(self) -> None:
        asyncio.run(self._listen_as_livereload_js())

    async def _listen_as_livereload_js(self) -> None:
        """The LiveReload protocol, as livereload.js speaks it: hello, info, then a reload per new build."""
        from tornado.websocket import websocket_connect

        socket = await websocket_connect(f"ws://127.0.0.1:{urllib.parse.urlsplit(self.url).port}/livereload")
        await socket.write_message(json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
        await socket.read_message()
        await socket.write_message(json.dumps({"command": "info", "url": self.url, "plugins": {}}))
        self._connected.set()
        generation = self.generation
        while (message := await socket.read_message()) is not None:
            if json.loads(message).get("command") == "reload":
                generation += 1
                with self._arrived:
                    self.announced[generation] = time.perf_counter()
                    self._arrived.notify_all()

    def save_and_wait(self, path: Path, text: str, page: str) -> tuple[float, float]:
        """(save -> reload announced, save -> reloaded page fetched), in seconds."""
        target = self.generation + 1
        saved = time.perf_counter()
        path.write_text(text, encoding="utf-8")
        with self._arrived:
            if not self._arrived.wait_for(lambda: target in self.announced, timeout=600):
                raise SystemExit("no reload within 600 s:\n" + "\n".join(self.lines[-5:]))
            announced = self.announced[target] - saved
        with urllib.request.urlopen(self.url + page) as response:
            response.read()
        fetched = time.perf_counter() - saved
        self.generation = target
        return announced, fetched

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def preview_times(site: Path, edits: int = EDITS) -> dict:
    docs = sorted(p for p in (site / "content").rglob("*") if p.is_file())
    victim = docs[len(docs) // 2]
    original = victim.read_text(encoding="utf-8")
    preview = Preview(site)
    try:
        announced, fetched = [], []
        for i in range(edits):
            time.sleep(0.3)  # an editor does not save twice within the debounce window
            edited = original.replace("\n", f"\nEdit number {i} of this document.\n", 1) if i % 2 == 0 else original
            a, f = preview.save_and_wait(victim, edited, "")
            announced.append(a)
            fetched.append(f)
        rebuilds = [line for line in preview.lines if line.startswith("Built ")][1:]
        stages = [line for line in preview.lines if line.startswith("Stages: ")][-1:]
        return {
            "first_build": preview.first_build,
            "announced": announced,
            "fetched": fetched,
            "last_report": rebuilds[-1] if rebuilds else "",
            "last_stages": stages[0] if stages else "",
        }
    finally:
        preview.stop()
        victim.write_text(original, encoding="utf-8")


def report(name: str, size: str, builds: dict, preview: dict) -> None:
    reload_target, build_target = TARGETS[name]
    fetched = preview["fetched"]
    worst = max(fetched)
    verdict = lambda value, target: "ok" if value < target else "MISSED"  # noqa: E731
    print(f"\n== {name} ({size})")
    print(f"first preview build      {preview['first_build']:.2f} s (server start, imports and a full build)")
    print(f"save -> reload announced median {statistics.median(preview['announced']):.3f} s, worst {max(preview['announced']):.3f} s")
    print(
        f"save -> reloaded page    median {statistics.median(fetched):.3f} s, worst {worst:.3f} s   target < {reload_target} s: {verdict(worst, reload_target)}"
    )
    print(f"  last rebuild: {preview['last_report']}")
    print(f"  {preview['last_stages']}")
    print(f"cold digest build        {builds['cold']:.2f} s (wall {builds['cold_wall']:.2f} s)")
    print(
        f"no-change digest build   {builds['warm']:.2f} s (wall {builds['warm_wall']:.2f} s, Python start-up included)   "
        f"target < {build_target} s: {verdict(builds['warm'], build_target)}"
    )
    print(f"  stages: {builds['warm_stages']}; parse cache: {builds['warm_cache']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("shipped", "generated"))
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=EDITS, help="saves measured per site")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digest-bench-preview-") as tmp:
        root = Path(tmp)
        if args.only in (None, "shipped"):
            site = make_shipped(root)
            report("shipped", f"{len(list((site / 'content').iterdir()))} documents", build_times(site), preview_times(site, args.edits))
        if args.only in (None, "generated"):
            site = make_generated(root, args.articles)
            report("generated", f"{args.articles} articles as Markdown notes", build_times(site), preview_times(site, args.edits))


if __name__ == "__main__":
    main()
