"""The sockgate run: `sockgate dev` on the echo service (rows 6, 3, 1 and 2 at each client count,
4 and the profiles), then on the idle service (row 5)."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable

from bench import scenarios
from bench.floor import http_per_call_us
from bench.procs import cpu_seconds, descendants, environ_of, tree_cpu, wait_for
from bench.profiling import parse, start_recording
from bench.results import (
    ECHO_SERVICE,
    IDLE_SERVICE,
    PROFILES,
    Log,
    ServerResults,
    Settings,
    attempt,
    best_of,
    first_line,
    metered,
    settle_async,
)
from bench.runs import ROUTE_LABELS, ROUTES, AiohttpServer, PeerLoops, closed_loop
from bench.ws_load import LoadResult
from sockgate.testing import DevProcess, ServiceUrls

__all__ = ["run_sockgate"]

FUNCTIONS = 6  # connect, echo, relay, subscribe, fanout, cold: one prewarmed worker each


def worker_roles(dev_pid: int) -> dict[int, str]:
    """pid -> role of every process under `sockgate dev`, from their environment."""
    roles = {dev_pid: "gateway (sockgate dev)"}
    for pid in descendants(dev_pid):
        name = environ_of(pid).get("AWS_LAMBDA_FUNCTION_NAME")
        roles[pid] = f"worker {name.rsplit('-', 1)[-1]}" if name else "table service"
    return roles


def _wait_prewarmed(dev_pid: int, functions: int, timeout: float) -> bool:
    """Wait until each function has a worker and no worker used CPU for 0.3 s (init done)."""
    last: dict[int, float] = {}

    def settled() -> bool:
        nonlocal last
        workers = [p for p, role in worker_roles(dev_pid).items() if role.startswith("worker")]
        now = {p: cpu_seconds(p) for p in workers}
        quiet = len(workers) >= functions and now == last
        last = now
        return quiet

    return wait_for(settled, timeout, interval=0.3)


async def _metered_by_role(
    pid: int, run: Callable[[], Awaitable[None]], into: dict[str, float]
) -> None:
    """Await `run()`; add the CPU seconds each role under `sockgate dev` used to `into`."""
    before = tree_cpu(pid)
    await run()
    after = tree_cpu(pid)
    roles = worker_roles(pid)
    for process, seconds in after.items():
        role = roles.get(process, "other")
        into[role] = into.get(role, 0.0) + seconds - before.get(process, 0.0)


def _report_durations(output: str, function: str) -> list[float]:
    """Durations of a function's REPORT lines so far (its handler's own time per call)."""
    pattern = rf"\[{function}\] REPORT .*?\tDuration: ([\d.]+) ms"
    return [float(m) for m in re.findall(pattern, output)]


def _init_duration(output: str, function: str) -> float:
    match = re.search(rf"\[{function}\] REPORT .*?Init Duration: ([\d.]+) ms", output)
    return float(match.group(1)) if match else float("nan")


def _stop_recording(recorder: subprocess.Popen[bytes]) -> None:
    if recorder.poll() is None:
        recorder.send_signal(signal.SIGINT)  # py-spy writes what it has on Ctrl-C
    try:
        recorder.wait(30)
    except subprocess.TimeoutExpired:
        recorder.kill()
        recorder.wait()


async def _profiled(
    results: ServerResults, key: str, pid: int, run: Callable[[], Awaitable[object]]
) -> None:
    """Run `run()` while py-spy samples `pid` and its children; keep the parsed profile."""
    out = PROFILES / f"{key}.txt"
    out.unlink(missing_ok=True)
    recorder = start_recording(pid, None, out)
    if recorder is None:
        results.notes.append("py-spy is not installed: no profiles (pip install py-spy)")
        return
    await asyncio.sleep(1.0)  # py-spy attaches before the load starts
    roles = worker_roles(pid)
    started = time.perf_counter()
    try:
        await run()
    finally:
        seconds = time.perf_counter() - started
        roles.update({p: r for p, r in worker_roles(pid).items() if p not in roles})
        await asyncio.to_thread(_stop_recording, recorder)
    if out.exists():
        results.profiles[key] = (parse(out, seconds), roles)
    else:
        error = recorder.stderr.read().decode(errors="replace") if recorder.stderr else ""
        results.notes.append(f"py-spy wrote no profile for {key}: {error.strip()[-200:]}")


async def run_sockgate(
    settings: Settings,
    reference: AiohttpServer | None,
    reference_results: ServerResults,
    log: Log,
    companion: PeerLoops | None = None,
) -> ServerResults:
    """Every sockgate row. Each of its closed-loop runs sits between the bare aiohttp server's
    (row 1) and `companion.beside(route, clients)`, serverless-offline's run of the same route
    at the same client count; the companion is finished (stopped) after the closed loops."""
    results = ServerResults("sockgate")
    shutil.rmtree(ECHO_SERVICE / ".sockgate", ignore_errors=True)  # no rooms of older runs
    dev = DevProcess(ECHO_SERVICE, "--no-reload")
    try:
        urls = await asyncio.to_thread(dev.start)
    except Exception as exc:
        results.problem = f"sockgate dev did not start: {first_line(exc)}"
        if reference is not None:  # row 1's reference still gets measured
            for clients in settings.loop_clients:
                runs = [await reference.two_way(settings, clients) for _ in range(settings.repeats)]
                reference_results.two_way[clients] = best_of(runs)  # type: ignore[assignment]
        return results
    assert dev.process is not None
    try:
        await _echo_rows(
            settings,
            dev.process.pid,
            dev.output,
            urls,
            (reference, reference_results, companion),
            results,
            log,
        )
        results.init_ms = _init_duration(dev.output(), "cold")
    finally:
        await asyncio.to_thread(dev.stop)
    if importlib.util.find_spec("sockgate.channel.wire") is not None:
        await _fanout_over_http(settings, results, log)
    await _idle_row(settings, results, log)
    return results


async def _fanout_over_http(settings: Settings, results: ServerResults, log: Log) -> None:
    """Row 4 again with the workers' local channel off: every post_to_connection over HTTP."""
    dev = DevProcess(ECHO_SERVICE, "--no-reload", env={"SOCKGATE_LOCAL_CHANNEL": "off"})
    try:
        urls = await asyncio.to_thread(dev.start)
    except Exception as exc:
        results.notes.append(f"row 4 over HTTP: sockgate dev did not start: {first_line(exc)}")
        return
    assert dev.process is not None
    try:
        log("sockgate: fan-out with SOCKGATE_LOCAL_CHANNEL=off (HTTP)")
        await asyncio.to_thread(_wait_prewarmed, dev.process.pid, FUNCTIONS, 40.0)
        results.fanout_http = await attempt(
            results,
            "fan-out over HTTP",
            scenarios.fanout(urls.websocket_url, settings.subscribers, settings.fanout_rounds),
        )
        if results.fanout_http is not None:
            results.fanout_http.handler_ms = _report_durations(dev.output(), "fanout")
    finally:
        await asyncio.to_thread(dev.stop)


