"""The six measurements of issue 7, each against one server URL, each bounded in count and time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection

from bench import raw_ws
from bench.procs import cpu_seconds, rss_kb
from bench.ws_load import (
    LoadResult,
    burst,
    close_all,
    closed_loop,
    echo_message,
    open_client,
    open_many,
)

__all__ = [
    "ColdResult",
    "FanoutResult",
    "IdleResult",
    "cold_start",
    "echo_burst",
    "fanout",
    "idle_connections",
    "relay_loop",
    "two_way_loop",
]

REPLY_TIMEOUT = 6.0  # serverless-offline's default Lambda timeout; API Gateway's is 29 s


PRIME_TIMEOUT = 30.0  # a warm run's first message may wait this long for a cold start


async def two_way_loop(
    url: str, clients: int, seconds: float, warmup: float, *, warm: bool = True
) -> LoadResult:
    """Row 1: the two-way echo route in a closed loop (`warm`: primed first)."""
    return await closed_loop(
        url,
        clients,
        seconds,
        make_message=echo_message("echo"),
        warmup=warmup,
        reply_timeout=REPLY_TIMEOUT,
        prime_timeout=PRIME_TIMEOUT if warm else None,
    )


async def relay_loop(
    url: str, clients: int, seconds: float, warmup: float, *, warm: bool = True
) -> LoadResult:
    """Row 2: the echo that comes back through post_to_connection (`warm`: primed first)."""
    return await closed_loop(
        url,
        clients,
        seconds,
        make_message=echo_message("relay"),
        warmup=warmup,
        reply_timeout=REPLY_TIMEOUT,
        prime_timeout=PRIME_TIMEOUT if warm else None,
    )


async def echo_burst(url: str, clients: int = 50, messages: int = 10) -> LoadResult:
    """Row 3: clients connect at once, then each sends `messages` two-way echoes."""
    return await burst(
        url, clients, messages, make_message=echo_message("echo"), reply_timeout=REPLY_TIMEOUT
    )


@dataclass
class FanoutResult:
    """Row 4: how long until every subscriber had each broadcast."""

    subscribers: int = 0  # connected and subscribed
    rounds_ms: list[float] = field(default_factory=list)  # time until all had the message
    missing: int = 0  # subscriber deliveries that did not arrive in time, over all rounds
    setup_seconds: float = 0.0
    problem: str = ""
    handler_ms: list[float] = field(default_factory=list)  # the fanout handler's own durations
    client_cpu_s: float = float("nan")  # this process's CPU during the rounds
    rounds_s: float = float("nan")  # wall time of the rounds
    cpu_by_role: dict[str, float] = field(default_factory=dict)  # server CPU during the rounds

    @property
    def median_ms(self) -> float:
        return statistics.median(self.rounds_ms) if self.rounds_ms else float("nan")


async def _subscribe(
    sockets: list[raw_ws.RawConnection], room: str, concurrency: int, deadline: float
) -> list[raw_ws.RawConnection]:
    """Send `subscribe` on every connection, `concurrency` at a time, until `deadline`
    (perf_counter); the confirmed ones."""
    gate = asyncio.Semaphore(concurrency)
    confirmed: list[raw_ws.RawConnection] = []

    async def one(ws: raw_ws.RawConnection) -> None:
        async with gate:
            if time.perf_counter() > deadline:
                return
            try:
                await ws.send_text(json.dumps({"action": "subscribe", "room": room}))
                reply = json.loads(await ws.receive_text(15))
            except Exception:
                return
            if "subscribed" in reply:
                confirmed.append(ws)

    await asyncio.gather(*(one(ws) for ws in sockets))
    return confirmed


class _Arrivals:
    """Counts the subscribers that received the current round's message."""

    def __init__(self) -> None:
        self.expected = b""
        self.target = 0
        self.count = 0
        self.last = 0.0
        self.done = asyncio.Event()

    def start(self, expected: bytes, target: int) -> None:
        self.expected, self.target, self.count = expected, target, 0
        self.done.clear()

    def on_frame(self, payload: bytes) -> None:
        if payload == self.expected:
            self.count += 1
            self.last = time.perf_counter()
            if self.count >= self.target:
                self.done.set()


async def fanout(
    url: str,
    subscribers: int = 1000,
    rounds: int = 3,
    *,
    subscribe: bool = True,
    timeout: float = 30.0,
    budget: float = 90.0,
    around_rounds: Callable[[Callable[[], Awaitable[None]]], Awaitable[None]] | None = None,
) -> FanoutResult:
    """Row 4: `subscribers` clients join a room; one more sends `fanout`; time until all have it.

    The clock starts when the sender's message is written and stops when the last subscriber's
    copy is read. Subscribers use the handshake-only client (`bench.raw_ws`) and read their
    frames in a protocol callback, so that 1,000 receivers cost this process little (with a
    task per receiver it took ~0.5 ms of CPU per delivery, CPU the servers then lacked).
    `around_rounds(run)`, when given, awaits `run()` (the rounds, not the setup): a profiler
    or a CPU meter wraps the rounds with it.
    """
    result = FanoutResult()
    started = time.perf_counter()
    room = f"bench-{uuid.uuid4().hex[:12]}"
    # 8 handshakes at a time: each runs the $connect function, as a client app would.
    sockets, failures, _ = await open_many(
        url,
        subscribers,
        concurrency=8,
        timeout=20,
        deadline=min(60.0, budget / 2),
        opener=raw_ws.connect,
    )
    try:
        if failures:
            kinds = ", ".join(f"{k} x{v}" for k, v in failures.most_common(3))
            result.problem = f"{sum(failures.values())} subscribers could not connect: {kinds}"
        members = sockets
        if subscribe:
            members = await _subscribe(sockets, room, 8, started + budget * 0.6)
        result.subscribers = len(members)
        result.setup_seconds = time.perf_counter() - started
        if result.subscribers < subscribers:
            result.problem = result.problem or f"only {result.subscribers} subscribed"
        arrivals = _Arrivals()
        for ws in members:
            ws.watch(arrivals.on_frame)
        sender = await open_client(url, 20)

        async def run_rounds() -> None:
            cpu, wall = time.process_time(), time.perf_counter()
            for n in range(rounds):
                if time.perf_counter() - started > budget:
                    break
                await _fanout_round(sender, arrivals, len(members), room, n, timeout, result)
            result.client_cpu_s = time.process_time() - cpu
            result.rounds_s = time.perf_counter() - wall

        try:
            await (around_rounds(run_rounds) if around_rounds else run_rounds())
        finally:
            await close_all([sender])
    finally:
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        await asyncio.sleep(0.2)  # the close frames go out before the sockets drop
        for ws in sockets:
            ws.abort()
    return result


