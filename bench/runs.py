"""The bare aiohttp and serverless-offline runs: start, measure the rows that apply, stop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import scenarios
from bench.echo_server import READY_PREFIX
from bench.floor import http_per_call_us, post_many_us
from bench.peer import OfflinePeer, PeerInstall
from bench.procs import LineServer
from bench.results import (
    ECHO_SERVICE,
    REPO,
    Log,
    ServerResults,
    Settings,
    attempt,
    best_of,
    first_line,
    metered,
    settle_async,
)
from bench.ws_load import LoadResult

__all__ = [
    "ROUTES",
    "ROUTE_LABELS",
    "AiohttpServer",
    "PeerLoops",
    "closed_loop",
    "run_aiohttp",
    "run_peer_rest",
]


class AiohttpServer:
    """The bare aiohttp echo server, kept up for the whole run (idle, it costs nothing), so
    that its row-1 runs can sit right beside sockgate's."""

    def __init__(self, work_dir: Path) -> None:
        self.server = LineServer(
            ["-m", "bench.echo_server", "--port", "0"],
            READY_PREFIX,
            work_dir / "aiohttp.log",
            REPO,
        )
        self.url = ""

    async def start(self) -> None:
        """Start it; RuntimeError if it does not come up."""
        self.url = await asyncio.to_thread(self.server.start)

    @property
    def pid(self) -> int:
        return self.server.pid

    async def two_way(self, settings: Settings, clients: int) -> LoadResult:
        """One row-1 run with `clients` clients."""
        return await metered(
            self.pid,
            scenarios.two_way_loop(self.url, clients, settings.seconds, settings.warmup),
        )

    def stop(self) -> None:
        self.server.stop()


async def run_aiohttp(settings: Settings, server: AiohttpServer, log: Log) -> ServerResults:
    """Rows 3, 4 and 5 and the HTTP per-call cost against the bare aiohttp server (row 1 is
    measured beside sockgate's)."""
    results = ServerResults("bare aiohttp")
    url = server.url
    log("aiohttp: burst")
    results.burst = await attempt(
        results,
        "burst",
        scenarios.echo_burst(url, settings.burst_clients, settings.burst_messages),
    )
    log("aiohttp: fan-out")
    results.fanout = await attempt(
        results,
        "fan-out",
        scenarios.fanout(
            url + "fanout", settings.subscribers, settings.fanout_rounds, subscribe=False
        ),
    )
    log("aiohttp: boto3 per call over HTTP to a no-op handler")
    management = url.replace("ws://", "http://").rstrip("/") + "/dev"
    http_us = await attempt(
        results, "HTTP per call", asyncio.to_thread(post_many_us, management, "abcdefgh=", 300)
    )
    results.http_call_us = http_us if http_us is not None else float("nan")
    log(f"aiohttp: {settings.connections:,} idle connections")
    results.idle = await attempt(
        results,
        "idle connections",
        scenarios.idle_connections(url, server.pid, settings.connections),
    )
    return results


ROUTES = ("two_way", "relay")  # the closed loops: row 1, then row 2, at each client count
ROUTE_LABELS = {"two_way": "two-way echo", "relay": "echo through @connections"}


def closed_loop(route: str) -> Callable[[str, int, float, float], Awaitable[LoadResult]]:
    """The scenario of a closed-loop route ("two_way" or "relay")."""
    return scenarios.two_way_loop if route == "two_way" else scenarios.relay_loop


