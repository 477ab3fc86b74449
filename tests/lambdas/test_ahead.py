"""Invocations sent ahead to a busy worker: each keeps its own output, timeout and outcome.

A worker runs one invocation at a time; while its function's invocations are short, the pool
sends queued ones into a busy worker's pipe so that it reads the next without sleeping. These
tests hold the worker on a gate (a file the handler waits for) so that what is sent ahead, and
when, does not depend on timing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from sockgate.lambdas import Runtime, pool
from sockgate.testing.polling import eventually

from .conftest import MakeService

HANDLER = """
import logging, os, pathlib, time

def fn(event, context):
    left = context.get_remaining_time_in_millis()
    gate = event.get("gate")
    if gate:
        while not pathlib.Path(gate).exists():
            time.sleep(0.005)
        if event.get("then") == "exit":
            os._exit(3)
        if event.get("then") == "hang":
            time.sleep(60)
        if event.get("then") == "linger":
            time.sleep(1)
    if event.get("crash"):
        os._exit(3)
    n = event.get("n")
    print(f"print {n}")
    logging.getLogger().warning(f"record {n}")
    return {"n": n, "pid": os.getpid(), "left": left}
"""


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A budget so wide that how long the handler takes on this machine does not decide what is
    sent ahead (by default: what the function runs in 2 ms)."""
    monkeypatch.setattr(pool, "_AHEAD_BUDGET_S", 1.0)


async def _warm(runtime: Runtime) -> int:
    """A few quick invocations: the function is known to be short, so the pool sends ahead."""
    results = [await runtime.invoke("fn", {"n": -1}) for _ in range(5)]  # more than 4
    assert all(r.ok for r in results)
    return int(results[-1].payload["pid"])


def _sent_ahead(runtime: Runtime) -> int:
    return runtime.pool_stats()["fn"]["sentAhead"]


async def _held_behind_a_gate(
    runtime: Runtime, gate: Path, then: str | None, count: int
) -> tuple[asyncio.Future[Any], list[asyncio.Future[Any]]]:
    first = asyncio.ensure_future(runtime.invoke("fn", {"gate": str(gate), "then": then}))
    await eventually(lambda: runtime.pool_stats()["fn"]["busy"] == 1, what="the gated one")
    rest = [asyncio.ensure_future(runtime.invoke("fn", {"n": n})) for n in range(count)]
    await eventually(lambda: _sent_ahead(runtime) == count, what="the rest sent ahead")
    return first, rest


def _own_lines(logs: list[str], n: int) -> None:
    printed = [line for line in logs if line.startswith("print ")]
    records = [line for line in logs if "\trecord " in line]
    assert printed == [f"print {n}"]
    assert len(records) == 1 and records[0].endswith(f"\trecord {n}")


@pytest.mark.usefixtures("wide")
async def test_each_invocation_sent_ahead_keeps_its_own_output(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, fn="handler.fn"), max_workers=1)
    pid = await _warm(runtime)
    gate = tmp_path / "open"
    first, rest = await _held_behind_a_gate(runtime, gate, None, 5)
    gate.touch()
    results = [await asyncio.wait_for(f, 30) for f in (first, *rest)]
    assert all(r.ok and r.payload["pid"] == pid for r in results)  # one worker served them all
    for n, result in enumerate(results[1:]):
        assert result.payload["n"] == n
        _own_lines(result.logs, n)
        assert result.logs[0] == f"START RequestId: {result.request_id} Version: $LATEST"
        assert result.logs[-2] == f"END RequestId: {result.request_id}"
    # The function's timeout (3 s) started when each one started, not when it was sent.
    assert all(r.payload["left"] > 2000 for r in results[1:])
    assert _sent_ahead(runtime) == 0


