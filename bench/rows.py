"""The issue-7 rows, with ratios and targets, from what each server measured (pure)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from bench.report import Line, fmt_load, fmt_ms, ratio
from bench.results import ServerResults
from bench.ws_load import LoadResult

__all__ = ["Floors", "build_lines"]

SG, PEER, AIO = "sockgate", "serverless-offline 13", "bare aiohttp"


@dataclass
class Floors:
    """boto3's own cost of one post_to_connection, in microseconds."""

    before_send_us: float = float("nan")
    unsigned_us: float = float("nan")
    before_call_us: float = float("nan")


def _judge(*conditions: bool | None) -> bool | None:
    """False if any condition failed, None if any could not be judged, else True."""
    if any(c is False for c in conditions):
        return False
    if any(c is None for c in conditions):
        return None
    return True


def _rate(result: LoadResult | None) -> float | None:
    return result.rate if result is not None else None


def _at_least(value: float | None, floor: float | None) -> bool | None:
    if value is None or floor is None or math.isnan(value) or math.isnan(floor):
        return None
    return value >= floor


def speed(mine: float | None, theirs: float | None) -> str:
    """How sockgate's time compares with another's: `3.1x faster` or `1.4x slower`."""
    if not mine or not theirs or math.isnan(mine) or math.isnan(theirs):
        return "—"
    if mine <= theirs:
        return f"{theirs / mine:.1f}x faster"
    return f"{mine / theirs:.1f}x slower"


def _missing(server: ServerResults) -> str:
    return f"did not run: {server.problem}" if server.problem else "—"


def _per_clients(server: ServerResults, results: dict[int, LoadResult]) -> str:
    if not results:
        return _missing(server)
    return "\n".join(f"{n} clients: {fmt_load(r)}{_errors(r)}" for n, r in sorted(results.items()))


def _errors(result: LoadResult) -> str:
    if not result.error_kinds:
        return ""
    return " (" + ", ".join(f"{k} x{v}" for k, v in result.error_kinds.most_common(3)) + ")"


def _loop_line(
    row: str,
    measure: str,
    sg: ServerResults,
    peer: ServerResults,
    aio: ServerResults | None,
    pick: str,
    clients: int,
    peer_factor: float,
    aio_share: float | None,
) -> Line:
    mine = getattr(sg, pick).get(clients)
    peer_runs: dict[int, LoadResult] = getattr(peer, pick)
    peer5 = peer_runs.get(min(peer_runs)) if peer_runs else None
    theirs = getattr(aio, pick).get(clients) if aio is not None else None
    line = Line(row, measure)
    line.cells[SG] = (fmt_load(mine) + _errors(mine)) if mine else _missing(sg)
    line.cells[PEER] = _per_clients(peer, peer_runs)
    line.cells[AIO] = (fmt_load(theirs) if theirs else _missing(aio)) if aio else "n/a"
    ratios = [f"{ratio(_rate(mine), _rate(peer5))} serverless-offline ({min(peer_runs or [5])})"]
    target = [f"0 errors, ≥ {peer_factor:g}x serverless-offline (5 clients)"]
    # A peer run that answered nothing gives no rate to compare with: not judged.
    peer_floor = peer_factor * peer5.rate if peer5 and peer5.messages else None
    checks: list[bool | None] = [
        mine.errors == 0 if mine else False,
        _at_least(_rate(mine), peer_floor),
    ]
    if aio_share is not None:
        ratios.append(f"{ratio(_rate(mine), _rate(theirs), '%')} of bare aiohttp")
        target.append(f"≥ {aio_share:.0%} of bare aiohttp")
        checks.append(_at_least(_rate(mine), aio_share * theirs.rate if theirs else None))
    line.ratio = "\n".join(ratios)
    line.target = "\n".join(target)
    line.met = _judge(*checks)
    return line


def _burst_cell(server: ServerResults) -> str:
    r = server.burst
    if r is None:
        return _missing(server)
    return f"errors {r.errors} · p99 {fmt_ms(r.p99)} · {r.messages} replies{_errors(r)}"