class PeerLoops:
    """serverless-offline's first phase: cold start and the closed loops of rows 1 and 2.

    Each run is taken right after sockgate's run of the same route at the same client count
    (`beside`), so that both see the same machine. sockgate takes all its 5-client loops before
    its 50-client ones, so serverless-offline does too: a 50-client run can leave it broken
    (see `run_peer_rest`) and leaves hundreds of python3 processes behind. `finish` takes the
    runs sockgate did not pair with, keeps the best of each, and stops it.
    """

    def __init__(
        self,
        settings: Settings,
        install: PeerInstall,
        work_dir: Path,
        results: ServerResults,
        log: Log,
    ) -> None:
        self.settings = settings
        self.install = install
        self.results = results
        self.log = log
        phase_dir = work_dir / "peer-closed-loops"
        phase_dir.mkdir(parents=True, exist_ok=True)
        self.peer: OfflinePeer | None = None
        if install.serverless_js is not None:
            self.peer = OfflinePeer(install, ECHO_SERVICE, phase_dir)
        self._runs: dict[tuple[str, int], list[LoadResult]] = {
            (route, clients): [] for clients in settings.loop_clients for route in ROUTES
        }

    async def start(self) -> bool:
        """Start sls offline and measure its cold start; False (and why) if it did not start."""
        if self.peer is None:
            self.results.problem = f"not installed: {self.install.problem}"
            return False
        try:
            self.log("serverless-offline: starting (sls offline)")
            await asyncio.to_thread(self.peer.start)
        except Exception as exc:
            self.results.problem = first_line(exc)
            await asyncio.to_thread(self.peer.stop)
            self.peer = None
            return False
        self.log("serverless-offline: cold start")
        self.results.cold = await attempt(
            self.results, "cold start", scenarios.cold_start(self.peer.websocket_url)
        )
        return True

    async def _took(self, route: str, clients: int) -> bool:
        runs = self._runs.setdefault((route, clients), [])
        before = len(runs)
        await self.beside(route, clients)
        return len(runs) > before

    async def beside(self, route: str, clients: int) -> None:
        """One warm-client run of `route` ("two_way" or "relay") with `clients` clients."""
        if self.peer is None:
            return
        label = ROUTE_LABELS[route]
        self.log(f"serverless-offline: {label}, {clients} clients")
        url, s = self.peer.websocket_url, self.settings
        run = await attempt(
            self.results,
            f"{label} ({clients} clients)",
            metered(self.peer.pid, closed_loop(route)(url, clients, s.seconds, s.warmup)),
        )
        if run is not None:
            self._runs.setdefault((route, clients), []).append(run)
        await settle_async(self.peer.pid)

    async def finish(self) -> None:
        """Take the runs sockgate did not pair with, keep the best of each, stop (once)."""
        if self.peer is None:
            return
        try:
            for clients in sorted(self.settings.loop_clients):  # narrow first, as sockgate
                for route in ROUTES:
                    runs = self._runs.setdefault((route, clients), [])
                    while len(runs) < self.settings.repeats and await self._took(route, clients):
                        pass
            for (route, clients), runs in self._runs.items():
                if best := best_of(runs):
                    getattr(self.results, route)[clients] = best
            self.results.notes.append(
                f"{len(self.peer.python_pids())} python3 handler processes after the closed loops"
            )
        finally:
            peer, self.peer = self.peer, None
            await asyncio.to_thread(peer.stop)


async def run_peer_rest(
    settings: Settings,
    install: PeerInstall,
    work_dir: Path,
    results: ServerResults,
    log: Log,
) -> None:
    """Rows 3 and 4 on serverless-offline, each on a fresh `sls offline`.

    After a Lambda timeout, serverless-offline's Python runner leaves a stale reply listener
    behind (Node warns MaxListenersExceededWarning) and later replies go to the wrong requests
    (wrong replies, 502s on $connect) until it is restarted; so each phase gets a new process.
    """
    if install.serverless_js is None or results.problem:
        return
    for name, phase in (("burst", _peer_burst), ("fan-out", _peer_fanout)):
        phase_dir = work_dir / f"peer-{name}"
        phase_dir.mkdir(parents=True, exist_ok=True)
        peer = OfflinePeer(install, ECHO_SERVICE, phase_dir)
        try:
            log(f"serverless-offline: starting (sls offline) for the {name}")
            await asyncio.to_thread(peer.start)
        except Exception as exc:
            await asyncio.to_thread(peer.stop)
            results.notes.append(f"{name}: sls offline did not start: {first_line(exc)}")
            continue
        try:
            await phase(settings, peer, results, log)
        finally:
            await asyncio.to_thread(peer.stop)


async def _peer_burst(
    settings: Settings, peer: OfflinePeer, results: ServerResults, log: Log
) -> None:
    log("serverless-offline: burst")
    results.burst = await attempt(
        results,
        "burst",
        scenarios.echo_burst(peer.websocket_url, settings.burst_clients, settings.burst_messages),
    )


async def _peer_fanout(
    settings: Settings, peer: OfflinePeer, results: ServerResults, log: Log
) -> None:
    log("serverless-offline: fan-out")
    results.fanout = await attempt(
        results,
        "fan-out",
        scenarios.fanout(
            peer.websocket_url, settings.subscribers, settings.fanout_rounds, budget=120.0
        ),
    )
    log("serverless-offline: boto3 per call over HTTP")
    http_us = await attempt(
        results, "HTTP per call", http_per_call_us(peer.websocket_url, peer.management_url)
    )
    results.http_call_us = http_us if http_us is not None else float("nan")