Others = tuple[AiohttpServer | None, ServerResults, PeerLoops | None]


async def _closed_loops(
    settings: Settings, pid: int, url: str, others: Others, results: ServerResults, log: Log
) -> None:
    """Rows 1 and 2 at each client count (narrow first), each run of sockgate between bare
    aiohttp's (row 1 only) and serverless-offline's at the same count; the best run of each."""
    reference, reference_results, companion = others
    for clients in sorted(settings.loop_clients):
        for route in ROUTES:
            label = ROUTE_LABELS[route]
            mine: list[LoadResult] = []
            theirs: list[LoadResult] = []
            for _ in range(settings.repeats):
                if route == "two_way" and reference is not None:
                    log(f"aiohttp: {label}, {clients} clients (beside sockgate's)")
                    run = await attempt(
                        reference_results,
                        f"{label} ({clients} clients)",
                        reference.two_way(settings, clients),
                    )
                    if run is not None:
                        theirs.append(run)
                log(f"sockgate: {label}, {clients} clients")
                loop = closed_loop(route)(url, clients, settings.seconds, settings.warmup)
                run = await attempt(results, f"{label} ({clients} clients)", metered(pid, loop))
                if run is not None:
                    mine.append(run)
                if companion is not None:
                    await companion.beside(route, clients)
            if best := best_of(mine):
                getattr(results, route)[clients] = best
            if best := best_of(theirs):
                reference_results.two_way[clients] = best
    if companion is not None:
        await companion.finish()  # its python3 processes go before sockgate's other rows


