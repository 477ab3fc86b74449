"""Processes the benchmark starts and watches: free ports, RSS, children, open-file limits."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "LineServer",
    "children",
    "cpu_delta",
    "cpu_seconds",
    "descendants",
    "environ_of",
    "free_port",
    "raise_open_files",
    "rss_kb",
    "tree_cpu",
    "wait_for",
]


def free_port() -> int:
    """A port that was free a moment ago (for servers that cannot report a bound port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raise_open_files() -> int:
    """Raise this process's soft RLIMIT_NOFILE to the hard limit; children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kb(pid: int) -> int:
    """Resident set size of a process in KiB (VmRSS), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process (one pass over /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; fields restart after the last ")".
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1:
            parents[int(entry.name)] = int(fields[1])
    return parents


def children(pid: int) -> list[int]:
    """Direct children of a process."""
    return sorted(child for child, parent in _parents().items() if parent == pid)


def descendants(pid: int) -> list[int]:
    """Every process below `pid`."""
    by_parent: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        by_parent.setdefault(parent, []).append(child)
    result: list[int] = []
    queue = [pid]
    while queue:
        for child in sorted(by_parent.get(queue.pop(), [])):
            result.append(child)
            queue.append(child)
    return result


def environ_of(pid: int) -> dict[str, str]:
    """A process's environment ({} when unreadable)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process used so far (0 when gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of a process and of each process below it."""
    return {p: cpu_seconds(p) for p in [pid, *descendants(pid)]}


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two `tree_cpu` readings (processes gone since are left out)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll `predicate` until it holds or `timeout` passes; True if it held."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


class LineServer:
    """A child server that announces its URL as the first line starting with `prefix`."""

    def __init__(self, args: list[str], prefix: str, log_path: Path, cwd: Path | None = None):
        self.args = args
        self.prefix = prefix
        self.log_path = log_path
        self.cwd = cwd
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30.0) -> str:
        """Start the child and return the URL it announced; RuntimeError if it did not."""
        self.process = subprocess.Popen(
            [sys.executable, *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=self.cwd,
        )
        found = threading.Event()
        log = open(self.log_path, "w")  # closed by the reader thread

        def read() -> None:
            assert self.process is not None and self.process.stdout is not None
            with log:
                for line in self.process.stdout:
                    log.write(line)
                    log.flush()
                    if not found.is_set() and line.startswith(self.prefix):
                        self.url = line[len(self.prefix) :].split()[0]
                        found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(timeout):
            self.stop()
            raise RuntimeError(f"{' '.join(self.args)} did not start: {self.output()[-500:]}")
        return self.url

    def output(self) -> str:
        """What the child printed so far."""
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 5 s."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
