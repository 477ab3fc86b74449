"""Timeouts and workers that die or misbehave: every invocation still gets a result."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from sockgate.testing.polling import eventually

from .conftest import MakeService

EXITED = "Runtime exited with error:"

HANDLER = """
import ctypes, os, sys, time

def slow(event, context):
    open(event["started"], "w").close()
    time.sleep(60)

def pid(event, context):
    return os.getpid()

def exit3(event, context):
    os._exit(3)

def sys_exit(event, context):
    sys.exit(0)

def segfault(event, context):
    ctypes.string_at(0)

def close_stdout(event, context):
    sys.stdout.close()
    return "closed"

def close_fd1(event, context):
    os.close(1)
    os.close(2)
    return "fds closed"

def close_everything(event, context):
    os.closerange(3, 1024)
    return "unreachable"

def garbage(event, context):
    sys.stdout.buffer.write(bytes(range(256)) * 4)
    sys.stdout.write("\\x1e\\x1f\\x00 not a sentinel")
    print("no newline at the end", end="")
    return "ok"
"""


async def test_timeout_kills_and_reports_then_next_call_works(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    service = make_service(
        {"handler.py": HANDLER},
        slow=("handler.slow", {"timeout": 1}),
        pid=("handler.pid", {"timeout": 1}),
    )
    runtime = runtimes(service)
    result = await runtime.invoke("slow", {"started": str(tmp_path / "started")})
    assert result.timed_out
    assert result.error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds",
    }
    assert result.duration_ms == 1000.0
    assert any(
        line.endswith(f"Z {result.request_id} Task timed out after 1.00 seconds")
        for line in result.logs
    )
    assert "\tStatus: timeout" in result.logs[-1]
    assert runtime.worker_pids("slow") == []  # the timed-out worker is gone
    assert (await runtime.invoke("pid", {})).ok


async def test_timed_out_worker_is_replaced(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    service = make_service({"handler.py": HANDLER}, slow=("handler.slow", {"timeout": 1}))
    runtime = runtimes(service)
    first = runtime.invoke("slow", {"started": str(tmp_path / "one")})
    second = runtime.invoke("slow", {"started": str(tmp_path / "two")})
    results = await asyncio.gather(first, second)
    assert all(r.timed_out for r in results)


async def test_os_exit_mid_invocation(make_service: MakeService, runtimes) -> None:
    runtime = runtimes(
        make_service({"handler.py": HANDLER}, exit3="handler.exit3", pid="handler.pid")
    )
    result = await runtime.invoke("exit3", {})
    assert result.error == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {result.request_id} Error: {EXITED} exit status 3",
    }
    assert "\tStatus: error\tError Type: Runtime.ExitError" in result.logs[-1]
    # The next invocation gets a fresh worker.
    again = await runtime.invoke("exit3", {})
    assert again.error is not None and again.error["errorType"] == "Runtime.ExitError"


async def test_sys_exit_zero(make_service: MakeService, runtimes) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, fn="handler.sys_exit"))
    result = await runtime.invoke("fn", {})
    assert result.error is not None
    assert result.error["errorMessage"] == (
        f"RequestId: {result.request_id} Error: Runtime exited without providing a reason"
    )


async def test_segfault(make_service: MakeService, runtimes) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, fn="handler.segfault"))
    result = await runtime.invoke("fn", {})
    assert result.error is not None
    assert result.error["errorMessage"] == (
        f"RequestId: {result.request_id} Error: {EXITED} signal: segmentation fault"
    )


async def test_external_sigkill_mid_invocation(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    service = make_service(
        {"handler.py": HANDLER}, slow=("handler.slow", {"timeout": 30}), pid="handler.pid"
    )
    runtime = runtimes(service)
    started = tmp_path / "started"
    invocation = asyncio.ensure_future(runtime.invoke("slow", {"started": str(started)}))
    await eventually(started.exists, what="the handler to start")
    [pid] = runtime.worker_pids("slow")
    os.kill(pid, signal.SIGKILL)
    result = await invocation
    assert result.error == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {result.request_id} Error: {EXITED} signal: killed",
    }
    assert (await runtime.invoke("pid", {})).ok


async def test_idle_worker_killed_from_outside_is_replaced(
    make_service: MakeService, runtimes
) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, pid="handler.pid"))
    first = (await runtime.invoke("pid", {})).payload
    os.kill(first, signal.SIGKILL)
    await eventually(lambda: not _alive(first), what="the worker to die")
    second = await runtime.invoke("pid", {})
    # Either the death was noticed before dispatch (a fresh worker answers), or the invocation
    # reached the dead worker and reports it; it never hangs and the one after always works.
    assert second.ok or second.error["errorType"] == "Runtime.ExitError"
    third = await runtime.invoke("pid", {})
    assert third.ok and third.payload != first


async def test_handler_closing_stdout_and_fds(make_service: MakeService, runtimes) -> None:
    service = make_service(
        {"handler.py": HANDLER},
        close_stdout="handler.close_stdout",
        close_fd1="handler.close_fd1",
    )
    runtime = runtimes(service)
    assert (await runtime.invoke("close_stdout", {})).payload == "closed"
    after = await runtime.invoke("close_stdout", {})  # print()-free handler still works
    assert after.payload == "closed"
    assert (await runtime.invoke("close_fd1", {})).payload == "fds closed"
    result = await runtime.invoke("close_fd1", {})  # closing them again fails inside the handler
    assert result.error is not None and result.error["errorType"] == "OSError"


async def test_handler_closing_the_channel_exits(make_service: MakeService, runtimes) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, fn="handler.close_everything"))
    result = await runtime.invoke("fn", {})
    assert result.error is not None and result.error["errorType"] == "Runtime.ExitError"


async def test_garbage_output(make_service: MakeService, runtimes) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, fn="handler.garbage"))
    result = await runtime.invoke("fn", {})
    assert result.payload == "ok"
    output = result.logs[1:-2]  # between START and END
    assert output and output[-1].endswith("\x1e\x1f\x00 not a sentinelno newline at the end")
    assert result.logs[-2] == f"END RequestId: {result.request_id}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
