"""WebSocket load clients: a closed loop, a burst, and many idle connections.

One client library (websockets) drives every server in a run, so ratios compare servers, not
clients. Every loop is bounded in count and in time; a reply that does not come within
`reply_timeout` is an error, and so is a reply that differs from what was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from bench.raw_ws import HandshakeError

__all__ = [
    "LoadResult",
    "burst",
    "close_all",
    "closed_loop",
    "open_client",
    "open_many",
    "percentile",
]

MakeMessage = Callable[[int, int], str]
T = TypeVar("T")


@dataclass
class LoadResult:
    """What a load run measured."""

    clients: int
    messages: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    error_kinds: Counter[str] = field(default_factory=Counter)
    server_cpu_s: float = float("nan")  # CPU the server's processes used during the run
    main_cpu_s: float = float("nan")  # of which its main process (the gateway)
    all_messages: int = 0  # answered during the whole run, warm-up included

    def cpu_us_per_message(self, seconds: float) -> float:
        """CPU microseconds per answered message over the whole run."""
        return seconds / self.all_messages * 1e6 if self.all_messages else float("nan")

    @property
    def rate(self) -> float:
        """Messages answered per second."""
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)

    def fail(self, kind: str) -> None:
        """Count one error of a kind (connect refused, timeout, wrong reply, ...)."""
        self.errors += 1
        self.error_kinds[kind] += 1


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[rank]


def echo_message(route: str) -> MakeMessage:
    """Messages for a route whose reply is the message itself."""
    return lambda client, n: json.dumps({"action": route, "client": client, "n": n})


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, InvalidStatus):
        return f"connect: HTTP {exc.response.status_code}"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, HandshakeError):
        return f"connect: {exc}"
    return type(exc).__name__


async def open_client(url: str, timeout: float) -> ClientConnection:
    """One client connection with the options every scenario uses (no pings, no compression)."""
    return await connect(
        url,
        max_size=None,
        compression=None,
        ping_interval=None,
        open_timeout=timeout,
        close_timeout=1,
    )


async def _open(url: str, timeout: float, result: LoadResult) -> ClientConnection | None:
    try:
        return await open_client(url, timeout)
    except Exception as exc:
        result.fail(_error_kind(exc))
        return None


async def _exchange(ws: ClientConnection, message: str, timeout: float) -> str | None:
    """Send one message and wait for its reply; None when the reply differs."""
    await ws.send(message)
    reply = await asyncio.wait_for(ws.recv(), timeout)
    if isinstance(reply, bytes):  # a binary frame carrying the same text still counts
        reply = reply.decode(errors="replace")
    return None if reply != message else message


async def _prime(
    ws: ClientConnection | None, message: str, timeout: float, result: LoadResult
) -> bool:
    if ws is None:
        return False
    try:
        if await _exchange(ws, message, timeout) is not None:
            return True
        result.fail("wrong reply")
    except Exception as exc:
        result.fail(f"first message: {_error_kind(exc)}")
    return False


async def closed_loop(
    url: str,
    clients: int,
    seconds: float,
    *,
    make_message: MakeMessage,
    reply_timeout: float = 6.0,
    connect_timeout: float = 10.0,
    warmup: float = 1.0,
    prime_timeout: float | None = None,
) -> LoadResult:
    """Run `clients` connections in a closed loop for `seconds` after `warmup` seconds.

    Only exchanges that start after the warm-up count towards rate and latency; errors count
    whenever they happen. A client stops at its first error (its connection is then unusable).
    With `prime_timeout`, every client first exchanges one message, allowed that long, and the
    clock starts once all have: the run then measures a warm server (a handler process per
    client is started), not its cold starts.
    """
    result = LoadResult(clients=clients)
    sockets = await asyncio.gather(*(_open(url, connect_timeout, result) for _ in range(clients)))
    opened = list(sockets)
    if prime_timeout is not None:
        primed = await asyncio.gather(
            *(_prime(s, make_message(i, -1), prime_timeout, result) for i, s in enumerate(sockets))
        )
        sockets = [s if ok else None for s, ok in zip(sockets, primed, strict=True)]
    start = time.perf_counter() + warmup
    end = start + seconds

    async def run(index: int, ws: ClientConnection) -> None:
        n = 0
        while time.perf_counter() < end:
            sent = time.perf_counter()
            try:
                if await _exchange(ws, make_message(index, n), reply_timeout) is None:
                    result.fail("wrong reply")
                    return
            except Exception as exc:
                result.fail(_error_kind(exc))
                return
            done = time.perf_counter()
            result.all_messages += 1
            if sent >= start:
                result.messages += 1
                result.latencies_ms.append((done - sent) * 1000)
            n += 1

    await asyncio.gather(*(run(i, s) for i, s in enumerate(sockets) if s is not None))
    result.seconds = seconds
    await close_all([s for s in opened if s is not None])
    return result


async def burst(
    url: str,
    clients: int,
    messages: int,
    *,
    make_message: MakeMessage,
    reply_timeout: float = 6.0,
    connect_timeout: float = 10.0,
) -> LoadResult:
    """`clients` connect at once, then each sends `messages` messages, one after the other.

    Latency of a message runs from its send to its reply; the first message of each client
    also waits for whatever the server does on the first use of a cold function.
    """
    result = LoadResult(clients=clients)
    started = time.perf_counter()

    async def run(index: int) -> None:
        ws = await _open(url, connect_timeout, result)
        if ws is None:
            return
        try:
            for n in range(messages):
                sent = time.perf_counter()
                try:
                    if await _exchange(ws, make_message(index, n), reply_timeout) is None:
                        result.fail("wrong reply")
                        return
                except Exception as exc:
                    result.fail(_error_kind(exc))
                    return
                result.messages += 1
                result.latencies_ms.append((time.perf_counter() - sent) * 1000)
        finally:
            await close_all([ws])

    await asyncio.gather(*(run(i) for i in range(clients)))
    result.seconds = time.perf_counter() - started
    return result


async def open_many(
    url: str,
    count: int,
    *,
    concurrency: int,
    timeout: float,
    deadline: float,
    opener: Callable[[str, float], Awaitable[T]] = open_client,  # type: ignore[assignment]
) -> tuple[list[T], Counter[str], float]:
    """Open `count` connections with `opener`, at most `concurrency` handshakes in flight.

    Stops starting new handshakes `deadline` seconds after the first. Returns the open
    connections, the failures by kind, and the seconds the opening took.
    """
    opened: list[T] = []
    failures: Counter[str] = Counter()
    gate = asyncio.Semaphore(concurrency)
    started = time.perf_counter()
    stop_at = started + deadline

    async def one() -> None:
        async with gate:
            if time.perf_counter() > stop_at:
                failures["not attempted (deadline)"] += 1
                return
            try:
                opened.append(await opener(url, timeout))
            except Exception as exc:
                failures[_error_kind(exc)] += 1

    await asyncio.gather(*(one() for _ in range(count)))
    return opened, failures, time.perf_counter() - started


async def close_all(sockets: list[ClientConnection], *, timeout: float = 10.0) -> None:
    """Close connections with a close handshake, aborting whatever has not closed in time."""
    if not sockets:
        return
    gate = asyncio.Semaphore(500)

    async def one(ws: ClientConnection) -> None:
        async with gate:
            with contextlib.suppress(Exception):
                await ws.close()

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(one(s) for s in sockets)), timeout)
    for ws in sockets:
        with contextlib.suppress(Exception):
            ws.transport.abort()


def summary(result: LoadResult) -> str:
    """One human line."""
    return (
        f"{result.rate:,.0f} msg/s  p50 {result.p50:.1f} ms  p99 {result.p99:.1f} ms  "
        f"errors {result.errors}  (clients {result.clients})"
    )
