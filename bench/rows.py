"""The issue-14 rows, with ratios and targets, from what each server measured (pure)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from bench.report import Line, cpu_split, fmt_load, fmt_ms, ratio
from bench.results import ServerResults
from bench.ws_load import LoadResult

__all__ = ["Floors", "build_lines"]

SG, PEER, AIO = "sockgate", "serverless-offline 13", "bare aiohttp"
FANOUT_TARGET_MS = 150.0  # issue 14, at 1,000 subscribers
FANOUT_TARGET_AT = 1000


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


def _at_most(value: float | None, ceiling: float | None) -> bool | None:
    if value is None or ceiling is None or math.isnan(value) or math.isnan(ceiling):
        return None
    return value <= ceiling


def speed(mine: float | None, theirs: float | None) -> str:
    """How sockgate's time compares with another's: `3.1x faster` or `1.4x slower`."""
    if not mine or not theirs or math.isnan(mine) or math.isnan(theirs):
        return "—"
    if mine <= theirs:
        return f"{theirs / mine:.1f}x faster"
    return f"{mine / theirs:.1f}x slower"


def _missing(server: ServerResults) -> str:
    return f"did not run: {server.problem}" if server.problem else "—"


def _errors(result: LoadResult) -> str:
    if not result.error_kinds:
        return ""
    return " (" + ", ".join(f"{k} x{v}" for k, v in result.error_kinds.most_common(3)) + ")"


def _load_cell(server: ServerResults, result: LoadResult | None) -> str:
    """A closed loop's figures, the kinds of error right after the error count."""
    if result is None:
        return _missing(server)
    figures, newline, cpu = fmt_load(result).partition("\n")
    return figures + _errors(result) + newline + cpu


def _p50(result: LoadResult | None) -> float | None:
    return result.p50 if result is not None else None


def _cpu_ratio(mine: LoadResult | None, theirs: LoadResult | None) -> str:
    """sockgate's CPU per message over serverless-offline's: total, gateway, workers."""
    if mine is None or theirs is None:
        return "CPU/msg —"
    (g1, w1, t1), (g2, w2, t2) = cpu_split(mine), cpu_split(theirs)
    return (
        f"CPU/msg {ratio(t1, t2)} serverless-offline's "
        f"(gateway {ratio(g1, g2)}, workers {ratio(w1, w2)})"
    )


def _loop_line(
    row: str,
    route: str,
    sg: ServerResults,
    peer: ServerResults,
    aio: ServerResults | None,
    pick: str,
    clients: int,
    peer_factor: float,
    p50_target: bool,
) -> Line:
    """One closed loop at one client count: sockgate against serverless-offline at the same
    count (bare aiohttp, where it applies, is a reference without a target)."""
    mine: LoadResult | None = getattr(sg, pick).get(clients)
    theirs: LoadResult | None = getattr(peer, pick).get(clients)
    floor: LoadResult | None = getattr(aio, pick).get(clients) if aio is not None else None
    line = Line(row, f"{route}, {clients} clients")
    line.cells[SG] = _load_cell(sg, mine)
    line.cells[PEER] = _load_cell(peer, theirs)
    line.cells[AIO] = "n/a" if aio is None else _load_cell(aio, floor)
    # A peer run that answered nothing gives no rate or p50 to compare with: not judged.
    answered = theirs if theirs is not None and theirs.messages else None
    ratios = [f"msg/s {ratio(_rate(mine), _rate(theirs))} serverless-offline's"]
    target = ["0 errors", f"msg/s ≥ {peer_factor:g}x serverless-offline's"]
    checks: list[bool | None] = [
        mine.errors == 0 if mine else False,
        _at_least(_rate(mine), peer_factor * answered.rate if answered else None),
    ]
    if p50_target:
        ratios.append(f"p50 {ratio(_p50(mine), _p50(theirs))} serverless-offline's")
        target.append("p50 ≤ serverless-offline's")
        checks.append(_at_most(_p50(mine), _p50(answered)))
    ratios.append(_cpu_ratio(mine, theirs))
    if aio is not None:
        ratios.append(
            f"msg/s {ratio(_rate(mine), _rate(floor), '%')} of bare aiohttp's (no target)"
        )
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
    line.target = f"median ≤ {FANOUT_TARGET_MS:g} ms"
    if n != FANOUT_TARGET_AT:
        line.target += f" (set for {FANOUT_TARGET_AT:,} subscribers)"
    complete = sg.fanout is not None and not sg.fanout.missing and not sg.fanout.problem
    line.met = mine is not None and mine <= FANOUT_TARGET_MS and complete
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
    per_call = FANOUT_TARGET_MS / FANOUT_TARGET_AT * 1000
    line.target = f"(row 4's target leaves ≤ {per_call:g} µs a delivery, all included)"
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
    line.target = "(no figure in issues 7 and 14: keep it)"
    return line


def build_lines(
    sg: ServerResults,
    peer: ServerResults,
    aio: ServerResults,
    floors: Floors,
    *,
    loop_clients: tuple[int, ...],
    burst_clients: int,
    subscribers: int,
    connections: int,
) -> list[Line]:
    """The table's lines, in the issue's order: each closed loop at each client count first."""
    counts = sorted(loop_clients)
    marks = "abcdefgh" if len(counts) > 1 else ""

    def row(number: int, i: int) -> str:
        return f"{number}{marks[i] if marks else ''}"

    loops = [
        _loop_line(row(1, i), "two-way echo route", sg, peer, aio, "two_way", n, 1.5, True)
        for i, n in enumerate(counts)
    ] + [
        _loop_line(row(2, i), "echo through @connections", sg, peer, None, "relay", n, 3.0, False)
        for i, n in enumerate(counts)
    ]
    return [
        *loops,
        _burst_line(sg, peer, aio, burst_clients),
        _fanout_line(sg, peer, aio, subscribers),
        _per_call_line(sg, peer, aio, floors),
        _idle_line(sg, peer, aio, connections),
        _cold_line(sg, peer),
    ]