async def _echo_rows(
    settings: Settings,
    pid: int,
    output: Callable[[], str],
    urls: ServiceUrls,
    others: Others,
    results: ServerResults,
    log: Log,
) -> None:
    url = urls.websocket_url
    log("sockgate: waiting for the prewarmed workers to finish their init")
    if not await asyncio.to_thread(_wait_prewarmed, pid, FUNCTIONS, 40.0):
        results.notes.append("row 6: the prewarmed workers were still busy after 40 s")
    log("sockgate: cold start")
    results.cold = await attempt(
        results, "cold start", scenarios.cold_start(url, concurrent_pair=True)
    )
    log("sockgate: burst")
    results.burst = await attempt(
        results,
        "burst",
        scenarios.echo_burst(url, settings.burst_clients, settings.burst_messages),
    )
    await settle_async(pid)
    await _closed_loops(settings, pid, url, others, results, log)
    log("sockgate: fan-out")
    cpu_by_role: dict[str, float] = {}
    results.fanout = await attempt(
        results,
        "fan-out",
        scenarios.fanout(
            url,
            settings.subscribers,
            settings.fanout_rounds,
            around_rounds=lambda run: _metered_by_role(pid, run, cpu_by_role),
        ),
    )
    if results.fanout is not None:
        results.fanout.handler_ms = _report_durations(output(), "fanout")
        results.fanout.cpu_by_role = cpu_by_role
    log("sockgate: boto3 per call over HTTP")
    http_us = await attempt(
        results,
        "HTTP per call",
        http_per_call_us(url, urls.management_url),
    )
    results.http_call_us = http_us if http_us is not None else float("nan")
    if settings.profile:
        clients = max(settings.loop_clients)
        log(f"sockgate: profiling row 1 ({clients} clients) and row 4 (py-spy)")
        await _profiled(
            results,
            "row1-two-way",
            pid,
            lambda: scenarios.two_way_loop(url, clients, settings.profile_seconds, 0.0),
        )

        async def profile_rounds(run: Callable[[], Awaitable[None]]) -> None:
            await _profiled(results, "row4-fanout", pid, run)

        await scenarios.fanout(
            url, settings.subscribers, settings.fanout_rounds, around_rounds=profile_rounds
        )


async def _idle_row(settings: Settings, results: ServerResults, log: Log) -> None:
    dev = DevProcess(IDLE_SERVICE, "--no-reload")
    try:
        urls = await asyncio.to_thread(dev.start)
    except Exception as exc:
        results.notes.append(f"row 5: sockgate dev did not start: {first_line(exc)}")
        return
    assert dev.process is not None
    try:
        log(f"sockgate: {settings.connections:,} idle connections")
        results.idle = await attempt(
            results,
            "idle connections",
            scenarios.idle_connections(urls.websocket_url, dev.process.pid, settings.connections),
        )
        if settings.profile:
            log("sockgate: profiling row 5's handshakes (py-spy)")
            await _profiled(
                results,
                "row5-connects",
                dev.process.pid,
                lambda: scenarios.idle_connections(
                    urls.websocket_url, dev.process.pid, settings.connections // 3
                ),
            )
    finally:
        await asyncio.to_thread(dev.stop)
        shutil.rmtree(IDLE_SERVICE / ".sockgate", ignore_errors=True)
