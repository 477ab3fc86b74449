"""Benchmark: the gateway with the inspector off, on, and on with a page watching (#18).

    python -m bench.inspector [--seconds 4] [--clients 50] [--rounds 3]

`sockgate dev bench/services/echo` runs once per variant and round, the variants interleaved
(off, on, watched, then again in reverse order) so that drift on a shared machine spreads over
all of them. Each run measures, after a warm-up, the two-way echo route (row 1 of `make bench`)
and the relay route (row 2: the reply comes back through PostToConnection) in a closed loop:

- off:     `--no-inspector` (the hooks cost one attribute check each);
- on:      the inspector records every connection, frame and invocation, nobody watches;
- watched: the same, with an inspector page's event stream open (every record serialised
           and pushed as it happens).

Figures: messages answered per second, latency p50/p99 (ms), and the CPU the gateway process
(`sockgate dev` itself, not its workers) spent per message: the median of the rounds.
Not a test: nothing here asserts, and timings depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

if __package__ in (None, ""):  # `python bench/inspector.py`, as make bench's extra sections run
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.procs import cpu_seconds
from bench.results import ECHO_SERVICE
from bench.scenarios import relay_loop, two_way_loop
from bench.ws_load import LoadResult
from sockgate.testing import DevProcess

VARIANTS = ("off", "on", "watched")
SCENARIOS = (("two-way echo", two_way_loop), ("relay (PostToConnection)", relay_loop))


@dataclass
class Figures:
    rate: float
    p50: float
    p99: float
    cpu_us: float  # gateway CPU per message
    errors: int

    FIELDS = ("rate", "p50", "p99", "cpu_us", "errors")


@dataclass
class Results:
    runs: dict[tuple[str, str], list[Figures]] = field(default_factory=dict)

    def add(self, variant: str, scenario: str, figures: Figures) -> None:
        self.runs.setdefault((variant, scenario), []).append(figures)

    def median(self, variant: str, scenario: str) -> Figures | None:
        """Each figure's median over the rounds (a shared machine's noise hits single runs)."""
        runs = self.runs.get((variant, scenario))
        if not runs:
            return None
        return Figures(
            *(statistics.median(getattr(f, name) for f in runs) for name in Figures.FIELDS)
        )


async def _watch(events_url: str, stop: asyncio.Event) -> int:
    """Read the inspector's event stream, as an open page does, until `stop`; the events."""
    count = 0
    async with aiohttp.ClientSession() as http, http.get(events_url) as reply:

        async def read() -> None:
            nonlocal count
            async for line in reply.content:
                count += line.startswith(b"event: ")

        reader = asyncio.ensure_future(read())
        await stop.wait()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    return count


async def _run_variant(
    variant: str, seconds: float, clients: int, warmup: float, results: Results
) -> None:
    shutil.rmtree(ECHO_SERVICE / ".sockgate", ignore_errors=True)
    args = ["--no-reload", "--lambda-port", "0"]
    if variant == "off":
        args.append("--no-inspector")
    dev = DevProcess(ECHO_SERVICE, *args)
    urls = await asyncio.to_thread(dev.start)
    assert dev.process is not None
    pid = dev.process.pid
    base = urls.websocket_url.replace("ws://", "http://").rsplit("/", 1)[0]
    stop = asyncio.Event()
    watcher = None
    if variant == "watched":
        watcher = asyncio.ensure_future(_watch(f"{base}/_sockgate/api/events", stop))
    try:
        for name, loop in SCENARIOS:
            before = cpu_seconds(pid)
            result: LoadResult = await loop(urls.websocket_url, clients, seconds, warmup)
            cpu = cpu_seconds(pid) - before
            figures = Figures(
                rate=result.rate,
                p50=result.p50,
                p99=result.p99,
                cpu_us=result.cpu_us_per_message(cpu),
                errors=result.errors,
            )
            results.add(variant, name, figures)
            print(
                f"  {variant:<8} {name:<26} {figures.rate:8.0f} msg/s  p50 {figures.p50:6.2f} ms"
                f"  p99 {figures.p99:6.2f} ms  gateway {figures.cpu_us:6.0f} us/msg",
                file=sys.stderr,
                flush=True,
            )
    finally:
        stop.set()
        if watcher is not None:
            print(f"  (the page received {await watcher} events)", file=sys.stderr)
        await asyncio.to_thread(dev.stop)


