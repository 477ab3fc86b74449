"""What a benchmark run is asked to do (Settings) and what it measured (ServerResults)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bench.procs import cpu_delta, cpu_seconds, tree_cpu
from bench.profiling import Profile
from bench.scenarios import ColdResult, FanoutResult, IdleResult
from bench.ws_load import LoadResult

__all__ = [
    "Log",
    "ServerResults",
    "Settings",
    "attempt",
    "best_of",
    "first_line",
    "metered",
    "settle",
    "settle_async",
]

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
ECHO_SERVICE = BENCH_DIR / "services" / "echo"
IDLE_SERVICE = BENCH_DIR / "services" / "idle"
PROFILES = BENCH_DIR / "profiles"

Log = Callable[[str], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """How long and how wide each row runs."""

    seconds: float = 5.0  # measured window of each closed-loop run
    warmup: float = 1.0
    repeats: int = 2  # each closed loop (route, client count) runs this often; the best is kept
    loop_clients: tuple[int, ...] = (5, 50)  # rows 1 and 2 at each count, on every server
    burst_clients: int = 50
    burst_messages: int = 10
    subscribers: int = 1000
    fanout_rounds: int = 3
    connections: int = 10_000
    profile: bool = True
    profile_seconds: float = 5.0


@dataclass
class ServerResults:
    """Everything measured on one server; `problem` says why it did not run at all."""

    name: str
    problem: str = ""
    two_way: dict[int, LoadResult] = field(default_factory=dict)
    relay: dict[int, LoadResult] = field(default_factory=dict)
    burst: LoadResult | None = None
    fanout: FanoutResult | None = None
    fanout_http: FanoutResult | None = None  # sockgate with SOCKGATE_LOCAL_CHANNEL=off
    idle: IdleResult | None = None
    cold: ColdResult | None = None
    init_ms: float = float("nan")  # the REPORT line's Init Duration of the first worker
    http_call_us: float = float("nan")
    profiles: dict[str, tuple[Profile, dict[int, str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def first_line(exc: BaseException) -> str:
    """One line about an exception (a failed start's last output line included)."""
    text = str(exc).strip() or type(exc).__name__
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0] if len(lines) == 1 else f"{lines[0]} … {lines[-1].strip()}"


async def attempt(results: ServerResults, label: str, run: Awaitable[T]) -> T | None:
    """Run one measurement; a failure becomes a note and the run goes on with the next one."""
    try:
        return await run
    except Exception as exc:
        results.notes.append(f"{label} failed: {type(exc).__name__}: {first_line(exc)}")
        return None


async def metered(pid: int, run: Awaitable[LoadResult]) -> LoadResult:
    """Run a load and record the CPU the server at `pid` (and its children) used meanwhile."""
    before, main_before = tree_cpu(pid), cpu_seconds(pid)
    result = await run
    result.server_cpu_s = cpu_delta(before, tree_cpu(pid))
    result.main_cpu_s = cpu_seconds(pid) - main_before
    return result


def best_of(runs: list[LoadResult]) -> LoadResult | None:
    """The run with the highest rate, carrying the errors of all runs (errors are never hidden)."""
    if not runs:
        return None
    best = max(runs, key=lambda r: r.rate)
    others = [r for r in runs if r is not best]
    for other in others:
        best.errors += other.errors
        best.error_kinds.update(other.error_kinds)
    return best


def settle(pid: int, timeout: float = 60.0, idle_share: float = 0.05) -> float:
    """Wait until a server tree uses under `idle_share` of a core; returns the seconds waited.

    After a burst, serverless-offline is still starting python3 processes for a while; the next
    row should not pay for the previous one.
    """
    started = time.monotonic()
    before = tree_cpu(pid)
    while time.monotonic() - started < timeout:
        time.sleep(0.5)
        after = tree_cpu(pid)
        if cpu_delta(before, after) < idle_share * 0.5:
            break
        before = after
    return time.monotonic() - started


async def settle_async(pid: int, timeout: float = 60.0) -> float:
    """`settle` without blocking the event loop."""
    return await asyncio.to_thread(settle, pid, timeout)