def _burst_line(sg: ServerResults, peer: ServerResults, aio: ServerResults, clients: int) -> Line:
    line = Line("3", f"burst: {clients} clients connect at once, 10 messages each")
    for name, server in ((SG, sg), (PEER, peer), (AIO, aio)):
        line.cells[name] = _burst_cell(server)
    mine, theirs = sg.burst, peer.burst
    p99 = speed(mine.p99 if mine else None, theirs.p99 if theirs else None)
    line.ratio = f"p99 {p99} than serverless-offline"
    line.target = "0 errors, p99 < 1 s"
    line.met = _judge(mine.errors == 0 if mine else False, mine.p99 < 1000 if mine else False)
    return line


def _fanout_cell(server: ServerResults) -> str:
    f = server.fanout
    if f is None:
        return _missing(server)
    if not f.rounds_ms:
        return f"no complete round: {f.problem or f'{f.missing} deliveries missing'}"
    spread = f"{fmt_ms(min(f.rounds_ms))}–{fmt_ms(max(f.rounds_ms))}"
    text = f"median {fmt_ms(f.median_ms)} ({len(f.rounds_ms)} rounds: {spread})"
    if f.problem:
        text += f" · {f.problem}"
    if f.missing:
        text += f" · {f.missing} deliveries missing"
    if f.handler_ms:
        per_post = statistics.median(f.handler_ms) / max(1, f.subscribers) * 1000
        text += (
            f" · the handler itself: median {fmt_ms(statistics.median(f.handler_ms))} "
            f"(REPORT Duration), {per_post:,.0f} µs per subscriber"
        )
    posts = f.subscribers * len(f.rounds_ms)
    if f.cpu_by_role and posts:
        roles = sorted(f.cpu_by_role.items(), key=lambda kv: -kv[1])
        spent = ", ".join(f"{role} {s / posts * 1e6:,.0f}" for role, s in roles[:3] if s > 0)
        client = f.client_cpu_s / posts * 1e6
        text += f" · CPU µs per delivery: {spent}, this client {client:,.0f}"
    return text + f" · setup {f.setup_seconds:.1f} s"


def _fanout_line(sg: ServerResults, peer: ServerResults, aio: ServerResults, n: int) -> Line:
    line = Line("4", f"fan-out: Query + post_to_connection to {n:,} subscribers, until all have it")
    for name, server in ((SG, sg), (PEER, peer), (AIO, aio)):
        line.cells[name] = _fanout_cell(server)
    if sg.fanout_http is not None:
        over_http = ServerResults("", fanout=sg.fanout_http)
        line.cells[SG] = (
            f"local channel: {line.cells[SG]}\n"
            f"HTTP (SOCKGATE_LOCAL_CHANNEL=off): {_fanout_cell(over_http)}"
        )
    line.cells[AIO] += "\n(broadcast loop, no handler: the floor)" if aio.fanout else ""
    mine = sg.fanout.median_ms if sg.fanout and sg.fanout.rounds_ms else None
    theirs = peer.fanout.median_ms if peer.fanout and peer.fanout.rounds_ms else None
    floor = aio.fanout.median_ms if aio.fanout and aio.fanout.rounds_ms else None
    line.ratio = f"{speed(mine, theirs)} than serverless-offline\n"
    line.ratio += f"{ratio(mine, floor)} the bare-aiohttp floor's time"
    line.target = "≤ 250 ms"
    complete = sg.fanout is not None and not sg.fanout.missing and not sg.fanout.problem
    line.met = mine is not None and mine <= 250 and complete
    return line


def _per_call_line(
    sg: ServerResults, peer: ServerResults, aio: ServerResults, floors: Floors
) -> Line:
    line = Line("4·", "boto3 post_to_connection from one process, per call, one after another")
    for name, server in ((SG, sg), (PEER, peer), (AIO, aio)):
        us = server.http_call_us
        line.cells[name] = _missing(server) if math.isnan(us) else f"over HTTP: {us:,.0f} µs"
    line.cells[AIO] += (
        " (a no-op handler)\nno network, answered in-process at\n"
        f"before-send: {floors.before_send_us:,.0f} µs\n"
        f"before-send, unsigned: {floors.unsigned_us:,.0f} µs\n"
        f"before-call: {floors.before_call_us:,.0f} µs"
    )
    line.ratio = (
        f"sockgate over HTTP {ratio(sg.http_call_us, aio.http_call_us)} the no-op handler's\n"
        f"boto3 alone (before-send) {ratio(floors.before_send_us, sg.http_call_us, '%')} of it"
    )
    line.target = "(row 4 needs ≤ 250 µs a call, all included)"
    return line