@pytest.mark.usefixtures("wide")
async def test_a_timeout_sends_what_was_held_ahead_to_another_worker(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    service = make_service({"handler.py": HANDLER}, fn=("handler.fn", {"timeout": 1}))
    runtime = runtimes(service, max_workers=2)
    pid = await _warm(runtime)
    gate = tmp_path / "open"
    first, rest = await _held_behind_a_gate(runtime, gate, "hang", 3)
    gate.touch()
    timed_out = await asyncio.wait_for(first, 30)
    assert timed_out.timed_out
    results = [await asyncio.wait_for(f, 30) for f in rest]
    assert [r.payload and r.payload["n"] for r in results] == [0, 1, 2], [r.error for r in results]
    assert all(r.ok and r.payload["pid"] != pid for r in results)  # never started on the first
    for n, result in enumerate(results):
        _own_lines(result.logs, n)
        assert result.payload["left"] > 500  # a fresh 1 s, not what the gated one left


@pytest.mark.usefixtures("wide")
async def test_a_crash_sends_what_was_held_ahead_to_another_worker(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, fn="handler.fn"), max_workers=2)
    pid = await _warm(runtime)
    gate = tmp_path / "open"
    first, rest = await _held_behind_a_gate(runtime, gate, "exit", 2)
    gate.touch()
    crashed = await asyncio.wait_for(first, 30)
    assert crashed.error is not None and crashed.error["errorType"] == "Runtime.ExitError"
    results = [await asyncio.wait_for(f, 30) for f in rest]
    assert all(r.ok and r.payload["pid"] != pid for r in results)
    for n, result in enumerate(results):
        _own_lines(result.logs, n)


