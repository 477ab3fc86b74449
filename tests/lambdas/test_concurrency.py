"""Concurrency: more workers up to the cap, one invocation at a time per worker, a queue beyond."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sockgate.testing.polling import eventually

from .conftest import MakeService

HANDLER = """
import os, time

def barrier(event, context):
    # Wait (up to 10 s) until `expect` invocations are inside the handler at once.
    directory = event["dir"]
    open(os.path.join(directory, context.aws_request_id), "w").close()
    deadline = time.monotonic() + 10
    while len(os.listdir(directory)) < event["expect"] and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"seen": len(os.listdir(directory)), "pid": os.getpid()}

def marked(event, context):
    if "started" in event:
        open(event["started"], "w").close()
        time.sleep(0.3)
    return {"pid": os.getpid(), "event": event}

def exclusive(event, context):
    # Count the invocations inside the handler right now, holding the window open a little.
    directory = event["dir"]
    mine = os.path.join(directory, context.aws_request_id)
    open(mine, "w").close()
    most = 0
    for _ in range(10):
        most = max(most, len(os.listdir(directory)))
        time.sleep(0.01)
    os.remove(mine)
    return {"most": most, "pid": os.getpid()}
"""


async def test_two_slow_invocations_overlap_on_two_workers(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, fn="handler.barrier"), max_workers=2)
    directory = tmp_path / "inside"
    directory.mkdir()
    event = {"dir": str(directory), "expect": 2}
    results = await asyncio.gather(runtime.invoke("fn", event), runtime.invoke("fn", event))
    assert [r.payload["seen"] for r in results] == [2, 2]
    assert len({r.payload["pid"] for r in results}) == 2


async def test_reserved_concurrency_throttles_beyond_it(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    # Lambda answers 429 TooManyRequestsException to an invocation beyond the function's
    # reserved concurrency instead of queueing it; the handler does not run.
    service = make_service(
        {"handler.py": HANDLER}, fn=("handler.exclusive", {"reserved_concurrency": 1})
    )
    runtime = runtimes(service, max_workers=8)
    directory = tmp_path / "inside"
    directory.mkdir()
    results = await asyncio.gather(
        *(runtime.invoke("fn", {"dir": str(directory)}) for _ in range(4))
    )
    ran = [r for r in results if r.ok]
    throttled = [r for r in results if r.throttled]
    assert len(ran) == 1 and len(throttled) == 3
    assert ran[0].payload["most"] == 1
    assert throttled[0].error == {
        "errorType": "TooManyRequestsException",
        "errorMessage": "Rate Exceeded.",
        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
        "Type": "User",
    }
    assert throttled[0].logs == []  # no START: it never reached an execution environment
    assert len(runtime.worker_pids("fn")) == 1
    again = await runtime.invoke("fn", {"dir": str(directory)})  # the one slot is free again
    assert again.ok and again.payload["pid"] == ran[0].payload["pid"]


async def test_reserved_concurrency_zero_throttles_every_invocation(
    make_service: MakeService, runtimes
) -> None:
    service = make_service(
        {"handler.py": HANDLER}, fn=("handler.marked", {"reserved_concurrency": 0})
    )
    runtime = runtimes(service, prewarm=True)
    await runtime.start()
    result = await runtime.invoke("fn", {})
    assert result.throttled and result.error["Reason"].startswith("ReservedFunction")
    assert runtime.worker_pids("fn") == []


async def test_account_concurrency_throttles_the_unreserved_functions(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    # Two functions without a reservation share what the account has left after a third
    # function's reservation: 3 - 1 = 2 at once.
    service = make_service(
        {"handler.py": HANDLER},
        a="handler.barrier",
        b="handler.barrier",
        c=("handler.marked", {"reserved_concurrency": 1}),
    )
    runtime = runtimes(service, max_workers=4, account_concurrency=3)
    directory = tmp_path / "inside"
    directory.mkdir()
    event = {"dir": str(directory), "expect": 2}
    results = await asyncio.gather(
        runtime.invoke("a", event), runtime.invoke("b", event), runtime.invoke("a", event)
    )
    assert [r.ok for r in results[:2]] == [True, True]
    assert results[2].throttled
    assert results[2].error["Reason"] == "ConcurrentInvocationLimitExceeded"
    assert (await runtime.invoke("c", {})).ok  # its reservation is its own


async def test_max_workers_caps_and_extra_invocations_queue(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, fn="handler.exclusive"), max_workers=2)
    directory = tmp_path / "inside"
    directory.mkdir()
    results = await asyncio.gather(
        *(runtime.invoke("fn", {"dir": str(directory)}) for _ in range(6))
    )
    assert all(r.ok for r in results)
    assert max(r.payload["most"] for r in results) <= 2
    assert len({r.payload["pid"] for r in results}) <= 2
    assert len(runtime.worker_pids("fn")) <= 2


async def test_cancelled_caller_does_not_corrupt_the_worker(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, fn="handler.marked"), max_workers=1)
    started = tmp_path / "started"
    first = asyncio.ensure_future(runtime.invoke("fn", {"started": str(started)}))
    await eventually(started.exists, what="the handler to start")
    first.cancel()
    # The invocation runs to its end in the background (as on Lambda); then the same worker
    # serves the next one, its channel in step.
    result = await asyncio.wait_for(runtime.invoke("fn", {}), 10)
    assert result.ok and result.payload["pid"] == runtime.worker_pids("fn")[0]
    assert result.payload["event"] == {}


async def test_a_burst_of_quick_invocations_queues_behind_the_warm_workers(
    make_service: MakeService, runtimes
) -> None:
    # Starting a worker (an interpreter importing the handler) takes far longer than these
    # invocations wait in the queue: one worker per core is started, not one per invocation.
    cap = 16
    runtime = runtimes(
        make_service({"handler.py": HANDLER}, fn="handler.marked"), max_workers=cap, prewarm=True
    )
    await runtime.start()
    await eventually(lambda: bool(runtime.worker_pids("fn")), what="the prewarmed worker")
    results = await asyncio.gather(*(runtime.invoke("fn", {"n": n}) for n in range(40)))
    assert [r.payload["event"] for r in results] == [{"n": n} for n in range(40)]
    assert len(runtime.worker_pids("fn")) <= min(cap - 1, max(2, os.cpu_count() or 1))


async def test_a_worker_that_cannot_start_fails_every_queued_invocation(
    make_service: MakeService, runtimes
) -> None:
    service = make_service({"handler.py": HANDLER}, fn="handler.marked")
    runtime = runtimes(service, max_workers=2)
    service.directory.rename(service.directory.with_name("moved"))
    results = await asyncio.gather(
        *(runtime.invoke("fn", {}) for _ in range(3)), return_exceptions=True
    )
    assert [type(r).__name__ for r in results] == ["HandlerError"] * 3
    assert "Cannot start a worker for function 'fn'" in str(results[0])
