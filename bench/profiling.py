"""Sampling profiles of the server processes under load, with py-spy, summarised as text.

py-spy samples a running process from outside (no code change, little overhead); with
`--subprocesses` it follows the gateway's workers and table service too. Its raw output is
collapsed stacks, one line per distinct stack with its sample count; idle threads are left out,
so samples measure where CPU time went.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Profile", "py_spy", "start_recording", "summarise"]

_PROCESS = re.compile(r'process (\d+):"([^"]*)";')
_COUNT = re.compile(r" (\d+)$")
RATE = 100  # samples per second
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")

# Where a frame's file lives (py-spy prints paths from the package root) -> the part of the
# system it belongs to; first match wins.
_CATEGORIES = (
    ("sockgate/gateway/", "sockgate.gateway"),
    ("sockgate/lambdas/", "sockgate.lambdas"),
    ("sockgate/tables/", "sockgate.tables"),
    ("sockgate/", "sockgate (other)"),
    ("aiohttp/", "aiohttp"),
    ("botocore/", "botocore"),
    ("boto3/", "boto3"),
    ("urllib3/", "urllib3"),
    ("asyncio/", "asyncio"),
    ("logging/", "logging"),
    ("json/", "json"),
    ("http/", "http.client"),
    ("email/", "email (http.client headers)"),
    ("selectors.py", "selectors (waiting for I/O)"),
    ("uuid.py", "uuid"),
    ("socket.py", "socket"),
)
# Frames whose inclusive share says which stage of the path the time is in.
_STAGE_PREFIXES = ("sockgate/", "aiohttp/", "botocore/", "logging/__init__.py")


def py_spy() -> str | None:
    """The py-spy executable beside this Python, else on PATH, else None."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start_recording(pid: int, seconds: float | None, out: Path) -> subprocess.Popen[bytes] | None:
    """Sample `pid` and its children into `out` (raw collapsed stacks) for `seconds`, or
    until SIGINT when `seconds` is None; None when py-spy is not installed."""
    exe = py_spy()
    if exe is None:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    # --gil: only the thread holding the GIL is sampled, so a sample is Python CPU time and a
    # process blocked on a pipe or socket adds nothing.
    command = [
        exe, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--gil",
        "--rate", str(RATE), "--format", "raw", "--output", str(out),
    ]  # fmt: skip
    if seconds is not None:
        command += ["--duration", str(max(1, round(seconds)))]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _category(path: str) -> str:
    for prefix, name in _CATEGORIES:
        if path.startswith(prefix):
            return name
    return "other (stdlib and the rest)"


@dataclass
class ProcessProfile:
    """The samples of one process."""

    pid: int
    command: str
    samples: int = 0
    self_by_function: Counter[str] = field(default_factory=Counter)
    self_by_category: Counter[str] = field(default_factory=Counter)
    inclusive_by_function: Counter[str] = field(default_factory=Counter)


@dataclass
class Profile:
    """A recording, by process."""

    processes: dict[int, ProcessProfile]
    seconds: float = 0.0  # how long the recording ran

    @property
    def samples(self) -> int:
        return sum(p.samples for p in self.processes.values())


def parse(path: Path, seconds: float = 0.0) -> Profile:
    """Read py-spy's raw output: `process P:"cmd";[process C:"cmd";]frame;frame N` lines."""
    processes: dict[int, ProcessProfile] = {}
    for line in path.read_text(errors="replace").splitlines():
        owners = list(_PROCESS.finditer(line))
        count = _COUNT.search(line)
        if not owners or count is None:
            continue
        pid, command = int(owners[-1].group(1)), owners[-1].group(2)  # the innermost process
        process = processes.setdefault(pid, ProcessProfile(pid, command))
        n = int(count.group(1))
        stack = line[owners[-1].end() : count.start()]
        frames = [f for f in stack.split(";") if f]
        if not frames:
            continue
        process.samples += n
        leaf = _FRAME.match(frames[-1])
        leaf_file = leaf.group("file") if leaf else ""
        process.self_by_function[_short(frames[-1])] += n
        process.self_by_category[_category(leaf_file)] += n
        stages = set()
        for frame in frames:
            match = _FRAME.match(frame)
            if match and match.group("file").startswith(_STAGE_PREFIXES):
                stages.add(_short(frame))
        for name in stages:
            process.inclusive_by_function[name] += n
    return Profile(processes, seconds)


def _short(frame: str) -> str:
    """`func (path/to/pkg/module.py:12)` -> `func (pkg/module.py)`."""
    match = _FRAME.match(frame)
    if match is None:
        return frame
    parts = match.group("file").split("/")
    return f"{match.group('func')} ({'/'.join(parts[-2:])})"


def summarise(profile: Profile, roles: dict[int, str], top: int = 8) -> list[str]:
    """Markdown lines: each busy process's share, its time by part, and its hottest functions."""
    total = profile.samples
    if not total:
        return ["(no samples)"]
    lines: list[str] = []
    merged: dict[str, list[ProcessProfile]] = defaultdict(list)
    for process in profile.processes.values():
        merged[roles.get(process.pid, _role_from_command(process.command))].append(process)
    ranked = sorted(merged.items(), key=lambda kv: -sum(p.samples for p in kv[1]))
    for role, group in ranked:
        samples = sum(p.samples for p in group)
        if samples < total * 0.02:
            continue
        by_category: Counter[str] = Counter()
        by_function: Counter[str] = Counter()
        by_stage: Counter[str] = Counter()
        for process in group:
            by_category.update(process.self_by_category)
            by_function.update(process.self_by_function)
            by_stage.update(process.inclusive_by_function)
        count = f" ({len(group)} processes)" if len(group) > 1 else ""
        cores = f", {samples / RATE / profile.seconds:.2f} of a core" if profile.seconds else ""
        lines.append(f"- **{role}**{count}: {samples / total:.0%} of the samples{cores}")
        parts = ", ".join(
            f"{name} {n / samples:.0%}"
            for name, n in by_category.most_common(6)
            if n / samples >= 0.02
        )
        lines.append(f"  - by part: {parts}")
        hot = "; ".join(f"`{name}` {n / samples:.0%}" for name, n in by_function.most_common(top))
        lines.append(f"  - hottest (self): {hot}")
        # Stages: sockgate/aiohttp/botocore/logging frames by inclusive share, leaving out the
        # outer frames nearly every sample passes through.
        staged = [(name, n / samples) for name, n in by_stage.most_common(40) if n < samples * 0.9]
        stage_text = "; ".join(f"`{name}` {share:.0%}" for name, share in staged[:10])
        if stage_text:
            lines.append(f"  - stages (inclusive): {stage_text}")
    return lines


def _role_from_command(command: str) -> str:
    if "sockgate.lambdas.worker" in command:
        return "worker"
    if "sockgate.tables" in command:
        return "table service"
    if "sockgate.cli" in command or "sockgate dev" in command:
        return "gateway (sockgate dev)"
    return command[:60]