def _table(results: Results, clients: int, seconds: float) -> str:
    lines = [
        f"Closed loop, {clients} clients, {seconds:g} s per run, median of the rounds; "
        "gateway CPU = `sockgate dev`'s own process.",
        "",
        "| scenario | figure | inspector off | on | on, page watching | on / off |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, _ in SCENARIOS:
        best = {v: results.median(v, name) for v in VARIANTS}
        off, on = best["off"], best["on"]
        for label, attr, fmt in (
            ("msg/s", "rate", "{:.0f}"),
            ("p50 ms", "p50", "{:.2f}"),
            ("p99 ms", "p99", "{:.2f}"),
            ("gateway CPU us/msg", "cpu_us", "{:.0f}"),
        ):
            cells = [fmt.format(getattr(f, attr)) if f else "-" for f in best.values()]
            ratio = (
                f"{getattr(on, attr) / getattr(off, attr):.2f}"
                if on and off and getattr(off, attr)
                else "-"
            )
            lines.append(f"| {name} | {label} | {' | '.join(cells)} | {ratio} |")
    errors = sum(f.errors for runs in results.runs.values() for f in runs)
    if errors:
        lines.append(f"\n{errors} exchange(s) failed across the runs.")
    return "\n".join(lines)


def recorder_cost(messages: int = 20_000) -> tuple[float, float]:
    """CPU microseconds the inspector adds to one two-way message in the gateway's process,
    measured in-process (no sockets, no other load): what the hooks record (the message, the
    reply frame, the invocation), then the same plus serialising it for one open page."""
    from sockgate.inspector.recorder import Recorder
    from sockgate.inspector.server import _event
    from sockgate.invocation import InvocationResult

    recorder = Recorder()
    recorder.opened(
        "c1", connected_at=1, identity={"sourceIp": "127.0.0.1"}, authorizer=None, query=""
    )
    text = '{"action": "echo", "n": 1}'
    context = {"connectionId": "c1", "routeKey": "echo", "requestId": "q", "eventType": "MESSAGE"}
    event = {"requestContext": context, "body": text, "isBase64Encoded": False}
    result = InvocationResult(
        request_id="r", payload={"statusCode": 200, "body": text}, duration_ms=1.2, logs=["x"] * 3
    )

    def one() -> None:
        recorder.received("c1", text, "echo", "q")
        recorder.invocation("echo", event, started=1, result=result)
        recorder.sent("c1", text, "gateway")

    started = time.process_time()
    for _ in range(messages):
        one()
    alone = (time.process_time() - started) / messages * 1e6
    page = recorder.subscribe()
    started = time.process_time()
    for _ in range(messages):
        one()
        while not page.queue.empty():
            _event(*page.queue.get_nowait())
    watched = (time.process_time() - started) / messages * 1e6
    return alone, watched


async def _main(args: argparse.Namespace) -> None:
    results = Results()
    order: list[str] = []
    for round_ in range(args.rounds):
        order.extend(VARIANTS if round_ % 2 == 0 else reversed(VARIANTS))
    for variant in order:
        await _run_variant(variant, args.seconds, args.clients, args.warmup, results)
    print(_table(results, args.clients, args.seconds))
    alone, watched = recorder_cost()
    print(
        f"\nIn-process, per two-way message: the inspector records it in {alone:.1f} us of CPU, "
        f"{watched:.1f} us with a page watching (the message, its reply and its invocation)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(_main(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
