"""digest's CLI in processes forked from one that has imported digest already: the kill test's many runs of
``digest build`` without an interpreter start and ~0.4 CPU-s of imports each (a third of a killed rebuild).

Run as a script, this module is the server. It imports every module of digest (imports only: nothing is built,
nothing is cached), sets the module constants it was given (``overrides``: a worker pool's threshold lowered to a
small test corpus), then answers requests on its stdin, one JSON line each. ``run`` forks a child that starts a
session of its own (its own process group, as ``start_new_session`` makes one), changes into the site's folder
and runs the CLI as ``python -m digest ARGS`` would; the reply is the child's pid. ``poll`` and ``wait`` reap it
and reply its exit status (-N: killed by signal N), ``poll`` without waiting (null while it runs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


class ForkedCli:
    """The client: one server process, started here, for the runs of one test module."""

    def __init__(self, overrides: dict[str, int] | None = None) -> None:
        """``overrides``: "digest.module.NAME" -> the value the server gives that constant after importing digest."""
        self.server = subprocess.Popen([sys.executable, __file__, json.dumps(overrides or {})], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True, bufsize=1)

    def _ask(self, **request) -> int | None:
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.write(json.dumps(request) + "\n")
        reply = self.server.stdout.readline()
        if not reply:
            raise RuntimeError(f"the fork server ended ({self.server.wait()}) before it answered {request}")
        return json.loads(reply)

    def start(self, *args: str, cwd: Path, stdout: Path | None = None) -> ForkedRun:
        """``digest ARGS`` started in ``cwd``, its standard output and error written to ``stdout``
        (or thrown away)."""
        pid = self._ask(do="run", args=list(args), cwd=str(cwd), stdout=str(stdout) if stdout else os.devnull)
        assert isinstance(pid, int)
        return ForkedRun(self, pid)

    def close(self) -> None:
        assert self.server.stdin is not None
        self.server.stdin.close()
        self.server.wait(timeout=30)


class ForkedRun:
    """One forked run, with the few calls of ``subprocess.Popen`` the kill test makes."""

    def __init__(self, forks: ForkedCli, pid: int) -> None:
        self.forks, self.pid = forks, pid
        self.returncode: int | None = None

    def send_signal(self, signal: int) -> None:
        os.kill(self.pid, signal)

    def poll(self) -> int | None:
        """The exit status if the run has ended, else None. Asked of the server only once the process is gone or a
        zombie: the kill test polls every millisecond, and a round trip each time would cost more than the run."""
        if self.returncode is None and not self._running():
            self.returncode = self.forks._ask(do="poll", pid=self.pid)
        return self.returncode

    def _running(self) -> bool:
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except FileNotFoundError:
            return False
        return stat[stat.rindex(")") + 2] != "Z"

    def wait(self, timeout: float | None = None) -> int:
        """Until the run ends (``timeout`` is there to match Popen's call: the runs under test end or are killed)."""
        if self.returncode is None:
            self.returncode = self.forks._ask(do="wait", pid=self.pid)
        assert self.returncode is not None
        return self.returncode


def _serve(overrides: dict[str, int]) -> None:
    import importlib
    import pkgutil

    import digest

    for module in pkgutil.walk_packages(digest.__path__, "digest."):
        if module.name != "digest.__main__":
            importlib.import_module(module.name)
    for name, value in overrides.items():
        module_name, _, constant = name.rpartition(".")
        assert hasattr(sys.modules[module_name], constant), name  # a renamed constant must fail the test, not go unset
        setattr(sys.modules[module_name], constant, value)
    for line in sys.stdin:
        request = json.loads(line)
        if request["do"] == "run":
            pid = os.fork()
            if pid == 0:
                _run_cli(request["args"], request["cwd"], request["stdout"])
            reply: int | None = pid
        else:
            done, status = os.waitpid(request["pid"], os.WNOHANG if request["do"] == "poll" else 0)
            reply = os.waitstatus_to_exitcode(status) if done else None
        print(json.dumps(reply), flush=True)


def _run_cli(args: list[str], cwd: str, stdout: str) -> None:
    code = 1
    try:
        os.setsid()
        os.chdir(cwd)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # not the server's requests
        os.dup2(os.open(stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
        os.dup2(1, 2)
        from digest.cli import cli

        cli.main(args, prog_name="digest")
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        sys.stdout.flush()
        os._exit(code)


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
