"""CPU seconds of each stage of one ``digest build``, the build's worker processes and Pagefind included.

    python bench/stage_cpu.py [SITE] [--output DIR] [--no-search] [--profile FILE]

The machine digest is measured on is shared, so wall times say more about the neighbours than about digest. This
runs ``digest build --clean`` of the site in ``SITE`` (default: here) in this process and prints, per stage, wall
seconds and CPU seconds (user + system) of this process and of the worker processes that ended during the stage
(forked workers and Pagefind's runs are waited for before a stage ends, so each is counted in its stage). Start-up
(imports, the taxonomy build in ``load_config``) is printed as its own line. ``--profile FILE`` writes a cProfile
of this process (not of workers) for ``python -m pstats FILE``.
"""

from __future__ import annotations

import argparse
import cProfile
import resource
import sys
import time
from contextlib import contextmanager
from pathlib import Path

START = (time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))


def cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", type=Path, default=Path("."), help="the site's folder (holding content/)")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--no-search", action="store_true")
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    begun = cpu()
    from digest.pipeline import gather
    from digest.pipeline.build import build
    from digest.settings.config import load_config

    rows: list[tuple[str, float, float, float]] = []

    @contextmanager
    def stage(self, name):
        wall, (own, children) = time.perf_counter(), cpu()
        try:
            yield
        finally:
            after = cpu()
            self.stages.append((name, time.perf_counter() - wall))
            rows.append((name, time.perf_counter() - wall, after[0] - own, after[1] - children))

    gather.Timings.stage = stage  # type: ignore[method-assign]
    config = load_config(None, root=args.site)
    config = config.with_overrides(output_dir=args.output)
    started = cpu()
    rows.insert(0, ("start-up", time.perf_counter() - START[0], started[0] - begun[0] + _self_before(), started[1] - begun[1]))
    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    build(config, clean=True, search=not args.no_search)
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    total = [0.0, 0.0, 0.0]
    print(f"{'stage':10} {'wall s':>8} {'CPU s':>8} {'of which workers':>17}")
    for name, wall, own, children in rows:
        print(f"{name:10} {wall:8.2f} {own + children:8.2f} {children:17.2f}")
        total = [total[0] + wall, total[1] + own + children, total[2] + children]
    print(f"{'total':10} {total[0]:8.2f} {total[1]:8.2f} {total[2]:17.2f}")


def _self_before() -> float:
    """CPU this process spent before ``main`` (the interpreter's start and this script's imports)."""
    return START[1].ru_utime + START[1].ru_stime


if __name__ == "__main__":
    sys.exit(main())