def _idle_cell(server: ServerResults) -> str:
    r = server.idle
    if r is None:
        return _missing(server)
    text = (
        f"{r.connected:,}/{r.attempted:,} open · {r.kb_per_connection:.1f} KB each · "
        f"{r.connects_per_second:,.0f} connects/s · server CPU "
        f"{r.server_cpu_seconds / max(1, r.connected) * 1e6:.0f} µs/connect "
        f"(client {r.client_cpu_seconds / max(1, r.connected) * 1e6:.0f} µs) · "
        f"{r.alive_ok}/{r.alive_checked} answer"
    )
    if r.failures:
        text += " · failed: " + ", ".join(f"{k} x{v}" for k, v in r.failures.most_common(3))
    return text


def _idle_line(sg: ServerResults, peer: ServerResults, aio: ServerResults, n: int) -> Line:
    line = Line("5", f"{n:,} concurrent idle connections: RSS delta / connection, connects/s")
    line.cells[SG] = _idle_cell(sg)
    line.cells[PEER] = "not measured (Node; the target is about sockgate's own process)"
    line.cells[AIO] = _idle_cell(aio)
    mine, theirs = sg.idle, aio.idle
    memory = ratio(
        mine.kb_per_connection if mine else None, theirs.kb_per_connection if theirs else None
    )
    rate = ratio(
        mine.connects_per_second if mine else None,
        theirs.connects_per_second if theirs else None,
        "%",
    )
    line.ratio = f"memory {memory} bare aiohttp's\nconnect rate {rate} of bare aiohttp's"
    line.target = f"{n:,} in one process, ≤ 20 KB each, ≥ 2,000 connects/s"
    if mine is None:
        line.met = False
    else:
        line.met = _judge(
            mine.connected == n and mine.alive_ok == mine.alive_checked,
            mine.kb_per_connection <= 20,
            mine.connects_per_second >= 2000,
        )
    return line


def _cold_line(sg: ServerResults, peer: ServerResults) -> Line:
    line = Line("6", "cold start: first invocation of a function importing boto3; then warm")
    c = sg.cold
    if c is None:
        line.cells[SG] = _missing(sg)
    else:
        line.cells[SG] = (
            f"first {fmt_ms(c.first_ms)} (worker started ahead of it) · warm {fmt_ms(c.warm_ms)}\n"
            f"two requests at once, the slower: {fmt_ms(c.new_worker_ms)} "
            f"(it waits for the warm worker; a new worker's init: {fmt_ms(sg.init_ms)})"
        ) + (f"\n{c.problem}" if c.problem else "")
    p = peer.cold
    line.cells[PEER] = (
        _missing(peer)
        if p is None
        else f"first {fmt_ms(p.first_ms)} (starts python3) · warm {fmt_ms(p.warm_ms)}"
        + (f"\n{p.problem}" if p.problem else "")
    )
    line.cells[AIO] = "n/a"
    if c and p:
        line.ratio = (
            f"first: {speed(c.first_ms, p.first_ms)}\n"
            f"two at once vs its first: {speed(c.new_worker_ms, p.first_ms)}\n"
            f"warm: {speed(c.warm_ms, p.warm_ms)}"
        )
    line.target = "(no target in issue 7)"
    return line


def build_lines(
    sg: ServerResults,
    peer: ServerResults,
    aio: ServerResults,
    floors: Floors,
    *,
    clients: int,
    burst_clients: int,
    subscribers: int,
    connections: int,
) -> list[Line]:
    """The table's lines, in the issue's order."""
    return [
        _loop_line(
            "1",
            f"two-way echo route, closed loop, {clients} clients",
            sg,
            peer,
            aio,
            "two_way",
            clients,
            2.0,
            0.40,
        ),  # fmt: skip
        _loop_line(
            "2",
            f"echo through @connections (post_to_connection), {clients} clients",
            sg,
            peer,
            None,
            "relay",
            clients,
            3.0,
            None,
        ),  # fmt: skip
        _burst_line(sg, peer, aio, burst_clients),
        _fanout_line(sg, peer, aio, subscribers),
        _per_call_line(sg, peer, aio, floors),
        _idle_line(sg, peer, aio, connections),
        _cold_line(sg, peer),
    ]