async def test_a_slow_function_is_not_sent_ahead(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    # Longer than the budget on average: a queued invocation waits for whichever worker is
    # free first, as before.
    source = HANDLER + "\nimport time\ndef slow(event, context):\n    time.sleep(0.02)\n"
    runtime = runtimes(make_service({"handler.py": source}, fn="handler.slow"), max_workers=1)
    for _ in range(3):
        assert (await runtime.invoke("fn", {})).ok
    calls = [asyncio.ensure_future(runtime.invoke("fn", {})) for _ in range(4)]
    await eventually(lambda: runtime.pool_stats()["fn"]["waiting"] == 3, what="three queued")
    assert _sent_ahead(runtime) == 0
    assert all(r.ok for r in await asyncio.gather(*calls))


async def test_nothing_is_sent_ahead_before_the_function_is_known_to_be_short(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    # A function never invoked may be slow: its first queued invocations wait for a free (or
    # new) worker instead of lining up behind the first one.
    runtime = runtimes(make_service({"handler.py": HANDLER}, fn="handler.fn"), max_workers=1)
    gate = tmp_path / "open"
    first = asyncio.ensure_future(runtime.invoke("fn", {"gate": str(gate)}))
    await eventually(lambda: runtime.pool_stats()["fn"]["busy"] == 1, what="the gated one")
    rest = [asyncio.ensure_future(runtime.invoke("fn", {"n": n})) for n in range(3)]
    await eventually(lambda: runtime.pool_stats()["fn"]["waiting"] == 3, what="three queued")
    assert _sent_ahead(runtime) == 0
    gate.touch()
    assert all(r.ok for r in await asyncio.gather(first, *rest))


async def test_a_tiny_function_goes_behind_a_busy_worker_rather_than_wake_an_idle_one(
    make_service: MakeService, runtimes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool, "_AHEAD_BUDGET_S", 1.0)  # as `wide`, for both thresholds
    monkeypatch.setattr(pool, "_BEHIND_RATHER_THAN_IDLE_S", 1.0)
    runtime = runtimes(make_service({"handler.py": HANDLER}, fn="handler.fn"), max_workers=2)
    gate = tmp_path / "first"
    gated = asyncio.ensure_future(runtime.invoke("fn", {"gate": str(gate)}))
    await eventually(lambda: runtime.pool_stats()["fn"]["busy"] == 1, what="the gated one")
    # Not known to be short yet: this one waits, and a second worker starts for it.
    assert (await asyncio.wait_for(runtime.invoke("fn", {"n": 0}), 30)).ok
    gate.touch()
    assert (await asyncio.wait_for(gated, 30)).ok
    assert len(runtime.worker_pids("fn")) == 2
    await _warm(runtime)
    gate = tmp_path / "second"
    gated = asyncio.ensure_future(runtime.invoke("fn", {"gate": str(gate)}))
    await eventually(lambda: runtime.pool_stats()["fn"]["busy"] == 1, what="the gated one")
    quick = asyncio.ensure_future(runtime.invoke("fn", {"n": 1}))
    await eventually(lambda: _sent_ahead(runtime) == 1, what="the quick one sent ahead")
    assert runtime.pool_stats()["fn"]["idle"] == 1  # left asleep
    gate.touch()
    first, second = await asyncio.wait_for(asyncio.gather(gated, quick), 30)
    assert second.ok and second.payload["pid"] == first.payload["pid"]


@pytest.mark.usefixtures("wide")
async def test_a_worker_out_of_memory_ends_what_it_runs_and_still_serves_what_it_held(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    # Caught while it runs (killed: what it held never started, and runs elsewhere) or at its
    # response (what it held may have started: it runs to its end there); either way the one
    # over its memory gets Runtime.OutOfMemory, the others their own results, and the worker
    # serves nothing more.
    source = HANDLER.replace(
        '    n = event.get("n")',
        '    if event.get("mb"):\n        return len(b"x" * (event["mb"] << 20))\n'
        '    n = event.get("n")',
    )
    service = make_service({"handler.py": source}, fn=("handler.fn", {"memory_size": 128}))
    runtime = runtimes(service, max_workers=2)
    pid = await _warm(runtime)
    gate = tmp_path / "open"
    first = asyncio.ensure_future(runtime.invoke("fn", {"gate": str(gate), "mb": 400}))
    await eventually(lambda: runtime.pool_stats()["fn"]["busy"] == 1, what="the gated one")
    rest = [asyncio.ensure_future(runtime.invoke("fn", {"n": n})) for n in range(2)]
    await eventually(lambda: _sent_ahead(runtime) == 2, what="the rest sent ahead")
    gate.touch()
    hog = await asyncio.wait_for(first, 30)
    assert hog.error is not None and hog.error["errorType"] == "Runtime.OutOfMemory"
    results = [await asyncio.wait_for(f, 30) for f in rest]
    assert [r.payload["n"] for r in results] == [0, 1]
    for n, result in enumerate(results):
        _own_lines(result.logs, n)
    after = await runtime.invoke("fn", {"n": 9})
    assert after.ok and after.payload["pid"] != pid
    await eventually(lambda: pid not in runtime.worker_pids("fn"), what="the worker discarded")


@pytest.mark.usefixtures("wide")
async def test_an_invocation_sent_ahead_is_timed_from_when_it_started(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    # It waited a second behind the one before it; its REPORT Duration (here a crash's, which
    # the runtime measures itself) does not count that second.
    runtime = runtimes(make_service({"handler.py": HANDLER}, fn="handler.fn"), max_workers=1)
    await _warm(runtime)
    gate = tmp_path / "open"
    first = asyncio.ensure_future(runtime.invoke("fn", {"gate": str(gate), "then": "linger"}))
    await eventually(lambda: runtime.pool_stats()["fn"]["busy"] == 1, what="the gated one")
    crash = asyncio.ensure_future(runtime.invoke("fn", {"crash": True}))
    await eventually(lambda: _sent_ahead(runtime) == 1, what="the crash sent ahead")
    gate.touch()
    lingered, crashed = await asyncio.wait_for(asyncio.gather(first, crash), 30)
    assert lingered.ok and lingered.duration_ms >= 1000
    assert crashed.error is not None and crashed.error["errorType"] == "Runtime.ExitError"
    assert crashed.duration_ms < 500  # its own run: the crash and the process's end