async def _fanout_round(
    sender: ClientConnection,
    arrivals: _Arrivals,
    members: int,
    room: str,
    n: int,
    timeout: float,
    result: FanoutResult,
) -> None:
    payload = f"{room}-{n}"
    arrivals.start(json.dumps({"fanout": payload}).encode(), members)
    sent = time.perf_counter()
    await sender.send(json.dumps({"action": "fanout", "room": room, "payload": payload}))
    try:
        await asyncio.wait_for(arrivals.done.wait(), timeout)
    except TimeoutError:
        result.missing += members - arrivals.count
        return
    result.rounds_ms.append((arrivals.last - sent) * 1000)


@dataclass
class IdleResult:
    """Row 5: many idle connections held open at once."""

    attempted: int = 0
    connected: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    rss_before_kb: int = 0
    rss_after_kb: int = 0
    server_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    alive_checked: int = 0
    alive_ok: int = 0

    @property
    def kb_per_connection(self) -> float:
        if not self.connected:
            return float("nan")
        return (self.rss_after_kb - self.rss_before_kb) / self.connected

    @property
    def connects_per_second(self) -> float:
        return self.connected / self.seconds if self.seconds else 0.0


async def idle_connections(
    url: str,
    server_pid: int,
    count: int = 10_000,
    *,
    concurrency: int = 100,
    deadline: float = 60.0,
    check: int = 20,
) -> IdleResult:
    """Row 5: open `count` connections, read the server's RSS, prove a few still answer.

    Connections are opened by the handshake-only client (`bench.raw_ws`), so that the ramp
    measures the server rather than the client library.
    """
    result = IdleResult(attempted=count)
    result.rss_before_kb = rss_kb(server_pid)
    cpu_before = cpu_seconds(server_pid)
    client_before = time.process_time()
    sockets, result.failures, result.seconds = await open_many(
        url, count, concurrency=concurrency, timeout=20, deadline=deadline, opener=raw_ws.connect
    )
    result.client_cpu_seconds = time.process_time() - client_before
    result.server_cpu_seconds = cpu_seconds(server_pid) - cpu_before
    result.connected = len(sockets)
    try:
        # Measured, not synchronised: the server's last handshakes have completed (every client
        # has its 101), so what it holds now is what 10,000 connections cost it.
        result.rss_after_kb = rss_kb(server_pid)
        sample = sockets[:: max(1, len(sockets) // check)][:check]
        result.alive_checked = len(sample)
        for index, ws in enumerate(sample):
            message = json.dumps({"action": "echo", "client": index, "n": 0})
            try:
                result.alive_ok += await ws.echo(message, 10) == message
            except Exception:
                continue
    finally:
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        await asyncio.sleep(0.5)  # let the close frames go out before the sockets drop
        for ws in sockets:
            ws.abort()
    return result


@dataclass
class ColdResult:
    """Row 6: the first invocation of a function that imports boto3, then warm ones."""

    first_ms: float = float("nan")
    warm_ms: float = float("nan")  # median of the warm invocations
    new_worker_ms: float = float("nan")  # an invocation that had to start another worker
    problem: str = ""


async def _timed(ws: ClientConnection, message: str, timeout: float) -> float:
    sent = time.perf_counter()
    await ws.send(message)
    await asyncio.wait_for(ws.recv(), timeout)
    return (time.perf_counter() - sent) * 1000


async def cold_start(url: str, warm: int = 20, *, concurrent_pair: bool = False) -> ColdResult:
    """Row 6: time the first `cold` invocation, then `warm` more one after the other.

    With `concurrent_pair`, two more connections invoke `cold` at the same instant: one finds
    the warm worker, the other waits for it or for a new one (the slower of the two is kept;
    sockgate queues it, since a start takes far longer than the warm invocation).
    """
    result = ColdResult()
    message = json.dumps({"action": "cold"})
    ws = await open_client(url, 30)
    try:
        result.first_ms = await _timed(ws, message, 30)
        times = [await _timed(ws, message, 10) for _ in range(warm)]
        result.warm_ms = statistics.median(times)
        if concurrent_pair:
            pair = [await open_client(url, 30) for _ in range(2)]
            try:
                both = await asyncio.gather(*(_timed(p, message, 30) for p in pair))
                result.new_worker_ms = max(both)
            finally:
                await close_all(pair)
    except Exception as exc:
        result.problem = f"{type(exc).__name__}: {exc}"
    finally:
        await close_all([ws])
    return result
